"""Parametric Lorenz curves: the general quadratic (GQ) and the beta curve, and the poverty they imply.

What it computes
----------------
For a fitted Lorenz curve ``L(p)``, a mean ``mu`` and a poverty line ``z``, the poverty measures of the
Foster-Greer-Thorbecke family and the Gini index, with the closed forms of Datt (1998), Table 2:

- headcount ``H`` solves ``L'(H) = z / mu`` (the person at rank ``H`` has welfare ``mu * L'(H) = z``);
- poverty gap ``PG = H - (mu / z) * L(H)``;
- squared poverty gap ``SPG = integral_0^H (1 - (mu / z) * L'(p))**2 dp`` in closed form;
- Gini ``G = 1 - 2 * integral_0^1 L(p) dp`` in closed form.

Curves
------
- General quadratic (Villasenor and Arnold 1989): ``L(1 - L) = a(p**2 - L) + b L (p - 1) + c (p - L)``, solved
  for ``L``: ``L(p) = -(b p + e + sqrt(m p**2 + n p + e**2)) / 2`` with ``e = -(a + b + c + 1)``,
  ``m = b**2 - 4a``, ``n = 2 b e - 4 c``, ``r = sqrt(n**2 - 4 m e**2)``.
- Beta (Kakwani 1980): ``L(p) = p - theta * p**gamma * (1 - p)**delta``.

Validity checks (Datt 1998, section 4)
--------------------------------------
A fitted curve is a Lorenz curve only if ``L(0) = 0``, ``L(1) = 1``, ``L'(0+) >= 0`` and ``L''(p) >= 0`` on
``(0, 1)``. For the GQ curve these are, in order: ``e < 0``; ``a + c >= 1``; ``c >= 0``; and ``m < 0``, or
``0 < m < n**2 / (4 e**2)`` with ``n >= 0``, or ``0 < m < -n / 2`` with ``m < n**2 / (4 e**2)``. PovcalNet relaxes
``a + c >= 1`` to ``a + c >= 0.9`` (``rule="povcalnet"``). For the beta curve ``L(0) = 0`` and ``L(1) = 1`` hold
by construction; ``theta > 0`` is required; ``0 < gamma <= 1`` and ``0 < delta <= 1`` are *sufficient* for
convexity and are reported, and the slope and convexity conditions are checked on a grid of ``p`` as PovcalNet
does (slope on ``[0.001, 0.1]``, convexity on ``[0.001, 0.999]``), because ``L'(0+) = -inf`` whenever
``gamma < 1``.

Limits
------
A curve that fails a check still returns numbers; they are not poverty measures. The caller (``grouped.py``)
decides which curve to use. With ``gamma <= 1/2`` the beta ``SPG`` integral diverges and ``inf`` is returned.

References
----------
Datt, G. (1998). Computational tools for poverty measurement and analysis. IFPRI FCND Discussion Paper 50.
Kakwani, N. (1980). On a class of poverty measures. Econometrica 48(2), 437-446.
Villasenor, J. and Arnold, B. C. (1989). Elliptical Lorenz curves. Journal of Econometrics 40(2), 327-338.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

FloatArray = NDArray[np.float64]
LorenzForm = Literal["gq", "beta"]
ValidityRule = Literal["datt", "povcalnet"]

# PovcalNet evaluates the beta slope and convexity conditions on these grids (wbpip check_curve_validity_lb).
_SLOPE_GRID = np.linspace(0.001, 0.1, 100)
_CONVEXITY_GRID = np.linspace(0.001, 0.999, 999)


@dataclass(frozen=True)
class CurvePoverty:
    """FGT(0), FGT(1) and FGT(2) implied by a curve, a mean and a line.

    ``normal`` is False when the headcount equation has no solution in ``[0, 1]`` (the measures are then NaN).
    """

    headcount: float
    poverty_gap: float
    squared_poverty_gap: float
    normal: bool


def _as_float_array(p: ArrayLike) -> FloatArray:
    return np.asarray(p, dtype=np.float64)


@dataclass(frozen=True)
class GQLorenz:
    """General quadratic Lorenz curve with regression coefficients ``a, b, c`` (Datt 1998 notation)."""

    a: float
    b: float
    c: float
    form: ClassVar[LorenzForm] = "gq"

    @property
    def e(self) -> float:
        return -(self.a + self.b + self.c + 1.0)

    @property
    def m(self) -> float:
        return self.b**2 - 4.0 * self.a

    @property
    def n(self) -> float:
        return 2.0 * self.b * self.e - 4.0 * self.c

    @property
    def r(self) -> float:
        """``sqrt(n**2 - 4 m e**2)``; NaN when the radicand is negative (no real curve)."""
        radicand = self.n**2 - 4.0 * self.m * self.e**2
        return math.sqrt(radicand) if radicand >= 0 else math.nan

    @property
    def params(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b, "c": self.c}

    def _q(self, p: FloatArray) -> FloatArray:
        q: FloatArray = np.maximum(self.m * p**2 + self.n * p + self.e**2, 0.0)
        return q

    def value(self, p: ArrayLike) -> FloatArray:
        """``L(p)``."""
        x = _as_float_array(p)
        out: FloatArray = -(self.b * x + self.e + np.sqrt(self._q(x))) / 2.0
        return out

    def slope(self, p: ArrayLike) -> FloatArray:
        """``L'(p)``; welfare of the person at rank ``p`` is ``mu * L'(p)``."""
        x = _as_float_array(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = -self.b / 2.0 - (2.0 * self.m * x + self.n) / (4.0 * np.sqrt(self._q(x)))
        return out

    def curvature(self, p: ArrayLike) -> FloatArray:
        """``L''(p) = r**2 / (8 (m p**2 + n p + e**2)**1.5)``."""
        x = _as_float_array(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = (self.n**2 - 4.0 * self.m * self.e**2) / (8.0 * self._q(x) ** 1.5)
        return out

    def checks(self, *, rule: ValidityRule = "datt") -> dict[str, bool]:
        """Datt (1998) validity conditions, each by name; ``rule="povcalnet"`` uses ``a + c >= 0.9``."""
        e, m, n = self.e, self.m, self.n
        bound = n**2 / (4.0 * e**2) if e != 0 else math.inf
        convex = m < 0 or (0 < m < bound and n >= 0) or (0 < m < -n / 2.0 and m < bound)
        threshold = 1.0 if rule == "datt" else 0.9
        return {
            "L(0)=0 [e<0]": e < 0,
            f"L(1)=1 [a+c>={threshold:g}]": self.a + self.c >= threshold,
            "L'(0+)>=0 [c>=0]": self.c >= 0,
            "L''>=0 on (0,1) [m,n conditions]": bool(convex) and not math.isnan(self.r),
        }

    def headcount(self, *, mean: float, line: float) -> float:
        """Closed form of Datt (1998), Table 2; may fall outside ``[0, 1]`` or be NaN (caller clips)."""
        bz = self.b + 2.0 * line / mean
        denominator = bz**2 - self.m
        if denominator <= 0 or self.m == 0 or math.isnan(self.r):
            return math.nan
        return -(self.n + self.r * bz / math.sqrt(denominator)) / (2.0 * self.m)

    def _squared_gap(self, h: float, pg: float, u: float) -> float:
        m, n, r = self.m, self.n, self.r
        s1 = (r - n) / (2.0 * m)
        s2 = -(r + n) / (2.0 * m)
        ratio = (1.0 - h / s1) / (1.0 - h / s2)
        if not ratio > 0:
            return math.nan
        lh = float(self.value(h))
        return 2.0 * pg - h - u**2 * (self.a * h + self.b * lh - (r / 16.0) * math.log(ratio))

    def poverty(self, *, mean: float, line: float) -> CurvePoverty:
        return _poverty(self, self.headcount(mean=mean, line=line), mean=mean, line=line)

    def gini(self) -> float:
        """``1 + b/2 + e + integral_0^1 sqrt(m p**2 + n p + e**2) dp`` in closed form (numeric if ``m = 0``)."""
        a, b, c, e, m, n = self.a, self.b, self.c, self.e, self.m, self.n
        r2 = n**2 - 4.0 * m * e**2
        root1, root0 = abs(a + c - 1.0), abs(e)  # sqrt(Q(1)) and sqrt(Q(0))
        if abs(m) < 1e-12 or r2 < 0:
            return 1.0 - 2.0 * float(integrate.quad(lambda x: float(self.value(x)), 0.0, 1.0, epsabs=1e-13)[0])
        if m > 0:
            inner = math.log(abs((2.0 * math.sqrt(m) * root1 + 2.0 * m + n) / (2.0 * math.sqrt(m) * root0 + n)))
            inner /= math.sqrt(m)
        else:
            r = math.sqrt(r2)
            inner = (math.asin(_clip_unit(n / r)) - math.asin(_clip_unit((2.0 * m + n) / r))) / math.sqrt(-m)
        integral_sqrt_q = ((2.0 * m + n) * root1 - n * root0) / (4.0 * m) - r2 / (8.0 * m) * inner
        return 1.0 + b / 2.0 + e + integral_sqrt_q


@dataclass(frozen=True)
class BetaLorenz:
    """Beta Lorenz curve ``L(p) = p - theta p**gamma (1 - p)**delta`` (Kakwani 1980)."""

    theta: float
    gamma: float
    delta: float
    form: ClassVar[LorenzForm] = "beta"

    @property
    def params(self) -> dict[str, float]:
        return {"theta": self.theta, "gamma": self.gamma, "delta": self.delta}

    def value(self, p: ArrayLike) -> FloatArray:
        x = _as_float_array(p)
        out: FloatArray = x - self.theta * x**self.gamma * (1.0 - x) ** self.delta
        return out

    def slope(self, p: ArrayLike) -> FloatArray:
        x = _as_float_array(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self.theta * x**self.gamma * (1.0 - x) ** self.delta
            out: FloatArray = 1.0 - g * (self.gamma / x - self.delta / (1.0 - x))
        return out

    def curvature(self, p: ArrayLike) -> FloatArray:
        x = _as_float_array(p)
        gm, dl = self.gamma, self.delta
        with np.errstate(divide="ignore", invalid="ignore"):
            g = self.theta * x**gm * (1.0 - x) ** dl
            bracket = gm * (1.0 - gm) / x**2 + 2.0 * gm * dl / (x * (1.0 - x)) + dl * (1.0 - dl) / (1.0 - x) ** 2
            out: FloatArray = g * bracket
        return out

    def checks(self, *, rule: ValidityRule = "datt") -> dict[str, bool]:
        """Datt (1998) conditions; slope and convexity on PovcalNet's grids (see the module docstring)."""
        del rule  # the beta conditions are the same under both rules
        return {
            "theta>0": self.theta > 0,
            "L'(p)>=0 on [0.001,0.1]": bool(np.all(self.slope(_SLOPE_GRID) >= 0)),
            "L''(p)>=0 on [0.001,0.999]": bool(np.all(self.curvature(_CONVEXITY_GRID) >= 0)),
        }

    def sufficient_conditions(self) -> dict[str, bool]:
        """``0 < gamma <= 1`` and ``0 < delta <= 1``: with ``theta > 0`` they guarantee convexity on (0, 1)."""
        return {"0<gamma<=1": 0 < self.gamma <= 1, "0<delta<=1": 0 < self.delta <= 1}

    def headcount(self, *, mean: float, line: float) -> float:
        """Root of ``L'(H) = z / mu`` (Brent's method on the first sign change of a fine grid)."""
        target = line / mean
        grid = np.concatenate(
            [np.geomspace(1e-12, 1e-3, 60), np.linspace(1e-3, 1 - 1e-3, 999)[1:-1], 1 - np.geomspace(1e-3, 1e-12, 60)]
        )
        f = self.slope(grid) - target
        if not np.all(np.isfinite(f)):
            return math.nan
        if f[0] >= 0:
            return 0.0
        crossings = np.flatnonzero((f[:-1] < 0) & (f[1:] >= 0))
        if crossings.size == 0:
            return 1.0
        i = int(crossings[0])
        root = optimize.brentq(
            lambda x: float(self.slope(x)) - target,
            float(grid[i]),
            float(grid[i + 1]),
            xtol=1e-15,
            rtol=4 * np.finfo(float).eps,
        )
        return float(root)

    def _squared_gap(self, h: float, pg: float, u: float) -> float:
        gm, dl = self.gamma, self.delta
        integral = (
            gm**2 * _incomplete_beta(h, 2 * gm - 1, 2 * dl + 1)
            - 2 * gm * dl * _incomplete_beta(h, 2 * gm, 2 * dl)
            + dl**2 * _incomplete_beta(h, 2 * gm + 1, 2 * dl - 1)
        )
        return (1.0 - u) * (2.0 * pg - (1.0 - u) * h) + self.theta**2 * u**2 * integral

    def poverty(self, *, mean: float, line: float) -> CurvePoverty:
        return _poverty(self, self.headcount(mean=mean, line=line), mean=mean, line=line)

    def gini(self) -> float:
        """``2 theta B(1 + gamma, 1 + delta)``."""
        return float(2.0 * self.theta * special.beta(1.0 + self.gamma, 1.0 + self.delta))


LorenzCurve = GQLorenz | BetaLorenz


def _clip_unit(x: float) -> float:
    return min(1.0, max(-1.0, x))


def _incomplete_beta(x: float, a: float, b: float) -> float:
    """``integral_0^x t**(a-1) (1-t)**(b-1) dt`` (not regularized); ``inf`` when it diverges at 0."""
    if x <= 0:
        return 0.0
    if a <= 0:
        return math.inf
    if b > 0:
        return float(special.betainc(a, b, x) * special.beta(a, b))
    value, _ = integrate.quad(lambda t: (1.0 - t) ** (b - 1.0), 0.0, x, weight="alg", wvar=(a - 1.0, 0.0))
    return float(value)


def _poverty(curve: LorenzCurve, h: float, *, mean: float, line: float) -> CurvePoverty:
    """PG and SPG from a headcount; a headcount outside [0, 1] is clipped (no one poor / everyone poor)."""
    if math.isnan(h):
        return CurvePoverty(math.nan, math.nan, math.nan, normal=False)
    if h <= 0:
        return CurvePoverty(0.0, 0.0, 0.0, normal=True)
    h = min(h, 1.0)
    u = mean / line
    pg = h - u * float(curve.value(h))
    spg = curve._squared_gap(h, pg, u)
    return CurvePoverty(h, pg, spg, normal=not math.isnan(spg))
