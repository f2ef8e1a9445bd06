"""Poverty and inequality from grouped data (PovcalNet-style), when only a distribution table is published.

What it computes
----------------
From the points ``(p_i, L_i)`` of an empirical Lorenz curve (cumulative population and welfare shares), the
mean ``mu`` and a poverty line ``z``, fit the general quadratic (GQ) and the beta Lorenz curves and compute from
each the headcount ``H``, poverty gap ``PG``, squared poverty gap ``SPG`` and Gini, the validity checks, and the
fit. Then choose one curve. The curves and formulas are in ``grouped_lorenz.py``.

Method (Datt 1998; PovcalNet/PIP, wbpip)
----------------------------------------
- The last point (1, 1) is dropped before fitting: both forms pass through it by construction. A leading
  (0, 0) point is dropped too.
- GQ: ordinary least squares, no intercept, of ``L(1 - L)`` on ``(p**2 - L)``, ``L(p - 1)``, ``(p - L)``;
  the coefficients are ``a, b, c``.
- Beta: ordinary least squares of ``log(p - L)`` on a constant, ``log p`` and ``log(1 - p)``;
  ``theta = exp(constant)``, ``gamma`` and ``delta`` the slopes.
- ``sse`` is the sum of ``(L_i - Lhat(p_i))**2`` over the fitted points (all but (1, 1));
  ``sse_to_headcount`` sums the points with ``p_i < H`` and the first point at or above ``H``, which may be
  (1, 1) (wbpip ``gd_compute_fit_lq``; a GQ curve with ``a + c < 1`` misses (1, 1) by ``1 - a - c``).

Choice between the curves (documented rule)
-------------------------------------------
A curve is *usable* when it passes every validity check and its headcount equation has a solution in
``[0, 1]``. If both are usable, the one with the smaller ``sse_to_headcount`` is chosen (PovcalNet's rule for
poverty measures); if one is usable it is chosen; if neither is, nothing is chosen and asking the result for a
measure raises ``GroupedDataError`` naming the failed checks (PovcalNet would still report a number). Both
fits stay in the result for inspection.

Conventions and limits
----------------------
Shares are person shares (population, not households). The fitted curves are continuous, so the strict
``y < z`` convention makes no difference here. ``mean`` must be the mean of the same welfare concept and unit as
``line``. Grouped-data estimates carry no sampling error; a fitted curve smooths the table, so numbers differ
from the unit-record values (see the groupdata QA comparison in tests/fixtures/grouped/README.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from entas.errors import GroupedDataError
from entas.measure.grouped_lorenz import (
    BetaLorenz,
    FloatArray,
    GQLorenz,
    LorenzCurve,
    LorenzForm,
    ValidityRule,
)

METHOD_VERSION = "grouped-lorenz/1"
_EXACT = 1e-9  # tolerance for "p and L end at exactly 1"


@dataclass(frozen=True)
class CumulativeShares:
    """An empirical Lorenz curve: cumulative population shares ``p`` and welfare shares ``lorenz``.

    ``mean`` is the welfare mean implied by class means, or NaN when the table came as shares only.
    """

    p: tuple[float, ...]
    lorenz: tuple[float, ...]
    mean: float = math.nan


def shares_from_classes(class_means: ArrayLike, population_shares: ArrayLike) -> CumulativeShares:
    """Convert a table of classes (mean welfare of each class, share of persons in it) to cumulative shares.

    Classes must be ordered from poorest to richest. Shares may be fractions or percentages: they are
    normalized by their sum. The implied mean ``sum(share * class_mean) / sum(share)`` is returned too.
    """
    means = np.asarray(class_means, dtype=np.float64)
    shares = np.asarray(population_shares, dtype=np.float64)
    if means.ndim != 1 or shares.ndim != 1 or means.shape != shares.shape:
        raise GroupedDataError(
            "class_means and population_shares must be 1-D of equal length, "
            f"got shapes {means.shape} and {shares.shape}"
        )
    if not (np.all(np.isfinite(means)) and np.all(np.isfinite(shares))):
        raise GroupedDataError("class_means and population_shares must be finite (no NaN or infinity)")
    if np.any(shares <= 0):
        raise GroupedDataError(f"population_shares must be > 0; class {int(np.argmin(shares))} has {shares.min()}")
    if np.any(means <= 0):
        raise GroupedDataError(f"class_means must be > 0; class {int(np.argmin(means))} has {means.min()}")
    if np.any(np.diff(means) < 0):
        i = int(np.flatnonzero(np.diff(means) < 0)[0])
        raise GroupedDataError(f"classes must be ordered poorest first; class {i + 1} has a lower mean than class {i}")
    totals = shares * means
    p = np.cumsum(shares) / shares.sum()
    lorenz = np.cumsum(totals) / totals.sum()
    p[-1] = lorenz[-1] = 1.0
    return CumulativeShares(tuple(p.tolist()), tuple(lorenz.tolist()), float(totals.sum() / shares.sum()))


def _validated_points(p: ArrayLike, lorenz: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Check an empirical Lorenz curve; return it without the (0, 0) origin, ending at exactly (1, 1)."""
    pp = np.array(p, dtype=np.float64)
    ll = np.array(lorenz, dtype=np.float64)
    if pp.ndim != 1 or ll.ndim != 1 or pp.shape != ll.shape:
        raise GroupedDataError(f"p and lorenz must be 1-D of equal length, got shapes {pp.shape} and {ll.shape}")
    if not (np.all(np.isfinite(pp)) and np.all(np.isfinite(ll))):
        raise GroupedDataError("p and lorenz must be finite (no NaN or infinity)")
    if pp.size and pp[0] == 0 and ll[0] == 0:
        pp, ll = pp[1:], ll[1:]
    if pp.size < 4:
        raise GroupedDataError(f"need at least 4 Lorenz points besides (0, 0) to fit 3 parameters, got {pp.size}")
    if abs(pp[-1] - 1) > _EXACT or abs(ll[-1] - 1) > _EXACT:
        raise GroupedDataError(f"the last point must be (1, 1) (shares, not percentages), got ({pp[-1]}, {ll[-1]})")
    pp[-1] = ll[-1] = 1.0
    if pp[0] <= 0 or np.any(np.diff(pp) <= 0):
        raise GroupedDataError("p must be strictly increasing within (0, 1]")
    if ll[0] < 0 or np.any(np.diff(ll) < 0):
        raise GroupedDataError("lorenz must be non-decreasing within [0, 1]")
    if np.any(ll[:-1] >= pp[:-1]):
        i = int(np.flatnonzero(ll[:-1] >= pp[:-1])[0])
        raise GroupedDataError(
            f"point {i} has L >= p ({ll[i]} >= {pp[i]}): a Lorenz curve lies below the equality line before p = 1"
        )
    slopes = np.diff(np.concatenate([[0.0], ll])) / np.diff(np.concatenate([[0.0], pp]))
    if np.any(np.diff(slopes) < -1e-6 * slopes[1:]):
        i = int(np.flatnonzero(np.diff(slopes) < -1e-6 * slopes[1:])[0])
        raise GroupedDataError(
            f"the Lorenz points are not convex at point {i + 1}: class means must rise (are the classes sorted?)"
        )
    return pp, ll


def fit_gq(p: ArrayLike, lorenz: ArrayLike) -> tuple[GQLorenz, float]:
    """Fit the GQ Lorenz curve by OLS (Datt 1998); return the curve and the regression's residual sum of squares."""
    pp, ll = _validated_points(p, lorenz)
    x, y = pp[:-1], ll[:-1]
    design = np.column_stack([x**2 - y, y * (x - 1.0), x - y])
    coef, rss = _least_squares(design, y * (1.0 - y))
    return GQLorenz(float(coef[0]), float(coef[1]), float(coef[2])), rss


def fit_beta(p: ArrayLike, lorenz: ArrayLike) -> tuple[BetaLorenz, float]:
    """Fit the beta Lorenz curve by OLS on logs (Datt 1998); return the curve and the regression's RSS."""
    pp, ll = _validated_points(p, lorenz)
    x, y = pp[:-1], ll[:-1]
    design = np.column_stack([np.ones_like(x), np.log(x), np.log(1.0 - x)])
    coef, rss = _least_squares(design, np.log(x - y))
    return BetaLorenz(math.exp(coef[0]), float(coef[1]), float(coef[2])), rss


def _least_squares(design: FloatArray, target: FloatArray) -> tuple[FloatArray, float]:
    solution, _, rank, _ = np.linalg.lstsq(design, target, rcond=None)
    coef = np.asarray(solution, dtype=np.float64)
    if rank < design.shape[1]:
        raise GroupedDataError("the Lorenz regression is rank-deficient: the points do not identify 3 parameters")
    residual = target - design @ coef
    return coef, float(residual @ residual)


@dataclass(frozen=True)
class LorenzFit:
    """One fitted curve and everything computed from it.

    Attributes
    ----------
    curve : GQLorenz | BetaLorenz
        The fitted curve (parameters in ``curve.params``).
    headcount, poverty_gap, squared_poverty_gap : float
        FGT(0), FGT(1), FGT(2) as shares (0..1), from Datt (1998) Table 2.
    gini : float
        Gini index (0..1) of the fitted curve.
    checks : Mapping[str, bool]
        Each validity condition of Datt (1998) by name.
    valid : bool
        All checks pass.
    normal : bool
        The headcount equation has a solution in [0, 1] and the measures are finite.
    sse, sse_to_headcount : float
        Squared errors of the fitted ``L`` on the table, overall and up to the headcount.
    regression_sse : float
        Residual sum of squares of the fitting regression (in its own, transformed, units).
    """

    curve: LorenzCurve
    headcount: float
    poverty_gap: float
    squared_poverty_gap: float
    gini: float
    checks: MappingProxyType[str, bool]
    valid: bool
    normal: bool
    sse: float
    sse_to_headcount: float
    regression_sse: float

    @property
    def form(self) -> LorenzForm:
        return self.curve.form

    @property
    def usable(self) -> bool:
        return self.valid and self.normal


def _evaluate(
    curve: LorenzCurve,
    regression_sse: float,
    pp: FloatArray,
    ll: FloatArray,
    mean: float,
    line: float,
    rule: ValidityRule,
) -> LorenzFit:
    poverty = curve.poverty(mean=mean, line=line)
    checks = curve.checks(rule=rule)
    squared = (ll - curve.value(pp)) ** 2
    if math.isnan(poverty.headcount):
        sse_h = math.nan
    else:
        upto = min(int(np.sum(pp < poverty.headcount)) + 1, pp.size)
        sse_h = float(squared[:upto].sum())
    return LorenzFit(
        curve=curve,
        headcount=poverty.headcount,
        poverty_gap=poverty.poverty_gap,
        squared_poverty_gap=poverty.squared_poverty_gap,
        gini=curve.gini(),
        checks=MappingProxyType(checks),
        valid=all(checks.values()),
        normal=poverty.normal,
        sse=float(squared[:-1].sum()),
        sse_to_headcount=sse_h,
        regression_sse=regression_sse,
    )


@dataclass(frozen=True)
class GroupedPoverty:
    """Both fitted curves, the chosen one, and the inputs that produced them.

    The measure properties (``headcount`` ...) are those of the chosen curve; they raise ``GroupedDataError``
    when neither curve is usable. ``to_frame()`` gives the tidy table of every curve and measure.
    """

    gq: LorenzFit
    beta: LorenzFit
    selected: LorenzForm | None
    selection_reason: str
    mean: float
    line: float
    n_points: int
    rule: ValidityRule
    method_version: str = field(default=METHOD_VERSION)

    @property
    def best(self) -> LorenzFit:
        if self.selected is None:
            failed = [f"{fit.form}: {', '.join(k for k, ok in fit.checks.items() if not ok) or 'no headcount'}"
                      for fit in (self.gq, self.beta)]
            raise GroupedDataError(f"neither Lorenz curve is usable ({'; '.join(failed)}); inspect .gq and .beta")
        return self.gq if self.selected == "gq" else self.beta

    @property
    def headcount(self) -> float:
        return self.best.headcount

    @property
    def poverty_gap(self) -> float:
        return self.best.poverty_gap

    @property
    def squared_poverty_gap(self) -> float:
        return self.best.squared_poverty_gap

    @property
    def gini(self) -> float:
        return self.best.gini

    def to_frame(self) -> pl.DataFrame:
        """One row per curve x measure: ``form, measure, estimate, valid, normal, selected, sse_to_headcount,
        line, mean, method_version``."""
        rows = []
        for fit in (self.gq, self.beta):
            for measure in ("headcount", "poverty_gap", "squared_poverty_gap", "gini"):
                rows.append({
                    "form": fit.form, "measure": measure, "estimate": float(getattr(fit, measure)),
                    "valid": fit.valid, "normal": fit.normal, "selected": fit.form == self.selected,
                    "sse_to_headcount": fit.sse_to_headcount, "line": self.line, "mean": self.mean,
                    "method_version": self.method_version,
                })
        return pl.DataFrame(rows)


def _choose(gq: LorenzFit, beta: LorenzFit) -> tuple[LorenzForm | None, str]:
    if gq.usable and beta.usable:
        if beta.sse_to_headcount < gq.sse_to_headcount:
            return "beta", "both valid; beta has the smaller SSE up to the headcount"
        return "gq", "both valid; GQ has the smaller (or equal) SSE up to the headcount"
    if gq.usable:
        return "gq", "only the GQ curve is valid"
    if beta.usable:
        return "beta", "only the beta curve is valid"
    return None, "neither curve is valid"


def grouped_poverty(
    p: ArrayLike,
    lorenz: ArrayLike,
    *,
    mean: float,
    line: float,
    rule: ValidityRule = "datt",
) -> GroupedPoverty:
    """Fit GQ and beta Lorenz curves to grouped data and compute H, PG, SPG and Gini from each.

    Parameters
    ----------
    p, lorenz : array-like
        Cumulative population shares and cumulative welfare shares (fractions, ending at 1). A table of class
        means and population shares converts with ``shares_from_classes``.
    mean : float
        Mean welfare (same unit as ``line``), > 0.
    line : float
        Poverty line, > 0.
    rule : {"datt", "povcalnet"}
        GQ validity threshold for ``a + c``: 1 (Datt 1998) or 0.9 (PovcalNet).

    Returns
    -------
    GroupedPoverty
        Both fits (``.gq``, ``.beta``), the chosen curve (``.selected``, ``.selection_reason``) and its measures.

    Examples
    --------
    >>> r = grouped_poverty([0.2, 0.4, 0.6, 0.8, 1.0], [0.08, 0.2, 0.36, 0.58, 1.0], mean=100.0, line=60.0)
    >>> r.selected in ("gq", "beta")
    True
    """
    for name, value in (("mean", mean), ("line", line)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise GroupedDataError(f"{name} must be a finite number > 0, got {value!r}")
    if rule not in ("datt", "povcalnet"):
        raise GroupedDataError(f"rule must be 'datt' or 'povcalnet', got {rule!r}")
    pp, ll = _validated_points(p, lorenz)
    gq_curve, gq_rss = fit_gq(pp, ll)
    beta_curve, beta_rss = fit_beta(pp, ll)
    gq = _evaluate(gq_curve, gq_rss, pp, ll, float(mean), float(line), rule)
    beta = _evaluate(beta_curve, beta_rss, pp, ll, float(mean), float(line), rule)
    selected, reason = _choose(gq, beta)
    return GroupedPoverty(gq, beta, selected, reason, float(mean), float(line), int(pp.size), rule)
