"""Households of the synthetic province: how many, where, how large, and how well off (latently).

Method
------
1. **Persons per village.** Each district's target population (times ``scale``) is split over its official
   villages (``entas.areas``) in proportion to a village weight: log-normal (sd 0.6) times a factor ``f`` for
   kelurahan. ``f`` is solved by bisection so that the expected kelurahan share of the provincial population
   equals the urban share implied by the targets, ``(P0 - P0_rural) / (P0_urban - P0_rural)``, where ``P0`` is
   the population-weighted mean of the district targets; the urban/rural poverty targets are then reachable
   together. Every village gets at least one person (largest-remainder rounding otherwise).
2. **Households.** Sizes are drawn from urban and rural size distributions (means about 3.65 and 3.8, so about
   1.1 million households at scale 1) until the village's persons are used up; the last household takes the
   remainder. District populations are therefore exact.
3. **Village effects.** Each village gets a log-consumption effect ``N(0, sd)`` with sd 0.28 in the interior
   districts (Mahakam Ulu, Kutai Barat, Kutai Timur, Paser) and 0.15 elsewhere, plus a *pocket* shift of
   -0.35 with probability 0.12 (interior) or 0.04. Poverty therefore clusters in villages, more so inland.
4. **Latent welfare.** Each household gets ``eta ~ N(0, 1)``; the covariate latent ``W = eta + v / 0.3 * 0.5
   + context`` (context: +0.6 urban, -0.4 interior, +0.3 cities) drives housing, assets, schooling and work so
   that they correlate with each other and with consumption.

Conventions: codes are Kemendagri dotted codes; ``urban`` means kelurahan (the administrative split, not
BPS's census-block classification). Limits: village sizes are synthetic, not the Dukcapil village counts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.errors import SynthError
from entas.synth.targets import YearTargets

INTERIOR_DISTRICTS: tuple[str, ...] = ("64.11", "64.07", "64.08", "64.01")
"""Mahakam Ulu, Kutai Barat, Kutai Timur, Paser: where poverty concentrates (SOURCES.md section 2.2)."""
CITY_DISTRICTS: tuple[str, ...] = ("64.71", "64.72", "64.74")

SIZE_SHARES_URBAN = np.array([0.09, 0.17, 0.22, 0.24, 0.15, 0.08, 0.03, 0.015, 0.005])
SIZE_SHARES_RURAL = np.array([0.08, 0.16, 0.21, 0.24, 0.16, 0.09, 0.04, 0.015, 0.005])
"""Household-size shares for sizes 1..9 (assumption shaped on Susenas averages of 3.6-3.9 persons)."""

VILLAGE_SD = {True: 0.28, False: 0.15}
POCKET_PROB = {True: 0.12, False: 0.04}
POCKET_SHIFT = -0.35


def _urban_share(weights: np.ndarray, urban: np.ndarray, district: np.ndarray, pop: np.ndarray, f: float) -> float:
    w = np.where(urban, weights * f, weights)
    total = np.bincount(district, weights=w)
    urban_w = np.bincount(district, weights=np.where(urban, w, 0.0), minlength=total.size)
    return float((pop * urban_w / total).sum() / pop.sum())


def _allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of ``total * shares`` with at least one unit per share."""
    n = shares.size
    if total <= n:
        return np.ones(n, dtype=np.int64)
    raw = shares * (total - n)
    base = np.floor(raw).astype(np.int64)
    rest = int(total - n - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return np.asarray(base + 1)


def village_frame(villages: pl.DataFrame, targets: YearTargets, scale: float, rng: np.random.Generator) -> pl.DataFrame:
    """One row per village: codes, urban, persons allocated, village effect, pocket flag."""
    vil = villages.sort("code")
    dcodes = targets.districts["district_code"].to_list()
    district = vil["district_code"].replace_strict({c: i for i, c in enumerate(dcodes)}, return_dtype=pl.Int64)
    d_idx = district.to_numpy()
    urban = vil["urban"].to_numpy().astype(bool)
    pop = np.round(targets.districts["population"].to_numpy() * scale).astype(np.int64)
    weights = rng.lognormal(0.0, 0.6, vil.height)
    dist = targets.districts
    implied_p0 = float((dist["p0"] * dist["population"]).sum()) / float(dist["population"].sum())
    share_target = (implied_p0 - targets.rural_p0) / (targets.urban_p0 - targets.rural_p0)
    lo, hi = 1.0, 200.0
    for _ in range(60):  # bisection on the kelurahan weight factor
        mid = (lo * hi) ** 0.5
        if _urban_share(weights, urban, d_idx, pop.astype(float), mid) < share_target:
            lo = mid
        else:
            hi = mid
    w = np.where(urban, weights * lo, weights)
    persons = np.zeros(vil.height, dtype=np.int64)
    for d in range(len(dcodes)):  # ten districts
        members = np.flatnonzero(d_idx == d)
        persons[members] = _allocate(int(pop[d]), w[members] / w[members].sum())
    interior = np.isin(vil["district_code"].to_numpy(), INTERIOR_DISTRICTS)
    sd = np.where(interior, VILLAGE_SD[True], VILLAGE_SD[False])
    pocket = rng.random(vil.height) < np.where(interior, POCKET_PROB[True], POCKET_PROB[False])
    effect = rng.normal(0.0, 1.0, vil.height) * sd + np.where(pocket, POCKET_SHIFT, 0.0)
    context = 0.6 * urban - 0.4 * interior + 0.3 * np.isin(vil["district_code"].to_numpy(), CITY_DISTRICTS)
    return vil.select(
        village_code="code", subdistrict_code="subdistrict_code", district_code="district_code", urban="urban"
    ).with_columns(
        district_index=pl.Series(d_idx),
        persons=pl.Series(persons),
        village_effect=pl.Series(effect),
        pocket=pl.Series(pocket),
        interior=pl.Series(interior),
        context=pl.Series(context.astype(np.float64)),
        kelurahan_weight_factor=pl.lit(lo),
    )


def household_frame(vil: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Households drawn village by village until each village's persons are used up (sizes sum exactly)."""
    persons = vil["persons"].to_numpy()
    urban = vil["urban"].to_numpy()
    # One draw per person is always enough (every household has at least one member), whatever the seed.
    draws = np.maximum(persons, 1).astype(np.int64)
    vidx = np.repeat(np.arange(vil.height), draws)
    u = rng.random(vidx.size)
    cum_u = np.cumsum(SIZE_SHARES_URBAN / SIZE_SHARES_URBAN.sum())
    cum_r = np.cumsum(SIZE_SHARES_RURAL / SIZE_SHARES_RURAL.sum())
    size = np.where(urban[vidx], np.searchsorted(cum_u, u, side="right"), np.searchsorted(cum_r, u, side="right"))
    size = np.minimum(size, 8) + 1
    starts = np.concatenate(([0], np.cumsum(draws)[:-1]))
    cum = np.cumsum(size)
    before = cum - size - np.repeat(np.concatenate(([0], cum[starts[1:] - 1])), draws)
    limit = persons[vidx]
    keep = before < limit
    if not np.all(np.bincount(vidx, weights=size, minlength=vil.height) >= persons):
        raise SynthError("household-size draws did not cover a village's population")  # pragma: no cover (a bug)
    size = np.where(before + size > limit, limit - before, size)[keep]
    vidx = vidx[keep]
    eta = rng.normal(0.0, 1.0, vidx.size)
    effect = vil["village_effect"].to_numpy()[vidx]
    latent = eta + effect / 0.3 * 0.5 + vil["context"].to_numpy()[vidx]
    seq = np.arange(vidx.size) - np.repeat(np.concatenate(([0], np.cumsum(np.bincount(vidx))[:-1])), np.bincount(vidx))
    frame = vil.select("village_code", "subdistrict_code", "district_code", "urban", "district_index", "interior")
    out: pl.DataFrame = frame[vidx].with_columns(
        village_index=pl.Series(vidx),
        seq=pl.Series(seq + 1),
        household_size=pl.Series(size.astype(np.int64)),
        village_effect=pl.Series(effect),
        eta=pl.Series(eta),
        latent=pl.Series(latent),
    )
    return out
