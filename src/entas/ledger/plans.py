"""Plans from the planning module, and their assignment to stakeholders (penugasan).

The planning output is one row per (plan, household, program) with exactly the columns ``PLAN_COLUMNS``;
``import_plan`` takes it as a polars frame or a Parquet/CSV file. A plan is immutable: importing the same
``plan_id`` with the same content again is a no-op, with other content a ``ConflictError`` (import the new
plan under a new id). A bad file is refused whole (``LedgerImportError`` naming the file, row and field):
a plan is the output of a program, so a bad row is a bug to fix upstream, not a row to skip.

``assign`` gives the plan items that match a program, an area and a plan to a stakeholder, inside the
caller's scope; a partner then sees exactly those households.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import insert, update

from entas.errors import ConflictError, LedgerImportError
from entas.ops import audit
from entas.ops.access import Access
from entas.ops.models import Plan, PlanItem
from entas.ops.principal import Capability
from entas.programs.catalog import STRATEGIES
from entas.registry.snapshots import SnapshotStore, content_hash

PLAN_COLUMNS: dict[str, pl.DataType] = {
    "plan_id": pl.Utf8(), "household_id": pl.Utf8(), "village_code": pl.Utf8(), "district_code": pl.Utf8(),
    "program": pl.Utf8(), "strategy": pl.Utf8(), "funder": pl.Utf8(), "cost_rp": pl.Float64(),
    "effect_rp_pc_month": pl.Float64(), "reason": pl.Utf8(),
}
_REQUIRED = ("plan_id", "household_id", "village_code", "district_code", "program", "strategy")


@dataclass(frozen=True)
class PlanImport:
    """What ``import_plan`` did: one row per plan id with its items and whether it was newly stored."""

    plans: pl.DataFrame
    items: int


def read_plan(source: pl.DataFrame | Path) -> tuple[pl.DataFrame, str]:
    """The plan rows typed as ``PLAN_COLUMNS`` and the name of their source, or ``LedgerImportError``."""
    if isinstance(source, pl.DataFrame):
        frame, name = source, "<frame>"
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise LedgerImportError(f"{path}: file not found")
        try:
            if path.suffix.lower() == ".parquet":
                frame = pl.read_parquet(path)
            elif path.suffix.lower() in (".csv", ".txt"):
                frame = pl.read_csv(path, infer_schema=False)
            else:
                raise LedgerImportError(f"{path}: a plan is a Parquet or CSV file")
        except pl.exceptions.PolarsError as error:
            raise LedgerImportError(f"{path}: not readable ({type(error).__name__})") from None
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise LedgerImportError(f"{name}: plan columns missing: {', '.join(missing)}")
    typed = frame.select(pl.col(c).cast(t, strict=False) for c, t in PLAN_COLUMNS.items())
    problems = pl.concat([
        *(typed.with_row_index("row", offset=1).filter(pl.col(c).is_null() | (pl.col(c).cast(pl.Utf8) == ""))
          .select("row", pl.lit(c).alias("field"), pl.lit("required").alias("rule")) for c in _REQUIRED),
        *(typed.with_row_index("row", offset=1).filter(pl.col(c).is_null() & frame[c].is_not_null())
          .select("row", pl.lit(c).alias("field"), pl.lit("not_number").alias("rule"))
          for c in ("cost_rp", "effect_rp_pc_month")),
        typed.with_row_index("row", offset=1).filter(~pl.col("strategy").is_in(STRATEGIES))
        .select("row", pl.lit("strategy").alias("field"), pl.lit("unknown_strategy").alias("rule")),
        typed.with_row_index("row", offset=1).filter(pl.struct("plan_id", "household_id", "program").is_duplicated())
        .select("row", pl.lit("household_id").alias("field"), pl.lit("duplicate_plan_item").alias("rule")),
    ]).sort("row")
    if problems.height:
        first = problems.row(0, named=True)
        raise LedgerImportError(f"{name}: row {first['row']}, field {first['field']}: {first['rule']} "
                                f"({problems.height} problems in all; a plan is imported whole or not at all)")
    return typed, name


def plan_from_snapshot(snapshots: SnapshotStore, snapshot: str | None = None) -> pl.DataFrame:
    """The planning module's output (``plan`` snapshot, table ``assignments``; default the current one) as
    plan rows: ``plan_id`` is the snapshot id, ``district_code`` the village code's district when absent."""
    chosen = snapshot or snapshots.current("plan")
    if chosen is None:
        raise LedgerImportError(f"no plan snapshot under {snapshots.home}: run `entas plan` first")
    frame = snapshots.read("plan", "assignments", chosen)
    if "district_code" not in frame.columns and "village_code" in frame.columns:
        frame = frame.with_columns(district_code=pl.col("village_code").str.slice(0, 5))
    if "reason" not in frame.columns:
        frame = frame.with_columns(reason=pl.lit(None, pl.Utf8))
    return frame.with_columns(plan_id=pl.lit(chosen))


def import_plan_snapshot(access: Access, snapshot: str | None = None) -> PlanImport:
    """Import a ``plan`` snapshot of the access's home (``plan_from_snapshot``): for faces without files."""
    access.require(Capability.import_plans)
    return import_plan(access, plan_from_snapshot(access.store.snapshots, snapshot))


def import_plan(access: Access, source: pl.DataFrame | Path) -> PlanImport:
    """Store the plan(s) in ``source`` (one transaction); unchanged plans are left as they are."""
    access.require(Capability.import_plans)
    frame, name = read_plan(source)
    summaries = []
    with access.transaction() as session:
        for (plan_id,), rows in frame.group_by("plan_id", maintain_order=True):
            digest = content_hash({"plan": rows.sort("household_id", "program")})
            stored = session.get(Plan, str(plan_id))
            if stored is not None:
                if stored.content_hash != digest:
                    raise ConflictError(f"plan {plan_id!r} is already stored with other content: import the "
                                        "new plan under a new plan_id")
                summaries.append({"plan_id": plan_id, "items": rows.height, "created": False})
                continue
            session.add(Plan(plan_id=str(plan_id), source=name[:500], content_hash=digest, items=rows.height,
                             imported_by=access.principal.name))
            session.flush()
            session.execute(insert(PlanItem), rows.to_dicts())
            audit.record(session, access.principal, "plan.import", "plan", str(plan_id),
                         detail={"items": rows.height, "source": Path(name).name})
            summaries.append({"plan_id": plan_id, "items": rows.height, "created": True})
    plans = pl.DataFrame(summaries, schema={"plan_id": pl.Utf8, "items": pl.Int64, "created": pl.Boolean})
    return PlanImport(plans=plans, items=frame.height)


def assign(access: Access, stakeholder: str, *, program: str | None = None, area: str | None = None,
           plan_id: str | None = None, reassign: bool = False) -> int:
    """Assign the matching plan items in scope to ``stakeholder``; return how many were assigned.

    Items already assigned to another stakeholder are left alone unless ``reassign``.
    """
    access.require(Capability.assign)
    with access.transaction() as session:
        stakeholder_id = access.stakeholder_id(session, stakeholder)
        conditions = [access.scope(PlanItem)]
        if program is not None:
            conditions.append(PlanItem.program == program)
        if area is not None:
            conditions.append((PlanItem.village_code == area) | PlanItem.village_code.like(f"{area}.%"))
        if plan_id is not None:
            conditions.append(PlanItem.plan_id == plan_id)
        if not reassign:
            conditions.append(PlanItem.stakeholder_id.is_(None))
        result = session.execute(update(PlanItem).where(*conditions).values(
            stakeholder_id=stakeholder_id, assigned_at=dt.datetime.now(dt.UTC)),
            execution_options={"synchronize_session": False})
        count = int(result.rowcount)  # type: ignore[attr-defined]
        audit.record(session, access.principal, "plan.assign", "stakeholder", stakeholder, detail={
            "program": program, "area": area, "plan_id": plan_id, "reassign": reassign, "items": count})
    return count
