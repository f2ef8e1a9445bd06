"""The nested-error (Battese-Harter-Fuller) linear mixed model, fitted by REML or ML from per-area sums.

Model (Battese, Harter and Fuller 1988; the basis of Molina and Rao 2010's empirical best predictor): for
unit j of area d,

    y_dj = x_dj' beta + u_d + e_dj,   u_d ~ N(0, s2u),   e_dj ~ N(0, s2e),   all independent,

with y the log of per-capita consumption in entas's use (``entas.pockets.ebp``). It is R's
``lme4::lmer(y ~ x + (1 | area))`` and ``nlme::lme(y ~ x, random = ~ 1 | area)``.

Method: the covariance of area d is ``V_d = s2e (I + lambda J)`` with ``lambda = s2u / s2e``, whose inverse
and determinant have closed forms, so the likelihood needs only the pooled within-area cross-products of
(X, y) and each area's size and means: no n x n matrix is formed. With ``w_d = 1 / (1 + lambda n_d)``,

    A(lambda) = W_xx + sum_d w_d n_d xbar_d xbar_d',   b(lambda) = W_xy + sum_d w_d n_d xbar_d ybar_d,
    beta(lambda) = A^-1 b,   Q(lambda) = W_yy + sum_d w_d n_d ybar_d^2 - b' beta,

and ``s2e`` is profiled out (``Q / (n - p)`` for REML, ``Q / n`` for ML). The profiled criterion

    REML: (n - p) log Q + sum_d log(1 + lambda n_d) + log |A|     ML: n log Q + sum_d log(1 + lambda n_d)

is minimised over ``lambda >= 0`` by a grid on log(lambda) followed by Brent's root search on its analytic
derivative (machine precision, unlike a derivative-free optimiser), with ``lambda = 0`` (no area variance,
lme4's "singular fit") when the derivative is non-negative at zero. The BLUP of ``u_d`` is
``gamma_d (ybar_d - xbar_d' beta)`` with ``gamma_d = s2u / (s2u + s2e / n_d) = 1 - w_d``; ``cov(beta)`` is
``s2e A^-1``. ``loglik`` is lme4's ``logLik`` (its REML criterion for REML fits).

Checked against lme4 and nlme (tests/fixtures/pockets/make_ebp_reference.R) to 1e-6 relative.

Limits: one random intercept (no random slopes, no heteroscedastic ``e``); survey weights are not used (the
model-based fit of Molina and Rao 2010); covariates must not be collinear (an error names the columns);
``lambda`` is searched up to 1e8 (areas whose effect dwarfs the unit noise are effectively fixed effects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import linalg, optimize

from entas.errors import SmallAreaError

Method = Literal["REML", "ML"]
METHODS: tuple[Method, ...] = ("REML", "ML")
INTERCEPT = "(Intercept)"
_GRID = np.concatenate(([0.0], np.logspace(-8, 8, 33)))
_ALIAS_TOL = 1e-9

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NestedErrorFit:
    """A fitted nested-error model: coefficients, variance components, and every sampled area's BLUP.

    ``terms``: names of the columns of ``beta`` (``(Intercept)`` first when fitted with an intercept).
    ``areas``: the sampled areas (sorted labels), aligned with ``n_area``, ``mean_y``, ``mean_x``, ``gamma``
    and ``random_effects`` (the BLUPs ``u_d``). ``n``: units in the fit.
    """

    method: Method
    terms: tuple[str, ...]
    beta: FloatArray
    beta_cov: FloatArray
    sigma2_u: float
    sigma2_e: float
    areas: tuple[str, ...]
    n_area: npt.NDArray[np.int64]
    mean_y: FloatArray
    mean_x: FloatArray
    gamma: FloatArray
    random_effects: FloatArray
    loglik: float
    n: int
    intercept: bool

    def coefficients(self) -> pl.DataFrame:
        """One row per term: ``term, estimate, se``."""
        return pl.DataFrame({"term": list(self.terms), "estimate": self.beta,
                             "se": np.sqrt(np.diag(self.beta_cov))})

    def effects(self) -> pl.DataFrame:
        """One row per sampled area: ``area, n_sample, gamma, random_effect`` (the BLUP of ``u_d``)."""
        return pl.DataFrame({"area": list(self.areas), "n_sample": self.n_area, "gamma": self.gamma,
                             "random_effect": self.random_effects})

    def area_terms(self, areas: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """For each area label: the predicted area effect (its BLUP, 0 when unsampled) and the conditional SD.

        The SD of a non-sampled unit's response given the sample is ``sqrt(s2e + s2u (1 - gamma_d))``
        (``gamma_d = 0`` for an area without sample, so ``sqrt(s2e + s2u)``).
        """
        index = {a: i for i, a in enumerate(self.areas)}
        pos = np.array([index.get(a, -1) for a in areas], dtype=np.int64)
        found = pos >= 0
        shift = np.where(found, self.random_effects[np.maximum(pos, 0)], 0.0) if len(pos) else np.zeros(0)
        gamma = np.where(found, self.gamma[np.maximum(pos, 0)], 0.0) if len(pos) else np.zeros(0)
        return shift, np.sqrt(self.sigma2_e + self.sigma2_u * (1.0 - gamma))


@dataclass(frozen=True)
class _Sums:
    """Pooled within-area cross-products and per-area sizes and means: all the fit needs."""

    n: int
    n_area: FloatArray
    mean_x: FloatArray
    mean_y: FloatArray
    wxx: FloatArray
    wxy: FloatArray
    wyy: float


def _x_sums(x: FloatArray, index: npt.NDArray[np.intp], m: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Area sizes, area means of x and the pooled within-area cross-products of x: fixed for a design."""
    n_area = np.bincount(index, minlength=m).astype(np.float64)
    order = np.argsort(index, kind="stable")
    starts = np.r_[0, np.cumsum(n_area[:-1])].astype(np.intp)
    mean_x: FloatArray = np.add.reduceat(x[order], starts, axis=0) / n_area[:, None]
    xc = x - mean_x[index]
    return n_area, mean_x, xc.T @ xc


def _sums(y: FloatArray, design: NestedErrorDesign) -> _Sums:
    n_area, mean_x = design.n_area, design.mean_x
    mean_y = np.bincount(design.index, weights=y, minlength=len(n_area)) / n_area
    yc = y - mean_y[design.index]
    xc_y = design.x.T @ yc  # = W_xy: the area means of x are orthogonal to within-area deviations of y
    return _Sums(n=len(y), n_area=n_area, mean_x=mean_x, mean_y=mean_y, wxx=design.wxx, wxy=xc_y,
                 wyy=float(yc @ yc))


@dataclass(frozen=True)
class _Profile:
    """The profiled criterion at one lambda, its derivative, and the GLS pieces (``a``: X' V*^-1 X)."""

    criterion: float
    derivative: float
    beta: FloatArray
    a: FloatArray
    q: float
    log_det_a: float
    w: FloatArray


def _profile(s: _Sums, lam: float, method: Method, *, derivative: bool = True) -> _Profile:
    w = 1.0 / (1.0 + lam * s.n_area)
    between = s.n_area * w
    a = s.wxx + (s.mean_x * between[:, None]).T @ s.mean_x
    b = s.wxy + s.mean_x.T @ (between * s.mean_y)
    try:
        chol = np.asarray(np.linalg.cholesky(a), dtype=np.float64)
    except np.linalg.LinAlgError as error:
        raise SmallAreaError("the covariates' cross-product matrix is not positive definite") from error
    # numpy's solvers, not scipy's triangular ones: scipy's threaded OpenBLAS trsm is ~100x slower on these small
    # systems when the cores are busy
    need_trace = derivative and method == "REML"
    solved = np.linalg.solve(a, np.column_stack([b, s.mean_x.T]) if need_trace else b[:, None])
    beta = np.asarray(solved[:, 0], dtype=np.float64)
    q = s.wyy + float(between @ s.mean_y**2) - float(b @ beta)
    log_det_a = 2.0 * float(np.sum(np.log(np.diag(chol))))
    p = len(beta)
    log_det_v = float(np.sum(np.log1p(lam * s.n_area)))
    dof = s.n - p if method == "REML" else s.n
    criterion = dof * np.log(q) + log_det_v + (log_det_a if method == "REML" else 0.0)
    if not derivative:
        return _Profile(float(criterion), float("nan"), beta, a, q, log_det_a, w)
    resid = between * (s.mean_y - s.mean_x @ beta)  # w_d * (area sum of residuals)
    dq = -float(resid @ resid)
    dlogdet_v = float(np.sum(between))
    # REML: d log|A| / d lambda = -sum_d (n_d w_d)^2 xbar_d' A^-1 xbar_d
    trace = float(between**2 @ np.sum(s.mean_x.T * solved[:, 1:], axis=0)) if need_trace else 0.0
    slope = dof * dq / q + dlogdet_v - trace
    return _Profile(float(criterion), float(slope), beta, a, q, log_det_a, w)


def _optimum(s: _Sums, method: Method, start: float | None = None) -> float:
    """The lambda >= 0 minimising the profiled criterion: a root of its derivative, bracketed by a grid.

    With ``start`` (a guess of lambda), the bracket [start/4, 4 start] is tried first; the grid is the fallback.
    """
    def derivative(lam: float) -> float:
        return _profile(s, lam, method).derivative

    if start is not None and start > 0 and derivative(start / 4) < 0 < derivative(start * 4):
        return _root(derivative, start / 4, start * 4)
    values = np.array([_profile(s, lam, method, derivative=False).criterion for lam in _GRID])
    best = int(np.argmin(values))
    if best == len(_GRID) - 1:
        raise SmallAreaError("the area variance diverges (lambda = s2u/s2e above 1e8): the areas are separated "
                             "perfectly by their effects; fit them as fixed effects instead")
    low, high = _GRID[max(best - 1, 0)], _GRID[best + 1]
    if best == 0 and derivative(0.0) >= 0:  # no area variance (lme4's "singular fit")
        return 0.0
    if derivative(low) < 0 < derivative(high):
        return _root(derivative, low, high)
    found = optimize.minimize_scalar(lambda lam: _profile(s, lam, method, derivative=False).criterion,
                                     bounds=(low, high), method="bounded", options={"xatol": 1e-12 * high})
    return float(found.x)


def _root(derivative: Callable[[float], float], low: float, high: float) -> float:
    root: float = optimize.brentq(derivative, low, high, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    return root


def _check(x: FloatArray, area: npt.NDArray[np.str_], terms: Sequence[str]) -> None:
    if x.ndim != 2 or area.shape != (x.shape[0],):
        raise SmallAreaError(f"x ({x.shape}) and area ({area.shape}) must have the same rows")
    finite: npt.NDArray[np.bool_] = np.asarray(np.isfinite(x).all(axis=0))
    bad = [t for k, t in enumerate(terms) if not finite[k]]
    if bad:
        raise SmallAreaError(f"covariates with missing or non-finite values: {bad}")
    n, p = x.shape
    if n <= p + 1:
        raise SmallAreaError(f"{n} units cannot fit {p} coefficients and two variance components")
    if len(np.unique(area)) < 2:
        raise SmallAreaError("the nested-error model needs at least two sampled areas")
    scale = np.sqrt(np.sum(x * x, axis=0))
    r, pivots = linalg.qr(x / np.where(scale > 0, scale, 1.0), mode="r", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > _ALIAS_TOL * diag[0])) if diag.size else 0
    if rank < p or np.any(scale == 0):
        aliased = sorted({terms[i] for i in pivots[rank:]} | {t for t, s in zip(terms, scale, strict=True) if s == 0})
        raise SmallAreaError(f"covariates are collinear (or constant zero) in the sample; drop one of: {aliased}")


@dataclass(frozen=True)
class NestedErrorDesign:
    """The checked design of a fit (covariate matrix with its intercept, area index): fit several responses.

    Built by ``nested_error_design``; ``fit(y)`` fits one response (the parametric bootstrap refits many).
    """

    x: FloatArray
    terms: tuple[str, ...]
    areas: tuple[str, ...]
    index: npt.NDArray[np.intp]
    intercept: bool
    n_area: FloatArray
    mean_x: FloatArray
    wxx: FloatArray

    def fit(self, y: npt.ArrayLike, *, method: Method = "REML", start: float | None = None) -> NestedErrorFit:
        """Fit the model to the response ``y`` (one value per row of ``x``) by REML or ML.

        ``start``: a guess of ``s2u / s2e`` (the bootstrap passes the fitted one) bracketing the optimum
        first; the grid search is the fallback.
        """
        if method not in METHODS:
            raise SmallAreaError(f"unknown fitting method {method!r}; choose one of {', '.join(METHODS)}")
        yv = np.asarray(y, dtype=np.float64)
        if yv.shape != (self.x.shape[0],):
            raise SmallAreaError(f"the response has shape {yv.shape}; the design has {self.x.shape[0]} rows")
        if not np.isfinite(yv).all():
            raise SmallAreaError(f"the response has {int((~np.isfinite(yv)).sum())} missing or non-finite values")
        s = _sums(yv, self)
        lam = _optimum(s, method, start)
        prof = _profile(s, lam, method)
        dof = s.n - self.x.shape[1] if method == "REML" else s.n
        s2e = prof.q / dof
        gamma = 1.0 - prof.w
        log_det_v = float(np.sum(np.log1p(lam * s.n_area)))
        extra = prof.log_det_a if method == "REML" else 0.0
        loglik = -0.5 * (log_det_v + extra + dof * (1.0 + np.log(2.0 * np.pi * s2e)))
        cov_unscaled = np.linalg.inv(prof.a)
        return NestedErrorFit(
            method=method, terms=self.terms, beta=_frozen(prof.beta), beta_cov=_frozen(s2e * cov_unscaled),
            sigma2_u=float(lam * s2e), sigma2_e=float(s2e), areas=self.areas,
            n_area=_frozen(s.n_area.astype(np.int64)), mean_y=_frozen(s.mean_y), mean_x=_frozen(s.mean_x),
            gamma=_frozen(gamma), random_effects=_frozen(gamma * (s.mean_y - s.mean_x @ prof.beta)),
            loglik=float(loglik), n=s.n, intercept=self.intercept,
        )


def nested_error_design(
    x: npt.ArrayLike, area: npt.ArrayLike, *, covariates: Sequence[str] | None = None, intercept: bool = True,
) -> NestedErrorDesign:
    """Check and hold the covariates ``x`` (n x k, without intercept) and the ``area`` label of each unit.

    ``covariates``: names of x's columns (default x1..xk); ``intercept``: prepend a column of ones. Raises
    SmallAreaError for non-finite covariates, fewer than two areas, too few units, or collinear covariates.
    """
    xv = np.asarray(x, dtype=np.float64)
    if xv.ndim == 1:
        xv = xv[:, None]
    names = list(covariates) if covariates is not None else [f"x{k + 1}" for k in range(xv.shape[1])]
    if len(names) != xv.shape[1]:
        raise SmallAreaError(f"{len(names)} covariate names for {xv.shape[1]} columns of x")
    if intercept:
        xv = np.column_stack([np.ones(xv.shape[0]), xv])
        names = [INTERCEPT, *names]
    labels = np.asarray(area).astype(str)
    _check(xv, labels, names)
    areas, index = np.unique(labels, return_inverse=True)
    index = index.astype(np.intp)
    n_area, mean_x, wxx = _x_sums(xv, index, len(areas))
    return NestedErrorDesign(x=_frozen(xv), terms=tuple(names), areas=tuple(str(a) for a in areas),
                             index=_frozen(index), intercept=intercept, n_area=_frozen(n_area),
                             mean_x=_frozen(mean_x), wxx=_frozen(wxx))


def fit_nested_error(
    y: npt.ArrayLike,
    x: npt.ArrayLike,
    area: npt.ArrayLike,
    *,
    covariates: Sequence[str] | None = None,
    method: Method = "REML",
    intercept: bool = True,
) -> NestedErrorFit:
    """Fit ``y = x'beta + u_area + e`` by REML (default) or ML; see the module docstring.

    ``y``: response (n); ``x``: covariates (n x k) without the intercept column, which is added when
    ``intercept`` is true; ``area``: the area label of each unit; ``covariates``: names of x's columns.
    """
    design = nested_error_design(x, area, covariates=covariates, intercept=intercept)
    return design.fit(y, method=method)


def _frozen(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values = np.array(values)
    values.flags.writeable = False
    return values


def independent_columns(
    x: npt.ArrayLike, covariates: Sequence[str], *, intercept: bool = True, tolerance: float = 1e-7,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split ``covariates`` (the columns of ``x``) into those kept and those dropped as constant or collinear.

    Columns are taken in order, as R's ``lm`` aliases them: a column is dropped when, scaled to unit length,
    its part orthogonal to the intercept (when ``intercept``) and to the columns kept before it is shorter than
    ``tolerance``. A dummy that is 0 for every sampled household, or a level that is the complement of
    others, is dropped this way. Returns ``(kept, dropped)``.
    """
    xv = np.asarray(x, dtype=np.float64)
    names = list(covariates)
    if xv.ndim != 2 or xv.shape[1] != len(names):
        raise SmallAreaError(f"{len(names)} covariate names for an x of shape {xv.shape}")
    basis: list[FloatArray] = [np.full(xv.shape[0], 1.0 / np.sqrt(xv.shape[0]))] if intercept else []
    kept: list[str] = []
    dropped: list[str] = []
    for k, name in enumerate(names):
        column = xv[:, k]
        norm = float(np.sqrt(column @ column))
        if not np.isfinite(norm) or norm == 0.0:
            dropped.append(name)
            continue
        residual = column / norm
        for _ in range(2):  # classical Gram-Schmidt, reorthogonalised once
            if basis:
                q = np.stack(basis, axis=1)
                residual = residual - q @ (q.T @ residual)
        length = float(np.sqrt(residual @ residual))
        if length < tolerance:
            dropped.append(name)
        else:
            kept.append(name)
            basis.append(residual / length)
    return tuple(kept), tuple(dropped)
