"""The Sen-Shorrocks-Thon poverty index by domain and line, with a Taylor-linearized standard error.

What it computes (person-level: households weighted by W = ``weight * household_size``; welfare y per-capita
consumption per month; **poor means y < z, strictly**): with the poverty-gap ratio g = max(0, 1 - y/z) of every
person (0 for the non-poor),

    SST = P1 (1 + G_g),

where P1 = sum W g / sum W is the poverty gap (FGT(1)) and G_g the Gini coefficient of g over the **whole**
population of the domain, poor and non-poor (Shorrocks 1995, eq. 12; Osberg and Xu 2000). Equivalently SST =
P0 · P1^p · (1 + G_g): headcount x mean gap ratio of the poor x (1 + Gini of gap ratios). It lies in [0, 2 P1]
and, unlike P1, rises when a transfer goes from a poorer to a less poor person. The Gini of g uses the formula
of ``entas.measure.inequality`` (distinct values, ties exact). A domain with no poor person has SST = 0 and no
variance.

Standard error: the influence value (per unit of W) is

    u_SST = (1 + G_g) (g - P1) / N + P1 u_G(g),

u_G the Langel and Tillé (2013) influence function of the Gini applied to g (as for consumption in
``entas.measure.inequality``), from one window pass per (level, line) reduced to sums per design unit
(``entas.measure.rank_sums``); the variance of the total sum W u follows ``entas.measure.linearization``
(strata, PSUs, fpc at both stages, lonely-PSU policies, domains on the full design). This is the
linearization of R convey's ``svysst`` (Osier 2009, Barcaroli et al.); R convey itself is not packaged for
Debian, so the reference (tests/fixtures/measure/sst) builds the same linearized variable in R and takes its
``svytotal``, and ``entas.measure.replicate.jackknife`` checks it by replicate weights.

Census mode (``design=None``): exact values, no SE, ``note`` says so.

Limits: the Gini of g is a rank statistic, so the linearization is asymptotic; with few poor sampled persons
in a domain (a village) the SE is unstable. Window functions on Spark send a (domain, line) to one partition.

References: Sen, A. (1976), Poverty: an ordinal approach to measurement, Econometrica 44(2). Shorrocks, A.
(1995), Revisiting the Sen poverty index, Econometrica 63(5). Osberg, L. and Xu, K. (2000), International
comparisons of poverty intensity, J. Human Resources 35(1). Langel, M. and Tillé, Y. (2013), JRSS A 176(2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import as_table
from entas.measure.inequality import person_rows, stacked
from entas.measure.linearization import domain_estimates
from entas.measure.poverty import (
    Line,
    Statistic,
    as_lines,
    check_inputs,
    parse_levels,
    tidy_results,
)
from entas.measure.rank_sums import influence_partial_sums, sst_domains, unit_sums
from entas.survey.design import SurveyDesign

MEASURE = "sst"
LINE_KEY = "_line"
KEYS = ("_level", "_domain", LINE_KEY)
__all__ = ["MEASURE", "gap_ratio_rows", "sen_shorrocks_thon", "sst_raw"]


def gap_ratio_rows(rows: ir.Table, lines: Sequence[Line], keep: Sequence[str]) -> ir.Table:
    """``rows`` once per line with ``_line`` (the line's name) and ``_y`` replaced by the gap ratio g.

    ``rows`` carry ``_y`` (welfare), ``_pw`` and the columns of per-household lines; ``keep`` the other columns
    to carry along (domain keys, design units, replicate weights).
    """
    parts = []
    for line in lines:
        z = ibis.literal(line.rp) if line.rp is not None else rows[line.column].cast("float64")
        gap = ibis.ifelse(rows["_y"] < z, 1.0 - rows["_y"] / z, 0.0)
        parts.append(rows.select(*keep, _line=ibis.literal(line.name), _y=gap))
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def sst_raw(t: ir.Table, design: SurveyDesign | None, lines: Sequence[Line], levels: Sequence[tuple[str, ...]], *,
            welfare: str, size: str) -> tuple[pl.DataFrame, int | None]:
    """Per (level, area, line): estimate, variance, deff and n of SST; and the design df (None for a census).

    The columns are those ``tidy_results`` takes (``level, area, measure, line, estimate, variance, deff, n``).
    """
    rows, info, unit_keys = person_rows(t, design, welfare, size, text_keys=False)
    line_cols = [line.column for line in lines if line.column]
    per_level = stacked(rows, levels, list(dict.fromkeys([*unit_keys, "_y", "_pw", *line_cols])))
    gaps = gap_ratio_rows(per_level, lines, [*unit_keys, "_level", "_domain", "_pw"])
    sums = unit_sums(gaps, unit_keys, KEYS)
    coefficients = sst_domains(sums, KEYS)
    point = coefficients.select(*KEYS, "estimate", pl.col("n").cast(pl.Int64))
    if info is None:
        est = point.with_columns(variance=pl.lit(None, dtype=pl.Float64), deff=pl.lit(None, dtype=pl.Float64))
    else:
        assert design is not None
        partial = influence_partial_sums(sums, coefficients, unit_keys, KEYS, measure=MEASURE, line_key=LINE_KEY)
        var = domain_estimates(partial, ["_level", "_domain"], info, design.lonely_psu, has_psu=bool(design.psu),
                               has_ssu=bool(design.ssu)).select("_level", "_domain", pl.col("line").alias(LINE_KEY),
                                                                "variance", "deff")
        est = point.join(var, on=list(KEYS), how="left")
    raw = est.select(pl.col("_level").alias("level"), pl.col("_domain").alias("area"), pl.lit(MEASURE).alias("measure"),
                     pl.col(LINE_KEY).alias("line"), "estimate", "variance", "deff", "n")
    return raw, info.df if info else None


def sen_shorrocks_thon(
    table: Any,
    design: SurveyDesign | None,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    by: Sequence[str | Sequence[str]] = (),
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    snapshot_id: str | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """The SST index with SE, CI, CV and design effect by every level of ``by`` and every line.

    Arguments as ``entas.measure.poverty.poverty`` (which also returns ``sst`` when asked for it); returns
    its tidy frame with ``measure`` = ``"sst"``.
    """
    t = as_table(table)
    line_list = as_lines(lines)
    size = size or (design.person_weight_column if design else "household_size")
    check_inputs(t, welfare, size, line_list, watts=False)
    levels = parse_levels(by)
    raw, df = sst_raw(t, design, line_list, levels, welfare=welfare, size=size)
    stats_ = [Statistic(MEASURE, line.name, "total", MEASURE) for line in line_list]
    return tidy_results(raw, line_list, stats_, levels, df, confidence, snapshot_id)
