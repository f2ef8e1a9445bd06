"""FGT poverty measures of one household whose welfare is lognormal, in closed form (and of observed welfare).

Used by the empirical best predictor (``entas.pockets.ebp``): given the survey, a registry household's log
welfare is normal, ``log W ~ N(mu, sd^2)``, and the best predictor of its FGT(alpha) is the expectation

    E[(1 - W/z)^alpha 1(W < z)],   a = (log z - mu) / sd   (poor: W < z, strictly; z its line),

which needs no Monte Carlo because the partial moments of a lognormal are closed-form (Aitchison and Brown
1957; e.g. Molina and Rao 2010, sec. 3, compute the same expectations by simulation):

    E[1(W < z)] = Phi(a),   E[W 1(W < z)] = exp(mu + sd^2/2) Phi(a - sd),
    E[W^2 1(W < z)] = exp(2 mu + 2 sd^2) Phi(a - 2 sd),

so FGT(0) = Phi(a); FGT(1) = Phi(a) - T1; FGT(2) = Phi(a) - 2 T1 + T2 with
``T1 = exp(mu - log z + sd^2/2) Phi(a - sd)`` and ``T2 = exp(2 (mu - log z) + 2 sd^2) Phi(a - 2 sd)`` (the
exponents are capped at 700 against overflow; where the cap binds, Phi underflows to 0 and so does the term).
Checked against numerical integration in R (tests/fixtures/pockets/make_ebp_reference.R).

Limits: only the log transformation (a Box-Cox or other transformation would need simulation); results are
clipped at 0 against rounding where the terms cancel (households far above the line, FGT below 1e-16).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

MEASURES: tuple[str, ...] = ("headcount_ratio", "poverty_gap", "poverty_severity")
"""FGT(0), FGT(1), FGT(2), in the column order of the arrays returned here."""

FloatArray = npt.NDArray[np.float64]
_EXP_MAX = 700.0  # exp(700) is finite; log-welfare far enough above the line to reach it has FGT 0 anyway


def expected_fgt(mu: npt.ArrayLike, sd: npt.ArrayLike, log_z: npt.ArrayLike) -> FloatArray:
    """``E[FGT(alpha)]`` for alpha = 0, 1, 2 when ``log W ~ N(mu, sd^2)``: an array (n, 3) (see module docstring)."""
    m, s, lz = (np.asarray(v, dtype=np.float64) for v in (mu, sd, log_z))
    a = (lz - m) / s
    d = m - lz
    p0 = special.ndtr(a)
    t1 = np.exp(np.minimum(d + 0.5 * s * s, _EXP_MAX)) * special.ndtr(a - s)
    t2 = np.exp(np.minimum(2.0 * d + 2.0 * s * s, _EXP_MAX)) * special.ndtr(a - 2.0 * s)
    out: FloatArray = np.maximum(np.stack([p0, p0 - t1, p0 - 2.0 * t1 + t2], axis=-1), 0.0)
    return out


def observed_fgt(welfare: npt.ArrayLike, z: npt.ArrayLike) -> FloatArray:
    """``1(w < z) (1 - w/z)^alpha`` for alpha = 0, 1, 2 of observed welfare ``w`` (rupiah): an array (n, 3)."""
    w, zz = np.asarray(welfare, dtype=np.float64), np.asarray(z, dtype=np.float64)
    poor = w < zz
    gap = np.where(poor, 1.0 - w / zz, 0.0)
    return np.stack([poor.astype(np.float64), gap, gap * gap], axis=-1)


def household_fgt(
    mu: FloatArray, sd: FloatArray, z: FloatArray, observed: FloatArray | None = None,
) -> FloatArray:
    """FGT(0, 1, 2) of each household for each of its lines: an array (n, lines, 3).

    ``mu``, ``sd``: the normal law of each household's log welfare (n); ``z``: lines in rupiah (n x lines);
    ``observed``: welfare in rupiah where it is known (a household in the sample), NaN elsewhere: those
    households take ``observed_fgt`` instead of the expectation.
    """
    out = expected_fgt(mu[:, None], sd[:, None], np.log(z))
    if observed is not None:
        known = ~np.isnan(observed)
        if known.any():
            out[known] = observed_fgt(observed[known][:, None], z[known])
    return out
