"""entas.plan.covers against brute force over every subset of each household's pairs (itertools)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from entas.plan.covers import min_cost_covers, minimal_covers
from entas.plan.solvers import Problem


def random_problem(seed: int, *, n_h: int = 30, n_p: int = 6, keep: float = 0.6) -> Problem:
    """Small integers, so equal costs (ties) and exact lifts (welfare + effects == line) are common."""
    r = np.random.default_rng(seed)
    hh = np.repeat(np.arange(n_h), n_p)
    prog = np.tile(np.arange(n_p), n_h)
    mask = r.random(hh.size) < keep
    hh, prog = hh[mask], prog[mask]
    return Problem(hh=hh, prog=prog, cost=r.integers(1, 4, hh.size).astype(float),
                   effect=r.integers(0, 5, hh.size).astype(float) * 10.0,
                   persons=r.integers(1, 5, n_h).astype(float), welfare=r.integers(60, 105, n_h).astype(float),
                   line=np.full(n_h, 100.0), district=np.zeros(n_h, np.int64), prog_budget=np.full(n_p, np.inf),
                   prog_quota=np.full(n_p, np.inf), prog_funder=np.zeros(n_p, np.int64),
                   funder_budget=np.array([np.inf]), floor_rp=np.zeros(1), floor_households=np.zeros(1), alpha=0)


def brute_force(pb: Problem, price: np.ndarray) -> list[tuple[float, tuple[int, ...]] | None]:
    """Per household: (cost, programs) of the cheapest minimal cover, ties to the smallest program tuple."""
    out: list[tuple[float, tuple[int, ...]] | None] = []
    for h in range(pb.persons.size):
        idx = np.flatnonzero(pb.hh == h)
        if pb.welfare[h] >= pb.line[h]:
            out.append((0.0, ()))
            continue
        best: tuple[float, tuple[int, ...]] | None = None
        for k in range(1, idx.size + 1):
            for subset in itertools.combinations(idx.tolist(), k):
                total = sum(pb.effect[i] for i in subset)
                if pb.welfare[h] + total < pb.line[h]:
                    continue
                if any(pb.welfare[h] + total - pb.effect[i] >= pb.line[h] for i in subset):
                    continue  # not minimal
                key = (float(sum(pb.cost[i] * price[pb.prog[i]] for i in subset)),
                       tuple(sorted(int(pb.prog[i]) for i in subset)))
                if best is None or key < best:
                    best = key
        out.append(best)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_min_cost_covers_equal_brute_force(seed: int) -> None:
    pb = random_problem(seed)
    price = np.random.default_rng(seed + 100).integers(0, 3, pb.prog_budget.size).astype(float)
    cost, mask = min_cost_covers(pb, price=price if seed % 4 else None)
    expected = brute_force(pb, price if seed % 4 else np.ones(pb.prog_budget.size))
    for h, want in enumerate(expected):
        got_programs = tuple(pb.prog[(pb.hh == h) & mask].tolist())
        if want is None:
            assert cost[h] == np.inf and got_programs == ()
        else:
            assert cost[h] == pytest.approx(want[0], abs=1e-12)
            assert got_programs == want[1]


def test_every_minimal_cover_lifts_and_no_pair_can_be_dropped() -> None:
    pb = random_problem(7, n_h=60, n_p=8)
    cv = minimal_covers(pb)
    assert cv.hh.size > 0
    for i in range(cv.hh.size):
        pairs = cv.pairs[cv.ptr[i]:cv.ptr[i + 1]]
        h = int(cv.hh[i])
        assert (pb.hh[pairs] == h).all() and (np.diff(pb.prog[pairs]) > 0).all()
        total = float(pb.effect[pairs].sum())
        assert pb.welfare[h] + total >= pb.line[h]
        assert (pb.welfare[h] + total - pb.effect[pairs] < pb.line[h]).all()


def test_covers_do_not_depend_on_pair_order() -> None:
    pb = random_problem(3, n_h=50)
    perm = np.random.default_rng(0).permutation(pb.hh.size)
    shuffled = Problem(**{**pb.__dict__, "hh": pb.hh[perm], "prog": pb.prog[perm], "cost": pb.cost[perm],
                          "effect": pb.effect[perm]})
    cost_a, mask_a = min_cost_covers(pb)
    cost_b, mask_b = min_cost_covers(shuffled)
    assert np.array_equal(cost_a, cost_b)
    assert set(zip(pb.hh[mask_a].tolist(), pb.prog[mask_a].tolist(), strict=True)) == set(
        zip(shuffled.hh[mask_b].tolist(), shuffled.prog[mask_b].tolist(), strict=True))


def test_households_with_more_than_k_max_pairs_keep_their_best_pairs_by_effect_per_rupiah() -> None:
    # one household, gap 100, four programs; effect per rupiah: P0 10/1, P1 60/1, P2 50/1, P3 100/4
    pb = Problem(hh=np.zeros(4, np.int64), prog=np.arange(4), cost=np.array([1.0, 1.0, 1.0, 4.0]),
                 effect=np.array([10.0, 60.0, 50.0, 100.0]), persons=np.array([3.0]), welfare=np.array([0.0]),
                 line=np.array([100.0]), district=np.zeros(1, np.int64), prog_budget=np.full(4, np.inf),
                 prog_quota=np.full(4, np.inf), prog_funder=np.zeros(4, np.int64), funder_budget=np.array([np.inf]),
                 floor_rp=np.zeros(1), floor_households=np.zeros(1), alpha=0)
    cv = minimal_covers(pb, k_max=2)
    assert cv.capped.tolist() == [True]
    assert [pb.prog[cv.pairs[cv.ptr[i]:cv.ptr[i + 1]]].tolist() for i in range(cv.hh.size)] == [[1, 2]]
    full = minimal_covers(pb)
    assert not full.capped.any()
    cost, mask = min_cost_covers(pb)
    assert cost.tolist() == [2.0] and pb.prog[mask].tolist() == [1, 2]
