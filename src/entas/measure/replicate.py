"""Delete-one-PSU jackknife standard errors for the poverty and inequality measures, as R survey's JKn.

What it computes: the same statistics as ``entas.measure.inequality`` (mean and median consumption, Gini,
Theil, MLD, Palma, QSR, bottom-40% share) and ``entas.measure.poverty`` (headcount ratio, poverty gap and
severity, Watts, Sen-Shorrocks-Thon, number poor, population), each estimated on the full sample and on every
jackknife replicate, with the variance of the replicates. It exists to check the Taylor-linearized SEs of those
modules with an independent method (issue 3), and to give a replicate-based SE for any of them.

Replicates (R survey's ``as.svrepdesign(design, type = "JKn")``; ``"JK1"`` for an unstratified design, the
same estimator with one stratum). Replicate r deletes one PSU j of stratum h: its households get weight 0,
the other PSUs of h get ``n_h / (n_h - 1)`` times their weight, every other stratum keeps its weights. A
design without PSUs has one replicate per household (R's ``id = ~1``). Strata with a single PSU get no
replicate when ``lonely_psu`` is ``remove`` or ``certainty`` (R's ``jknweights``); any other policy raises
LonelyPSUError (R's ``adjust`` and ``average`` replicates are not implemented). A stratum whose fpc says
every PSU was sampled gets no replicate (R's ``survey.drop.replicates``).

Variance (R's ``svrVar`` with its default ``mse = FALSE``):

    v = sum_r rscale_r (theta_r - theta_bar)^2,   rscale_r = (1 - f_h) (n_h - 1) / n_h,

with ``theta_bar`` the mean of **all** replicates (not a per-stratum mean) and ``1 - f_h = 1 - n_h/N_h`` from
``fpc_psu`` (1 without it). Only the first-stage fpc is used; a second-stage fpc (``fpc_ssu``) is ignored,
as R's ``as.svrepdesign`` drops it (with a warning). The estimate is the full-sample statistic. Degrees of
freedom: replicates minus strata with replicates, R's ``degf`` of the replicate design (= the design df when
every stratum has replicates); the CI is ``estimate ± t(df) se``. A replicate in which a domain has no
household gives no value and is left out (R's ``na.action = na.omit``); a replicate that deletes a PSU of a
stratum where the domain has no household equals the full-sample value and is not computed (it still counts
in ``theta_bar``).

Algorithm (no loops over households or areas): the rows, stacked once per level, are joined in the engine
with a small (domain, replicate) table (the full sample as replicate -1, and the replicates of the strata that
touch each domain), the deleted PSU's rows are dropped and the weights of its stratum rescaled, and the
existing aggregations run with the replicate as an extra domain key: ``inequality``'s distinct values and
domain statistics, ``poverty``'s partial sums. The row count is that of the domain times its replicates
(all PSUs of the sample for the whole province).

Limits: the delete-one jackknife is not consistent for non-smooth statistics (quantiles: Shao and Wu 1989,
Efron 1982), so its SE of the median and of the quantile shares (Palma, QSR, bottom-40%) is only a rough
check of the linearized SE (see docs/methods.md); no design effect (``deff`` null); no calibration; a census
(``design=None``) is refused.

References: Wolter, K. (2007), Introduction to Variance Estimation, 2nd ed., ch. 4. Shao, J. and Wu, C. F. J.
(1989), A general theory for jackknife variance estimation, Ann. Statist. 17(3). Lumley, T. (2010), Complex
Surveys, sec. 2.3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import as_table, to_polars
from entas.errors import LonelyPSUError, MeasureError
from entas.measure.inequality import KEYS, check_welfare, long_estimates, person_rows, stacked
from entas.measure.inequality import MEASURES as INEQUALITY_MEASURES
from entas.measure.inequality_influence import distinct_values, domain_stats
from entas.measure.linearization import domain_estimates
from entas.measure.poverty import MEASURES as POVERTY_MEASURES
from entas.measure.poverty import (
    METHOD_VERSION,
    SST,
    Line,
    Statistic,
    as_lines,
    check_inputs,
    parse_levels,
    partial_sums,
    statistics_for,
    tidy_results,
)
from entas.measure.rank_sums import sst_domains, unit_sums
from entas.measure.sst import LINE_KEY, gap_ratio_rows
from entas.survey.design import PSU, STRATUM, DesignInfo, SurveyDesign

METHOD = f"{METHOD_VERSION}; jackknife JKn delete-one-PSU"
MEASURES = (*INEQUALITY_MEASURES, *(m for m in POVERTY_MEASURES if m not in INEQUALITY_MEASURES))
FULL = -1  # the replicate id of the full sample
REP = "_rep"
REP_KEYS = (*KEYS, REP)
__all__ = ["MEASURES", "METHOD", "jackknife", "replicate_table"]


def replicate_table(psus: pl.DataFrame, info: DesignInfo, design: SurveyDesign) -> pl.DataFrame:
    """One row per jackknife replicate: ``_rep`` (0, 1, ...), the deleted PSU, its stratum's factor and rscale.

    ``psus``: the distinct (``_entas_stratum``, ``_entas_psu``) pairs of the sample. Strata with one PSU get no
    replicate under ``remove``/``certainty`` and raise LonelyPSUError otherwise; fully sampled strata none.
    """
    strata = info.strata.select(STRATUM, "n_psu", "f_psu")
    lonely = strata.filter((pl.col("n_psu") == 1) & (pl.col("f_psu") > 0))[STRATUM].to_list()
    if lonely and design.lonely_psu not in ("remove", "certainty"):
        raise LonelyPSUError(f"{len(lonely)} strata have a single PSU ({', '.join(sorted(lonely)[:10])}): the "
                             f"jackknife handles them only with lonely_psu 'remove' or 'certainty', not "
                             f"{design.lonely_psu!r}")
    reps = psus.join(strata, on=STRATUM, how="inner").filter((pl.col("n_psu") > 1) & (pl.col("f_psu") > 0))
    if reps.height == 0:
        raise MeasureError("no jackknife replicate: every stratum is fully sampled or has a single PSU")
    n_h = pl.col("n_psu").cast(pl.Float64)
    return reps.sort(STRATUM, PSU).with_row_index(REP).select(
        pl.col(REP).cast(pl.Int64), pl.col(STRATUM).alias("_rep_stratum"), pl.col(PSU).alias("_rep_psu"),
        (n_h / (n_h - 1)).alias("_factor"), (pl.col("f_psu") * (n_h - 1) / n_h).alias("_rscale"))


def _expand(rows: ir.Table, reps: pl.DataFrame) -> tuple[ir.Table, pl.DataFrame]:
    """``rows`` once per (domain, replicate) with the replicate's weights (``_pw``, ``_rw``), and the pairs."""
    touched = to_polars(rows.select(*KEYS, STRATUM).distinct())
    pairs = touched.join(reps, left_on=STRATUM, right_on="_rep_stratum").select(
        *KEYS, REP, pl.col(STRATUM).alias("_rep_stratum"), "_rep_psu", "_factor")
    full = touched.select(*KEYS).unique().with_columns(
        pl.lit(FULL, dtype=pl.Int64).alias(REP), pl.lit(None, dtype=pl.Utf8).alias("_rep_stratum"),
        pl.lit(None, dtype=pl.Utf8).alias("_rep_psu"), pl.lit(1.0).alias("_factor"))
    pairs = pl.concat([full, pairs])
    j = rows.join(ibis.memtable(pairs), list(KEYS))
    same = (j[STRATUM] == j["_rep_stratum"]).fill_null(False)
    deleted = same & (j[PSU] == j["_rep_psu"]).fill_null(False)
    factor = ibis.ifelse(same, j["_factor"], 1.0)
    j = j.filter(~deleted)
    return j.mutate(_pw=j["_pw"] * factor, _rw=j["_w"] * factor), pairs.select(*KEYS, REP)


def _inequality_thetas(e: ir.Table, measures: Sequence[str]) -> pl.DataFrame:
    """Per (domain, replicate, measure): the statistic ``theta`` and the domain's rows ``n``."""
    dom = domain_stats(distinct_values(e, REP_KEYS), REP_KEYS)
    wide = to_polars(dom.select(*REP_KEYS, *measures, "n"))
    return long_estimates(wide, REP_KEYS, measures).select(
        *REP_KEYS, "measure", pl.lit("").alias("line"), pl.col("estimate").alias("theta"), pl.col("n").cast(pl.Int64))


def _poverty_thetas(e: ir.Table, welfare: str, lines: Sequence[Line], stats_: Sequence[Statistic]) -> pl.DataFrame:
    cells = {k: e[k] for k in REP_KEYS}
    sums = partial_sums(e, [], cells, welfare, e["_rw"], "_m", lines, stats_)
    est = domain_estimates(sums, list(REP_KEYS), None, "fail", has_psu=False, has_ssu=False)
    return est.select(*REP_KEYS, "measure", "line", pl.col("estimate").alias("theta"), "n")


def _sst_thetas(e: ir.Table, lines: Sequence[Line]) -> pl.DataFrame:
    """Per (domain, replicate, line): the SST of the replicate (the replicate's person weights ``_pw``)."""
    keys = [*REP_KEYS, LINE_KEY]
    line_cols = [line.column for line in lines if line.column]
    gaps = gap_ratio_rows(e.select(*REP_KEYS, "_y", "_pw", *line_cols), lines, [*REP_KEYS, "_pw"])
    dom = sst_domains(unit_sums(gaps, [], keys), keys)
    return dom.select(*REP_KEYS, pl.lit(SST).alias("measure"), pl.col(LINE_KEY).alias("line"),
                      pl.col("estimate").alias("theta"), pl.col("n").cast(pl.Int64))


def _variance(thetas: pl.DataFrame, pairs: pl.DataFrame, reps: pl.DataFrame) -> pl.DataFrame:
    """Estimate, jackknife variance and n per (domain, measure, line); see the module docstring.

    With d_r = theta_r - theta (0 for the replicates not computed), over the R replicates kept:
    sum rscale (d - dbar)^2 = sum rscale d^2 - 2 dbar sum rscale d + dbar^2 sum rscale, dbar = sum d / R.
    """
    stat = [*KEYS, "measure", "line"]
    full = thetas.filter(pl.col(REP) == FULL).select(*stat, estimate="theta", n="n")
    reps_s = reps.select(REP, "_rscale")
    # the (domain, measure) x replicates that were computed; a missing or non-finite theta is dropped (na.omit)
    grid = pairs.filter(pl.col(REP) != FULL).join(full.select(*stat), on=list(KEYS)).join(reps_s, on=REP)
    got = grid.join(thetas.filter(pl.col(REP) != FULL).select(*stat, REP, "theta"), on=[*stat, REP], how="left")
    got = got.join(full.select(*stat, "estimate"), on=stat).with_columns(d=pl.col("theta") - pl.col("estimate"))
    ok = pl.col("d").is_finite().fill_null(False)
    per = got.group_by(stat).agg(
        dropped=(~ok).sum(), dropped_rscale=pl.col("_rscale").filter(~ok).sum(),
        s1=(pl.col("_rscale") * pl.col("d")).filter(ok).sum(), s0=pl.col("d").filter(ok).sum(),
        s2=(pl.col("_rscale") * pl.col("d") ** 2).filter(ok).sum())
    n_rep, rs_all = reps.height, float(reps["_rscale"].sum())
    out = full.join(per, on=stat, how="left").with_columns(
        pl.col("dropped", "dropped_rscale", "s0", "s1", "s2").fill_null(0))
    kept = n_rep - pl.col("dropped")
    dbar = pl.col("s0") / kept
    variance = pl.col("s2") - 2 * dbar * pl.col("s1") + dbar ** 2 * (rs_all - pl.col("dropped_rscale"))
    return out.with_columns(variance=pl.when(kept > 0).then(variance.clip(lower_bound=0.0)).otherwise(None))


def jackknife(
    table: Any,
    design: SurveyDesign,
    *,
    lines: Mapping[str, float | int | str] | float | int | str | Sequence[Line] = (),
    by: Sequence[str | Sequence[str]] = (),
    measures: Sequence[str] = INEQUALITY_MEASURES,
    welfare: str = "consumption_pc_rp_month",
    size: str | None = None,
    snapshot_id: str | None = None,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """Full-sample estimates with delete-one-PSU jackknife SEs by every level of ``by`` (module docstring).

    ``measures``: any of ``MEASURES`` (inequality's and poverty's names); the poverty measures need ``lines``
    (as ``poverty``). Returns the tidy frame of ``entas.measure.poverty``: ``se`` from the replicates, CI with
    the replicate df, ``deff`` null, ``method`` = ``METHOD``.

    Example::

        jackknife(sample, SurveyDesign.susenas(), lines="line_national", by=["all", "district"],
                  measures=["gini", "headcount_ratio", "watts"])
    """
    if design is None:
        raise MeasureError("the jackknife needs a survey design (a census has no sampling error)")
    if not 0 < confidence < 1:
        raise MeasureError(f"confidence must be in (0, 1), got {confidence}")
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise MeasureError(f"unknown measures {unknown}; known: {', '.join(MEASURES)}")
    ineq = [m for m in INEQUALITY_MEASURES if m in measures]
    pov = [m for m in POVERTY_MEASURES if m in measures and m not in INEQUALITY_MEASURES]
    line_list = as_lines(lines) if pov else []
    pov_stats = statistics_for(pov, line_list) if pov else []
    sums_stats = [s for s in pov_stats if s.measure != SST]
    t = as_table(table)
    size = size or design.person_weight_column
    check_welfare(t, welfare, size, ineq)
    if pov:
        check_inputs(t, welfare, size, line_list, watts="watts" in pov)
    levels = parse_levels(by)
    if design.psu is None:  # each household its own PSU, numbered in an order of all columns (deterministic up to
        # identical rows, which are interchangeable)
        t = t.mutate(_entas_row=ibis.row_number().over(order_by=list(t.columns)).cast("string"))
        design = design.replace(psu="_entas_row", ssu=None, fpc_ssu=None)
    t, info, _ = person_rows(t, design, welfare, size)
    assert info is not None
    reps = replicate_table(to_polars(t.select(STRATUM, PSU).distinct()), info, design)
    line_cols = [line.column for line in line_list if line.column]
    t = t.mutate(_w=t[design.weight].cast("float64"), _m=t[size].cast("float64"), _welfare=t[welfare])
    keep = list(dict.fromkeys([STRATUM, PSU, "_y", "_pw", "_w", "_m", "_welfare", *line_cols]))
    e, pairs = _expand(stacked(t, levels, keep), reps)
    parts = []
    if ineq:
        parts.append(_inequality_thetas(e, ineq))
    if sums_stats:
        parts.append(_poverty_thetas(e, "_welfare", line_list, sums_stats))
    if SST in pov:
        parts.append(_sst_thetas(e, line_list))
    est = _variance(pl.concat(parts), pairs, reps)
    raw = est.select(pl.col("_level").alias("level"), pl.col("_domain").alias("area"), "measure", "line",
                     "estimate", "variance", pl.lit(None, dtype=pl.Float64).alias("deff"), pl.col("n").cast(pl.Int64))
    stats_ = [Statistic(m, "", "total", m) for m in ineq] + pov_stats
    df = reps.height - reps["_rep_stratum"].n_unique()
    return tidy_results(raw, line_list, stats_, levels, df, confidence, snapshot_id).with_columns(method=pl.lit(METHOD))
