"""Inequality and welfare measures by domain, with Taylor-linearized standard errors from influence functions.

Measures (person-level: households weighted by W = ``weight * household_size``; welfare y per-capita
consumption per month in rupiah; N = sum W, B = sum W y):

- ``mean_consumption`` B/N; ``median_consumption`` Q(0.5);
- ``gini`` = 2 sum_g y_g W_g (C_g - W_g/2) / (N B) - 1 over distinct values y_g with cumulative weight C_g
  (laeken's ``gini``/100, convey's ``svygini``; ties are handled exactly, independent of row order);
- ``theil`` (Theil T, GE(1)) = sum W y log y / B - log(B/N); ``mld`` (Theil L, GE(0)) = log(B/N) - sum W log y / N
  (both need y > 0);
- ``bottom40_share`` T(.4)/B; ``palma`` (B - T(.9))/T(.4); ``qsr`` (S80/S20) (B - T(.8))/T(.2), with
  T(p) = sum W y 1(y <= Q(p)) (Eurostat/laeken: the top quintile is y > Q(.8)).

Quantile Q(p): R survey's ``qrule = "math"``, the smallest y whose cumulative person share is >= p (laeken's
``weightedQuantile`` uses > p: the two differ only when a share equals p exactly).

Standard errors: each measure's influence value u_i (per unit of W) is computed per household in the engine;
the variance is that of the total sum W u, by ``entas.measure.linearization`` (strata, PSUs, fpc at both stages,
lonely-PSU policies, domains on the full design). Influence functions: mean (y - mu)/N; Gini, Langel and
Tillé (2013) (= Osier 2009, convey): [2(C_i y_i - CY_i) + B - N y_i - G (B + N y_i)] / (N B) with C_i, CY_i the
cumulative W and W y through y_i; T(p), Osier (2009) and Deville (1999): y 1(y <= q) - q (1(y <= q) - p),
combined by the quotient rule for the shares; Theil and MLD, the derivative of the smooth function of totals
(the GE family's standard linearization). Median: Woodruff's interval as R survey's ``svyquantile`` with
``interval.type = "mean"``, ``qrule = "math"`` and the full-design df: the CI of F(Q(.5)) (a linearized
ratio), F ± t·SE, mapped back through Q; SE = CI width / (2 t); null when that interval leaves [0, 1].
Design effect: the variance over the SRS variance of the influence values (as R's for the mean); null for
the median.

Census mode (``design=None``): exact values, every household weight 1; se, CI, cv, deff, df null and ``note``
= "census: no sampling error".

Output: the tidy columns of ``entas.measure.poverty`` (``line``/``line_rp`` null). ``by``: as ``poverty``.

Limits: the linearization of the quantile shares is asymptotic; with few PSUs the discreteness of T(p) matters
(a delete-one jackknife is then not a consistent check, see ``entas.measure.replicate``). A domain with a
single household has no variance. No calibration adjustment. Window functions on Spark send a domain to one
partition (DESIGN.md, performance notes).

References: Langel, M. and Tillé, Y. (2013), Variance estimation of the Gini index, JRSS A 176(2). Osier, G.
(2009), Variance estimation for complex indicators of poverty and inequality, JSM 3(3). Deville, J.-C. (1999),
Variance estimation for complex statistics and estimators, Survey Methodology 25(2). Woodruff, R. (1952),
JASA 47. Cowell, F. (2011), Measuring Inequality, 3rd ed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl
from scipy import stats

from entas.engine import as_table, to_polars
from entas.errors import MeasureError, WelfareError
from entas.measure.inequality_influence import cumulative_rows, domain_quantiles, domain_stats, influence_rows
from entas.measure.linearization import domain_estimates
from entas.measure.poverty import ALL, CENSUS_NOTE, Statistic, level_expression, parse_levels, tidy_results
from entas.measure.rank_sums import gini_domains, influence_partial_sums, unit_sums
from entas.survey.design import PSU, SSU, STRATUM, DesignInfo, SurveyDesign

MEASURES = ("mean_consumption", "median_consumption", "gini", "theil", "mld", "palma", "qsr", "bottom40_share")
LOG_MEASURES = frozenset(("theil", "mld"))
KEYS = ("_level", "_domain")
__all__ = ["CENSUS_NOTE", "MEASURES", "inequality"]


def check_measures(measures: Sequence[str]) -> list[str]:
    """The requested measures in canonical order; MeasureError for unknown names."""
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise MeasureError(f"unknown inequality measures {unknown}; known: {', '.join(MEASURES)}")
    return [m for m in MEASURES if m in measures]


def check_welfare(t: ir.Table, welfare: str, size: str, measures: Sequence[str]) -> None:
    """WelfareError for missing welfare, bad sizes, or y <= 0 when Theil or MLD is asked for."""
    for column in (welfare, size):
        if column not in t.columns:
            raise MeasureError(f"column {column!r} is not in the table")
    y = t[welfare]
    found = to_polars(t.aggregate(null_y=y.isnull().sum(), nonpositive=(y <= 0).sum(),
                                  bad_size=(t[size].isnull() | (t[size] <= 0)).sum())).row(0, named=True)
    if found["null_y"]:
        raise WelfareError(f"welfare column {welfare!r} has {found['null_y']} missing values")
    if found["bad_size"]:
        raise WelfareError(f"person-weight column {size!r} has {found['bad_size']} missing or non-positive values")
    if found["nonpositive"] and LOG_MEASURES & set(measures):
        raise WelfareError(f"Theil and MLD need welfare > 0: {found['nonpositive']} rows of {welfare!r} are <= 0")


def stacked(t: ir.Table, levels: Sequence[tuple[str, ...]], keep: Sequence[str]) -> ir.Table:
    """The rows once per level, with ``_level`` and ``_domain`` (area values joined by ``/``) and ``keep``."""
    parts = []
    for level in levels:
        values = [level_expression(t, n).fill_null("NA") for n in level]
        domain = ibis.literal("/").join(values) if level else ibis.literal(ALL)
        parts.append(t.select(*keep, _level=ibis.literal("+".join(level) or ALL), _domain=domain))
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def long_estimates(dom: pl.DataFrame, keys: Sequence[str], measures: Sequence[str]) -> pl.DataFrame:
    """Domain statistics (one row per domain) to one row per (domain, measure) with ``estimate`` and ``n``."""
    return dom.unpivot(on=list(measures), index=[*keys, "n"], variable_name="measure", value_name="estimate")


def influence_sums(rows: ir.Table, unit_keys: Sequence[str], names: Sequence[str],
                   keys: Sequence[str] = KEYS) -> pl.DataFrame:
    """Partial sums per (design units, ``keys``) of the influence values ``_u_<name>``, as totals (long)."""
    pw = rows["_pw"]
    aggs: dict[str, Any] = {"beta": pw.sum(), "qbb": (pw * pw).sum(), "n": rows.count()}
    for m in names:
        u = rows[f"_u_{m}"]
        aggs |= {f"alpha__{m}": (pw * u).sum(), f"a2__{m}": (pw * u * u).sum(), f"qab__{m}": (pw * pw * u).sum(),
                 f"qaa__{m}": (pw * pw * u * u).sum()}
    wide = rows.group_by([*unit_keys, *keys]).aggregate(**aggs)
    wide = to_polars(wide.mutate(**{k: wide[k].cast("string") for k in unit_keys}))  # the design's text keys
    return pl.concat([wide.select(
        *unit_keys, *keys, pl.lit(m).alias("measure"), pl.lit("").alias("line"), pl.lit("total").alias("kind"),
        *(pl.col(f"{k}__{m}").alias(k) for k in ("alpha", "qaa", "qab", "a2")), "beta", "qbb",
        pl.col("n").cast(pl.Int64)) for m in names])


def _woodruff(vals: ir.Table, f50: pl.DataFrame, t_value: float) -> pl.DataFrame:
    """SE of the median from the CI of F(median): the quantiles at F ± t·SE(F) (R's svyquantile, "mean")."""
    probs = f50.select(*KEYS, p_lo=pl.col("F50") - t_value * pl.col("se_f"),
                       p_hi=pl.col("F50") + t_value * pl.col("se_f"))
    j = vals.join(ibis.memtable(probs), list(KEYS))
    share = j["_c"] / j["_nt"]
    bounds = to_polars(j.group_by(list(KEYS)).aggregate(
        lo=j["_y"].min(where=share >= j["p_lo"]), hi=j["_y"].min(where=share >= j["p_hi"]),
        p_lo=j["p_lo"].max(), p_hi=j["p_hi"].max()))
    inside = (pl.col("p_lo") >= 0) & (pl.col("p_hi") <= 1)
    return bounds.select(*KEYS, pl.lit("median_consumption").alias("measure"),
                         pl.when(inside).then(((pl.col("hi") - pl.col("lo")) / (2 * t_value)) ** 2)
                         .otherwise(None).alias("variance"))


def person_rows(t: ir.Table, design: SurveyDesign | None, welfare: str, size: str,
                weight: Any | None = None, *, text_keys: bool = True) -> tuple[ir.Table, DesignInfo | None, list[str]]:
    """The keyed table with ``_y`` and ``_pw``, the design info (None for a census) and the unit key columns.

    ``text_keys=False``: the unit keys keep the design columns' own types (cast to text after aggregation).
    """
    if design is None:
        return t.mutate(_y=t[welfare].cast("float64"), _pw=t[size].cast("float64")), None, []
    info = design.validate(t)
    if text_keys:
        t = design.keyed(t)
    else:
        raw = {STRATUM: t[design.strata] if design.strata else ibis.literal("all"),
               **({PSU: t[design.psu]} if design.psu else {}), **({SSU: t[design.ssu]} if design.ssu else {})}
        t = t.mutate(**raw)
    w = t[design.weight] if weight is None else weight
    unit_keys = [STRATUM, *([PSU] if design.psu else []), *([SSU] if design.ssu else [])]
    return t.mutate(_y=t[welfare].cast("float64"), _pw=(w * t[size]).cast("float64")), info, unit_keys


def inequality(
    table: Any,
    design: SurveyDesign | None,
    *,
    by: Sequence[str | Sequence[str]] = (),
    measures: Sequence[str] = MEASURES,
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    snapshot_id: str | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Inequality and welfare measures with SE, CI, CV and design effect by every level of ``by``.

    See the module docstring for definitions and variance. ``table``: an Ibis table or a Polars/pandas frame of
    households; ``design``: the survey design, or None for a census; ``size``: the person-weight column
    (default: the design's, else ``household_size``). Returns the tidy frame of ``entas.measure.poverty``.
    """
    if not 0 < confidence < 1:
        raise MeasureError(f"confidence must be in (0, 1), got {confidence}")
    wanted = check_measures(measures)
    t = as_table(table)
    size = size or (design.person_weight_column if design else "household_size")
    check_welfare(t, welfare, size, wanted)
    levels = parse_levels(by)
    t, info, unit_keys = person_rows(t, design, welfare, size, text_keys=False)
    rows = stacked(t, levels, [*unit_keys, "_y", "_pw"])
    parts = []
    if "gini" in wanted:  # one window pass, reduced at once to sums per design unit (entas.measure.rank_sums)
        parts.append(_gini(rows, info, design, unit_keys))
    others = [m for m in wanted if m != "gini"]
    if others:
        with cumulative_rows(rows, KEYS).cache() as cum:  # one window pass shared by the other measures
            vals = cum.join(ibis.memtable(to_polars(domain_quantiles(cum, KEYS))), list(KEYS))
            dom = to_polars(domain_stats(vals, KEYS))
            parts.append(_estimates(cum, dom, info, design, unit_keys, others, confidence))
    raw = pl.concat(parts, how="diagonal_relaxed").select(
        pl.col("_level").alias("level"), pl.col("_domain").alias("area"), "measure", pl.lit("").alias("line"),
        "estimate", "variance", "deff", pl.col("n").cast(pl.Int64))
    stats_ = [Statistic(m, "", "total", m) for m in wanted]
    return tidy_results(raw, [], stats_, levels, info.df if info else None, confidence, snapshot_id)


def _gini(rows: ir.Table, info: DesignInfo | None, design: SurveyDesign | None,
          unit_keys: Sequence[str]) -> pl.DataFrame:
    """Per domain: the Gini's estimate, variance, deff and n, from ``entas.measure.rank_sums``."""
    sums = unit_sums(rows, unit_keys, KEYS)
    coefficients = gini_domains(sums, KEYS)
    point = coefficients.select(*KEYS, pl.lit("gini").alias("measure"), "estimate", pl.col("n").cast(pl.Int64))
    if info is None:
        return point.with_columns(variance=pl.lit(None, dtype=pl.Float64), deff=pl.lit(None, dtype=pl.Float64))
    assert design is not None
    partial = influence_partial_sums(sums, coefficients, unit_keys, KEYS, measure="gini")
    est = domain_estimates(partial, list(KEYS), info, design.lonely_psu, has_psu=bool(design.psu),
                           has_ssu=bool(design.ssu)).select(*KEYS, "variance", "deff")
    return point.join(est, on=list(KEYS), how="left")


def _estimates(vals: ir.Table, dom: pl.DataFrame, info: DesignInfo | None, design: SurveyDesign | None,
               unit_keys: Sequence[str], wanted: Sequence[str], confidence: float) -> pl.DataFrame:
    """Per (domain, measure): estimate, variance, deff and n from the cumulative rows and domain statistics."""
    point = dom.select(*KEYS, *wanted, "n", "F50")
    raw = long_estimates(point, KEYS, wanted).with_columns(pl.col("n").cast(pl.Int64))
    if info is None:
        raw = raw.with_columns(variance=pl.lit(None, dtype=pl.Float64), deff=pl.lit(None, dtype=pl.Float64))
    else:
        assert design is not None
        with_u, names = influence_rows(vals, ibis.memtable(dom), KEYS, wanted)
        sums = influence_sums(with_u, unit_keys, names)
        est = domain_estimates(sums, list(KEYS), info, design.lonely_psu, has_psu=bool(design.psu),
                               has_ssu=bool(design.ssu)).select(*KEYS, "measure", "variance", "deff")
        if "median_consumption" in wanted:
            t_value = float(stats.t.ppf(0.5 + confidence / 2, info.df)) if info.df > 0 else float("nan")
            f50 = point.select(*KEYS, "F50").join(
                est.filter(pl.col("measure") == "median_cdf").select(*KEYS, se_f=pl.col("variance").sqrt()), on=KEYS)
            est = pl.concat([est.filter(pl.col("measure") != "median_cdf"),
                             _woodruff(vals, f50, t_value).with_columns(deff=pl.lit(None, dtype=pl.Float64))])
        raw = raw.join(est, on=[*KEYS, "measure"], how="left")
    return raw
