"""Who is asking: roles, what each may do (capabilities), and which households each may see (scope).

The role x capability table (``CAPABILITIES``) is the one written in docs/operations.md. Scope decides
*which* rows a principal sees and is applied inside every query (``Principal.scope_clause`` for SQL,
``Principal.scope_expr`` for the registry snapshot):

- ``admin``, ``province_analyst``: the whole province;
- ``district_officer`` (petugas kabupaten/kota): households whose village code lies under one of its
  district codes (``64.02`` matches ``64.02.%``);
- ``village_officer`` (perangkat desa): households of its villages;
- ``partner`` (CSR company, NGO): households with a plan item assigned to its stakeholder;
- ``public``: no household at all, only the suppressed public aggregates.

A row outside the scope is treated exactly like a missing one (``NotFoundError``), so scope leaks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, false, or_, select, true

from entas.errors import PermissionDeniedError
from entas.ops.models import PlanItem
from entas.ops.roles import Role as Role  # re-exported: the roles live apart from SQLAlchemy


class Capability(StrEnum):
    read_households = "read_households"  # search, detail, by-name lists (masked per the two below)
    see_names = "see_names"  # names and addresses in clear (else initials / redacted)
    see_nik = "see_nik"  # NIK in clear (else 6407**********01)
    import_plans = "import_plans"
    assign = "assign"  # assign plan items to stakeholders
    record_interventions = "record_interventions"  # create, mark delivered or cancelled
    verify_interventions = "verify_interventions"  # delivered -> verified
    set_household_status = "set_household_status"
    monitor = "monitor"  # coverage, untouched, duplicates, graduation, progress (within scope)
    manage = "manage"  # users and stakeholders
    read_audit = "read_audit"


C = Capability
CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.admin: frozenset(Capability),
    Role.province_analyst: frozenset({C.read_households, C.import_plans, C.assign, C.monitor}),
    Role.district_officer: frozenset({C.read_households, C.see_names, C.see_nik, C.assign, C.record_interventions,
                                      C.verify_interventions, C.set_household_status, C.monitor}),
    Role.village_officer: frozenset({C.read_households, C.see_names, C.see_nik, C.record_interventions,
                                     C.verify_interventions, C.set_household_status, C.monitor}),
    Role.partner: frozenset({C.read_households, C.see_names, C.record_interventions, C.monitor}),
    Role.public: frozenset(),
}
AREA_ROLES: dict[Role, str] = {Role.district_officer: "district", Role.village_officer: "village"}
"""Roles scoped to areas, and the level of area code each takes."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user (or the local administrator of a CLI session): role, area codes, stakeholder."""

    name: str
    role: Role
    areas: tuple[str, ...] = ()
    stakeholder_id: int | None = None
    user_id: int | None = None

    @classmethod
    def local_admin(cls, name: str = "local-admin") -> Principal:
        """Whoever runs the CLI on the database directly: they hold the database itself, so admin."""
        return cls(name=name, role=Role.admin)

    def can(self, capability: Capability) -> bool:
        return capability in CAPABILITIES[self.role]

    def require(self, capability: Capability) -> None:
        """Raise ``PermissionDeniedError`` unless the role has ``capability``."""
        if not self.can(capability):
            raise PermissionDeniedError(f"role {self.role.value} may not {capability.value.replace('_', ' ')}")

    @property
    def province_wide(self) -> bool:
        return self.role in (Role.admin, Role.province_analyst)

    def scope_clause(self, village_code: Any, household_id: Any) -> ColumnElement[bool]:
        """SQL condition: the row's household lies in this principal's scope (columns or literals)."""
        if self.province_wide:
            return true()
        if self.role in AREA_ROLES:
            return _area_clause(village_code, self.areas)
        if self.role is Role.partner and self.stakeholder_id is not None:
            assigned = select(PlanItem.household_id).where(PlanItem.stakeholder_id == self.stakeholder_id)
            return household_id.in_(assigned)  # type: ignore[no-any-return]
        return false()

    def scope_expr(self, assigned: Iterable[str] = ()) -> pl.Expr:
        """Polars condition on ``village_code``/``household_id`` of a registry table (partner: ``assigned``)."""
        if self.province_wide:
            return pl.lit(True)
        if self.role in AREA_ROLES:
            return area_expr(pl.col("village_code"), self.areas)
        if self.role is Role.partner:
            return pl.col("household_id").is_in(pl.Series(list(assigned), dtype=pl.Utf8).implode())
        return pl.lit(False)


def _area_clause(village_code: Any, areas: tuple[str, ...]) -> ColumnElement[bool]:
    if not areas:
        return false()
    return or_(*(cond for code in areas for cond in (village_code == code, village_code.like(f"{code}.%"))))


def area_expr(village_code: pl.Expr, areas: Iterable[str]) -> pl.Expr:
    """Polars: the village code equals one of ``areas`` or lies under one (prefix up to a dot)."""
    codes = list(areas)
    if not codes:
        return pl.lit(False)
    matches = [(village_code == code) | village_code.str.starts_with(f"{code}.") for code in codes]
    return pl.any_horizontal(matches)
