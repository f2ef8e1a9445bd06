"""Field-verification priority list: whom to visit first, and how many extreme poor N visits should find.

Method
------
Within each area (province, district, subdistrict or village, from ``village_code``/``district_code``), the
scored households are ordered by their probability of extreme poverty (``prob_below_extreme`` from
``score_registry``; ties by ``household_id``), highest first: ``visit_rank`` 1 is the first visit. If the
probabilities are calibrated, the expected number of truly extreme-poor households found in the first N
visits is the cumulative sum of their probabilities, ``expected_found(N) = sum_{rank <= N} p``, and the
expected hit rate ``expected_found(N) / N``. ``expected_total`` (the sum over the area) is the model's
expected number of extreme-poor households in the area, ``expected_share_found`` the part of it N visits
reach. Ordering by probability maximises the expected number found for any N (a greedy choice is optimal
for a sum of independent Bernoulli outcomes).

With a known truth (a synthetic province, or households already verified), ``truth=`` (a boolean column)
adds ``found`` (the actual count among the first N) so calibration can be checked: ``found`` vs
``expected_found``.

Output: :class:`VerificationList` with ``households`` (an Ibis table: ``area_level, area, visit_rank,
household_id``, the probability, ``cumulative_expected`` and the kept columns, ordered by area and rank: the
list officers take to the field) and ``yields`` (a Polars frame, one row per area and N: ``area_level, area,
visits, households, visited, expected_found, expected_hit_rate, expected_total, expected_share_found``, and
``found`` with ``truth``). N larger than an area's households visits them all.

Limits: the expected counts are only as good as the probabilities (normal residuals with a district
variance; see ``entas.target.score``); the list ignores travel cost between villages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import to_polars
from entas.errors import MeasureError, TargetingError
from entas.measure.poverty import AREA_LEVELS, level_expression

AREA_WIDTHS = AREA_LEVELS  # the code widths of the area levels (entas.measure.poverty)
DEFAULT_VISITS = (10, 50, 100, 500, 1000)


@dataclass(frozen=True)
class VerificationList:
    """The ordered visit list (Ibis) and the expected yield per N visits by area (Polars)."""

    households: ir.Table
    yields: pl.DataFrame
    area_level: str
    probability: str


def verification_list(
    scored: ir.Table,
    *,
    area_level: str = "district",
    visits: Sequence[int] = DEFAULT_VISITS,
    probability: str = "prob_below_extreme",
    truth: str | None = None,
    keep: Sequence[str] = (),
) -> VerificationList:
    """Households ordered by ``probability`` within each area of ``area_level``, with expected finds per N visits.

    ``scored`` is the output of ``score_registry`` (or any table with ``household_id``, an area code and the
    probability column). See the module docstring.
    """
    if area_level not in AREA_WIDTHS:
        raise TargetingError(f"area_level must be one of {', '.join(AREA_WIDTHS)}, not {area_level!r}")
    if not visits or min(visits) < 1:
        raise TargetingError(f"visits must be positive numbers of households, got {list(visits)}")
    needed = ["household_id", probability, *keep, *([truth] if truth else [])]
    missing = [c for c in needed if c not in scored.columns]
    if missing:
        raise TargetingError(f"the scored table lacks the columns {', '.join(missing)}")
    try:
        area = level_expression(scored, area_level)
    except MeasureError as error:
        raise TargetingError(str(error)) from None
    prob = scored[probability].cast("float64")
    order = [ibis.desc(prob), scored["household_id"]]
    cumulative = ibis.cumulative_window(group_by=area, order_by=order)
    extra = {c: scored[c] for c in keep if c not in ("household_id", probability)}
    columns = {
        "area_level": ibis.literal(area_level),
        "area": area,
        "visit_rank": (ibis.row_number().over(ibis.window(group_by=area, order_by=order)) + 1).cast("int64"),
        "household_id": scored["household_id"],
        probability: prob,
        "cumulative_expected": prob.sum().over(cumulative),
        **extra,
    }
    if truth:
        found = scored[truth].cast("boolean").fill_null(False).cast("int64")
        columns["cumulative_found"] = found.sum().over(cumulative)
    households = scored.select(**columns).order_by(["area", "visit_rank"])
    steps = sorted({int(v) for v in visits})
    totals = to_polars(households.group_by("area").aggregate(households=households["household_id"].count(),
                                                             expected_total=households[probability].sum()))
    at_rank = to_polars(households.filter(households["visit_rank"].isin(steps)).select(
        "area", "visit_rank", "cumulative_expected", *(["cumulative_found"] if truth else [])))
    grid = totals.join(pl.DataFrame({"visits": steps}, schema={"visits": pl.Int64}), how="cross").with_columns(
        visited=pl.min_horizontal("visits", "households").cast(pl.Int64))
    last = to_polars(households.filter(households["visit_rank"] == households["household_id"].count().over(
        ibis.window(group_by=households["area"]))).select(
        "area", cumulative_expected_all="cumulative_expected",
        **({"cumulative_found_all": "cumulative_found"} if truth else {})))
    yields = grid.join(at_rank, left_on=["area", "visits"], right_on=["area", "visit_rank"], how="left").join(
        last, on="area", how="left")
    yields = yields.with_columns(
        expected_found=pl.coalesce("cumulative_expected", "cumulative_expected_all"),
        **({"found": pl.coalesce("cumulative_found", "cumulative_found_all")} if truth else {}),
    ).with_columns(
        area_level=pl.lit(area_level),
        expected_hit_rate=pl.col("expected_found") / pl.col("visited"),
        expected_share_found=pl.when(pl.col("expected_total") > 0)
        .then(pl.col("expected_found") / pl.col("expected_total")),
    )
    out_cols = ["area_level", "area", "visits", "households", "visited", "expected_found", "expected_hit_rate",
                "expected_total", "expected_share_found", *(["found"] if truth else [])]
    return VerificationList(households=households, yields=yields.select(out_cols).sort("area", "visits"),
                            area_level=area_level, probability=probability)


__all__ = ["AREA_WIDTHS", "DEFAULT_VISITS", "VerificationList", "verification_list"]
