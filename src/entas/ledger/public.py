"""Public aggregates: household counts by area that anyone (the ``public`` role included) may see.

Counts per area: extreme-poor households (as in ``entas.ledger.monitor.extreme_poor``), those reached by
any strategy and by each strategy, and those graduated. Small cells are suppressed (set to null) so that no
published figure points at a handful of identifiable households, with threshold ``k`` (default 10):

1. primary: a count from 1 to k - 1 is suppressed (zero is shown);
2. differencing: a count ``c`` of a shown total ``n`` is suppressed when ``n - c`` is from 1 to k - 1 (else
   "all but three were reached" would name the three by elimination);
3. complementary: a column with exactly one suppressed cell gets its smallest other non-zero cell suppressed
   too, so the suppressed one cannot be recovered from a column total published elsewhere.

Shares are shown only where numerator and denominator are. This is the one read of the ledger that ignores
the caller's scope, on purpose: it is province-wide and returns suppressed counts only, never a household.
Limits: rule 3 protects against one published total per column, not against every combination of other
tables; publish other cross-tabulations of the same households only through this function.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import select

from entas.ledger.monitor import REACHED, Level, area_of, extreme_poor
from entas.ops.access import Access
from entas.ops.models import HouseholdStatus, Intervention
from entas.programs.catalog import STRATEGIES

DEFAULT_K = 10
COUNTS = ("reached_any", *(f"reached_{s}" for s in STRATEGIES), "graduated")


def public_aggregates(access: Access, *, level: Level = "district", k: int = DEFAULT_K,
                      extreme: pl.DataFrame | None = None) -> pl.DataFrame:
    """Suppressed counts and shares per area (see the module docstring); callable by every role."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    poor = (extreme if extreme is not None else extreme_poor(access.store).households).select(
        "household_id", "village_code").with_columns(area_of(level))
    with access.transaction() as session:
        reached = pl.DataFrame(session.execute(select(Intervention.household_id, Intervention.strategy).where(
            Intervention.status.in_(REACHED)).distinct()).all(),
            schema={"household_id": pl.Utf8, "strategy": pl.Utf8}, orient="row")
        graduated = pl.DataFrame(session.scalars(select(HouseholdStatus.household_id).where(
            HouseholdStatus.status == "graduated")).all(), schema={"household_id": pl.Utf8})
    flags = poor.select("household_id", "area").with_columns(
        reached_any=pl.col("household_id").is_in(reached["household_id"].implode()),
        **{f"reached_{s}": pl.col("household_id").is_in(
            reached.filter(pl.col("strategy") == s)["household_id"].implode()) for s in STRATEGIES},
        graduated=pl.col("household_id").is_in(graduated["household_id"].implode()))
    counts = flags.group_by("area").agg(
        pl.len().cast(pl.Int64).alias("extreme_poor"), *(pl.col(c).sum().cast(pl.Int64) for c in COUNTS)).sort("area")
    return suppress(counts, k=k)


def suppress(counts: pl.DataFrame, *, k: int, total: str = "extreme_poor",
             columns: tuple[str, ...] = COUNTS) -> pl.DataFrame:
    """Apply the three suppression rules to ``counts`` (one row per area); add shares and ``suppressed``."""
    small = (pl.col(total) >= 1) & (pl.col(total) < k)
    out = counts.with_columns(pl.when(small).then(None).otherwise(pl.col(total)).alias(total))
    rules = []
    for c in columns:
        rest = pl.col(total) - pl.col(c)
        hidden = pl.col(total).is_null() | ((pl.col(c) >= 1) & (pl.col(c) < k)) | ((rest >= 1) & (rest < k))
        rules.append(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c))
    out = out.with_columns(rules)
    for c in (total, *columns):
        out = _complementary(out, c)
    shares = [(pl.col(c) / pl.col(total)).alias(f"{c}_share") for c in columns]
    hidden_cells = pl.sum_horizontal(pl.col(c).is_null().cast(pl.Int64) for c in (total, *columns))
    return out.with_columns(*shares, suppressed=hidden_cells, k=pl.lit(k, pl.Int64))


def _complementary(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Suppress the smallest non-zero cell of ``column`` when exactly one other cell is suppressed."""
    if frame[column].null_count() != 1 or frame.height < 2:
        return frame
    smallest = frame.filter(pl.col(column) > 0)[column].min()
    if smallest is None:
        return frame
    first = (pl.col(column) == smallest).cum_sum() == 1
    return frame.with_columns(pl.when((pl.col(column) == smallest) & first).then(None)
                              .otherwise(pl.col(column)).alias(column))
