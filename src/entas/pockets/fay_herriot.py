"""Area-level small-area estimation: the Fay-Herriot model, its EBLUP and MSE, for areas with and without sample.

Model (Fay and Herriot 1979; Rao and Molina 2015, ch. 6): for area d = 1..m with a direct estimate y_d of
size-known sampling variance psi_d (the direct variance, taken as known) and area covariates x_d,

    y_d = theta_d + e_d,   theta_d = x_d' beta + u_d,   u_d ~ N(0, sigma2_u),   e_d ~ N(0, psi_d).

``sigma2_u`` is estimated by REML or ML with Fisher scoring exactly as R ``sae::eblupFH`` (Molina and Marhuenda
2015): start at ``median(psi)``, update ``A <- A + s(A)/F(A)`` with the score ``s`` and Fisher information
``F`` of the (restricted) likelihood, stop when ``|A_new - A|/A < precision`` (default 1e-4) or after
``max_iter`` (default 100) steps; a final value <= 0 is truncated at 0 (the EBLUP is then the synthetic
estimate) and ``warnings`` says so. Given A = sigma2_u, with ``V_d = A + psi_d``:
``beta = (X'V^-1 X)^-1 X'V^-1 y`` (covariance Q = (X'V^-1 X)^-1, normal-theory z tests), shrinkage
``gamma_d = A/(A + psi_d)``, and the EBLUP ``theta_d = x_d' beta + gamma_d (y_d - x_d' beta)``.

MSE (second-order unbiased, as ``sae::mseFH``), with ``B_d = psi_d/(A + psi_d)``:

- ``g1 = gamma_d psi_d``, ``g2 = B_d^2 x_d' Q x_d``, ``g3 = B_d^2 Var(A)/(A + psi_d)``, ``Var(A) = 2/sum V_d^-2``;
- REML: Prasad and Rao (1990) / Datta and Lahiri (2000): ``mse = g1 + g2 + 2 g3``;
- ML: Datta and Lahiri (2000): ``mse = g1 + g2 + 2 g3 - b_ML B_d^2`` with the ML bias of A
  ``b_ML = -tr(Q X'V^-2 X) / sum V_d^-2``.

**Areas with no sample** (in ``covariates`` but without a direct estimate, or with a null, NaN or zero direct
variance: a zero variance is what a domain with one PSU or with all-equal values gets, and it is not a real
zero) are not used in fitting and get the synthetic estimate ``x_d' beta`` with
``mse = sigma2_u + x_d' Q x_d`` (the model variance of u_d plus the variance of the estimated regression; the
o(1/m) term for estimating sigma2_u is left out, as in Rao and Molina 2015, sec. 6.2.3). Their ``gamma`` is 0.

Conventions: areas are keys (Kemendagri codes); every area of ``covariates`` gets one row; a direct estimate
for an area missing from ``covariates`` is an error. The model is linear: for a poverty rate near 0 an EBLUP
or synthetic value can fall below 0 — ``clip=(0, 1)`` clips the point estimates and interval ends (the MSE is
not changed; a clipped value is no farther from any true rate inside the bounds). Intervals are normal:
``eblup +/- z sqrt(mse)``.

Limits: sampling variances are taken as known (smooth them first, ``entas.pockets.area_inputs``); no spatial
or temporal correlation; no transformation (arcsine) of proportions; the MSE of a truncated sigma2_u = 0 uses
the same formulas (as sae), which understate it when many areas are truncated (Li and Lahiri 2010 adjust).

References: Fay, R.E. and Herriot, R.A. (1979), JASA 74, 269-277. Prasad, N.G.N. and Rao, J.N.K. (1990),
JASA 85, 163-171. Datta, G.S. and Lahiri, P. (2000), Statistica Sinica 10, 613-627. Rao, J.N.K. and Molina,
I. (2015), Small Area Estimation, 2nd ed., Wiley. Molina, I. and Marhuenda, Y. (2015), sae: an R package for
small area estimation, The R Journal 7(1). Proof: ``tests/pockets/test_fay_herriot_milk.py`` (R sae on the
milk data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import stats

from entas.errors import SmallAreaError

Method = Literal["REML", "ML"]
METHODS: tuple[Method, ...] = ("REML", "ML")
MSE_METHODS = {"REML": "Prasad-Rao", "ML": "Datta-Lahiri"}
SYNTHETIC_MSE = "synthetic: sigma2_u + x'Qx"
METHOD_VERSION = "entas.pockets.fay_herriot 0.1"
INTERCEPT = "(Intercept)"

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FayHerriotResult:
    """A fitted Fay-Herriot model and its estimates.

    ``areas``: one row per area of the covariates: ``area, direct, direct_variance, in_sample, gamma,
    synthetic, eblup, mse, se, cv, ci_low, ci_high, method, mse_method`` (``direct`` and ``direct_variance``
    null out of sample; ``mse_method`` names the formula used for that row). ``coefficients``: ``term,
    estimate, se, z, p_value``. ``sigma2_u`` is the estimate used (>= 0); ``sigma2_u_unconstrained`` the
    last Fisher-scoring value before truncation. ``warnings``: truncation, no convergence.
    """

    method: Method
    sigma2_u: float
    sigma2_u_unconstrained: float
    coefficients: pl.DataFrame
    areas: pl.DataFrame
    converged: bool
    iterations: int
    log_likelihood: float
    aic: float
    bic: float
    n_in_sample: int
    n_out_of_sample: int
    warnings: tuple[str, ...]
    method_version: str = METHOD_VERSION

    @property
    def truncated(self) -> bool:
        """Whether sigma2_u was truncated at 0 (the EBLUP is then the synthetic estimate everywhere)."""
        return self.sigma2_u_unconstrained <= 0.0


@dataclass(frozen=True)
class _Fit:
    sigma2_u: float
    unconstrained: float
    beta: Array
    q: Array
    iterations: int
    converged: bool


def _gls(x: Array, y: Array, psi: Array, a: float) -> tuple[Array, Array, Array]:
    """beta, Q = (X'V^-1 X)^-1 and V^-1 at sigma2_u = a."""
    vi = 1.0 / (a + psi)
    xtvi = (x * vi[:, None]).T
    try:
        q = np.asarray(np.linalg.inv(xtvi @ x), dtype=np.float64)
    except np.linalg.LinAlgError as error:
        raise SmallAreaError("the covariates are collinear on the sampled areas (X'V^-1 X is singular)") from error
    return q @ (xtvi @ y), q, vi


def _score_step(x: Array, y: Array, psi: Array, a: float, method: Method) -> float:
    """One Fisher-scoring increment s/F of the (restricted) log-likelihood in sigma2_u at ``a``."""
    beta, q, vi = _gls(x, y, psi, a)
    res = y - x @ beta
    if method == "ML":
        s = -0.5 * vi.sum() + 0.5 * np.sum(vi**2 * res**2)
        f = 0.5 * np.sum(vi**2)
    else:
        # P = V^-1 - V^-1 X Q X' V^-1 without forming the m x m matrix: Py = V^-1 res,
        # tr P = sum V^-1 - tr(Q X'V^-2 X), tr P^2 = sum V^-2 - 2 tr(Q X'V^-3 X) + tr((Q X'V^-2 X)^2)
        m2 = q @ ((x * (vi**2)[:, None]).T @ x)
        m3 = q @ ((x * (vi**3)[:, None]).T @ x)
        trace_p = vi.sum() - np.trace(m2)
        trace_pp = np.sum(vi**2) - 2.0 * np.trace(m3) + np.trace(m2 @ m2)
        py = vi * res
        s = -0.5 * trace_p + 0.5 * float(py @ py)
        f = 0.5 * trace_pp
    return float(s / f)


def _fit(x: Array, y: Array, psi: Array, method: Method, precision: float, max_iter: int) -> _Fit:
    a = float(np.median(psi))
    k, diff = 0, precision + 1.0
    while diff > precision and k < max_iter:
        k += 1
        new = a + _score_step(x, y, psi, a, method)
        diff = abs((new - a) / a) if a != 0 else float("inf")
        a = new
    converged = not (k >= max_iter and diff >= precision)
    sigma2_u = max(a, 0.0)
    beta, q, _ = _gls(x, y, psi, sigma2_u)
    return _Fit(sigma2_u=sigma2_u, unconstrained=a, beta=beta, q=q, iterations=k, converged=converged)


def _design(frame: pl.DataFrame, columns: Sequence[str], intercept: bool) -> Array:
    x = frame.select(pl.col(c).cast(pl.Float64) for c in columns).to_numpy()
    if intercept:
        x = np.column_stack([np.ones(frame.height), x])
    return np.asarray(x, dtype=np.float64)


def _check(direct: pl.DataFrame, covariates: pl.DataFrame, area: str, estimate: str, variance: str,
           columns: Sequence[str]) -> None:
    for name, frame, needed in (("direct", direct, [area, estimate, variance]), ("covariates", covariates,
                                                                                 [area, *columns])):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise SmallAreaError(f"{name} table lacks columns {missing}")
        duplicated = frame.filter(pl.col(area).is_duplicated())[area].unique().sort().to_list()
        if duplicated:
            raise SmallAreaError(f"{name} table has several rows for areas {duplicated[:10]}")
        if frame[area].null_count():
            raise SmallAreaError(f"{name} table has {frame[area].null_count()} rows without an area")
    bad_types = [c for c in columns if not covariates.schema[c].is_numeric() and covariates.schema[c] != pl.Boolean]
    if bad_types:
        raise SmallAreaError(f"covariates must be numeric or boolean; not {bad_types} (make dummies first)")
    nonfinite = [c for c in columns if not covariates[c].cast(pl.Float64).is_finite().fill_null(False).all()]
    if nonfinite:
        raise SmallAreaError(f"covariates {nonfinite} have missing or non-finite values")
    unknown = direct.join(covariates.select(area), on=area, how="anti")[area].to_list()
    if unknown:
        raise SmallAreaError(f"{len(unknown)} areas have a direct estimate but no covariates: {unknown[:10]}")
    psi = direct[variance].cast(pl.Float64)
    if (psi < 0).any() or psi.is_infinite().any():
        raise SmallAreaError(f"direct variances must be >= 0 and finite; {variance!r} has negative or infinite values")


def fay_herriot(
    direct: pl.DataFrame,
    covariates: pl.DataFrame,
    *,
    area: str = "area_code",
    estimate: str = "estimate",
    variance: str = "variance",
    method: Method = "REML",
    columns: Sequence[str] | None = None,
    intercept: bool = True,
    precision: float = 1e-4,
    max_iter: int = 100,
    clip: tuple[float, float] | None = None,
    confidence: float = 0.95,
) -> FayHerriotResult:
    """Fit the Fay-Herriot model and return the EBLUP and MSE of every area (see the module docstring).

    ``direct``: one row per sampled area with ``area``, ``estimate`` and ``variance`` (the sampling variance,
    se**2). ``covariates``: one row per area to estimate, with ``area`` and the covariates ``columns``
    (default: every other numeric or boolean column); an intercept is added unless ``intercept=False``.
    ``method``: ``"REML"`` (MSE Prasad-Rao) or ``"ML"`` (MSE Datta-Lahiri). ``precision`` and ``max_iter``:
    the stopping rule of sae::eblupFH. ``clip``: optional bounds for the point estimates.

    Raises SmallAreaError for missing or duplicated areas, non-numeric or missing covariates, negative
    variances, collinear covariates, or fewer sampled areas than parameters + 1.
    """
    if method not in METHODS:
        raise SmallAreaError(f"method must be 'REML' or 'ML', got {method!r}")
    if not precision > 0 or max_iter < 1:
        raise SmallAreaError(f"precision must be > 0 and max_iter >= 1, got {precision} and {max_iter}")
    if not 0 < confidence < 1:
        raise SmallAreaError(f"confidence must be in (0, 1), got {confidence}")
    if clip is not None and not clip[0] < clip[1]:
        raise SmallAreaError(f"clip must be (low, high) with low < high, got {clip}")
    if area not in covariates.columns:
        raise SmallAreaError(f"covariates table lacks the area column {area!r}")
    used = list(columns) if columns is not None else [
        c for c, t in covariates.schema.items() if c != area and (t.is_numeric() or t == pl.Boolean)]
    _check(direct, covariates, area, estimate, variance, used)

    cov = covariates.select(pl.col(area).cast(pl.Utf8).alias("area"), *used)
    d = direct.select(pl.col(area).cast(pl.Utf8).alias("area"), pl.col(estimate).cast(pl.Float64).alias("direct"),
                      pl.col(variance).cast(pl.Float64).alias("direct_variance"))
    frame = cov.join(d, on="area", how="left", maintain_order="left").with_columns(
        in_sample=pl.col("direct").is_not_null() & pl.col("direct").is_not_nan()
        & pl.col("direct_variance").is_not_null() & pl.col("direct_variance").is_not_nan()
        & (pl.col("direct_variance") > 0))
    x_all = _design(frame, used, intercept)
    sampled = frame["in_sample"].to_numpy()
    x, y = x_all[sampled], frame.filter("in_sample")["direct"].to_numpy()
    psi = frame.filter("in_sample")["direct_variance"].to_numpy()
    m, p = x.shape
    if m < p + 1:
        raise SmallAreaError(f"{m} sampled areas (with a direct estimate and a positive variance) cannot fit "
                             f"{p} regression coefficients and sigma2_u; need at least {p + 1}")
    if np.linalg.matrix_rank(x) < p:
        raise SmallAreaError("the covariates are collinear on the sampled areas (drop or merge some columns)")

    fit = _fit(x, y, psi, method, precision, max_iter)
    a, q = fit.sigma2_u, fit.q
    warnings: list[str] = []
    if fit.unconstrained <= 0:
        warnings.append(f"sigma2_u estimate {fit.unconstrained:.6g} <= 0 truncated at 0: every EBLUP is synthetic")
    if not fit.converged:
        warnings.append(f"{method} Fisher scoring did not converge in {max_iter} iterations")

    synthetic_all = x_all @ fit.beta
    xqx_all = np.einsum("ij,jk,ik->i", x_all, q, x_all)
    vi = 1.0 / (a + psi)
    gamma = a * vi
    b = psi * vi
    synthetic = synthetic_all[sampled]
    eblup = synthetic + gamma * (y - synthetic)
    var_a = 2.0 / np.sum(vi**2)
    mse = gamma * psi + b**2 * xqx_all[sampled] + 2.0 * b**2 * var_a * vi
    if method == "ML":
        bias = -np.trace(q @ ((x * (vi**2)[:, None]).T @ x)) / np.sum(vi**2)
        mse = mse - bias * b**2

    eblup_all = synthetic_all.copy()
    eblup_all[sampled] = eblup
    mse_all = a + xqx_all
    mse_all[sampled] = mse
    gamma_all = np.zeros(frame.height)
    gamma_all[sampled] = gamma
    if clip is not None:
        eblup_all = np.clip(eblup_all, *clip)
        synthetic_all = np.clip(synthetic_all, *clip)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    se_all = np.sqrt(mse_all)
    areas = frame.select("area", "direct", "direct_variance", "in_sample").with_columns(
        gamma=pl.Series(gamma_all), synthetic=pl.Series(synthetic_all), eblup=pl.Series(eblup_all),
        mse=pl.Series(mse_all), se=pl.Series(se_all),
    ).with_columns(
        cv=pl.when(pl.col("eblup") != 0).then(pl.col("se") / pl.col("eblup").abs()).otherwise(None),
        ci_low=(pl.col("eblup") - z * pl.col("se")).clip(*(clip or (None, None))),
        ci_high=(pl.col("eblup") + z * pl.col("se")).clip(*(clip or (None, None))),
        method=pl.lit(method),
        mse_method=pl.when("in_sample").then(pl.lit(MSE_METHODS[method])).otherwise(pl.lit(SYNTHETIC_MSE)),
    )

    se_beta = np.sqrt(np.diag(q))
    z_beta = fit.beta / se_beta
    terms = ([INTERCEPT] if intercept else []) + used
    coefficients = pl.DataFrame({"term": terms, "estimate": fit.beta, "se": se_beta, "z": z_beta,
                                 "p_value": 2.0 * stats.norm.sf(np.abs(z_beta))})
    resid = y - synthetic
    loglike = float(-0.5 * (np.sum(np.log(2.0 * np.pi * (a + psi))) + np.sum(resid**2 / (a + psi))))
    return FayHerriotResult(
        method=method, sigma2_u=a, sigma2_u_unconstrained=fit.unconstrained, coefficients=coefficients,
        areas=areas, converged=fit.converged, iterations=fit.iterations, log_likelihood=loglike,
        aic=-2.0 * loglike + 2.0 * (p + 1), bic=-2.0 * loglike + (p + 1) * float(np.log(m)),
        n_in_sample=int(m), n_out_of_sample=int(frame.height - m), warnings=tuple(warnings),
    )
