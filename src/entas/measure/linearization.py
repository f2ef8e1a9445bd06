"""Taylor-linearized variances of ratios and totals by domain, from a small table of partial sums.

Method (Wolter 2007, ch. 6; Lumley 2010, sec. 2.2 and appendix C; R survey's ``svyrecvar``): a ratio
``R = sum(w m f) / sum(w m)`` over a domain ``D`` (household weight w, size m, household value f) has the
linearized variable ``z = w m 1(D) (f - R) / N_D`` with ``N_D = sum(w m 1(D))``; a total ``T = sum(w m f)``
has ``z = w m f 1(D)``. With PSU totals ``z_hi`` in stratum h (n_h sampled PSUs, N_h in the population):

    V1 = sum_h (1 - n_h/N_h) n_h/(n_h - 1) sum_i (z_hi - mean_h z)^2

where PSUs of the stratum without members of the domain count with z = 0 (domains on the full design). When
a second stage has an fpc, each PSU adds (R's ``multistage``)

    V2_hi = (n_h/N_h) (1 - m_hi/M_hi) m_hi/(m_hi - 1) sum_j (z_hij - mean_hi z)^2

over its m_hi sampled SSUs (households when no SSU column is given). Lonely strata (n_h = 1) follow R's
``survey.lonely.psu`` (see ``entas.survey.design``) with ``survey.adjust.domain.lonely = FALSE``: a domain
with a single PSU in a stratum of several is computed as above, with zeros for the other PSUs.

Algorithm: the engine reduces the rows once to partial sums per (stratum, PSU, [SSU], finest domain cell,
statistic): ``alpha = sum(w m f)``, ``beta = sum(w m)`` and, for stages whose units are households, the
second moments ``qaa = sum((w m f)^2)``, ``qab = sum((w m)^2 f)``, ``qbb = sum((w m)^2)``, so that
``sum z^2 = (qaa - 2 R qab + R^2 qbb) / N_D^2`` needs no household rows. Every coarser domain, estimate and
variance is then derived from that table with group-bys (no loops over areas).

Design effect: R's ``deff = TRUE``, the design variance over the variance of simple random sampling without
replacement of the same number n of households, with the person-weighted element variance
``s^2 = n/(n - 1) (sum(w m f^2)/N_D - R^2)``: ``s^2 (N_D - n)/(N_D n)`` for a ratio, times ``N_D^2`` for
a total. Null when that variance is 0 (e.g. the population total).

Limits: the with-replacement (ultimate cluster) approximation unless an fpc is given; S^2 is formed as a
difference of sums, so a centred sum of squares below 1e-12 of the raw sum of squares is taken as 0 (a
rounding residue: the z are constant in the stratum).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from entas.survey.design import CERTAIN, PSU, SSU, STRATUM, DesignInfo, LonelyPolicy

STAT_KEYS = ("measure", "line", "kind")
MOMENTS = ("alpha", "beta", "qaa", "qab", "qbb", "a2", "n")
ROUNDING = 1e-12  # sum (z - mean)^2 below this fraction of sum z^2 is rounding residue


def _lonely(policy: LonelyPolicy, f: pl.Expr, squares: pl.Expr) -> pl.Expr:
    """The variance of a stage with a single sampled unit under ``policy`` (R's onestrat)."""
    if policy == "adjust":
        return f * squares
    if policy == "average":
        return pl.lit(None, dtype=pl.Float64)
    return pl.lit(0.0)  # remove, certainty: the unit centred at its own mean; fail was refused by validate


def _stage(units: int | str, f: str, s1: str, s2: str, policy: LonelyPolicy) -> pl.Expr:
    """Variance of one stage from the sums S1 = sum z and S2 = sum z^2 over the sampled units."""
    n = pl.col(units) if isinstance(units, str) else pl.lit(units)
    raw = pl.col(s2) - pl.col(s1) ** 2 / n
    # a difference at rounding level (constant z, e.g. a population total with constant weights) is 0, as in R
    centred = pl.when(raw <= ROUNDING * pl.col(s2)).then(0.0).otherwise(raw)
    return (
        pl.when(pl.col(f) < CERTAIN).then(pl.lit(0.0))
        .when(n > 1).then(pl.col(f) * n / (n - 1) * centred)
        .otherwise(_lonely(policy, pl.col(f), pl.col(s2)))
    )


def domain_estimates(
    sums: pl.DataFrame,
    cells: Sequence[str],
    info: DesignInfo | None,
    policy: LonelyPolicy,
    *,
    has_psu: bool,
    has_ssu: bool,
) -> pl.DataFrame:
    """Estimates, variances and design effects for the domains formed by ``cells`` (see the module docstring).

    ``sums``: the partial-sums table, one row per (stratum, [PSU], [SSU], cell, statistic) with the columns
    ``measure, line, kind`` ("ratio" or "total") and ``alpha, beta, qaa, qab, qbb, a2, n``. Returns one row
    per (cells, measure, line, kind) with ``estimate, variance, deff, n`` (variance null without a design).
    """
    keys = [*cells, *STAT_KEYS]
    ratio = pl.col("kind") == "ratio"
    dom = sums.group_by(keys).agg(pl.col("alpha", "beta", "a2", "n").sum()).with_columns(
        r=pl.when(ratio).then(pl.col("alpha") / pl.col("beta")).otherwise(0.0),
        c=pl.when(ratio).then(pl.col("beta")).otherwise(1.0),
        estimate=pl.when(ratio).then(pl.col("alpha") / pl.col("beta")).otherwise(pl.col("alpha")),
    )
    if info is None:
        return dom.select(*keys, "estimate", pl.lit(None, dtype=pl.Float64).alias("variance"),
                          pl.lit(None, dtype=pl.Float64).alias("deff"), pl.col("n").cast(pl.Int64))
    centre = dom.select(*keys, "r", "c")
    z1 = (pl.col("alpha") - pl.col("r") * pl.col("beta")) / pl.col("c")
    z2_rows = (pl.col("qaa") - 2 * pl.col("r") * pl.col("qab") + pl.col("r") ** 2 * pl.col("qbb")) / pl.col("c") ** 2

    if has_psu:
        first = sums.group_by([*keys, STRATUM, PSU]).agg(pl.col("alpha", "beta").sum()).join(centre, on=keys)
        first = first.with_columns(z1=z1).with_columns(z2=pl.col("z1") ** 2)
    else:
        first = sums.join(centre, on=keys).with_columns(z1=z1, z2=z2_rows)
    strata = first.group_by([*keys, STRATUM]).agg(s1=pl.col("z1").sum(), s2=pl.col("z2").sum())
    strata = strata.join(info.strata, on=STRATUM, how="left").with_columns(
        v=_stage("n_psu", "f_psu", "s1", "s2", policy))
    v1 = strata.group_by(keys).agg(
        v_sum=pl.col("v").sum(), n_strata=pl.len(), n_ok=pl.col("v").is_not_null().sum(),
    ).with_columns(
        v1=pl.when(pl.col("n_ok") > 0).then(pl.col("v_sum") * pl.col("n_strata") / pl.col("n_ok")).otherwise(None),
    ).select(*keys, "v1")
    out = dom.join(v1, on=keys, how="left")

    if info.psus is not None:
        if has_ssu:
            second = sums.group_by([*keys, STRATUM, PSU, SSU]).agg(pl.col("alpha", "beta").sum())
            second = second.join(centre, on=keys).with_columns(z1=z1).with_columns(z2=pl.col("z1") ** 2)
        else:
            second = sums.join(centre, on=keys).with_columns(z1=z1, z2=z2_rows)
        psus = second.group_by([*keys, STRATUM, PSU]).agg(s1=pl.col("z1").sum(), s2=pl.col("z2").sum())
        psus = psus.join(info.psus, on=[STRATUM, PSU], how="left").with_columns(
            v=pl.col("stage1_fraction") * _stage("n_ssu", "f_ssu", "s1", "s2", policy)
            if policy != "average" else
            pl.col("stage1_fraction") * _stage("n_ssu", "f_ssu", "s1", "s2", policy).fill_null(float("nan")))
        v2 = psus.group_by(keys).agg(v2=pl.col("v").sum())
        out = out.join(v2, on=keys, how="left").with_columns(variance=pl.col("v1") + pl.col("v2").fill_null(0.0))
    else:
        out = out.with_columns(variance=pl.col("v1"))

    n = pl.col("n").cast(pl.Float64)
    big_n = pl.col("beta")
    element = n / (n - 1) * (pl.col("a2") / big_n - (pl.col("alpha") / big_n) ** 2)
    srs = element * (big_n - n) / (big_n * n) * pl.when(ratio).then(1.0).otherwise(big_n ** 2)
    out = out.with_columns(
        deff=pl.when((n > 1) & (srs > 0)).then(pl.col("variance") / srs).otherwise(None),
        n=pl.col("n").cast(pl.Int64),
    )
    return out.select(*keys, "estimate", "variance", "deff", "n")
