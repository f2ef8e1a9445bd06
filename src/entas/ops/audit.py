"""The append-only audit log: who read which household's personal data, who changed what, and when.

``record`` adds one ``audit_log`` row (actor, role, action, object, JSON detail) and, for reads of personal
data, one ``audit_subjects`` row per household returned. It runs inside the caller's transaction, so an
action and its audit row are stored together or not at all. The detail must never hold a NIK, a name or an
address: callers pass filters, counts, ids and statuses; ``record`` refuses keys that name personal fields.
The database itself refuses UPDATE and DELETE on both tables (see the first migration).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from entas.ops.models import AuditEntry, AuditSubject
from entas.ops.principal import Principal

_PERSONAL_KEYS = frozenset({"nik", "name", "names", "address", "query_text"})


def record(
    session: Session,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: str | None = None,
    *,
    detail: Mapping[str, Any] | None = None,
    subjects: Iterable[str] = (),
) -> int:
    """Add an audit row (and its subject households) in the current transaction; return its id."""
    data = dict(detail or {})
    personal = sorted(_PERSONAL_KEYS & set(data))
    if personal:
        raise ValueError(f"audit detail may not carry personal fields ({', '.join(personal)})")
    entry = AuditEntry(actor=principal.name, role=principal.role.value, action=action, object_type=object_type,
                       object_id=object_id, detail=json.dumps(data, sort_keys=True, default=str))
    session.add(entry)
    session.flush()
    households = sorted(set(subjects))
    if households:
        session.execute(insert(AuditSubject), [{"audit_id": entry.id, "household_id": h} for h in households])
    return entry.id


def audit_frame(session: Session, *, household_id: str | None = None, limit: int = 1000) -> pl.DataFrame:
    """The newest audit rows (optionally only those that read or changed ``household_id``), newest first."""
    query = select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.role, AuditEntry.action,
                   AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail)
    if household_id is not None:
        read = select(AuditSubject.audit_id).where(AuditSubject.household_id == household_id)
        query = query.where(AuditEntry.id.in_(read) | (AuditEntry.object_id == household_id))
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
    schema = {"id": pl.Int64, "at": pl.Utf8, "actor": pl.Utf8, "role": pl.Utf8, "action": pl.Utf8,
              "object_type": pl.Utf8, "object_id": pl.Utf8, "detail": pl.Utf8}
    return pl.DataFrame([(r[0], str(r[1]), *r[2:]) for r in rows], schema=schema, orient="row")
