"""Exact covers of a household's gap: the sets of its candidate programs whose effects lift it out of poverty.

For the headcount objective a household counts only when lifted: ``welfare + sum of effects >= line`` (poor is
strictly below the line). A *cover* is a set of the household's candidate pairs whose effects sum to at least
its gap; a *minimal cover* is one from which no pair can be dropped. With positive costs the cheapest cover is
always minimal, so the minimal covers are all a plan (or a Lagrangian price, ``entas.plan.lagrange``) ever needs.

Method: households are grouped by their number ``k`` of useful pairs (positive effect, household poor); the
``2^k x k`` bit matrix of subsets is built once per ``k`` and the subset effects of a chunk of households are
one matrix product; a subset is a minimal cover when it covers and none of its ``k`` one-smaller subsets does.
Work is ``sum_h 2^k_h``: about 51 subsets per household for 15 programs with 30% eligibility.

Limits: a household with more than ``k_max`` useful pairs (default 15) keeps only its ``k_max`` pairs with the
best effect per rupiah (ties: lower program); ``Covers.capped`` flags it, and a bound built on these covers
must treat it apart (``lagrange`` counts it as lifted). The lift test allows a rounding margin of ``1e-9`` of
the line below the gap (0.0005 rupiah on a Rp 500,000 line), so a matrix product's rounding never drops a
cover the objective counts; on whole-rupiah data it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from entas.errors import PlanError
from entas.plan.solvers import Problem

F = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
K_MAX = 15
"""Most pairs per household enumerated exactly (``2^15`` subsets); more are cut to the best by effect per rupiah."""
LIFT_TOL = 1e-9
"""Rounding margin of the lift test, as a share of the line (see the module docstring)."""
_CHUNK = 1 << 21
"""Subset sums computed at once (households x subsets): 16 MB of float64."""


@dataclass(frozen=True)
class Covers:
    """The minimal covers of every poor household, one row per cover, grouped by household.

    ``hh``: the household of each cover; covers are sorted by household, then by the lexicographic order of
    their program-index sets (so the first of equally cheap covers is the one with the lower programs).
    ``ptr``: cover ``i`` holds the pairs ``pairs[ptr[i]:ptr[i + 1]]`` (indices into the Problem's pairs, by
    ascending program). ``capped``: per household, true when it had more than ``k_max`` useful pairs.
    """

    hh: Ints
    ptr: Ints
    pairs: Ints
    capped: B
    n_households: int
    k_max: int

    @property
    def size(self) -> Ints:
        """Pairs in each cover."""
        return np.diff(self.ptr)

    @cached_property
    def owners(self) -> Ints:
        """The households that have covers, ascending (one per run of ``hh``)."""
        return self.hh[self._starts]

    @cached_property
    def _starts(self) -> Ints:
        return np.flatnonzero(np.r_[True, self.hh[1:] != self.hh[:-1]]) if self.hh.size else self.hh

    @cached_property
    def _run(self) -> Ints:
        return np.cumsum(np.r_[False, self.hh[1:] != self.hh[:-1]]) if self.hh.size else self.hh

    def total(self, entry_value: F) -> F:
        """Sum over each cover of a value per entry of ``pairs`` (e.g. ``cost[pairs]``)."""
        if self.hh.size == 0:
            return np.zeros(0)
        out: F = np.add.reduceat(entry_value, self.ptr[:-1])
        return out

    def pick(self, cover_cost: F, cover_tie: F | None = None) -> tuple[F, Ints]:
        """Per owner (``owners``): the least ``cover_cost`` and the index of its cover (-1 when inf).

        Ties go to the least ``cover_tie`` (when given), then to the first cover (lexicographically smallest
        set of program indices).
        """
        if self.hh.size == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        seg_min = np.minimum.reduceat(cover_cost, self._starts)
        best = cover_cost <= seg_min[self._run]
        if cover_tie is not None:
            tc = np.where(best, cover_tie, np.inf)
            best &= tc <= np.minimum.reduceat(tc, self._starts)[self._run]
        pos = np.where(best, np.arange(cover_cost.size), cover_cost.size)
        return seg_min, np.where(np.isfinite(seg_min), np.minimum.reduceat(pos, self._starts), -1)

    def cheapest(self, pair_cost: F, tie_cost: F | None = None) -> tuple[F, Ints]:
        """Each household's cheapest minimal cover under ``pair_cost`` (one value per Problem pair).

        Returns the cost per household (``inf`` when it has no cover, i.e. the household is not poor or all its
        effects together do not lift it) and the index of the chosen cover (-1 when none). Ties go to the
        cover cheapest under ``tie_cost`` (when given), then to the lexicographically smallest set of program
        indices.
        """
        cost = np.full(self.n_households, np.inf)
        chosen = np.full(self.n_households, -1, dtype=np.int64)
        tie = None if tie_cost is None else self.total(tie_cost[self.pairs])
        cost[self.owners], chosen[self.owners] = self.pick(self.total(pair_cost[self.pairs]), tie)
        return cost, chosen

    def entries_of(self, chosen: Ints) -> Ints:
        """Positions in ``pairs`` of the given covers' pairs (covers as indices; -1 skipped), concatenated."""
        chosen = chosen[chosen >= 0]
        lengths = self.ptr[chosen + 1] - self.ptr[chosen]
        ends = np.cumsum(lengths)
        within = np.arange(int(ends[-1]) if ends.size else 0) - np.repeat(ends - lengths, lengths)
        out: Ints = np.repeat(self.ptr[chosen], lengths) + within
        return out

    def pairs_of(self, chosen: Ints) -> Ints:
        """The pairs (indices into the Problem's pairs) of the given covers, concatenated."""
        out: Ints = self.pairs[self.entries_of(chosen)]
        return out


def minimal_covers(pb: Problem, *, k_max: int = K_MAX) -> Covers:
    """Enumerate the minimal covers of every household with a positive gap (see the module docstring)."""
    if k_max < 1 or k_max > 20:
        raise PlanError(f"k_max must be between 1 and 20 (2^k_max subsets per household), got {k_max}")
    n_h = pb.persons.size
    gap = pb.gap
    useful = np.flatnonzero((pb.effect > 0) & (gap[pb.hh] > 0))
    # the k_max best pairs by effect per rupiah (ties: lower program), then back in program order
    h, ratio = pb.hh[useful], pb.effect[useful] / pb.cost[useful]
    order = useful[np.lexsort((pb.prog[useful], -ratio, h))]
    starts = np.searchsorted(pb.hh[order], pb.hh[order], side="left")
    rank = np.arange(order.size) - starts
    n_useful = np.bincount(pb.hh[useful], minlength=n_h)
    capped = n_useful > k_max
    kept = order[rank < k_max]
    kept = kept[np.lexsort((pb.prog[kept], pb.hh[kept]))]
    hk = pb.hh[kept]
    k_h = np.bincount(hk, minlength=n_h)
    start_h = np.zeros(n_h, dtype=np.int64)
    start_h[1:] = np.cumsum(k_h)[:-1]
    need = gap - LIFT_TOL * pb.line
    reach = np.bincount(hk, weights=pb.effect[kept], minlength=n_h)
    liftable = (k_h > 0) & (reach >= need)
    out_hh: list[Ints] = []
    out_mask: list[Ints] = []
    out_k: list[Ints] = []
    out_pairs: list[Ints] = []
    for k in np.unique(k_h[liftable]).tolist():
        households = np.flatnonzero(liftable & (k_h == k))
        masks = np.arange(1 << k, dtype=np.int64)
        # bit (k - 1 - j) of a mask is the household's j-th pair: larger mask = lexicographically smaller set
        bits = ((masks[:, None] >> (k - 1 - np.arange(k))[None, :]) & 1).astype(bool)
        with_bit = [np.flatnonzero(bits[:, j]) for j in range(k)]
        rows = max(1, _CHUNK >> k)
        for lo in range(0, households.size, rows):
            hs = households[lo:lo + rows]
            idx = kept[start_h[hs][:, None] + np.arange(k)[None, :]]
            sums = pb.effect[idx] @ bits.T.astype(np.float64)
            covers = sums >= need[hs][:, None]
            covers[:, 0] = False  # the empty set never lifts a poor household
            minimal = covers.copy()
            for j in range(k):
                cols = with_bit[j]
                minimal[:, cols] &= ~covers[:, cols ^ (1 << (k - 1 - j))]
            r, s = np.nonzero(minimal)
            ci, pos = np.nonzero(bits[s])
            out_hh.append(hs[r])
            out_mask.append(s)
            out_k.append(np.bincount(ci, minlength=r.size).astype(np.int64))
            out_pairs.append(idx[r[ci], pos])
    if not out_hh:
        empty = np.zeros(0, dtype=np.int64)
        return Covers(empty, np.zeros(1, dtype=np.int64), empty, capped, n_h, k_max)
    c_hh, c_mask, c_k = np.concatenate(out_hh), np.concatenate(out_mask), np.concatenate(out_k)
    c_pairs = np.concatenate(out_pairs)
    c_ptr = np.r_[0, np.cumsum(c_k)].astype(np.int64)
    order = np.lexsort((-c_mask, c_hh))
    lengths = c_k[order]
    ends = np.cumsum(lengths)
    within = np.arange(int(ends[-1])) - np.repeat(ends - lengths, lengths)
    pairs = c_pairs[np.repeat(c_ptr[order], lengths) + within]
    return Covers(c_hh[order], np.r_[0, ends].astype(np.int64), pairs, capped, n_h, k_max)


def min_cost_covers(pb: Problem, *, price: F | None = None, k_max: int = K_MAX,
                    covers: Covers | None = None) -> tuple[F, B]:
    """Each household's cheapest set of pairs that lifts it: cost per household and the chosen pairs.

    Pair costs are ``cost_hp * price_p`` (``price``: per-program multiplier, e.g. ``1 + lambda_p`` from a
    Lagrangian; default 1). Cost is ``inf`` for a poor household no set of its pairs lifts, and 0 (nothing
    chosen) for a household that is not poor. The set is the cheapest minimal cover; ties go to the
    lexicographically smallest set of program indices. ``covers``: reuse an enumeration of ``minimal_covers``.
    """
    if price is not None and (price.shape != pb.prog_budget.shape or bool(np.any(~(price >= 0)))):
        raise PlanError(f"price needs one value >= 0 per program ({pb.prog_budget.size}), got shape {price.shape}")
    cv = minimal_covers(pb, k_max=k_max) if covers is None else covers
    pair_cost = pb.cost if price is None else pb.cost * price[pb.prog]
    cost, chosen = cv.cheapest(pair_cost)
    cost[pb.gap <= 0] = 0.0
    mask = np.zeros(pb.hh.size, dtype=bool)
    mask[cv.pairs_of(chosen)] = True
    return cost, mask
