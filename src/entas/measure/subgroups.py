"""Additive subgroup decomposition of FGT poverty: each area's share of the province's poverty, with its SE.

The FGT family is additively decomposable (Foster, Greer and Thorbecke 1984): with population shares
``s_D = N_D / N`` the provincial ``P = sum_D s_D P_D``, so area D contributes ``C_D = s_D P_D / P`` of it
(shares add to 1 over a partition). ``C_D`` is a ratio of two totals of the same variable,
``C_D = sum(w m f 1(D)) / sum(w m f)`` (f the household's FGT term: 1(y < z), the gap ratio or its square),
so it is linearized as R survey's ``svyratio(~I(f * inD), ~f)``: ``z = w m f (1(D) - C_D) / sum(w m f)``, with
the variance formula of ``entas.measure.linearization`` (strata, PSUs, FPC at both stages, lonely-PSU policy).

Algorithm: the one-pass partial-sums table of ``poverty.domain_sums`` by the area level is reused; for each
area D its rows are re-weighted (numerator: the area's own cells; denominator: every cell) and handed to
``domain_estimates`` as ratios. No household row is read again, and there is no loop over areas.

Conventions: person-level (households weighted by weight x size); poor means y < z strictly. Output: the tidy
columns of ``poverty`` with ``measure`` = ``<fgt measure>_contribution``, ``estimate`` the share (0-1), and
``n`` the sample households of the area; ``deff`` is not computed. Without a design (census) shares are exact.

Limits: Watts is decomposable too but not offered here; areas must partition the table (each household in one
area of the level). Proof: ``tests/fixtures/measure/subgroups/make_subgroup_references.R``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from scipy import stats

from entas.errors import MeasureError
from entas.measure.linearization import domain_estimates
from entas.measure.poverty import CENSUS_NOTE, METHOD_VERSION, Line, domain_sums
from entas.survey.design import SurveyDesign

DECOMPOSABLE = ("headcount_ratio", "poverty_gap", "poverty_severity")
TARGET = "_target_area"


def subgroup_contributions(
    table: Any,
    design: SurveyDesign | None,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    level: str = "district",
    measures: Sequence[str] = DECOMPOSABLE,
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    confidence: float = 0.95,
    snapshot_id: str | None = None,
) -> pl.DataFrame:
    """Each area's share of total poverty for every FGT measure and line, with SE, CI and CV."""
    unknown = [m for m in measures if m not in DECOMPOSABLE]
    if unknown:
        raise MeasureError(f"subgroup contributions need FGT measures {DECOMPOSABLE}, got {unknown}")
    if not 0 < confidence < 1:
        raise MeasureError(f"confidence must be in (0, 1), got {confidence}")
    one_pass = domain_sums(table, design, lines, levels=[level], measures=measures, welfare=welfare, size=size)
    cell = one_pass.cells[level]
    sums = one_pass.sums
    areas = sums.select(pl.col(cell).unique().alias(TARGET))
    inside = (pl.col(cell) == pl.col(TARGET)).cast(pl.Float64)
    reweighted = sums.join(areas, how="cross").with_columns(
        alpha=pl.col("alpha") * inside,
        beta=pl.col("alpha"),
        qaa=pl.col("qaa") * inside,
        qab=pl.col("qaa") * inside,
        qbb=pl.col("qaa"),
        a2=pl.col("alpha") * inside,
        n=(pl.col("n") * inside).cast(pl.Int64),
    )
    est = domain_estimates(reweighted, [TARGET], one_pass.info, one_pass.policy, has_psu=one_pass.has_psu,
                           has_ssu=one_pass.has_ssu)
    df = one_pass.info.df if one_pass.info else None
    t_value = float(stats.t.ppf(0.5 + confidence / 2, df)) if df is not None and df > 0 else float("nan")
    rp = {line.name: line.rp for line in one_pass.lines}
    se = pl.col("variance").sqrt()
    return est.select(
        pl.lit(level).alias("level"),
        pl.col(TARGET).alias("area"),
        (pl.col("measure") + "_contribution").alias("measure"),
        "line",
        pl.col("line").replace_strict(rp, default=None, return_dtype=pl.Float64).alias("line_rp"),
        "estimate",
        se.alias("se"),
        (pl.col("estimate") - t_value * se).alias("ci_low"),
        (pl.col("estimate") + t_value * se).alias("ci_high"),
        pl.when(pl.col("estimate") != 0).then(se / pl.col("estimate")).otherwise(None).alias("cv"),
        pl.lit(None, dtype=pl.Float64).alias("deff"),
        "n",
        pl.lit(df, dtype=pl.Int64).alias("df"),
        pl.lit(METHOD_VERSION).alias("method"),
        pl.lit(snapshot_id, dtype=pl.Utf8).alias("snapshot_id"),
        pl.lit(CENSUS_NOTE if df is None else None, dtype=pl.Utf8).alias("note"),
    ).sort("measure", "line", "area")
