"""Unit-level small-area poverty: the empirical best predictor (EBP) of FGT(0, 1, 2) for every area of a registry.

Method (Molina and Rao 2010, "Small area estimation of poverty indicators", Canadian Journal of Statistics
38(3)): fit the nested-error model ``log y_dj = x_dj' beta + u_d + e_dj`` (``entas.pockets.nested_error``, REML
by default) on the survey households, y their per-capita consumption and x covariates the registry also
holds. Given the sample, a registry household h of area d has log welfare

    N(x_h' beta + gamma_d (ybar_d - xbar_d' beta),  s2e + s2u (1 - gamma_d)),   gamma_d = s2u / (s2u + s2e/n_d)

(gamma_d = 0 in an area without sample, n_d sampled households in d). Because the registry is a census of
households, the EBP of an area's FGT(alpha) is the person-weighted mean over **all** its registry households
of ``E[(1 - y/z)^alpha 1(y < z)]``, which for a lognormal is closed-form (``entas.pockets.lognormal_fgt``):
the headcount, gap and severity are exact, with no Monte Carlo (Molina and Rao simulate L populations; the
closed form is the limit L -> infinity of their estimator). A registry household linked to a survey
household (``link``) takes its observed welfare instead. MSE: parametric bootstrap
(``entas.pockets.ebp_bootstrap``), B = 50 replicates by default.

Conventions: welfare is per-capita consumption per month in rupiah; poor means y < z, strictly, with each
household's own line (a column, e.g. its district's line from ``entas.measure.lines.attach_poverty_line``,
or a fixed rupiah value); persons weight households (``household_size``). Areas are a level of the village
code (``village``, ``subdistrict``, ``district``) or any column, in both tables.

Output: ``EBPResult.estimates``, one row per (area, measure, line): ``level, area, measure, line, estimate,
mse, rmse, cv, n_sample, n_households, persons, in_sample, method``; ``cv = rmse / estimate``; ``mse`` is
null without bootstrap. Measures are ``headcount_ratio``, ``poverty_gap``, ``poverty_severity``.

Limits: the EBP is model-based and **ignores the survey weights** (Molina and Rao's estimator; a
pseudo-EBP with weighted fitting, Guadarrama et al. 2018, is future work), so an informative design or a
misspecified model biases it; the model is on log welfare (no Box-Cox, no heteroscedasticity); covariates
constant or collinear in the sample are dropped (``aliased="drop"``, named in ``EBPResult.dropped``) or
refused (``"error"``). The registry passes through the engine (Ibis) for selection, joins and checks; the
predictor itself runs in numpy on chunks of whole areas (``chunk_households`` rows at a time), because the
normal CDF is not an engine operation and the bootstrap needs the same per-household arithmetic with its own
draws. The selected registry rows (area, size, lines, covariates) are cached in the engine for the duration
of the call (Ibis ``cache``: a temporary table on DuckDB, a persisted frame on Spark), so the covariate
expressions run once. An area with no registry household has no estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import numpy as np
import polars as pl

from entas.engine import as_table, to_polars
from entas.errors import SmallAreaError
from entas.measure.poverty import as_lines, level_expression
from entas.pockets.ebp_bootstrap import Chunk, Replicates, area_means, chunk_squared_errors, replicate_models
from entas.pockets.lognormal_fgt import MEASURES, household_fgt
from entas.pockets.nested_error import Method, NestedErrorFit, independent_columns, nested_error_design
from entas.progress import ProgressReporter, report

METHOD_VERSION = "entas.pockets.ebp 0.1"
AREA = "_ebp_area"
ROW = "_ebp_sample_row"


@dataclass(frozen=True)
class EBPResult:
    """EBP estimates (tidy frame), the fitted model, covariates dropped from it, and the bootstrap settings."""

    estimates: pl.DataFrame
    model: NestedErrorFit
    dropped: tuple[str, ...]
    bootstrap: int
    seed: int


def _survey_frame(survey: Any, level: str, welfare: str, covariates: Sequence[str], survey_id: str | None) -> (
        pl.DataFrame):
    t = as_table(survey)
    missing = [c for c in (welfare, *covariates, *([survey_id] if survey_id else [])) if c not in t.columns]
    if missing:
        raise SmallAreaError(f"the survey lacks the columns {missing}")
    cols: dict[str, Any] = {AREA: level_expression(t, level), welfare: t[welfare].cast("float64"),
                            **{c: t[c].cast("float64") for c in covariates}}
    if survey_id:
        cols[survey_id] = t[survey_id].cast("string")
    frame = to_polars(t.select(**cols))
    bad = frame.filter(pl.col(welfare).is_null() | (pl.col(welfare) <= 0) | pl.col(AREA).is_null()).height
    if bad:
        raise SmallAreaError(f"{bad} survey households have missing or non-positive {welfare!r} or no area: the "
                             "model is on log welfare")
    return frame


def _registry_table(
    registry: Any, level: str, size: str, line_values: Mapping[str, Any], covariates: Sequence[str],
    link: str | None, sample_ids: pl.DataFrame | None,
) -> ir.Table:
    t = as_table(registry)
    needed = [size, *covariates, *[v for v in line_values.values() if isinstance(v, str)], *([link] if link else [])]
    missing = [c for c in needed if c not in t.columns]
    if missing:
        raise SmallAreaError(f"the registry lacks the columns {missing}")
    lines = {f"_ebp_line_{i}": (t[v].cast("float64") if isinstance(v, str) else ibis.literal(float(v)))
             for i, v in enumerate(line_values.values())}
    rows = t.select(**{AREA: level_expression(t, level), "_ebp_size": t[size].cast("float64"), **lines,
                       **{c: t[c].cast("float64") for c in covariates},
                       "_ebp_link": t[link].cast("string") if link else ibis.null("string")})
    if sample_ids is None:
        return rows.mutate(**{ROW: ibis.literal(-1, "int64")})
    ids = ibis.memtable(sample_ids)
    joined = rows.left_join(ids, rows["_ebp_link"] == ids["_ebp_survey_id"])
    return joined.select(*rows.columns, **{ROW: joined["_ebp_row"].fill_null(-1)})


def _check_registry(rows: ir.Table, covariates: Sequence[str], n_lines: int, linked: bool) -> pl.DataFrame:
    """One pass: per-area households and persons, plus counts of bad values (an error names them)."""
    aggs: dict[str, Any] = {"n_households": rows.count(), "persons": rows["_ebp_size"].sum(),
                            "bad_size": (rows["_ebp_size"].isnull() | (rows["_ebp_size"] <= 0)).sum(),
                            **{f"bad_line_{i}": (rows[f"_ebp_line_{i}"].isnull() | (rows[f"_ebp_line_{i}"] <= 0))
                               .sum() for i in range(n_lines)},
                            **{f"null_{c}": rows[c].isnull().sum() for c in covariates}}
    if linked:
        aggs |= {"links": rows["_ebp_link"].notnull().sum(), "matched": (rows[ROW] >= 0).sum()}
    per_area = to_polars(rows.group_by(AREA).aggregate(**aggs)).sort(AREA)
    totals = per_area.drop(AREA, "n_households", "persons").sum().row(0, named=True)
    problems = [f"{k.removeprefix('bad_').removeprefix('null_')}: {v}" for k, v in totals.items()
                if k.startswith(("bad_", "null_")) and v]
    if per_area[AREA].is_null().any():
        problems.append(f"area: {per_area.filter(pl.col(AREA).is_null())['n_households'].sum()}")
    if problems:
        raise SmallAreaError(f"registry rows with missing or invalid values (column: rows): {', '.join(problems)}")
    if linked and totals["links"] != totals["matched"]:
        raise SmallAreaError(f"{totals['links'] - totals['matched']} registry households link to survey households "
                             "that are not in the survey")
    return per_area.select(AREA, "n_households", "persons")


def _chunks(per_area: pl.DataFrame, chunk_households: int) -> list[tuple[int, int]]:
    """Consecutive ranges of areas holding about ``chunk_households`` households each (whole areas)."""
    bounds, start, filled = [], 0, 0
    for i, n in enumerate(per_area["n_households"].to_list()):
        if filled and filled + n > chunk_households:
            bounds.append((start, i))
            start, filled = i, 0
        filled += n
    bounds.append((start, per_area.height))
    return bounds


def _load_chunk(rows: ir.Table, areas: list[str], covariates: Sequence[str], n_lines: int) -> Chunk:
    frame = to_polars(rows.filter(rows[AREA].isin(areas))).sort(AREA)
    codes = frame[AREA].to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    if len(starts) != len(areas):
        raise SmallAreaError("registry rows changed while the EBP was reading them")
    size = frame["_ebp_size"].to_numpy().astype(np.float64)
    x = np.column_stack([np.ones(frame.height), frame.select(covariates).to_numpy().astype(np.float64)])
    return Chunk(area=np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, frame.height])), starts=starts,
                 x=x, size=size, z=frame.select([f"_ebp_line_{i}" for i in range(n_lines)]).to_numpy(),
                 sample_row=frame[ROW].to_numpy().astype(np.intp), persons=np.add.reduceat(size, starts))


def ebp(
    registry: Any,
    survey: Any,
    lines: Mapping[str, str | float],
    *,
    covariates: Sequence[str],
    level: str = "village",
    welfare: str = "consumption_pc_rp_month",
    size: str = "household_size",
    link: str | None = None,
    survey_id: str = "household_id",
    method: Method = "REML",
    aliased: Literal["drop", "error"] = "drop",
    bootstrap: int = 50,
    seed: int = 0,
    chunk_households: int = 100_000,
    progress: ProgressReporter | None = None,
) -> EBPResult:
    """EBP of FGT(0, 1, 2) per area of the registry with parametric-bootstrap MSE (see the module docstring).

    ``registry``, ``survey``: Ibis tables or frames holding ``covariates`` (the same numeric columns, e.g. from
    ``entas.target.covariates.household_covariates``) and the area source of ``level``; the survey also holds
    ``welfare`` (> 0), the registry ``size`` and the line columns. ``lines``: line name -> registry column or
    rupiah value (e.g. ``{"extreme": "line_extreme", "national": "line_national"}``). ``link``: a registry
    column holding the ``survey_id`` of its survey household (null when not sampled). ``bootstrap``: B
    replicates (0: no MSE); ``seed`` fixes the draws (with ``chunk_households``).
    """
    line_list = as_lines(dict(lines))
    if bootstrap < 0:
        raise SmallAreaError(f"bootstrap replicates must be >= 0, got {bootstrap}")
    if chunk_households < 1:
        raise SmallAreaError(f"chunk_households must be >= 1, got {chunk_households}")
    if aliased not in ("drop", "error"):
        raise SmallAreaError(f"aliased must be 'drop' or 'error', got {aliased!r}")
    sample = _survey_frame(survey, level, welfare, covariates, survey_id if link else None)
    x_all = sample.select(covariates).to_numpy().astype(np.float64)
    kept, dropped = independent_columns(x_all, covariates) if aliased == "drop" else (tuple(covariates), ())
    design = nested_error_design(sample.select(kept).to_numpy().astype(np.float64), sample[AREA].to_numpy(),
                                 covariates=kept)
    y = np.log(sample[welfare].to_numpy())
    fit = design.fit(y, method=method)
    sample_ids = None
    if link:
        if sample[survey_id].is_duplicated().any():
            raise SmallAreaError(f"survey ids in {survey_id!r} are not unique: the link would be ambiguous")
        sample_ids = pl.DataFrame({"_ebp_survey_id": sample[survey_id], "_ebp_row": np.arange(sample.height)})
    values = {line.name: (line.column if line.column else line.rp) for line in line_list}
    query = _registry_table(registry, level, size, values, kept, link, sample_ids)
    with query.cache() as rows:  # computed once (covariates, joins); every pass below reads the cached rows
        per_area = _check_registry(rows, kept, len(line_list), linked=link is not None)
        if link:
            linked = rows.filter(rows[ROW] >= 0)
            counts = to_polars(linked.aggregate(n=linked.count(), distinct=linked[ROW].nunique()))
            if counts["n"][0] != counts["distinct"][0]:
                raise SmallAreaError("several registry households link to the same survey household")
        areas = per_area[AREA].to_list()
        bounds = _chunks(per_area, chunk_households)
        streams = np.random.SeedSequence(seed).spawn(1 + len(bounds))
        reps: Replicates | None = None
        if bootstrap:
            reps = replicate_models(design, fit, areas, replicates=bootstrap, method=method,
                                    rng=np.random.default_rng(streams[0]), progress=progress)
        shift, sd = fit.area_terms(areas)
        welfare_rp = sample[welfare].to_numpy()
        estimate = np.zeros((len(areas), len(line_list), 3))
        squared = np.zeros_like(estimate)
        for k, (first, stop) in enumerate(bounds):
            chunk = _load_chunk(rows, areas[first:stop], kept, len(line_list))
            observed = np.where(chunk.sample_row >= 0, welfare_rp[np.maximum(chunk.sample_row, 0)], np.nan)
            g = chunk.area + first
            predicted = household_fgt(chunk.x @ fit.beta + shift[g], sd[g], chunk.z, observed)
            estimate[first:stop] = area_means(chunk.starts, chunk.size, predicted, chunk.persons)
            if reps is not None:
                squared[first:stop] = chunk_squared_errors(chunk, fit, reps, first,
                                                           np.random.default_rng(streams[k + 1]))
            report(progress, "ebp: predicting over the registry", k + 1, len(bounds))
    mse = squared / bootstrap if bootstrap else None
    return EBPResult(estimates=_tidy(per_area, fit, level, [ln.name for ln in line_list], estimate, mse),
                     model=fit, dropped=dropped, bootstrap=bootstrap, seed=seed)


def _tidy(per_area: pl.DataFrame, fit: NestedErrorFit, level: str, line_names: list[str], estimate: np.ndarray,
          mse: np.ndarray | None) -> pl.DataFrame:
    n_sample = dict(zip(fit.areas, fit.n_area.tolist(), strict=True))
    counts = per_area.with_columns(n_sample=pl.col(AREA).replace_strict(n_sample, default=0, return_dtype=pl.Int64))
    d, n_lines = estimate.shape[0], len(line_names)
    long = pl.DataFrame({
        "_i": np.repeat(np.arange(d), n_lines * 3),
        "line": np.tile(np.repeat(line_names, 3), d),
        "measure": np.tile(np.array(MEASURES), d * n_lines),
        "estimate": estimate.reshape(-1),
        "mse": mse.reshape(-1) if mse is not None else np.full(estimate.size, np.nan),
    }).with_columns(mse=pl.col("mse").fill_nan(None))
    out = long.join(counts.with_row_index("_i").with_columns(pl.col("_i").cast(pl.Int64)), on="_i")
    rmse = pl.col("mse").sqrt()
    return out.select(
        pl.lit(level).alias("level"), pl.col(AREA).alias("area"), "measure", "line", "estimate", "mse",
        rmse.alias("rmse"), pl.when(pl.col("estimate") > 0).then(rmse / pl.col("estimate")).alias("cv"),
        "n_sample", pl.col("n_households").cast(pl.Int64), pl.col("persons").cast(pl.Float64),
        (pl.col("n_sample") > 0).alias("in_sample"), pl.lit(METHOD_VERSION).alias("method"),
    ).sort("area", pl.col("line").replace_strict({n: i for i, n in enumerate(line_names)}, return_dtype=pl.Int64),
           pl.col("measure").replace_strict({m: i for i, m in enumerate(MEASURES)}, return_dtype=pl.Int64))
