"""Registry welfare deciles, programme receipt and stunting risk of the synthetic households.

Method
------
- **Welfare decile**: a PMT-like score (what a proxy-means test can see) = the covariate part of the
  consumption model, ``X beta`` plus the district intercept and urban effect, less the log of the district
  poverty line (so the score is a predicted welfare ratio, comparable across price levels), plus 0.6 of the
  village effect (the registry's community variables see part of the local context), plus registry noise
  ``N(0, 0.25)`` (stale or misreported data); households are ranked across the province, 10 equal groups of
  households, 1 = lowest score. The score misses the village effect and the household's unobserved welfare,
  so decile 1 is poorer on average but imperfectly, as real desil are.
- **Programmes**: a household receives a programme with probability ``coverage * g(decile) / mean(g)``
  (capped at 0.95), ``g(d) = exp(-slope (d - 1))``, among households the programme's rules make eligible
  (PKH: a child under 19, elderly or disabled member; PIP: a pupil; BLT-DD: desa only). Because eligibility
  keys on the noisy decile, both exclusion and inclusion errors arise. BPNT and Sembako share one uniform
  draw (Sembako replaced BPNT, most holders overlap).
- **Stunting risk**: households with a child under 5 have probability rising with poor sanitation, unsafe
  water and low decile (BKKBN flags about a third of such families).

Coverage rates are assumptions of plausible magnitude for Kaltim, not published figures (see
``docs/synthetic-province.md``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.registry.codes import SAFE_DRINKING_WATER

PROGRAMS: dict[str, tuple[float, float]] = {
    "receives_pkh": (0.08, 0.45),
    "receives_bpnt": (0.10, 0.40),
    "receives_sembako": (0.09, 0.40),
    "receives_pbi_jkn": (0.25, 0.25),
    "receives_pip": (0.18, 0.35),
    "receives_blt_dd": (0.06, 0.45),
    "receives_bpum": (0.05, 0.10),
    "receives_bst": (0.08, 0.30),
}
"""Programme -> (coverage among eligible households, decile slope); assumptions."""
SCORE_NOISE_SD = 0.25
VILLAGE_SCORE_SHARE = 0.6
"""Share of the village effect the registry score sees (community variables); an assumption."""


def welfare_decile(score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Deciles 1-10 of ``score + noise`` ranked over all households (1 = lowest)."""
    noisy = score + rng.normal(0.0, SCORE_NOISE_SD, score.size)
    rank = np.empty(score.size, dtype=np.int64)
    rank[np.argsort(noisy, kind="stable")] = np.arange(score.size)
    return (rank * 10 // score.size + 1).astype(np.int64)


def program_flags(
    decile: np.ndarray, composition: pl.DataFrame, urban: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Receipt flags of every programme (see the module docstring)."""
    n = decile.size
    children = composition["children_under5"].to_numpy() + composition["pupils"].to_numpy()
    eligible = {
        "receives_pkh": (children > 0) | (composition["elderly"].to_numpy() > 0)
        | (composition["disabled"].to_numpy() > 0),
        "receives_pip": composition["pupils"].to_numpy() > 0,
        "receives_blt_dd": ~urban,
    }
    shared = rng.random(n)
    flags: dict[str, np.ndarray] = {}
    for name, (coverage, slope) in PROGRAMS.items():  # eight programmes
        g = np.exp(-slope * (decile - 1))
        p = np.minimum(coverage * g / g.mean(), 0.95)
        u = shared if name in ("receives_bpnt", "receives_sembako") else rng.random(n)
        flags[name] = (u < p) & eligible.get(name, np.ones(n, dtype=bool))
    return flags


def stunting_risk(decile: np.ndarray, households: pl.DataFrame, composition: pl.DataFrame,
                  rng: np.random.Generator) -> np.ndarray:
    """BKKBN-style family stunting-risk flag (only households with a child under 5)."""
    unsafe = ~households["drinking_water"].is_in(list(SAFE_DRINKING_WATER)).to_numpy()
    no_toilet = households["sanitation"].to_numpy() != "own"
    logit = -1.2 + 0.8 * unsafe + 0.8 * no_toilet - 0.12 * (decile - 5)
    p = 1.0 / (1.0 + np.exp(-logit))
    return np.asarray((composition["children_under5"].to_numpy() > 0) & (rng.random(decile.size) < p))
