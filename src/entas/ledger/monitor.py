"""Monitoring the ledger: coverage, untouched households, duplicate deliveries, graduation, progress, public figures.

The denominator is the set of **extreme-poor households** (``extreme_poor``): from the current
``target-scores`` snapshot, households whose PMT-predicted welfare is strictly below the extreme line
(``predicted_welfare_rp_month < line_extreme_rp_month``); without one, the registry's welfare decile 1
(desil 1). ``basis`` says which was used. Callers (and tests) may pass their own ``extreme`` frame
(``household_id, village_code``).

A household is **reached** under a strategy (``expenditure_burden``, ``income``, ``pockets``, after the
program catalog) when it has at least one intervention of a program of that strategy with status
``delivered`` or ``verified``. All figures are computed in the principal's scope (a district officer sees
its districts), from one scoped SQL query of the ledger joined to the extreme-poor frame by columns.

Areas are the ``level`` prefix of the village code: ``province`` (64), ``district`` (64.02), ``subdistrict``
(64.02.01) or ``village``. Counts are households, not persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl
from sqlalchemy import select

from entas.ops import audit
from entas.ops.access import Access
from entas.ops.models import HouseholdStatus, Intervention
from entas.ops.principal import Capability
from entas.ops.store import OpsStore
from entas.programs.catalog import STRATEGIES

Level = Literal["province", "district", "subdistrict", "village"]
Period = Literal["month", "quarter", "year"]
REACHED = ("delivered", "verified")
EXITED = ("moved", "deceased", "not_found")
TARGET_YEAR = 2026
_LENGTHS = {"province": 2, "district": 5, "subdistrict": 8, "village": 13}
_EXTREME_SCHEMA = {"household_id": pl.Utf8, "village_code": pl.Utf8}


@dataclass(frozen=True)
class ExtremePoor:
    """The extreme-poor households (``household_id, village_code``) and where the list came from."""

    households: pl.DataFrame
    basis: str


def extreme_poor(store: OpsStore) -> ExtremePoor:
    """Extreme-poor households of the current target-scores snapshot, else of registry desil 1."""
    scores = store.snapshots.current("target-scores")
    index = store.household_index()
    if scores is not None:
        scored = store.snapshots.scan("target-scores", "scores", scores).filter(
            pl.col("predicted_welfare_rp_month") < pl.col("line_extreme_rp_month")).select("household_id").collect()
        households = scored.join(index, on="household_id", how="inner").select(list(_EXTREME_SCHEMA))
        return ExtremePoor(households, f"target-scores {scores}: predicted welfare below the extreme line")
    registry = store.registry_snapshot()
    if registry is None:
        return ExtremePoor(pl.DataFrame(schema=_EXTREME_SCHEMA), "no registry snapshot")
    desil = store.snapshots.scan("registry", "households", registry).filter(pl.col("welfare_decile") == 1).select(
        "household_id", "village_code").collect()
    return ExtremePoor(desil, f"registry {registry}: welfare decile 1 (no target-scores snapshot)")


def area_of(level: Level) -> pl.Expr:
    """The area code at ``level`` of a ``village_code`` column."""
    if level not in _LENGTHS:
        raise ValueError(f"level must be one of {', '.join(_LENGTHS)}, got {level!r}")
    return pl.col("village_code").str.slice(0, _LENGTHS[level]).alias("area")


def _scoped_extreme(access: Access, extreme: pl.DataFrame | None) -> pl.DataFrame:
    frame = extreme if extreme is not None else extreme_poor(access.store).households
    with access.transaction() as session:
        return frame.select(list(_EXTREME_SCHEMA)).filter(access.registry_scope(session))


def _reached(access: Access) -> pl.DataFrame:
    """``household_id, strategy`` pairs with a delivered or verified intervention, in scope."""
    with access.transaction() as session:
        rows = session.execute(select(Intervention.household_id, Intervention.strategy).where(
            access.scope(Intervention), Intervention.status.in_(REACHED)).distinct()).all()
    return pl.DataFrame(rows, schema={"household_id": pl.Utf8, "strategy": pl.Utf8}, orient="row")


def _statuses(access: Access) -> pl.DataFrame:
    with access.transaction() as session:
        rows = session.execute(select(HouseholdStatus.household_id, HouseholdStatus.status).where(
            access.scope(HouseholdStatus))).all()
    return pl.DataFrame(rows, schema={"household_id": pl.Utf8, "status": pl.Utf8}, orient="row")


def coverage(access: Access, *, level: Level = "district", extreme: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per area and strategy (and ``any``): extreme-poor households, those reached, and the share reached."""
    access.require(Capability.monitor)
    poor = _scoped_extreme(access, extreme).with_columns(area_of(level))
    reached = _reached(access)
    pairs = pl.concat([reached, reached.select("household_id", strategy=pl.lit("any")).unique()])
    strategies = pl.DataFrame({"strategy": [*STRATEGIES, "any"]})
    totals = poor.group_by("area").agg(extreme_poor=pl.len().cast(pl.Int64))
    hits = poor.join(pairs, on="household_id").group_by("area", "strategy").agg(reached=pl.len().cast(pl.Int64))
    return (totals.join(strategies, how="cross")
            .join(hits, on=["area", "strategy"], how="left")
            .with_columns(pl.col("reached").fill_null(0))
            .with_columns(coverage=pl.col("reached") / pl.col("extreme_poor"))
            .sort("area", "strategy"))


def untouched(access: Access, *, extreme: pl.DataFrame | None = None) -> pl.DataFrame:
    """Extreme-poor households in scope with no delivered/verified intervention and still to serve.

    Households whose status is graduated, moved, deceased or not found are left out. Ids and villages only
    (names come from the by-name list); the read is audited with the households it returns.
    """
    access.require(Capability.monitor)
    poor = _scoped_extreme(access, extreme)
    done = _statuses(access).filter(pl.col("status").is_in(["graduated", *EXITED]))
    result = (poor.join(_reached(access).select("household_id").unique(), on="household_id", how="anti")
              .join(done, on="household_id", how="anti").sort("village_code", "household_id"))
    with access.transaction() as session:
        audit.record(session, access.principal, "monitor.untouched", "household",
                     detail={"rows": result.height}, subjects=result["household_id"])
    return result


def duplicates(access: Access, *, period: Period = "quarter") -> pl.DataFrame:
    """Same household and program delivered by two or more stakeholders in one period (month, quarter, year).

    Counts delivered and verified interventions with a delivery date; one row per (household, program,
    period) with the stakeholders involved.
    """
    access.require(Capability.monitor)
    rows = access.interventions().filter(pl.col("status").is_in(REACHED) & pl.col("delivered_on").is_not_null())
    if rows.height == 0:
        return pl.DataFrame(schema={"household_id": pl.Utf8, "village_code": pl.Utf8, "program": pl.Utf8,
                                    "period": pl.Utf8, "stakeholders": pl.Int64, "stakeholder_list": pl.Utf8,
                                    "interventions": pl.Int64})
    day = pl.col("delivered_on").cast(pl.Date)
    label = {"month": day.dt.strftime("%Y-%m"),
             "quarter": pl.format("{}-Q{}", day.dt.year(), day.dt.quarter()),
             "year": day.dt.year().cast(pl.Utf8)}[period]
    grouped = rows.with_columns(period=label).group_by("household_id", "village_code", "program", "period").agg(
        stakeholders=pl.col("stakeholder").n_unique().cast(pl.Int64),
        stakeholder_list=pl.col("stakeholder").unique().sort().str.join(","),
        interventions=pl.len().cast(pl.Int64))
    return grouped.filter(pl.col("stakeholders") > 1).sort("village_code", "household_id", "program", "period")


def graduation(access: Access, *, level: Level = "district", extreme: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per area: extreme-poor households and how many the field verified, graduated, or found gone."""
    access.require(Capability.monitor)
    poor = _scoped_extreme(access, extreme).with_columns(area_of(level))
    joined = poor.join(_statuses(access), on="household_id", how="left")
    counts = [(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in ("verified", "graduated", *EXITED)]
    return joined.group_by("area").agg(pl.len().cast(pl.Int64).alias("extreme_poor"), *counts).with_columns(
        graduation_rate=pl.col("graduated") / pl.col("extreme_poor")).sort("area")


def progress(access: Access, *, level: Level = "province", target_year: int = TARGET_YEAR,
             as_of: dt.date | None = None, extreme: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per area: the baseline, reached, graduated, exited, remaining, and graduations needed per month.

    ``remaining = extreme_poor - graduated - exited`` (exited: moved, deceased, not found);
    ``needed_per_month`` spreads the remaining households over the whole months left until 31 December of
    ``target_year`` (at least one month, so a late or missed target shows as all remaining in one month).
    """
    today = as_of or dt.date.today()
    months_left = max(1, (target_year - today.year) * 12 + (12 - today.month))
    grads = graduation(access, level=level, extreme=extreme)
    reached = coverage(access, level=level, extreme=extreme).filter(pl.col("strategy") == "any").select(
        "area", reached_any="reached")
    exited = pl.sum_horizontal(*EXITED)
    return (grads.join(reached, on="area", how="left")
            .select("area", "extreme_poor", "reached_any", "graduated", exited.alias("exited"))
            .with_columns(remaining=pl.col("extreme_poor") - pl.col("graduated") - pl.col("exited"))
            .with_columns(share_remaining=pl.col("remaining") / pl.col("extreme_poor"),
                          months_left=pl.lit(months_left, pl.Int64),
                          needed_per_month=pl.col("remaining") / months_left,
                          target_year=pl.lit(target_year, pl.Int64)))
