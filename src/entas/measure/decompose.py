"""Datt-Ravallion (1992) decomposition of a change in poverty into growth and redistribution components.

What it computes
----------------
For a poverty measure ``P(mu, L)`` that depends on the mean ``mu`` and the Lorenz curve ``L`` (at a fixed line
``z``), the change between period 1 and period 2 is split as

    P2 - P1 = growth + redistribution + residual,
    growth         = P(mu2, L_r) - P(mu1, L_r),
    redistribution = P(mu_r, L2) - P(mu_r, L1),

with a reference period ``r``. Three versions are returned for each FGT measure (alpha = 0, 1, 2):

- ``reference="initial"`` (r = 1; Datt and Ravallion's choice): growth ``P(mu2, L1) - P1``, redistribution
  ``P(mu1, L2) - P1``, and a residual;
- ``reference="final"`` (r = 2): growth ``P2 - P(mu1, L2)``, redistribution ``P2 - P(mu2, L1)``; its residual
  is minus the initial-reference residual;
- ``reference="shapley"``: the average of the two, which adds up exactly with a zero residual (Shorrocks 2013).

Two ways to evaluate ``P(mu, L)``
---------------------------------
- ``datt_ravallion_lorenz``: from two fitted parametric Lorenz curves (``grouped_lorenz``) and the two means,
  with the closed forms of Datt (1998).
- ``datt_ravallion_microdata``: from two samples of per-capita welfare with person weights, using the empirical
  distributions: ``P(mu2, L1)`` is the poverty of ``y1 * mu2 / mu1`` and ``P(mu1, L2)`` that of ``y2 * mu1 / mu2``
  (weighted means). Poor means ``y < z`` (strict).

Limits
------
Point estimates only (no standard errors). The decomposition is path dependent: that is why the reference is
reported. Means must be positive.

References
----------
Datt, G. and Ravallion, M. (1992). Growth and redistribution components of changes in poverty measures.
Journal of Development Economics 38(2), 275-295.
Shorrocks, A. F. (2013). Decomposition procedures for distributional analysis: a unified framework based on the
Shapley value. Journal of Economic Inequality 11(1), 99-126.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from entas.errors import DecompositionError
from entas.measure.grouped_lorenz import FloatArray, LorenzCurve

METHOD_VERSION = "datt-ravallion/1"
Reference = Literal["initial", "final", "shapley"]
MEASURE_NAMES = {0: "headcount", 1: "poverty_gap", 2: "squared_poverty_gap"}


@dataclass(frozen=True)
class DecompositionRow:
    """One measure, one reference period: ``initial + growth + redistribution + residual == final``."""

    measure: str
    alpha: int
    reference: Reference
    initial: float
    final: float
    growth: float
    redistribution: float
    residual: float

    @property
    def change(self) -> float:
        return self.final - self.initial


@dataclass(frozen=True)
class DattRavallion:
    """All rows of a decomposition (measure x reference), with the line and the source of ``P(mu, L)``."""

    rows: tuple[DecompositionRow, ...]
    line: float
    source: Literal["lorenz", "microdata"]
    method_version: str = field(default=METHOD_VERSION)

    def get(self, measure: str | int, reference: Reference = "initial") -> DecompositionRow:
        """The row for a measure (name or FGT alpha) and a reference period."""
        name = MEASURE_NAMES.get(measure, "") if isinstance(measure, int) else measure
        for row in self.rows:
            if row.measure == name and row.reference == reference:
                return row
        raise DecompositionError(f"no row for measure {measure!r} with reference {reference!r}")

    def to_frame(self) -> pl.DataFrame:
        """Tidy table: one row per measure x reference, with the line and the method version."""
        frame = pl.DataFrame([{**row.__dict__, "change": row.change} for row in self.rows])
        return frame.with_columns(
            pl.lit(self.line).alias("line"), pl.lit(self.source).alias("source"),
            pl.lit(self.method_version).alias("method_version"),
        )


def _rows(fgt: Callable[[float, int], FloatArray], mu1: float, mu2: float) -> tuple[DecompositionRow, ...]:
    """Build the rows from ``fgt(mean, which_curve)`` giving FGT(0..2) for curve 1 or 2 rescaled to ``mean``."""
    p1, p2 = fgt(mu1, 1), fgt(mu2, 2)
    p_mu2_l1, p_mu1_l2 = fgt(mu2, 1), fgt(mu1, 2)
    rows: list[DecompositionRow] = []
    for alpha, name in MEASURE_NAMES.items():
        i, f = float(p1[alpha]), float(p2[alpha])
        g1, d1 = float(p_mu2_l1[alpha]) - i, float(p_mu1_l2[alpha]) - i
        g2, d2 = f - float(p_mu1_l2[alpha]), f - float(p_mu2_l1[alpha])
        rows.append(DecompositionRow(name, alpha, "initial", i, f, g1, d1, (f - i) - g1 - d1))
        rows.append(DecompositionRow(name, alpha, "final", i, f, g2, d2, (f - i) - g2 - d2))
        gs, ds = (g1 + g2) / 2, (d1 + d2) / 2
        rows.append(DecompositionRow(name, alpha, "shapley", i, f, gs, ds, (f - i) - gs - ds))
    return tuple(rows)


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise DecompositionError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def datt_ravallion_lorenz(
    curve1: LorenzCurve, mean1: float, curve2: LorenzCurve, mean2: float, *, line: float
) -> DattRavallion:
    """Decompose the change in FGT(0..2) between two fitted Lorenz curves and means.

    Parameters
    ----------
    curve1, curve2 : GQLorenz | BetaLorenz
        Fitted curves of period 1 and 2 (e.g. ``grouped_poverty(...).best.curve``); they may differ in form.
    mean1, mean2 : float
        Mean welfare in each period, in the same (real) unit as ``line``.
    line : float
        Poverty line, fixed in real terms across the two periods.

    Returns
    -------
    DattRavallion
        Rows for headcount, poverty gap and squared gap, each with references initial, final and shapley.
    """
    mu1, mu2, z = _positive("mean1", mean1), _positive("mean2", mean2), _positive("line", line)
    curves = {1: curve1, 2: curve2}

    def fgt(mean: float, which: int) -> FloatArray:
        poverty = curves[which].poverty(mean=mean, line=z)
        if not poverty.normal:
            raise DecompositionError(f"curve {which} has no headcount at mean {mean:g} and line {z:g}")
        return np.array([poverty.headcount, poverty.poverty_gap, poverty.squared_poverty_gap])

    return DattRavallion(_rows(fgt, mu1, mu2), line=z, source="lorenz")


def _welfare(name: str, welfare: ArrayLike, weights: ArrayLike | None) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(welfare, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise DecompositionError(f"{name}: welfare must be a non-empty 1-D array, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise DecompositionError(f"{name}: welfare has {int(np.sum(~np.isfinite(y)))} non-finite values")
    if np.any(y < 0):
        raise DecompositionError(f"{name}: welfare must be >= 0; {int(np.sum(y < 0))} values are negative")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != y.shape:
        raise DecompositionError(f"{name}: weights must match welfare, got shapes {w.shape} and {y.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise DecompositionError(f"{name}: weights must be finite, >= 0, with a positive sum")
    if float(w @ y) <= 0:
        raise DecompositionError(f"{name}: the weighted mean welfare must be > 0")
    return y, w


def _fgt_scaled(y: FloatArray, w: FloatArray, scale: float, line: float) -> FloatArray:
    """FGT(0), FGT(1), FGT(2) of ``y * scale`` with person weights ``w``; poor means strictly below the line."""
    scaled = y * scale
    poor = scaled < line
    gap = np.where(poor, 1.0 - scaled / line, 0.0)
    out: FloatArray = np.array([w @ poor.astype(np.float64), w @ gap, w @ gap**2]) / w.sum()
    return out


def datt_ravallion_microdata(
    welfare1: ArrayLike,
    welfare2: ArrayLike,
    *,
    line: float,
    weights1: ArrayLike | None = None,
    weights2: ArrayLike | None = None,
) -> DattRavallion:
    """Decompose the change in FGT(0..2) between two samples of per-capita welfare (empirical distributions).

    Parameters
    ----------
    welfare1, welfare2 : array-like
        Per-capita welfare of each observation in period 1 and 2 (real terms, same unit as ``line``), >= 0.
    line : float
        Poverty line, fixed in real terms.
    weights1, weights2 : array-like, optional
        Person weights (household weight x household size); equal weights if omitted.

    Returns
    -------
    DattRavallion
        Rows for headcount, poverty gap and squared gap, each with references initial, final and shapley.

    Examples
    --------
    >>> d = datt_ravallion_microdata([50.0, 100.0, 150.0], [60.0, 120.0, 180.0], line=70.0)
    >>> d.get("headcount").redistribution
    0.0
    """
    z = _positive("line", line)
    y1, w1 = _welfare("period 1", welfare1, weights1)
    y2, w2 = _welfare("period 2", welfare2, weights2)
    mu1, mu2 = float(w1 @ y1 / w1.sum()), float(w2 @ y2 / w2.sum())
    samples: dict[int, tuple[FloatArray, FloatArray, float]] = {1: (y1, w1, mu1), 2: (y2, w2, mu2)}

    def fgt(mean: float, which: int) -> FloatArray:
        y, w, own_mean = samples[which]
        return _fgt_scaled(y, w, mean / own_mean, z)

    return DattRavallion(_rows(fgt, mu1, mu2), line=z, source="microdata")

