"""The data-access layer: the one door through which every face (CLI, HTTP API, web, reports) reads and writes.

``Access`` binds a ``Principal`` to the ``OpsStore``. Each method checks the role's capability, puts the
principal's area scope *into the query* (SQL ``WHERE`` for the database, a polars filter for the registry
snapshot), masks personal fields the role may not see, and writes an audit row in the same transaction:
for a read of personal data (household search, detail, by-name list) the households returned; for a change,
what changed. A household outside the scope is "not found", word for word as a missing one.

Interventions (intervensi) are idempotent on ``idempotency_key``: the same key with the same content returns
the stored row (``created`` false), the same key with other content is a ``ConflictError``; the unique
constraint in the database decides between concurrent requests, so each key is stored exactly once.
Status moves along ``TRANSITIONS``; only roles with ``verify_interventions`` may verify, and a partner may
change only the interventions of its own stakeholder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from entas.errors import ConflictError, NotFoundError, OpsError, PermissionDeniedError
from entas.ops import audit
from entas.ops.masking import masked
from entas.ops.models import (
    HOUSEHOLD_STATUSES,
    HouseholdStatus,
    HouseholdStatusChange,
    Intervention,
    PlanItem,
    Stakeholder,
    utc_now,
)
from entas.ops.principal import Capability, Principal, Role
from entas.ops.store import OpsStore

TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"delivered", "cancelled"}),
    "delivered": frozenset({"verified", "cancelled"}),
    "verified": frozenset(),
    "cancelled": frozenset(),
}
"""Allowed intervention status changes (planned -> delivered -> verified; planned/delivered -> cancelled)."""
INTERVENTION_COLUMNS = ("id", "idempotency_key", "household_id", "village_code", "program", "strategy",
                        "stakeholder", "status", "delivered_on", "amount_rp", "evidence", "plan_item_id",
                        "created_by", "created_at", "updated_at")
_HOUSEHOLD_COLUMNS = ("household_id", "village_code", "welfare_decile", "household_size")


CONTENT_SEPARATOR = "\x1f"
NULL_TEXT = "\\N"


def canonical_content(household_id: str, program: str, stakeholder_id: int, status: str,
                      delivered_on: dt.date | None, amount_rp: int | None, evidence: str | None,
                      plan_item_id: int | None) -> str:
    """The creating content of an intervention as one string (``entas.ledger.deliveries`` builds the same)."""
    parts = (household_id, program, stakeholder_id, status, delivered_on, amount_rp, evidence, plan_item_id)
    return CONTENT_SEPARATOR.join(NULL_TEXT if p is None else str(p) for p in parts)


def content_digest(canonical: str) -> str:
    """SHA-256 (hex) of a canonical content string."""
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class InterventionRequest:
    """What a stakeholder reports: ``stakeholder`` is an identifier (a partner's own one by default)."""

    idempotency_key: str
    household_id: str
    program: str
    stakeholder: str | None = None
    status: str = "delivered"
    delivered_on: dt.date | None = None
    amount_rp: int | None = None
    evidence: str | None = None
    plan_item_id: int | None = None

    def content_hash(self, stakeholder_id: int) -> str:
        """Digest of everything but the key: a retry must carry the same content to count as one."""
        return content_digest(canonical_content(
            self.household_id, self.program, stakeholder_id, self.status, self.delivered_on, self.amount_rp,
            self.evidence, self.plan_item_id))


@dataclass(frozen=True)
class Recorded:
    """The stored intervention (column -> value) and whether this request created it."""

    intervention: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class HouseholdDetail:
    """One household as the role may see it: registry row and members (masked), status, history, ledger."""

    household: dict[str, Any]
    members: pl.DataFrame
    status: dict[str, Any] | None
    history: pl.DataFrame
    interventions: pl.DataFrame
    plan_items: pl.DataFrame


class Access:
    """The operations a principal may perform, each scoped, masked and audited (see the module docstring)."""

    def __init__(self, store: OpsStore, principal: Principal) -> None:
        self.store = store
        self.principal = principal

    # -- building blocks shared with entas.ledger ------------------------------------------------------------

    def require(self, capability: Capability) -> None:
        self.principal.require(capability)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.store.transaction() as session:
            yield session

    def scope(self, model: Any) -> ColumnElement[bool]:
        """The scope condition on a table with ``village_code`` and ``household_id`` columns."""
        return self.principal.scope_clause(model.village_code, model.household_id)

    def visible_village(self, session: Session, household_id: str) -> str:
        """The household's village code when it is in the registry *and* in scope; else ``NotFoundError``."""
        village = self.store.village_of(household_id)
        in_scope = session.scalar(select(literal(1)).where(
            self.principal.scope_clause(literal(village), literal(household_id))))
        if in_scope is None:
            raise NotFoundError(f"household {household_id!r} not found")
        return village

    def assigned_households(self, session: Session) -> list[str]:
        """Households with a plan item assigned to the principal's stakeholder (a partner's scope)."""
        if self.principal.stakeholder_id is None:
            return []
        rows = session.scalars(select(PlanItem.household_id).where(
            PlanItem.stakeholder_id == self.principal.stakeholder_id).distinct())
        return list(rows)

    def registry_scope(self, session: Session) -> pl.Expr:
        """The principal's scope as a polars filter on a registry table."""
        assigned = self.assigned_households(session) if self.principal.role is Role.partner else ()
        return self.principal.scope_expr(assigned)

    def stakeholder_id(self, session: Session, identifier: str) -> int:
        found = session.scalar(select(Stakeholder.id).where(Stakeholder.identifier == identifier))
        if found is None:
            raise NotFoundError(f"stakeholder {identifier!r} not found")
        return found

    # -- households (read the registry snapshot) -------------------------------------------------------------

    def search_households(self, *, area: str | None = None, query: str | None = None, limit: int = 100,
                          max_decile: int | None = None) -> pl.DataFrame:
        """Households in scope (optionally under ``area``, matching ``query``), with the head's name and NIK.

        ``query`` matches a household id exactly; a name (substring, any case) only for roles that see
        names, and a NIK (exact) only for roles that see NIKs, so a masked role cannot probe either.
        """
        self.require(Capability.read_households)
        with self.transaction() as session:
            households = self._scoped_households(session, area)
            if max_decile is not None:
                households = households.filter(pl.col("welfare_decile") <= max_decile)
            kind = None
            if query:
                kind, matched = self._match(query.strip())
                households = households.filter(pl.col("household_id").is_in(matched.implode()))
            found = households.sort("household_id").head(limit).collect()
            result = masked(self._with_heads(found), self.principal)
            result = self._with_status(session, result)
            audit.record(session, self.principal, "household.search", "household", detail={
                "area": area, "query_kind": kind, "limit": limit, "max_decile": max_decile, "rows": result.height},
                subjects=result["household_id"])
        return result

    def household(self, household_id: str) -> HouseholdDetail:
        """One household in scope with its members, status, history, interventions and plan items."""
        self.require(Capability.read_households)
        with self.transaction() as session:
            self.visible_village(session, household_id)
            row = self.store.snapshots.scan("registry", "households").filter(
                pl.col("household_id") == household_id).collect()
            members = self.store.snapshots.scan("registry", "members").filter(
                pl.col("household_id") == household_id).sort("member_id").collect()
            status = session.get(HouseholdStatus, household_id)
            history = _frame(session.execute(select(
                HouseholdStatusChange.status, HouseholdStatusChange.previous_status, HouseholdStatusChange.since,
                HouseholdStatusChange.note, HouseholdStatusChange.changed_by, HouseholdStatusChange.changed_at,
            ).where(HouseholdStatusChange.household_id == household_id).order_by(HouseholdStatusChange.id)))
            interventions = self._intervention_frame(session, Intervention.household_id == household_id)
            plan_items = _frame(session.execute(select(
                PlanItem.id, PlanItem.plan_id, PlanItem.program, PlanItem.strategy, PlanItem.funder,
                PlanItem.cost_rp, Stakeholder.identifier.label("stakeholder"),
            ).outerjoin(Stakeholder, Stakeholder.id == PlanItem.stakeholder_id)
             .where(PlanItem.household_id == household_id).order_by(PlanItem.id)))
            audit.record(session, self.principal, "household.read", "household", household_id,
                         detail={"members": members.height}, subjects=[household_id])
        return HouseholdDetail(
            household=masked(row, self.principal).to_dicts()[0],
            members=masked(members, self.principal),
            status=None if status is None else {"status": status.status, "since": status.since, "note": status.note},
            history=history, interventions=interventions, plan_items=plan_items)

    def by_name_list(self, *, area: str | None = None, program: str | None = None,
                     plan_id: str | None = None) -> pl.DataFrame:
        """The plan items in scope (optionally one area, program, plan) with the head's name: who to serve."""
        self.require(Capability.read_households)
        with self.transaction() as session:
            query = select(PlanItem.id.label("plan_item_id"), PlanItem.plan_id, PlanItem.household_id,
                           PlanItem.village_code, PlanItem.program, PlanItem.strategy,
                           Stakeholder.identifier.label("stakeholder")).outerjoin(
                Stakeholder, Stakeholder.id == PlanItem.stakeholder_id).where(self.scope(PlanItem))
            if area is not None:
                query = query.where((PlanItem.village_code == area) | PlanItem.village_code.like(f"{area}.%"))
            if program is not None:
                query = query.where(PlanItem.program == program)
            if plan_id is not None:
                query = query.where(PlanItem.plan_id == plan_id)
            items = _frame(session.execute(query.order_by(PlanItem.village_code, PlanItem.household_id,
                                                          PlanItem.program)))
            heads = self._with_heads(items.select("household_id").unique())
            result = masked(items.join(heads, on="household_id", how="left", maintain_order="left"), self.principal)
            audit.record(session, self.principal, "household.list", "plan_item", detail={
                "area": area, "program": program, "plan_id": plan_id, "rows": result.height},
                subjects=result["household_id"])
        return result

    def _scoped_households(self, session: Session, area: str | None) -> pl.LazyFrame:
        if self.store.registry_snapshot() is None:
            return pl.LazyFrame(schema={c: pl.Utf8 for c in _HOUSEHOLD_COLUMNS})
        frame = self.store.snapshots.scan("registry", "households").select(_HOUSEHOLD_COLUMNS)
        frame = frame.filter(self.registry_scope(session))
        if area is not None:
            frame = frame.filter((pl.col("village_code") == area) | pl.col("village_code").str.starts_with(f"{area}."))
        return frame

    def _match(self, query: str) -> tuple[str, pl.Series]:
        """Households a search text matches, and what kind of text it was (for the audit, never the text)."""
        members = self.store.snapshots.scan("registry", "members")
        if query.isdigit() and len(query) == 16 and self.principal.can(Capability.see_nik):
            ids = members.filter(pl.col("nik") == query).select("household_id").collect()["household_id"]
            return "nik", pl.concat([ids, pl.Series([query])])
        if self.principal.can(Capability.see_names) and len(query) >= 3:
            ids = members.filter(pl.col("name").str.to_lowercase().str.contains(query.lower(), literal=True)).select(
                "household_id").collect()["household_id"]
            return "name_or_id", pl.concat([ids, pl.Series([query])])
        return "household_id", pl.Series([query])

    def _with_heads(self, households: pl.DataFrame) -> pl.DataFrame:
        """``households`` with the head's ``head_name`` and ``head_nik`` (unmasked: callers mask)."""
        if self.store.registry_snapshot() is None:
            return households.with_columns(head_name=pl.lit(None, pl.Utf8), head_nik=pl.lit(None, pl.Utf8))
        ids = households["household_id"].implode()
        heads = (self.store.snapshots.scan("registry", "members")
                 .filter(pl.col("household_id").is_in(ids) & (pl.col("relation_to_head") == "head"))
                 .group_by("household_id").agg(head_name=pl.col("name").first(), head_nik=pl.col("nik").first())
                 .collect())
        return households.join(heads, on="household_id", how="left", maintain_order="left")

    def _with_status(self, session: Session, households: pl.DataFrame) -> pl.DataFrame:
        ids = households["household_id"].to_list()
        rows = session.execute(select(HouseholdStatus.household_id, HouseholdStatus.status).where(
            HouseholdStatus.household_id.in_(ids), self.scope(HouseholdStatus))).all() if ids else []
        status = pl.DataFrame(rows, schema={"household_id": pl.Utf8, "status": pl.Utf8}, orient="row")
        return households.join(status, on="household_id", how="left", maintain_order="left")

    # -- interventions ---------------------------------------------------------------------------------------

    def record_intervention(self, request: InterventionRequest) -> Recorded:
        """Store an intervention once per idempotency key (see the module docstring); audited when created."""
        self.require(Capability.record_interventions)
        if request.status not in ("planned", "delivered"):
            raise OpsError(f"a new intervention is planned or delivered, not {request.status!r} (verify it after)")
        _check_delivery(request.status, request.delivered_on, request.amount_rp)
        if not request.idempotency_key or len(request.idempotency_key) > 200:
            raise OpsError("idempotency_key must be 1 to 200 characters")
        strategy = self.store.strategies.get(request.program)
        if strategy is None:
            raise OpsError(f"program {request.program!r} is not in the program catalog")
        with self.transaction() as session:
            stakeholder_id = self._acting_stakeholder(session, request.stakeholder)
            digest = request.content_hash(stakeholder_id)
            existing = self._by_key(session, request.idempotency_key, digest)
            if existing is not None:
                return Recorded(existing, created=False)
            village = self.visible_village(session, request.household_id)
            if request.plan_item_id is not None:
                self._check_plan_item(session, request)
            row = Intervention(
                idempotency_key=request.idempotency_key, household_id=request.household_id, village_code=village,
                program=request.program, strategy=strategy, stakeholder_id=stakeholder_id,
                reporting_stakeholder_id=self.principal.stakeholder_id, plan_item_id=request.plan_item_id,
                status=request.status, delivered_on=request.delivered_on, amount_rp=request.amount_rp,
                evidence=request.evidence, content_hash=digest, created_by=self.principal.name)
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # a concurrent request stored the key first: now it is visible
                existing = self._by_key(session, request.idempotency_key, digest)
                if existing is None:
                    raise
                return Recorded(existing, created=False)
            audit.record(session, self.principal, "intervention.create", "intervention", str(row.id), detail={
                "household_id": request.household_id, "program": request.program, "status": request.status,
                "stakeholder_id": stakeholder_id, "amount_rp": request.amount_rp})
            return Recorded(self._intervention_frame(session, Intervention.id == row.id).to_dicts()[0], created=True)

    def set_intervention_status(self, intervention_id: int, status: str, *, delivered_on: dt.date | None = None,
                                evidence: str | None = None) -> dict[str, Any]:
        """Move an intervention in scope along ``TRANSITIONS``; a partner only its own stakeholder's ones."""
        self.require(Capability.verify_interventions if status == "verified" else Capability.record_interventions)
        with self.transaction() as session:
            row = session.scalars(select(Intervention).where(Intervention.id == intervention_id,
                                                             self.scope(Intervention)).with_for_update()).first()
            mine = row is not None and (self.principal.role is not Role.partner
                                        or row.stakeholder_id == self.principal.stakeholder_id)
            if row is None or not mine:
                raise NotFoundError(f"intervention {intervention_id} not found")
            if status not in TRANSITIONS.get(row.status, frozenset()):
                raise ConflictError(f"intervention {intervention_id}: status {row.status} cannot become {status} "
                                    f"(allowed: {', '.join(sorted(TRANSITIONS[row.status])) or 'none, final'})")
            when = delivered_on or row.delivered_on
            _check_delivery(status if status == "delivered" else "planned", when, row.amount_rp)
            previous = row.status
            row.status, row.delivered_on, row.updated_at = status, when, utc_now()
            if evidence:
                row.evidence = evidence
            audit.record(session, self.principal, "intervention.status", "intervention", str(intervention_id),
                         detail={"from": previous, "to": status, "household_id": row.household_id})
            session.flush()
            return self._intervention_frame(session, Intervention.id == intervention_id).to_dicts()[0]

    def interventions(self, *, area: str | None = None, household_id: str | None = None, program: str | None = None,
                      status: str | None = None, limit: int | None = None) -> pl.DataFrame:
        """Interventions in scope, optionally filtered, oldest first. Ledger rows carry no personal data."""
        self.require(Capability.read_households)
        conditions: list[ColumnElement[bool]] = []
        if area is not None:
            conditions.append((Intervention.village_code == area) | Intervention.village_code.like(f"{area}.%"))
        for column, value in ((Intervention.household_id, household_id), (Intervention.program, program),
                              (Intervention.status, status)):
            if value is not None:
                conditions.append(column == value)
        with self.transaction() as session:
            return self._intervention_frame(session, *conditions, limit=limit)

    def _intervention_frame(self, session: Session, *conditions: ColumnElement[bool],
                            limit: int | None = None) -> pl.DataFrame:
        i = Intervention
        query = select(i.id, i.idempotency_key, i.household_id, i.village_code, i.program, i.strategy,
                       Stakeholder.identifier.label("stakeholder"), i.status, i.delivered_on, i.amount_rp,
                       i.evidence, i.plan_item_id, i.created_by, i.created_at, i.updated_at).join(
            Stakeholder, Stakeholder.id == i.stakeholder_id).where(self.scope(i), *conditions).order_by(i.id)
        return _frame(session.execute(query.limit(limit) if limit is not None else query),
                      names=INTERVENTION_COLUMNS)

    def _acting_stakeholder(self, session: Session, identifier: str | None) -> int:
        own = self.principal.stakeholder_id
        if self.principal.role is Role.partner:
            if own is None:
                raise PermissionDeniedError(f"user {self.principal.name} has no stakeholder to report for")
            if identifier is not None and self.stakeholder_id(session, identifier) != own:
                raise PermissionDeniedError("a partner records interventions for its own stakeholder only")
            return own
        if identifier is None:
            if own is None:
                raise OpsError("name the stakeholder that delivered (its identifier)")
            return own
        return self.stakeholder_id(session, identifier)

    def _by_key(self, session: Session, key: str, digest: str) -> dict[str, Any] | None:
        """The stored intervention with ``key`` when its content matches; ``ConflictError`` when it does not."""
        row = session.execute(select(Intervention.id, Intervention.content_hash).where(
            Intervention.idempotency_key == key)).first()
        if row is None:
            return None
        visible = self._intervention_frame(session, Intervention.id == row.id)
        if row.content_hash != digest or visible.height == 0:
            raise ConflictError(f"idempotency key {key!r} was already used for a different intervention")
        return visible.to_dicts()[0]

    def _check_plan_item(self, session: Session, request: InterventionRequest) -> None:
        item = session.get(PlanItem, request.plan_item_id)
        if item is None or item.household_id != request.household_id or item.program != request.program:
            raise NotFoundError(f"plan item {request.plan_item_id} not found for this household and program")

    # -- household status ------------------------------------------------------------------------------------

    def set_household_status(self, household_id: str, status: str, *, since: dt.date | None = None,
                             note: str | None = None) -> dict[str, Any]:
        """Record what the field found (verified, graduated, moved, deceased, not_found); history kept."""
        self.require(Capability.set_household_status)
        if status not in HOUSEHOLD_STATUSES:
            raise OpsError(f"household status {status!r} unknown; use one of {', '.join(HOUSEHOLD_STATUSES)}")
        when = since or dt.date.today()
        if when > dt.date.today():
            raise OpsError(f"household status date {when} is in the future")
        with self.transaction() as session:
            village = self.visible_village(session, household_id)
            current = session.get(HouseholdStatus, household_id, with_for_update=True)
            previous = None if current is None else current.status
            if current is None:
                current = HouseholdStatus(household_id=household_id, village_code=village)
                session.add(current)
            current.status, current.since, current.note = status, when, note
            current.changed_by, current.changed_at = self.principal.name, utc_now()
            session.add(HouseholdStatusChange(household_id=household_id, village_code=village, status=status,
                                              previous_status=previous, since=when, note=note,
                                              changed_by=self.principal.name))
            audit.record(session, self.principal, "household.status", "household", household_id,
                         detail={"from": previous, "to": status, "since": when})
        return {"household_id": household_id, "status": status, "previous_status": previous, "since": when}

    def household_statuses(self, *, area: str | None = None) -> pl.DataFrame:
        """Current household statuses in scope (no personal data)."""
        self.require(Capability.monitor)
        query = select(HouseholdStatus.household_id, HouseholdStatus.village_code, HouseholdStatus.status,
                       HouseholdStatus.since).where(self.scope(HouseholdStatus))
        if area is not None:
            query = query.where((HouseholdStatus.village_code == area)
                                | HouseholdStatus.village_code.like(f"{area}.%"))
        with self.transaction() as session:
            return _frame(session.execute(query.order_by(HouseholdStatus.household_id)))

    def audit_log(self, *, household_id: str | None = None, limit: int = 1000) -> pl.DataFrame:
        """The newest audit rows (admin only), optionally those about one household."""
        self.require(Capability.read_audit)
        with self.transaction() as session:
            return audit.audit_frame(session, household_id=household_id, limit=limit)


def _check_delivery(status: str, delivered_on: dt.date | None, amount_rp: int | None) -> None:
    if status == "delivered" and delivered_on is None:
        raise OpsError("a delivered intervention needs its delivery date (delivered_on)")
    if delivered_on is not None and delivered_on > dt.date.today():
        raise OpsError(f"delivery date {delivered_on} is in the future")
    if amount_rp is not None and amount_rp < 0:
        raise OpsError(f"amount_rp must not be negative, got {amount_rp}")


def _frame(result: Any, names: tuple[str, ...] | None = None) -> pl.DataFrame:
    """A SQLAlchemy result as a polars frame (column names from the query; dates and times kept)."""
    columns = list(names or result.keys())
    rows = [tuple(r) for r in result.all()]
    if not rows:
        return pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
