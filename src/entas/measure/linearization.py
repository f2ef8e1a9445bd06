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

from entas.errors import MeasureError
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


def _quad(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """sum over the households of a row of (a w m f - b w m)^2, from the row's second moments."""
    return a * a * pl.col("qaa") - 2 * a * b * pl.col("qab") + b * b * pl.col("qbb")


def _difference_stage(
    rows: pl.DataFrame, child_keys: Sequence[str], parent_keys: Sequence[str], group: Sequence[str],
    units: Sequence[str] | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per stage group: the parent's sums (s1, s2 of z_P) and, where the child has rows, those of z_C - z_P.

    ``rows`` carry ``xc``/``xp`` (the row's totals of z_C and z_P) and the coefficients ``ac, bc, ap, bp``.
    ``units``: the columns naming the stage's units, or None when the units are the households of each row.
    The difference's sums are the parent's plus a correction over the child's units only (z_C = 0 elsewhere):
    ``s1 = sum(z_C) - S1_P`` and ``s2 = S2_P + sum((z_C - z_P)^2 - z_P^2)``.
    """
    if units is None:
        parent = rows.group_by([*parent_keys, *group]).agg(
            s1=pl.col("xp").sum(), s2=_quad(pl.col("ap"), pl.col("bp")).sum())
        corr = rows.group_by([*child_keys, *group]).agg(
            c1=pl.col("xc").sum(),
            c2=(_quad(pl.col("ac") - pl.col("ap"), pl.col("bc") - pl.col("bp")) - _quad(pl.col("ap"), pl.col("bp")))
            .sum())
    else:
        zp = rows.group_by([*parent_keys, *group, *units]).agg(zp=pl.col("xp").sum())
        parent = zp.group_by([*parent_keys, *group]).agg(s1=pl.col("zp").sum(), s2=(pl.col("zp") ** 2).sum())
        zc = rows.group_by([*child_keys, *group, *units]).agg(
            zc=pl.col("xc").sum()).join(zp, on=[*parent_keys, *group, *units], how="left")
        corr = zc.group_by([*child_keys, *group]).agg(
            c1=pl.col("zc").sum(), c2=((pl.col("zc") - pl.col("zp")) ** 2 - pl.col("zp") ** 2).sum())
    diff = corr.join(parent, on=[*parent_keys, *group], how="left").with_columns(
        s1=pl.col("c1") - pl.col("s1"), s2=pl.col("s2") + pl.col("c2"))
    return parent, diff.drop("c1", "c2")


def difference_estimates(
    sums: pl.DataFrame,
    child: str,
    parent: str,
    info: DesignInfo | None,
    policy: LonelyPolicy,
    *,
    has_psu: bool,
    has_ssu: bool,
) -> pl.DataFrame:
    """Estimates of ratios in child domains and in their parent domains, and the variance of their difference.

    ``sums``: the partial-sums table of ``domain_estimates`` (ratio statistics only), with a column ``child``
    (the child domain's cell) and a column ``parent`` (its parent's cell; each child must lie in one parent).
    The difference ``R_C - R_P`` of two ratios estimated on the same sample is linearized as one statistic,
    ``z = z_C - z_P`` with ``z_D = w m 1(D) (f - R_D) / N_D``, and its variance is the formula of
    ``domain_estimates`` applied to the PSU (SSU) totals of z: same fpc, second stage and lonely-PSU policy.
    So that no household row is repeated for every child of a parent, each stage's sums of z and z^2 are the
    parent's plus a correction over the units where the child has members (z_C = 0 elsewhere); the variance
    of a stage group untouched by the child is the parent's own. With ``average``, the scaling
    strata/strata-with-variance is the parent's (R applies one scaling to the whole ``svyby`` covariance).

    Returns one row per (child, parent, measure, line, kind): ``estimate`` (R_C), ``parent_estimate`` (R_P),
    ``variance`` (of R_C - R_P; null without a design), ``n`` (sample rows of the child) and ``parent_n``.
    """
    if sums.filter(pl.col("kind") != "ratio").height:
        raise MeasureError("difference_estimates handles ratio statistics (means) only, not totals")
    ck, pk = [child, parent, *STAT_KEYS], [parent, *STAT_KEYS]
    coef = (pl.lit(1.0) / pl.col("beta")).alias("a"), (pl.col("alpha") / pl.col("beta") ** 2).alias("b")
    dom_c = sums.group_by(ck).agg(pl.col("alpha", "beta", "n").sum()).with_columns(*coef)
    dom_p = sums.group_by(pk).agg(pl.col("alpha", "beta", "n").sum()).with_columns(*coef)
    rows = sums.join(dom_c.select(*ck, ac="a", bc="b"), on=ck, how="left").join(
        dom_p.select(*pk, ap="a", bp="b"), on=pk, how="left").with_columns(
        xc=pl.col("ac") * pl.col("alpha") - pl.col("bc") * pl.col("beta"),
        xp=pl.col("ap") * pl.col("alpha") - pl.col("bp") * pl.col("beta"))
    out = dom_c.select(*ck, estimate=pl.col("alpha") / pl.col("beta"), n=pl.col("n").cast(pl.Int64)).join(
        dom_p.select(*pk, parent_estimate=pl.col("alpha") / pl.col("beta"), parent_n=pl.col("n").cast(pl.Int64)),
        on=pk, how="left")
    if info is None:
        return out.with_columns(variance=pl.lit(None, dtype=pl.Float64))

    def combine(parent_g: pl.DataFrame, diff_g: pl.DataFrame, group: Sequence[str], v: pl.Expr) -> pl.DataFrame:
        parent_g = parent_g.with_columns(v=v)
        diff_g = diff_g.with_columns(v=v).join(parent_g.select(*pk, *group, vp="v"), on=[*pk, *group], how="left")
        totals = parent_g.group_by(pk).agg(
            vp_sum=pl.col("v").sum(), n_groups=pl.len(), n_ok=pl.col("v").is_not_null().sum())
        change = diff_g.group_by(ck).agg(dv=(pl.col("v") - pl.col("vp")).fill_null(0.0).sum())
        return change.join(totals, on=pk, how="left").with_columns(
            v=pl.when(pl.col("n_ok") > 0)
            .then((pl.col("vp_sum") + pl.col("dv")) * pl.col("n_groups") / pl.col("n_ok"))
            .otherwise(None))

    first_units = [PSU] if has_psu else None
    parent1, diff1 = _difference_stage(rows, ck, pk, [STRATUM], first_units)
    strata = info.strata.select(STRATUM, "n_psu", "f_psu")
    v1 = combine(parent1.join(strata, on=STRATUM, how="left"), diff1.join(strata, on=STRATUM, how="left"),
                 [STRATUM], _stage("n_psu", "f_psu", "s1", "s2", policy))
    out = out.join(v1.select(*ck, v1="v"), on=ck, how="left")
    if info.psus is None:
        return out.with_columns(variance=pl.col("v1")).drop("v1")
    second_units = [SSU] if has_ssu else None
    parent2, diff2 = _difference_stage(rows, ck, pk, [STRATUM, PSU], second_units)
    psus = info.psus.select(STRATUM, PSU, "n_ssu", "f_ssu", "stage1_fraction")
    v_stage2 = pl.col("stage1_fraction") * _stage("n_ssu", "f_ssu", "s1", "s2", policy)
    if policy == "average":
        v_stage2 = v_stage2.fill_null(float("nan"))
    parent2 = parent2.join(psus, on=[STRATUM, PSU], how="left").with_columns(v=v_stage2)
    diff2 = diff2.join(psus, on=[STRATUM, PSU], how="left").with_columns(v=v_stage2).join(
        parent2.select(*pk, STRATUM, PSU, vp="v"), on=[*pk, STRATUM, PSU], how="left")
    v2 = diff2.group_by(ck).agg(dv=(pl.col("v") - pl.col("vp")).sum()).join(
        parent2.group_by(pk).agg(vp_sum=pl.col("v").sum()), on=pk, how="left")
    out = out.join(v2.select(*ck, v2=pl.col("vp_sum") + pl.col("dv")), on=ck, how="left")
    return out.with_columns(variance=pl.col("v1") + pl.col("v2").fill_null(0.0)).drop("v1", "v2")
