"""Spatial hot spots of poverty among areas: local Getis-Ord Gi* and local Moran, with permutation inference.

Input: one value per area, which should be a **small-area estimate** (e.g. a Fay-Herriot or EBP rate), not a
raw direct rate: direct rates of small samples are so noisy that their extremes, and therefore the "hot
spots" of local statistics, mostly mark small samples. Output: one row per area.

Statistics (x_i the value of area i; N(i) its neighbours from ``entas.areas.neighbours``; n areas):

- **Gi*** (Getis and Ord 1992; Ord and Getis 1995), by ``esda.G_Local(star=True)`` on binary weights with
  the area itself included (w_ii = 1): ``gi_star`` = sum_{j in N(i) + i} x_j / sum_j x_j, and ``gi_star_z``
  its z-score under the randomisation moments (E = |N(i)+i|/n; the same z as R ``spdep::localG`` on
  ``include.self(nb)``, style ``B``). A high z means the area and its neighbours together hold more of the
  total than their share.
- **Local Moran** I_i (Anselin 1995), by ``esda.Moran_Local`` on row-standardised weights:
  ``moran_i`` = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2 with z = x - mean(x) (PySAL and GeoDa scaling; R
  ``spdep::localmoran(mlvar = FALSE)``); ``moran_z`` = (I_i - E I_i) / sqrt(Var I_i) under conditional
  randomisation (Sokal, Oden and Thomson 1998; R ``localmoran(conditional = TRUE)``); null when Var I_i = 0
  (x_i equal to the mean). ``quadrant``: HH, LH, LL, HL (the area's value, then the mean of its neighbours,
  high or low against the overall mean; a value exactly at the mean counts as low, as in PySAL).

Inference by permutation, ``permutations`` (P) times, seeded from ``numpy.random.SeedSequence(seed)`` (the
global NumPy random state is restored after esda, which seeds it, so a seeded call is deterministic and has
no side effect):

- Gi*: **total permutation**, all n values permuted over all areas (vectorised here: one sparse product per
  batch of 1,000 permutations). This is the randomisation null under which Ord and Getis derived the moments
  of Gi*, so ``gi_star_p`` and the normal p of ``gi_star_z`` estimate the same thing (the tests check they
  agree). esda's own Gi* permutations are conditional (x_i held fixed); we do not use them because, with x_i
  fixed, Gi* is an affine function of the neighbours' sum, so its permutation test is exactly that of Gi
  (without the area itself) and of local Moran: the "star" would be lost.
- local Moran: **conditional permutation** (Anselin 1995), esda's engine: x_i stays at area i, the other
  n - 1 values are permuted over the other areas (batches of at most 1,000 permutations).

Null hypothesis: spatial randomness (for Moran, given x_i). Alternative: **two-sided**, the statistic differs
from its permutation distribution. With G the number of permuted statistics >= the observed one and L the
number <= it (values equal within 1e-9 relative count in both), ``p = min(1, 2 (min(G, L) + 1) / (P + 1))``:
a "directed" p-value doubled, counting ties on both sides (esda's own p counts only strictly smaller values
on the low side, so an area whose neighbours are all 0, frequent with extreme-poverty rates, would get the
smallest possible p). The smallest reachable p is 2 / (P + 1).

False discovery rate: ``gi_star_q`` and ``moran_q`` are Benjamini-Hochberg (1995) q-values of those p-values
across the tested areas, separately for each statistic (``benjamini_hochberg``, checked against R
``p.adjust(method = "BH")``; esda's ``fdr`` is not used: it returns one cut-off with a strict ``<``). An area
is significant when q <= alpha (``fdr=True``, the default) or p <= alpha (``fdr=False``); BH then controls
the expected share of false hot and cold spots among those flagged at alpha (under independence or positive
dependence of the tests). ``classification`` is ``hot spot`` (Gi* significant and in the upper tail of its
permutation distribution), ``cold spot`` (lower tail), ``not significant``, or ``not tested``;
``lisa_cluster`` is the quadrant when local Moran is significant (HH and LL are clusters, HL and LH
outliers), else ``not significant`` or ``not tested``.

Areas without neighbours (islands, including those created because their neighbours have no estimate) are
**not tested**: their statistics, p and q are null and ``note`` says why; they still count in n, in the mean
and variance, and among the values permuted to other areas (as ``zero.policy = TRUE`` in spdep).

Limits: BH across m areas rejects k of them only if k p-values are <= k alpha / m, and a permutation p is
never below 2 / (P + 1); so with P = 999 and m = 1,038 villages nothing is flagged unless at least 42 areas
reach that floor. For village maps use P of several thousands (2m / alpha ~ 41,500 lets a single area be
flagged; cost grows linearly in P). Values must be non-negative (Gi* is a share of a total). The neighbour graph
matters as much as the data: on the schematic tree graph (see ``entas.areas.neighbours``) village Gi* tests
subdistricts, not villages. Estimation error of the input values is not propagated.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from libpysal.weights import W

from entas.areas.neighbours import AreaNeighbours
from entas.errors import HotSpotError

METHOD_VERSION = "entas.pockets.hotspots 0.1"
MIN_AREAS = 5
MIN_PERMUTATIONS = 99
_BATCH = 1000
_TIE = 1e-9
_QUADRANTS = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)  # esda's q: 1 HH, 2 LH, 3 LL, 4 HL
_NOT_TESTED = "not tested"
_RESULT_COLUMNS = (
    "value",
    "neighbours",
    "tested",
    "gi_star",
    "gi_star_z",
    "gi_star_p",
    "gi_star_q",
    "moran_i",
    "moran_z",
    "moran_p",
    "moran_q",
    "quadrant",
    "classification",
    "lisa_cluster",
    "note",
    "neighbour_source",
    "method",
)
_ISLAND_NOTE = "no neighbours: not tested"

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Local:
    """One local statistic for every area: observed value, analytic z, and permutation tail counts."""

    statistic: Floats
    z: Floats
    n_greater: npt.NDArray[np.int64]  # permuted statistics >= observed (ties included)
    n_less: npt.NDArray[np.int64]  # permuted statistics <= observed (ties included)


def hot_spots(
    estimates: pl.DataFrame,
    neighbours: AreaNeighbours,
    *,
    value: str = "estimate",
    area: str = "area_code",
    permutations: int = 999,
    seed: int = 2024,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pl.DataFrame:
    """Local Gi* and local Moran with permutation p-values and BH q-values, one row per area.

    ``estimates`` holds one row per area: its code in ``area`` (codes of ``neighbours``) and a non-negative
    value in ``value``. The graph is restricted to those areas. Columns of the result, sorted by area:
    ``<area>, value, neighbours, tested, gi_star, gi_star_z, gi_star_p, gi_star_q, moran_i, moran_z,
    moran_p, moran_q, quadrant, classification, lisa_cluster, note, neighbour_source, method``.
    Raises ``HotSpotError`` for missing columns, duplicated, unknown or null entries, negative values,
    fewer than ``MIN_AREAS`` tested areas, a constant value, or bad options.
    """
    check_options(permutations, alpha)
    codes, y = _values(estimates, area=area, value=value)
    graph = neighbours.restrict(codes)
    assert list(graph.codes) == codes  # both sorted by code
    cardinality = np.array([len(near) for near in graph.neighbour_lists], dtype=np.int64)
    tested = cardinality > 0
    if tested.sum() < MIN_AREAS:
        raise HotSpotError(f"{int(tested.sum())} area(s) with neighbours; local statistics need {MIN_AREAS}")
    if np.all(y == y[0]):
        raise HotSpotError(f"every area has the same {value!r} ({y[0]}): nothing to compare")
    gi_seed, moran_seed = np.random.SeedSequence(seed).spawn(2)
    gi = _gi_star(y, graph, permutations, np.random.default_rng(gi_seed))
    moran, quadrant = _local_moran(y, graph, permutations, int(moran_seed.generate_state(1)[0]))
    columns: dict[str, object] = {
        area: list(graph.codes),
        "value": y,
        "neighbours": cardinality,
        "tested": tested,
        "gi_star": _masked(gi.statistic, tested),
        "gi_star_z": _masked(gi.z, tested),
    }
    flags: dict[str, npt.NDArray[np.bool_]] = {}
    for name, local in (("gi_star", gi), ("moran", moran)):
        p = _masked(permutation_p_value(local.n_greater, local.n_less, permutations), tested)
        q = benjamini_hochberg(p)
        if name == "moran":
            columns["moran_i"] = _masked(local.statistic, tested)
            columns["moran_z"] = _masked(local.z, tested)
        columns[f"{name}_p"], columns[f"{name}_q"] = p, q
        flags[name] = tested & ((q if fdr else p) <= alpha)
    columns["quadrant"] = quadrant.tolist()
    columns["upper"] = gi.n_greater < gi.n_less
    columns["gi_significant"], columns["moran_significant"] = flags["gi_star"], flags["moran"]
    numbers = ("gi_star", "gi_star_z", "gi_star_p", "gi_star_q", "moran_i", "moran_z", "moran_p", "moran_q")
    return (
        pl.DataFrame(columns)
        .with_columns(pl.col(c).fill_nan(None) for c in numbers)
        .with_columns(
            classification=pl.when(~pl.col("tested"))
            .then(pl.lit(_NOT_TESTED))
            .when(pl.col("gi_significant"))
            .then(pl.when(pl.col("upper")).then(pl.lit("hot spot")).otherwise(pl.lit("cold spot")))
            .otherwise(pl.lit("not significant")),
            lisa_cluster=pl.when(~pl.col("tested"))
            .then(pl.lit(_NOT_TESTED))
            .when(pl.col("moran_significant"))
            .then(pl.col("quadrant"))
            .otherwise(pl.lit("not significant")),
            quadrant=pl.when(pl.col("tested")).then(pl.col("quadrant")),
            note=pl.when(~pl.col("tested")).then(pl.lit(_ISLAND_NOTE)),
            neighbour_source=pl.lit(graph.source),
            method=pl.lit(METHOD_VERSION),
        )
        .select(area, *_RESULT_COLUMNS)
    )


def benjamini_hochberg(p_values: npt.ArrayLike) -> Floats:
    """Benjamini-Hochberg (1995) q-values (R ``p.adjust(method = "BH")``); NaN entries stay NaN and are not
    counted among the tests. q_(i) = min over k >= i of min(1, m p_(k) / k), for p sorted ascending."""
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    m = int(finite.sum())
    if m == 0:
        return q
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise HotSpotError("p-values must lie in [0, 1]")
    values = p[finite]
    order = np.argsort(values, kind="stable")
    scaled = (m / np.arange(1, m + 1)) * values[order]  # the operation order of R p.adjust, so results are equal
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted
    q[finite] = out
    return q


def permutation_p_value(n_greater: npt.ArrayLike, n_less: npt.ArrayLike, permutations: int) -> Floats:
    """Two-sided permutation p-value ``min(1, 2 (min(G, L) + 1) / (P + 1))`` from the tail counts G (>=) and
    L (<=) of P permuted statistics."""
    extreme = np.minimum(np.asarray(n_greater), np.asarray(n_less))
    return np.asarray(np.minimum(1.0, 2.0 * (extreme + 1.0) / (permutations + 1.0)), dtype=np.float64)


def _gi_star(y: Floats, graph: AreaNeighbours, permutations: int, rng: np.random.Generator) -> _Local:
    """Gi* (esda) with a total-permutation null: every one of the n values is permuted over all areas."""
    import esda

    with_self = {code: [code, *near] for code, near in graph.as_dict().items()}
    weights = W(with_self, id_order=list(graph.codes), silence_warnings=True)
    with _quiet_esda():
        result = esda.G_Local(y, weights, transform="B", star=True, permutations=0)
    observed = np.asarray(result.Gs, dtype=np.float64)
    matrix = result.w.sparse.tocsr()  # binary, w_ii = 1, rows in code order
    n, total = len(y), float(y.sum())
    counts = []
    for size in _batch_sizes(permutations):
        shuffled = rng.permuted(np.tile(np.arange(n), (size, 1)), axis=1)  # one permutation per row
        counts.append(_tails(observed, np.asarray(matrix @ y[shuffled].T) / total))
    return _combine(counts, np.asarray(result.Zs, dtype=np.float64))


def _local_moran(
    y: Floats, graph: AreaNeighbours, permutations: int, seed: int
) -> tuple[_Local, npt.NDArray[np.object_]]:
    """Local Moran (esda) with esda's conditional permutations, in batches seeded from ``seed``."""
    import esda

    counts: list[tuple[Floats, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    z = np.empty(0)
    quadrant = np.empty(0, dtype=object)
    sizes = _batch_sizes(permutations)
    seeds = np.random.SeedSequence(seed).generate_state(len(sizes))
    for size, batch_seed in zip(sizes, seeds, strict=True):
        with _quiet_esda():
            result = esda.Moran_Local(
                y, graph.row_standardised(), transformation="r", permutations=size, seed=int(batch_seed), n_jobs=1
            )
            variance = np.asarray(result.VIc, dtype=np.float64)
            z = np.where(variance > 0, (result.Is - result.EIc) / np.sqrt(variance), np.nan)
        quadrant = _QUADRANTS[np.asarray(result.q, dtype=np.int64)]
        counts.append(_tails(np.asarray(result.Is, dtype=np.float64), np.asarray(result.rlisas, dtype=np.float64)))
    return _combine(counts, z), quadrant


def _tails(observed: Floats, simulated: Floats) -> tuple[Floats, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Counts of permuted statistics (rows: areas) at or above and at or below the observed one."""
    tolerance = _TIE * (np.abs(observed) + np.abs(simulated).mean(axis=1))
    greater = (simulated >= (observed - tolerance)[:, None]).sum(axis=1)
    less = (simulated <= (observed + tolerance)[:, None]).sum(axis=1)
    return observed, greater.astype(np.int64), less.astype(np.int64)


def _combine(counts: list[tuple[Floats, npt.NDArray[np.int64], npt.NDArray[np.int64]]], z: Floats) -> _Local:
    return _Local(
        statistic=counts[0][0],
        z=z,
        n_greater=np.sum([c[1] for c in counts], axis=0),
        n_less=np.sum([c[2] for c in counts], axis=0),
    )


def _batch_sizes(permutations: int) -> list[int]:
    full, rest = divmod(permutations, _BATCH)
    return [_BATCH] * full + ([rest] if rest else [])


@contextmanager
def _quiet_esda() -> Iterator[None]:
    """Run esda without side effects: restore NumPy's global random state (esda seeds it), silence the
    notice about its default alternative (our p-values come from the kept permutations), and allow the 0/0
    of permutation moments at islands (their results are discarded)."""
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
            yield
    finally:
        np.random.set_state(state)


def _values(estimates: pl.DataFrame, *, area: str, value: str) -> tuple[list[str], Floats]:
    if not isinstance(estimates, pl.DataFrame):
        raise HotSpotError(f"estimates must be a Polars DataFrame, not {type(estimates).__name__}")
    if area in _RESULT_COLUMNS:
        raise HotSpotError(f"the area column may not be called {area!r}: the result has a column of that name")
    missing = [c for c in (area, value) if c not in estimates.columns]
    if missing:
        raise HotSpotError(f"estimates have no column(s) {', '.join(missing)}; columns: {', '.join(estimates.columns)}")
    frame = estimates.select(pl.col(area).cast(pl.Utf8), pl.col(value).cast(pl.Float64))
    if frame[area].null_count():
        raise HotSpotError(f"{frame[area].null_count()} estimate row(s) without an area code")
    duplicated = frame.filter(pl.col(area).is_duplicated())[area].unique().sort().to_list()
    if duplicated:
        raise HotSpotError(f"areas with more than one estimate: {', '.join(duplicated[:5])}")
    bad = frame.filter(pl.col(value).is_null() | ~pl.col(value).is_finite())[area].to_list()
    if bad:
        raise HotSpotError(f"{len(bad)} area(s) without a finite {value!r}: {', '.join(sorted(bad)[:5])}")
    negative = frame.filter(pl.col(value) < 0)[area].to_list()
    if negative:
        raise HotSpotError(
            f"Gi* needs non-negative values; {len(negative)} negative: {', '.join(sorted(negative)[:5])}"
        )
    frame = frame.sort(area)
    return frame[area].to_list(), frame[value].to_numpy().astype(np.float64)


def check_options(permutations: int, alpha: float) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < MIN_PERMUTATIONS:
        raise HotSpotError(f"permutations must be an integer >= {MIN_PERMUTATIONS}, not {permutations!r}")
    if not 0 < alpha < 1:
        raise HotSpotError(f"alpha must lie strictly between 0 and 1, not {alpha!r}")


def _masked(values: Floats, keep: npt.NDArray[np.bool_]) -> Floats:
    return np.where(keep, values, np.nan)
