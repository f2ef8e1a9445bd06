"""Users and stakeholders: adding and listing them (admins), and signing in (every face).

A user has one role; district and village officers are scoped to official area codes of their level
(checked against the Kemendagri tree of the province), a partner to the stakeholder it acts for. A
stakeholder is an organisation shaped like IATI's (see ``entas.ops.models.Stakeholder``).
``authenticate`` answers the same "unknown user or wrong password" for both, so it is no user-name oracle.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import polars as pl
from sqlalchemy import select

from entas.errors import ConflictError, NotFoundError, OpsError
from entas.ops import audit
from entas.ops.access import Access, _frame
from entas.ops.models import FUNDER_TYPES, STAKEHOLDER_KINDS, Stakeholder, User, UserArea
from entas.ops.passwords import hash_password, needs_rehash, verify_password
from entas.ops.principal import AREA_ROLES, Capability, Principal, Role
from entas.ops.store import OpsStore

PROVINCE = "64"
IATI_TYPES: dict[str, int] = {"government_agency": 10, "village": 11, "company": 70, "ngo": 22,
                              "community_group": 90}
"""Default IATI OrganisationType code per stakeholder kind (10 government, 11 local government, 22 national
NGO, 70 private sector, 90 other)."""


@lru_cache(maxsize=1)
def _areas_by_level() -> dict[str, frozenset[str]]:
    from entas.areas import area_tree

    tree = area_tree(PROVINCE)
    return {level: frozenset(tree.filter(pl.col("level") == level)["code"]) for level in ("district", "village")}


def check_areas(role: Role, areas: Sequence[str]) -> tuple[str, ...]:
    """The areas, validated for the role: officers need official codes of their level, others none."""
    level = AREA_ROLES.get(role)
    if level is None:
        if areas:
            raise OpsError(f"role {role.value} is not scoped to areas; leave --area out")
        return ()
    if not areas:
        raise OpsError(f"role {role.value} needs at least one {level} code (--area)")
    unknown = [a for a in areas if a not in _areas_by_level()[level]]
    if unknown:
        raise OpsError(f"not a {level} of province {PROVINCE}: {', '.join(unknown)} "
                       f"(use the dotted Kemendagri code, e.g. {'64.02' if level == 'district' else '64.02.01.2001'})")
    return tuple(sorted(set(areas)))


def add_user(access: Access, name: str, password: str, role: Role | str, *, areas: Sequence[str] = (),
             stakeholder: str | None = None) -> dict[str, object]:
    """Create a user (admin only); the password is stored as an argon2 hash."""
    access.require(Capability.manage)
    role = Role(role)
    name = name.strip()
    if not name or len(name) > 120:
        raise OpsError("user name must be 1 to 120 characters")
    scoped = check_areas(role, areas)
    if (role is Role.partner) != (stakeholder is not None):
        raise OpsError("a partner needs --stakeholder, and only a partner takes one")
    password_hash = hash_password(password)
    with access.transaction() as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise ConflictError(f"user {name!r} already exists")
        stakeholder_id = access.stakeholder_id(session, stakeholder) if stakeholder is not None else None
        user = User(name=name, password_hash=password_hash, role=role.value, stakeholder_id=stakeholder_id,
                    areas=[UserArea(area_code=a) for a in scoped])
        session.add(user)
        session.flush()
        audit.record(session, access.principal, "user.create", "user", str(user.id),
                     detail={"user": name, "role": role.value, "areas": list(scoped), "stakeholder": stakeholder})
    return {"id": user.id, "name": name, "role": role.value, "areas": ",".join(scoped), "stakeholder": stakeholder}


def list_users(access: Access) -> pl.DataFrame:
    """Every user: name, role, areas, stakeholder, active (no hashes)."""
    access.require(Capability.manage)
    with access.transaction() as session:
        users = session.scalars(select(User).order_by(User.name)).all()
        rows = [(u.id, u.name, u.role, ",".join(sorted(a.area_code for a in u.areas)),
                 u.stakeholder.identifier if u.stakeholder else None, u.active) for u in users]
    return pl.DataFrame(rows, schema={"id": pl.Int64, "name": pl.Utf8, "role": pl.Utf8, "areas": pl.Utf8,
                                      "stakeholder": pl.Utf8, "active": pl.Boolean}, orient="row")


def authenticate(store: OpsStore, name: str, password: str) -> Principal:
    """The principal of an active user whose password matches; one message for every failure."""
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None or not user.active or not verify_password(user.password_hash, password):
            raise OpsError("unknown user or wrong password")
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return Principal(name=user.name, role=Role(user.role), areas=tuple(sorted(a.area_code for a in user.areas)),
                         stakeholder_id=user.stakeholder_id, user_id=user.id)


def principal_of(store: OpsStore, name: str) -> Principal:
    """The principal of a registered user, without a password: for a local operator acting as that user."""
    with store.transaction() as session:
        user = session.scalar(select(User).where(User.name == name, User.active.is_(True)))
        if user is None:
            raise OpsError(f"no active user {name!r}")
        return Principal(name=user.name, role=Role(user.role), areas=tuple(sorted(a.area_code for a in user.areas)),
                         stakeholder_id=user.stakeholder_id, user_id=user.id)


def add_stakeholder(access: Access, identifier: str, name: str, kind: str, funder_type: str, *,
                    reports: bool = True, implements: bool = True, area_code: str | None = None,
                    iati_type: int | None = None) -> dict[str, object]:
    """Register an organisation (admin only); ``identifier`` is unique (an IATI org id or a local one)."""
    access.require(Capability.manage)
    if kind not in STAKEHOLDER_KINDS:
        raise OpsError(f"stakeholder kind {kind!r} unknown; use one of {', '.join(STAKEHOLDER_KINDS)}")
    if funder_type not in FUNDER_TYPES:
        raise OpsError(f"funder type {funder_type!r} unknown; use one of {', '.join(FUNDER_TYPES)}")
    if not identifier.strip() or len(identifier) > 120:
        raise OpsError("stakeholder identifier must be 1 to 120 characters")
    with access.transaction() as session:
        if session.scalar(select(Stakeholder.id).where(Stakeholder.identifier == identifier)) is not None:
            raise ConflictError(f"stakeholder {identifier!r} already exists")
        row = Stakeholder(identifier=identifier, name=name, kind=kind, funder_type=funder_type,
                          iati_type=iati_type or IATI_TYPES[kind], reports=reports, implements=implements,
                          area_code=area_code)
        session.add(row)
        session.flush()
        audit.record(session, access.principal, "stakeholder.create", "stakeholder", identifier,
                     detail={"kind": kind, "funder_type": funder_type})
        return {"id": row.id, "identifier": identifier, "name": name, "kind": kind, "funder_type": funder_type}


def list_stakeholders(access: Access) -> pl.DataFrame:
    """Every stakeholder (visible to every signed-in role: organisations are not personal data)."""
    with access.transaction() as session:
        return _frame(session.execute(select(
            Stakeholder.id, Stakeholder.identifier, Stakeholder.name, Stakeholder.kind, Stakeholder.funder_type,
            Stakeholder.iati_type, Stakeholder.reports, Stakeholder.implements, Stakeholder.area_code,
        ).order_by(Stakeholder.identifier)))


def set_user_active(access: Access, name: str, *, active: bool) -> dict[str, object]:
    """Disable (or enable again) a user (admin only); a disabled user cannot sign in and its tokens are refused."""
    access.require(Capability.manage)
    with access.transaction() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFoundError(f"user {name!r} not found")
        user.active = active
        audit.record(session, access.principal, "user.active", "user", str(user.id), detail={"active": active})
        return {"id": user.id, "name": user.name, "role": user.role,
                "areas": ",".join(sorted(a.area_code for a in user.areas)),
                "stakeholder": user.stakeholder.identifier if user.stakeholder else None, "active": active}
