"""Change and comparison: is a change between two survey rounds, or an area's gap to its province, real?

Two questions, each answered with a difference, its standard error, a t-based CI and a p-value.

**Two rounds** (``compare_rounds``): the rounds are independent samples, so for each (level, area, measure,
line) in both tidy results of ``poverty``, ``difference = estimate_after - estimate_before`` with
``se = sqrt(se_before^2 + se_after^2)`` (no covariance between independent samples). The degrees of freedom
are the smaller of the two design df: conservative, and simpler than Welch-Satterthwaite (which is not
implemented); a census round (registry) has no sampling error and contributes 0 to the variance. The test is
two-sided. Each round is measured at its own line (e.g. each year's district line): the change is that of the
poverty rate, not of poverty at a fixed real line.

**Area against its parent on the same sample** (``compare_to_parent``): an area's estimate R_D and the
province's (or any parent level's) R_P share households, so their covariance matters. The difference is
linearized as one statistic (Wolter 2007, ch. 6; what R survey's ``svycontrast`` computes from
``svyby(..., covmat = TRUE)``): ``z = z_D - z_P`` with ``z_D = w m 1(D) (f - R_D) / N_D``, and its variance is
the formula of ``entas.measure.linearization`` applied to the PSU totals of z (same fpc, second stage and
lonely-PSU policy); see ``linearization.difference_estimates``. It is derived from the one-pass partial-sums
table of ``poverty`` (``poverty.domain_sums``): no household row is read twice. Ratio measures only
(``headcount_ratio``, ``poverty_gap``, ``poverty_severity``, ``watts``, ``mean_consumption``): the gap of a
domain total to the parent's total is not a comparison of levels.

**Focus areas** (``focus_areas``): areas significantly *above* their parent. The alternative is explicit:
``alternative="greater"`` (the default) tests H0: R_D <= R_P against H1: R_D > R_P, one-sided, because the
question is directional (which areas are worse than the province); ``"two-sided"`` tests R_D != R_P and at the
same alpha is stricter for the "above" side (it equals a one-sided test at alpha/2). With many areas, some
would pass by chance: ``adjust="fdr_bh"`` (the default) controls the false discovery rate with the
Benjamini-Hochberg (1995) step-up adjustment within each family (measure x line, over all areas of the
level); ``adjust="none"`` uses the raw p-values. Both ``p_value`` (raw) and ``p_adjusted`` are reported;
``significant_above`` is ``difference > 0`` and the chosen p-value ``<= alpha``.

Conventions: person-level statistics (households weighted by ``weight * household_size``); poor means
``y < z``, strictly; t quantiles and p-values with the design df (PSUs - strata of the full design, as R's
``degf``). Without a design (a census) differences are exact: ``se``, CI, t, p are null, ``note`` says so, and
``significant_above`` is simply ``difference > 0``.

Limits: no covariance between rounds (a panel or overlapping PSUs would need it); df are not
Satterthwaite-adjusted; BH assumes independent or positively dependent tests (PRDS), which areas sharing the
parent estimate plausibly satisfy but do not guarantee; each child area must lie in a single parent area.

References: Wolter, K. (2007), Introduction to Variance Estimation, 2nd ed., Springer. Lumley, T. (2010),
Complex Surveys, Wiley (``svyby``, ``svycontrast``). Benjamini, Y. and Hochberg, Y. (1995), Controlling the
false discovery rate, JRSS B 57(1). Proof: ``tests/fixtures/measure/compare/make_compare_references.R``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from entas.errors import MeasureError
from entas.measure.linearization import difference_estimates
from entas.measure.poverty import ALL, CENSUS_NOTE, METHOD_VERSION, RATIO_MEASURES, Line, domain_sums
from entas.survey.design import SurveyDesign

Alternative = Literal["greater", "two-sided"]
Adjust = Literal["fdr_bh", "none"]
COMPARABLE = (*RATIO_MEASURES, "mean_consumption")
ROUND_KEYS = ("level", "area", "measure", "line")


def _t_quantile(confidence: float, df: pl.Series) -> pl.Series:
    """t(0.5 + confidence/2, df) per row (null where df is null or < 1)."""
    d = df.cast(pl.Float64).to_numpy()
    ok = np.isfinite(d) & (d > 0)
    q = np.full(d.shape, np.nan)
    q[ok] = stats.t.ppf(0.5 + confidence / 2, d[ok])
    return pl.Series(q).fill_nan(None)


def _p_values(t: pl.Series, df: pl.Series, alternative: Alternative) -> pl.Series:
    """P-values of t statistics with df degrees of freedom (null where t or df is missing)."""
    tt = t.cast(pl.Float64).fill_null(float("nan")).to_numpy()
    d = df.cast(pl.Float64).fill_null(float("nan")).to_numpy()
    ok = ~np.isnan(tt) & np.isfinite(d) & (d > 0)
    p = np.full(tt.shape, np.nan)
    p[ok] = stats.t.sf(tt[ok], d[ok]) if alternative == "greater" else 2 * stats.t.sf(np.abs(tt[ok]), d[ok])
    return pl.Series(p).fill_nan(None)


def _with_inference(frame: pl.DataFrame, confidence: float, alternative: Alternative) -> pl.DataFrame:
    """Add ci_low, ci_high, t and p_value to a frame with difference, se and df."""
    q = _t_quantile(confidence, frame["df"])
    frame = frame.with_columns(
        ci_low=pl.col("difference") - q * pl.col("se"),
        ci_high=pl.col("difference") + q * pl.col("se"),
        t=pl.when(pl.col("se") > 0).then(pl.col("difference") / pl.col("se")).otherwise(None),
    )
    return frame.with_columns(p_value=_p_values(frame["t"], frame["df"], alternative))


def benjamini_hochberg(frame: pl.DataFrame, p_value: str, over: Sequence[str], name: str) -> pl.DataFrame:
    """``frame`` with column ``name``: Benjamini-Hochberg (1995) adjusted ``p_value`` within groups ``over``.

    ``p_adj(i) = min_{j >= i} min(1, m p(j) / j)`` over the m non-null p-values of the group sorted
    increasingly, as R's ``p.adjust(p, "BH")``; null p-values stay null and do not count in m. Vectorised:
    a sort and a cumulative minimum per group (the row order of ``frame`` is not kept).
    """
    p = pl.col(p_value)
    step = p * p.count().over(over) / p.rank("max").over(over)  # tied p-values share the largest rank
    ordered = frame.sort([*over, p_value], descending=[False] * len(over) + [True], nulls_last=True)
    return ordered.with_columns(step.cum_min().over(over).clip(upper_bound=1.0).alias(name))


def compare_rounds(result_before: pl.DataFrame, result_after: pl.DataFrame, *,
                   confidence: float = 0.95) -> pl.DataFrame:
    """The change between two independent survey rounds, from two tidy results of ``poverty``.

    For each (level, area, measure, line) in both: ``estimate_before``, ``estimate_after``, ``difference``
    (after - before), ``se`` = sqrt(se_before^2 + se_after^2), ``ci_low``, ``ci_high`` (t-based, df = the
    smaller design df), ``t``, ``p_value`` (two-sided), ``df``, ``line_rp_before``/``line_rp_after``,
    ``snapshot_before``/``snapshot_after``, ``method`` and ``note``. A census round contributes no variance;
    two census rounds give exact differences (se and the test null). Rows in one round only are dropped.
    """
    if not 0 < confidence < 1:
        raise MeasureError(f"confidence must be in (0, 1), got {confidence}")
    needed = {*ROUND_KEYS, "estimate", "se", "df", "line_rp", "snapshot_id", "note"}
    for name, frame in (("result_before", result_before), ("result_after", result_after)):
        missing = sorted(needed - set(frame.columns))
        if missing:
            raise MeasureError(f"{name} is not a result of poverty(): missing columns {missing}")

    def side(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
        census = pl.col("note") == CENSUS_NOTE
        return frame.select(
            *ROUND_KEYS[:3], pl.col("line").fill_null(""), pl.col("estimate").alias(f"estimate_{suffix}"),
            pl.when(census).then(0.0).otherwise(pl.col("se")).alias(f"se_{suffix}"),
            pl.col("df").alias(f"df_{suffix}"), pl.col("line_rp").alias(f"line_rp_{suffix}"),
            pl.col("snapshot_id").alias(f"snapshot_{suffix}"), census.fill_null(False).alias(f"census_{suffix}"))

    both = side(result_before, "before").join(side(result_after, "after"), on=list(ROUND_KEYS), how="inner")
    exact = pl.col("census_before") & pl.col("census_after")
    out = both.with_columns(
        pl.when(pl.col("line") == "").then(None).otherwise(pl.col("line")).alias("line"),
        difference=pl.col("estimate_after") - pl.col("estimate_before"),
        se=pl.when(exact).then(None).otherwise((pl.col("se_before") ** 2 + pl.col("se_after") ** 2).sqrt()),
        df=pl.min_horizontal("df_before", "df_after").cast(pl.Int64),
        method=pl.lit(METHOD_VERSION),
        note=pl.when(exact).then(pl.lit(CENSUS_NOTE)).otherwise(None),
    )
    out = _with_inference(out, confidence, "two-sided")
    return out.select(*ROUND_KEYS, "line_rp_before", "line_rp_after", "estimate_before", "estimate_after",
                      "difference", "se", "ci_low", "ci_high", "t", "p_value", "df", "snapshot_before",
                      "snapshot_after", "method", "note")


def compare_to_parent(
    table: Any,
    design: SurveyDesign | None,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line],
    *,
    level: str = "district",
    parent: str = "province",
    measures: Sequence[str] = ("headcount_ratio", "poverty_gap", "poverty_severity"),
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    alternative: Alternative = "greater",
    adjust: Adjust = "fdr_bh",
    alpha: float = 0.05,
    confidence: float = 0.95,
    snapshot_id: str | None = None,
) -> pl.DataFrame:
    """Each area of ``level`` against its ``parent`` area on the same sample (see the module docstring).

    ``parent``: an area level, a column, or ``all`` (the whole table); each area of ``level`` must lie in a
    single parent area. Returns one row per (area, measure, line): ``level, area, parent_level, parent_area,
    measure, line, line_rp, estimate, parent_estimate, difference`` (estimate - parent_estimate), ``se`` (of the
    difference, covariance included), ``ci_low, ci_high`` (t-based at ``confidence``), ``t``, ``p_value`` (raw,
    for ``alternative``), ``p_adjusted`` (Benjamini-Hochberg within measure x line, or equal to p_value with
    ``adjust="none"``), ``df``, ``significant_above`` (at ``alpha``), ``n``, ``parent_n``, ``alternative``,
    ``adjust``, ``method``, ``snapshot_id``, ``note``.
    """
    if alternative not in ("greater", "two-sided"):
        raise MeasureError(f"alternative must be 'greater' or 'two-sided', got {alternative!r}")
    if adjust not in ("fdr_bh", "none"):
        raise MeasureError(f"adjust must be 'fdr_bh' or 'none', got {adjust!r}")
    for name, value in (("alpha", alpha), ("confidence", confidence)):
        if not 0 < value < 1:
            raise MeasureError(f"{name} must be in (0, 1), got {value}")
    if level in (parent, ALL):
        raise MeasureError(f"level {level!r} cannot be compared with parent {parent!r}: choose a finer level")
    not_ratio = [m for m in measures if m not in COMPARABLE]
    if not_ratio or not measures:
        raise MeasureError(f"compare_to_parent compares means only ({', '.join(COMPARABLE)}); got {not_ratio}")
    ds = domain_sums(table, design, lines, levels=[level, parent], measures=measures, welfare=welfare, size=size)
    child, par = ds.cells[level], ds.cells[parent]
    spans = ds.sums.group_by(child).agg(pl.col(par).n_unique().alias("k")).filter(pl.col("k") > 1)
    if spans.height:
        raise MeasureError(f"{spans.height} areas of level {level!r} span several {parent!r} areas (e.g. "
                           f"{spans[child].sort().to_list()[:5]}); the parent must contain each area")
    raw = difference_estimates(ds.sums, child, par, ds.info, ds.policy, has_psu=ds.has_psu, has_ssu=ds.has_ssu)
    df = ds.info.df if ds.info is not None else None
    rp = {line.name: line.rp for line in ds.lines}
    out = raw.select(
        pl.lit(level).alias("level"), pl.col(child).alias("area"), pl.lit(parent).alias("parent_level"),
        pl.col(par).alias("parent_area"), "measure",
        pl.when(pl.col("line") == "").then(None).otherwise(pl.col("line")).alias("line"),
        pl.col("line").replace_strict(rp, default=None, return_dtype=pl.Float64).alias("line_rp"),
        "estimate", "parent_estimate", (pl.col("estimate") - pl.col("parent_estimate")).alias("difference"),
        pl.col("variance").sqrt().alias("se"), pl.lit(df, dtype=pl.Int64).alias("df"), "n", "parent_n",
    )
    out = _with_inference(out, confidence, alternative)
    out = out.with_columns(_line_key=pl.col("line").fill_null(""))
    if adjust == "fdr_bh":
        out = benjamini_hochberg(out, "p_value", ["measure", "_line_key"], "p_adjusted")
    else:
        out = out.with_columns(p_adjusted=pl.col("p_value"))
    above = pl.col("difference") > 0
    out = out.with_columns(
        significant_above=(above & (pl.col("p_adjusted") <= alpha)).fill_null(False) if df is not None else above,
        alternative=pl.lit(alternative), adjust=pl.lit(adjust), method=pl.lit(METHOD_VERSION),
        snapshot_id=pl.lit(snapshot_id, dtype=pl.Utf8),
        note=pl.lit(CENSUS_NOTE if df is None else None, dtype=pl.Utf8),
    )
    order = {m: i for i, m in enumerate(COMPARABLE)}
    out = out.with_columns(_mo=pl.col("measure").replace_strict(order, return_dtype=pl.Int64))
    return out.sort("area", "_mo", "_line_key").select(
        "level", "area", "parent_level", "parent_area", "measure", "line", "line_rp", "estimate",
        "parent_estimate", "difference", "se", "ci_low", "ci_high", "t", "p_value", "p_adjusted", "df",
        "significant_above", "n", "parent_n", "alternative", "adjust", "method", "snapshot_id", "note")


def focus_areas(comparison: pl.DataFrame, *, measure: str = "headcount_ratio", line: str | None = None) -> pl.DataFrame:
    """The rows of ``compare_to_parent`` flagged ``significant_above`` for one measure (and line, if given).

    Sorted by decreasing difference. The test, its alternative and its multiplicity adjustment are those
    chosen in ``compare_to_parent`` (columns ``alternative`` and ``adjust``).
    """
    missing = {"significant_above", "measure", "line", "difference"} - set(comparison.columns)
    if missing:
        raise MeasureError(f"not a result of compare_to_parent(): missing columns {sorted(missing)}")
    keep = (pl.col("measure") == measure) & pl.col("significant_above")
    if line is not None:
        keep = keep & (pl.col("line") == line)
    return comparison.filter(keep).sort("difference", descending=True)
