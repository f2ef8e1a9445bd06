"""Fitting a proxy-means test (PMT): weighted least squares of log per-capita consumption on registry covariates.

Method
------
On the survey, ``ln y_i = a_d(i) + x_i' b + e_i`` is fitted by weighted least squares (weights: the survey
weight, normalised to mean 1), with ``x`` the covariates of ``entas.target.covariates`` (those the registry
also holds) and ``a_d`` a district intercept (``district_effects=True``, the default), one intercept for the
province (``False``), or one model per district (``"separate"``: Indonesia's PMT models are district-specific;
a district gets its own model only with at least ``min_district_n`` households and ``5 (p + 1)`` for ``p``
terms, otherwise it keeps the provincial model with its district intercept). References: Grosh and Baker
(1995) *Proxy means tests for targeting social programs*, World Bank LSMS 118; Kidd and Wylde (2011)
*Targeting the poorest: an assessment of the proxy means test methodology*, AusAID.

- Variable selection (``selection="backward"``): backward elimination of whole fields (all dummies of a code
  field, a variable with its missing indicator) by cross-validated weighted mean squared error: remove the
  field whose removal lowers the CV error most, stop when no removal lowers it. District intercepts are
  always kept; with ``"separate"`` the selection is made on the pooled model. ``selection="none"`` keeps
  every candidate.
- Cross-validation: ``folds`` folds of whole PSUs (``stratum``/``psu`` columns; households when absent), so a
  village's households are never split between fitting and validation; seeded by ``seed``.
- Candidates without variance in the survey (e.g. a missing indicator that is never 1) and candidates that
  are an exact linear combination of earlier columns (R ``lm``'s "aliased" coefficients) are dropped and
  listed in ``PMTModel.dropped``; in a district model a term without variance in that district gets 0.
- Residual variance (used by ``score_registry`` for the probability of being below a line): per district
  ``sigma2_d = sum_d w r^2 / sum_d w * n_d / (n_d - p_d)`` for a district model, with the pooled correction
  ``n / (n - p)`` for the pooled model; a district with fewer than ``MIN_VARIANCE_N`` households takes the
  pooled variance. The pooled ``sigma2`` equals R ``summary(lm(..., weights = w / mean(w)))$sigma^2``.
- Fit by district: weighted R^2 (within the district), RMSE (in sample), CV RMSE (out of fold, same model
  structure, same terms), n. ``R^2`` on the province row is R's weighted R^2 of the pooled model.

Conventions: welfare is per-capita consumption per month (rupiah), strictly positive (an error says how many
are not); weights are household weights (pass a person weight column to fit person-weighted).

Limits: a linear model on the log scale, homoscedastic within a district; selection and CV errors ignore the
survey design beyond PSU folds; coefficients carry no design-based standard errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import numpy as np
import polars as pl
from scipy.linalg import cho_factor, cho_solve, solve_triangular

from entas.engine import as_table, to_polars
from entas.errors import TargetingError
from entas.target.covariates import (
    ASSETS,
    CODE_LEVELS,
    COVARIATES,
    MEMBER_CODE_LEVELS,
    MEMBER_COVARIATES,
    covariate_table,
)

METHOD_VERSION = "entas.target.pmt 0.1"
MIN_DISTRICT_N = 300
"""Households a district needs for its own model (``district_effects="separate"``)."""
MIN_VARIANCE_N = 30
"""Households a district needs for its own residual variance; fewer take the pooled variance."""
ALIAS_TOLERANCE = 1e-10
"""A column whose squared residual norm, relative to its own, on the earlier columns is below this is aliased."""

DistrictEffects = bool | Literal["separate"]
_MODEL_LABEL = {True: "district_effects", False: "province", "separate": "separate"}
Selection = Literal["backward", "none"]


@dataclass(frozen=True)
class PMTModel:
    """A fitted PMT: coefficients per district, residual variances, selected terms, fit by district.

    ``coefficients``: ``district_code, term, estimate, model`` (``term`` ``intercept`` or a covariate; the
    district intercept is folded into ``intercept``; ``model`` ``pooled`` or ``separate``; the row set with
    the province code, e.g. ``64``, is the fallback for districts absent from the survey: pooled slopes and
    the weight-averaged intercept). ``residual_variance``: ``district_code, sigma2, n, source`` (``district``
    or ``province``). ``fit``: ``district_code`` (``all`` for the province), ``model, n, r2, rmse, cv_rmse,
    sigma2``.
    """

    coefficients: pl.DataFrame
    residual_variance: pl.DataFrame
    fit: pl.DataFrame
    terms: tuple[str, ...]
    dropped: tuple[str, ...]
    sigma2: float
    r2: float
    province_code: str
    district_effects: DistrictEffects
    selection: Selection
    folds: int
    seed: int
    welfare: str
    weight: str
    uses_members: bool
    reference_date: dt.date | None
    method_version: str = METHOD_VERSION
    snapshot_id: str | None = None


def field_of(term: str) -> str:
    """The field a covariate belongs to (all dummies of a code field, a variable and its missing indicator)."""
    name = term.removeprefix("missing_")
    for field in (*CODE_LEVELS, *MEMBER_CODE_LEVELS):
        if name == field or name.startswith(f"{field}_"):
            return field
    if name in ASSETS or name == "urban":
        return name
    if name in ("household_size", "log_household_size"):
        return "household_size"
    if name in ("floor_area_m2", "log_floor_area_pc"):
        return "floor_area"
    if name.startswith("electricity_va"):
        return "electricity_va"
    return term


def independent_columns(x: np.ndarray, w: np.ndarray, *, fixed: int = 0) -> list[int]:
    """Indices of the columns kept in order (R ``lm``'s rule): drop a column that is a combination of earlier ones.

    A sequential Cholesky factorisation of the weighted Gram matrix: column ``j`` is kept when its squared
    residual on the kept columns, relative to its squared norm, exceeds :data:`ALIAS_TOLERANCE`. The first
    ``fixed`` columns (intercept, district dummies) are always kept.
    """
    gram = (x * w[:, None]).T @ x
    kept: list[int] = []
    chol = np.zeros((0, 0))
    for j in range(x.shape[1]):
        norm = gram[j, j]
        z = solve_triangular(chol, gram[kept, j], lower=True) if kept else np.zeros(0)
        residual = norm - z @ z
        if norm > 0 and (j < fixed or residual / norm > ALIAS_TOLERANCE):
            size = len(kept)
            grown = np.zeros((size + 1, size + 1))
            grown[:size, :size] = chol
            grown[size, :size] = z
            grown[size, size] = np.sqrt(max(residual, np.finfo(float).tiny))
            chol = grown
            kept.append(j)
    return kept


def wls(x: np.ndarray, y: np.ndarray, w: np.ndarray, *, fixed: int = 1) -> np.ndarray:
    """Weighted least-squares coefficients; aliased columns (see ``independent_columns``) get 0.

    Normal equations on unit-scaled columns, solved by Cholesky and refined twice on the residuals (the
    refinement brings the solution to QR accuracy on these well-conditioned designs); when the Gram matrix is
    numerically not positive definite (nearly aliased columns in a small sample), least squares by SVD.
    """
    keep = independent_columns(x, w, fixed=min(fixed, x.shape[1]))
    xs = x[:, keep]
    scale = np.sqrt(np.sum(w[:, None] * xs**2, axis=0))
    xs = xs / scale
    try:
        factor = cho_factor((xs * w[:, None]).T @ xs)
    except np.linalg.LinAlgError:  # nearly aliased columns in a small sample: least squares by SVD instead
        root = np.sqrt(w)
        b = np.linalg.lstsq(xs * root[:, None], y * root, rcond=None)[0]
    else:
        b = np.zeros(len(keep))
        for _ in range(3):
            b = b + cho_solve(factor, xs.T @ (w * (y - xs @ b)))
    coef = np.zeros(x.shape[1])
    coef[keep] = b / scale
    return coef


def _folds(frame: pl.DataFrame, folds: int, seed: int) -> np.ndarray:
    cluster_cols: list[str] = [c for c in ("stratum", "psu") if c in frame.columns] or ["household_id"]
    cluster = frame.select(pl.concat_str([pl.col(c).cast(pl.Utf8) for c in cluster_cols], separator="|"))
    ids = cluster.to_series()
    unique = np.array(sorted(ids.unique().to_list()))
    if unique.size < folds:
        raise TargetingError(f"{folds}-fold cross-validation needs at least {folds} PSUs; the survey has {unique.size}")
    order = np.random.default_rng(seed).permutation(unique.size)
    fold_of = dict(zip(unique[order].tolist(), (np.arange(unique.size) % folds).tolist(), strict=True))
    return np.array([fold_of[v] for v in ids.to_list()])


def _cv_mse(gram: np.ndarray, cross: np.ndarray, yy: np.ndarray, wsum: float, cols: list[int]) -> float:
    """Cross-validated weighted MSE of the model on ``cols`` from per-fold Gram matrices (fold, p, p)."""
    total_g, total_c = gram.sum(axis=0), cross.sum(axis=0)
    sse = 0.0
    idx = np.ix_(cols, cols)
    for k in range(gram.shape[0]):
        g_train = total_g[idx] - gram[k][idx]
        c_train = total_c[cols] - cross[k][cols]
        try:
            b = np.linalg.solve(g_train, c_train)
        except np.linalg.LinAlgError:
            b = np.linalg.lstsq(g_train, c_train, rcond=None)[0]
        sse += float(yy[k] - 2 * b @ cross[k][cols] + b @ gram[k][idx] @ b)
    return sse / wsum


def _backward(x: np.ndarray, y: np.ndarray, w: np.ndarray, fold: np.ndarray, names: list[str], fixed: int) -> list[int]:
    """Backward elimination of whole fields by CV MSE; returns the kept column indices."""
    nfold = int(fold.max()) + 1
    gram = np.stack([(x[fold == k] * w[fold == k, None]).T @ x[fold == k] for k in range(nfold)])
    cross = np.stack([(x[fold == k] * w[fold == k, None]).T @ y[fold == k] for k in range(nfold)])
    yy = np.array([float(np.sum(w[fold == k] * y[fold == k] ** 2)) for k in range(nfold)])
    groups: dict[str, list[int]] = {}
    for j in range(fixed, x.shape[1]):
        groups.setdefault(field_of(names[j]), []).append(j)
    current = list(range(x.shape[1]))
    best = _cv_mse(gram, cross, yy, float(w.sum()), current)
    while groups:
        trials = {g: _cv_mse(gram, cross, yy, float(w.sum()), [c for c in current if c not in cols])
                  for g, cols in groups.items()}
        group, mse = min(trials.items(), key=lambda item: item[1])
        if mse > best:
            break
        best = mse
        removed = groups.pop(group)
        current = [c for c in current if c not in removed]
    return current


def _survey_frame(
    survey: ir.Table | pl.DataFrame, members: ir.Table | pl.DataFrame | None, welfare: str, weight: str,
    reference_date: dt.date | None,
) -> pl.DataFrame:
    table = as_table(survey, name="entas_pmt_survey")
    for column in (welfare, weight):
        if column not in table.columns:
            raise TargetingError(f"the survey has no column {column!r}")
    keep = [c for c in (welfare, weight, "stratum", "psu") if c in table.columns]
    member_table = None
    if members is not None:
        member_table = members if isinstance(members, ir.Table) else as_table(
            members, ibis.get_backend(table), "entas_pmt_members")
    return to_polars(covariate_table(table, member_table, reference_date=reference_date, keep=keep))


def _check_values(frame: pl.DataFrame, welfare: str, weight: str) -> None:
    bad_y = frame.filter(pl.col(welfare).is_null() | (pl.col(welfare) <= 0)).height
    if bad_y:
        raise TargetingError(f"{bad_y} survey households have missing or non-positive {welfare!r}: the PMT "
                             "models its logarithm; fix or remove them before fitting")
    bad_w = frame.filter(pl.col(weight).is_null() | (pl.col(weight) <= 0)).height
    if bad_w:
        raise TargetingError(f"{bad_w} survey households have missing or non-positive weights {weight!r}")


def _r2(y: np.ndarray, fitted: np.ndarray, w: np.ndarray) -> float:
    mean = np.sum(w * y) / np.sum(w)
    return float(1 - np.sum(w * (y - fitted) ** 2) / np.sum(w * (y - mean) ** 2))


def fit_pmt(
    survey: ir.Table | pl.DataFrame,
    members: ir.Table | pl.DataFrame | None = None,
    *,
    welfare: str = "consumption_pc_rp_month",
    weight: str = "weight",
    covariates: Sequence[str] | None = None,
    district_effects: DistrictEffects = True,
    selection: Selection = "backward",
    folds: int = 5,
    seed: int = 0,
    min_district_n: int = MIN_DISTRICT_N,
    reference_date: dt.date | None = None,
    snapshot_id: str | None = None,
) -> PMTModel:
    """Fit a PMT on survey households (raw schema columns, or the output of ``household_covariates``).

    ``members`` (the survey members) adds the member-based covariates; ``covariates`` restricts the
    candidates (default: every covariate the table holds). See the module docstring for the method.
    """
    if district_effects not in (True, False, "separate"):
        raise TargetingError(f"district_effects must be True, False or 'separate', not {district_effects!r}")
    if selection not in ("backward", "none"):
        raise TargetingError(f"selection must be 'backward' or 'none', not {selection!r}")
    if folds < 2:
        raise TargetingError(f"cross-validation needs at least 2 folds, not {folds}")
    frame = _survey_frame(survey, members, welfare, weight, reference_date)
    _check_values(frame, welfare, weight)
    candidates = list(covariates) if covariates is not None else [c for c in COVARIATES if c in frame.columns]
    unknown = [c for c in candidates if c not in frame.columns]
    if unknown:
        raise TargetingError(f"covariates not in the survey table: {', '.join(unknown)}")
    frame = frame.sort("household_id")
    districts = sorted(frame["district_code"].unique().to_list())
    n = frame.height
    y = np.log(frame[welfare].to_numpy().astype(np.float64))
    w = frame[weight].to_numpy().astype(np.float64)
    w = w * n / w.sum()
    dcode = frame["district_code"].to_numpy()
    dummies = districts[1:] if district_effects is not False else []
    names = ["intercept", *(f"district_{d}" for d in dummies), *candidates]
    x = np.column_stack([np.ones(n), *((dcode == d).astype(np.float64) for d in dummies),
                         *(frame[c].cast(pl.Float64).fill_null(0.0).to_numpy() for c in candidates)])
    fixed = 1 + len(dummies)
    if n <= x.shape[1]:
        raise TargetingError(f"{n} survey households cannot fit a PMT with {x.shape[1]} columns")
    kept = independent_columns(x, w, fixed=fixed)
    fold = _folds(frame, folds, seed)
    if selection == "backward":
        kept = [kept[j] for j in _backward(x[:, kept], y, w, fold, [names[k] for k in kept], fixed)]
    terms = tuple(names[k] for k in kept[fixed:])
    dropped = tuple(c for c in candidates if c not in terms)
    x = x[:, kept]
    coef = wls(x, y, w, fixed=fixed)
    p = x.shape[1]
    residual = y - x @ coef
    sigma2 = float(np.sum(w * residual**2) / (n - p))
    slopes = coef[fixed:]
    intercepts = {d: coef[0] + (coef[1 + dummies.index(d)] if d in dummies else 0.0) for d in districts}
    models = dict.fromkeys(districts, "pooled")
    rows: list[dict[str, Any]] = []
    coef_by: dict[str, np.ndarray] = {d: np.concatenate([[intercepts[d]], slopes]) for d in districts}
    xd_all = np.column_stack([np.ones(n), x[:, fixed:]])
    oof = np.empty(n)
    for k in range(folds):
        train = fold != k
        oof[~train] = x[~train] @ wls(x[train], y[train], w[train], fixed=fixed)
    fitted = x @ coef
    if district_effects == "separate":
        for d in districts:
            rows_d = dcode == d
            if rows_d.sum() >= max(min_district_n, 5 * (len(terms) + 1)):
                coef_by[d] = wls(xd_all[rows_d], y[rows_d], w[rows_d])
                models[d] = "separate"
                fitted[rows_d] = xd_all[rows_d] @ coef_by[d]
                for k in range(folds):
                    train, test = rows_d & (fold != k), rows_d & (fold == k)
                    if test.any():
                        oof[test] = xd_all[test] @ wls(xd_all[train], y[train], w[train])
    province = str(districts[0])[:2]
    weight_d = {d: float(w[dcode == d].sum()) for d in districts}
    fallback = np.concatenate([[sum(intercepts[d] * weight_d[d] for d in districts) / n], slopes])
    coefficients = pl.DataFrame(
        [{"district_code": d, "term": t, "estimate": float(v), "model": m}
         for d, c, m in [*((d, coef_by[d], models[d]) for d in districts), (province, fallback, "pooled")]
         for t, v in zip(("intercept", *terms), c, strict=True)],
        schema={"district_code": pl.Utf8, "term": pl.Utf8, "estimate": pl.Float64, "model": pl.Utf8},
    )
    variances = []
    for d in districts:
        rows_d = dcode == d
        n_d = int(rows_d.sum())
        r_d, w_d = (y - fitted)[rows_d], w[rows_d]
        p_d = len(independent_columns(xd_all[rows_d], w[rows_d], fixed=1))
        correction = n_d / (n_d - p_d) if models[d] == "separate" else n / (n - p)
        own = n_d >= MIN_VARIANCE_N
        s2 = float(np.sum(w_d * r_d**2) / w_d.sum() * correction) if own else sigma2
        variances.append({"district_code": d, "sigma2": s2, "n": n_d, "source": "district" if own else "province"})
        rows.append({"district_code": d, "model": models[d], "n": n_d, "r2": _r2(y[rows_d], fitted[rows_d], w_d),
                     "rmse": float(np.sqrt(np.sum(w_d * r_d**2) / w_d.sum())),
                     "cv_rmse": float(np.sqrt(np.sum(w_d * (y - oof)[rows_d] ** 2) / w_d.sum())), "sigma2": s2})
    variances.append({"district_code": province, "sigma2": sigma2, "n": n, "source": "province"})
    rows.append({"district_code": "all", "model": _MODEL_LABEL[district_effects], "n": n, "r2": _r2(y, fitted, w),
                 "rmse": float(np.sqrt(np.sum(w * (y - fitted) ** 2) / n)),
                 "cv_rmse": float(np.sqrt(np.sum(w * (y - oof) ** 2) / n)), "sigma2": sigma2})
    return PMTModel(
        coefficients=coefficients,
        residual_variance=pl.DataFrame(variances),
        fit=pl.DataFrame(rows),
        terms=terms,
        dropped=dropped,
        sigma2=sigma2,
        r2=_r2(y, x @ coef, w),
        province_code=province,
        district_effects=district_effects,
        selection=selection,
        folds=folds,
        seed=seed,
        welfare=welfare,
        weight=weight,
        uses_members=any(t in MEMBER_COVARIATES for t in terms),
        reference_date=reference_date,
        snapshot_id=snapshot_id,
    )


__all__ = ["MIN_DISTRICT_N", "MIN_VARIANCE_N", "PMTModel", "field_of", "fit_pmt", "independent_columns", "wls"]
