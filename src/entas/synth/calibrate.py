"""Calibration of synthetic consumption to published poverty and inequality statistics, by exact quantiles.

Given the uncalibrated log consumption ``s`` (``welfare.consumption_core``), person weights (household size),
districts, urban flags and the district lines ``z_d``:

1. **District intercepts** (exact): for an urban effect ``b``, ``a_d = log z_d - t_d`` where ``t_d`` lies
   midway between the two adjacent values of ``s + b * urban`` in district ``d`` at which the person-weighted
   share below crosses the target P0 (found on presorted urban and rural values). Every district's P0 is
   then the target up to one household.
2. **Urban effect** ``b`` (bisection, 32 steps): the rural-minus-urban P0 gap of the province equals the
   published gap; because the kelurahan population share was set to the share the targets imply
   (``population``), both the urban and the rural P0 land on their targets.
3. **Below the line** (exact): with ``d = log y - log z_d``, the poor are reshaped to ``d' = k d``. A poor
   person is extremely poor (``y' < e``) iff ``k > r = (log e - log z_d) / d``, so ``k`` is the weighted
   quantile of ``r`` at the target extreme-poverty share.
4. **Above the line** (bisection): the non-poor are reshaped to ``d' = m d``; the Gini increases in ``m``.

Both reshapings are monotone within each district and leave ``d``'s sign unchanged, so every district's P0
(strict ``y < z``) is preserved exactly. Person-level statistics weight households by their size. Limits:
with a few hundred persons in a district (small ``scale``) the P0 granularity is one household.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from entas.errors import SynthError


@dataclass(frozen=True)
class Calibration:
    """The solved parameters and the calibrated per-capita consumption (rupiah per month)."""

    intercepts: np.ndarray
    urban_effect: float
    k_below: float
    m_above: float
    consumption: np.ndarray


def weighted_gini(y: np.ndarray, w: np.ndarray) -> float:
    """Gini of ``y`` with weights ``w`` (trapezoid rule on the Lorenz curve of the sorted values)."""
    order = np.argsort(y)  # tied values may come in any order: their terms are symmetric
    ys, ws = y[order], w[order]
    pop = ws / ws.sum()
    income = np.cumsum(ws * ys)
    lorenz = income / income[-1]
    previous = np.concatenate(([0.0], lorenz[:-1]))
    return float(1.0 - np.sum(pop * (previous + lorenz)))


class _DistrictSorter:
    """Urban and rural values of each district sorted once, with cumulative person weights.

    For a shift ``b`` of the urban values, the threshold with the target share below is found by bisection on
    ``t`` using two binary searches per step, instead of re-sorting all households for every ``b``.
    """

    def __init__(self, core: np.ndarray, w: np.ndarray, district: np.ndarray, urban: np.ndarray, n: int) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for j in range(n):  # ten districts
            u = (district == j) & urban
            r = (district == j) & ~urban
            if u.sum() + r.sum() < 2:
                raise SynthError(f"district {j} has fewer than two households; increase the scale")
            ou, orr = np.argsort(core[u]), np.argsort(core[r])
            self.parts.append((
                core[u][ou], np.concatenate(([0.0], np.cumsum(w[u][ou]))),
                core[r][orr], np.concatenate(([0.0], np.cumsum(w[r][orr]))),
            ))

    def thresholds(self, b: float, p0: np.ndarray) -> np.ndarray:
        out = np.empty(p0.size)
        for j, (vu, cu, vr, cr) in enumerate(self.parts):  # ten districts
            goal = p0[j] / 100.0 * (cu[-1] + cr[-1])

            def below(t: float, vu: np.ndarray = vu, cu: np.ndarray = cu, vr: np.ndarray = vr,
                      cr: np.ndarray = cr) -> float:
                return float(cu[np.searchsorted(vu, t - b)] + cr[np.searchsorted(vr, t)])

            lo = min(vu[0] + b if vu.size else np.inf, vr[0] if vr.size else np.inf) - 1.0
            hi = max(vu[-1] + b if vu.size else -np.inf, vr[-1] if vr.size else -np.inf) + 1.0
            for _ in range(80):  # bisection on the threshold: lo keeps share <= goal, hi share > goal
                mid = 0.5 * (lo + hi)
                if below(mid) <= goal:
                    lo = mid
                else:
                    hi = mid
            t = hi if below(hi) - goal < goal - below(lo) else lo
            iu, ir = np.searchsorted(vu, t - b), np.searchsorted(vr, t)
            under = max(vu[iu - 1] + b if iu > 0 else -np.inf, vr[ir - 1] if ir > 0 else -np.inf)
            over = min(vu[iu] + b if iu < vu.size else np.inf, vr[ir] if ir < vr.size else np.inf)
            out[j] = 0.5 * (under + over) if np.isfinite(under) and np.isfinite(over) else (
                over - 1e-6 if np.isfinite(over) else under + 1e-6)
        return out


def _p0(poor: np.ndarray, w: np.ndarray, mask: np.ndarray) -> float:
    return float(100.0 * w[mask & poor].sum() / w[mask].sum())


def calibrate(
    core: np.ndarray,
    persons: np.ndarray,
    district: np.ndarray,
    urban: np.ndarray,
    lines: np.ndarray,
    p0: np.ndarray,
    *,
    urban_p0: float,
    rural_p0: float,
    gini: float,
    extreme_p0: float,
    extreme_line: float,
) -> Calibration:
    """Solve intercepts, urban effect and the two reshaping factors (see the module docstring)."""
    w = persons.astype(np.float64)
    log_z = np.log(lines)[district]
    target_gap = rural_p0 - urban_p0
    has_both = urban.any() and (~urban).any()

    sorter = _DistrictSorter(core, w, district, urban, p0.size)

    def shifted(b: float) -> tuple[np.ndarray, np.ndarray]:
        values = core + b * urban
        t = sorter.thresholds(b, p0)
        a = np.log(lines) - t
        return a, values + a[district]

    lo, hi = -1.5, 2.5
    b = 0.0
    if has_both:
        for _ in range(32):  # bisection on the urban effect
            b = 0.5 * (lo + hi)
            _, logy = shifted(b)
            poor = logy < log_z
            gap = _p0(poor, w, ~urban) - _p0(poor, w, urban)
            if gap < target_gap:
                lo = b
            else:
                hi = b
    intercepts, logy = shifted(b)
    dist = logy - log_z
    poor = dist < 0
    c = np.log(extreme_line) - log_z
    if np.any(c[poor] >= 0):
        raise SynthError("the extreme line is not below every district poverty line")
    ratio = c[poor] / dist[poor]
    order = np.argsort(ratio, kind="stable")
    cum = np.cumsum(w[poor][order])
    goal = extreme_p0 / 100.0 * w.sum()
    idx = int(np.clip(np.searchsorted(cum, goal), 0, ratio.size - 1))
    k = float(ratio[order][idx]) * (1.0 + 1e-9) if ratio.size else 1.0
    below = np.where(poor, k * dist, dist)

    def gini_for(m: float) -> float:
        return weighted_gini(np.exp(log_z + np.where(poor, below, m * dist)), w)

    lo, hi = 0.2, 4.0
    if not gini_for(lo) <= gini <= gini_for(hi):
        raise SynthError(f"a Gini of {gini} is out of reach of the consumption model")
    # the Gini rises with the above-line scale; Brent's method needs about 10 sorts where bisection needed 32
    m = float(brentq(lambda scale: gini_for(scale) - gini, lo, hi, xtol=1e-12))
    y = np.exp(log_z + np.where(poor, below, m * dist))
    return Calibration(intercepts=intercepts, urban_effect=b, k_below=k, m_above=m, consumption=y)
