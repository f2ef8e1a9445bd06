"""Solvers behind ``entas.plan.allocate``: the greedy ratio rule and the HiGHS LP/MIP, on plain arrays.

The problem (see ``docs/planning.md``): pairs ``(h, p)`` with cost ``c`` (rupiah per year) and effect ``e``
(rupiah per capita per month); household ``h`` has ``m`` persons, welfare ``w`` and line ``z``; its gap is
``g = max(0, z - w)``. Effects add up, so after the plan its welfare is ``w + E_h`` with ``E_h = sum_p e x``.
The objective is ``sum_h m_h FGT_alpha(w_h + E_h, z_h)`` with ``FGT_alpha(y, z) = 1(y < z) (1 - y/z)^alpha``,
subject to per-program budgets and quotas, per-funder budgets and per-district floors.

- ``greedy``: rounds; in each round every household's own greedy sequence of pairs (by marginal objective
  reduction per rupiah, given what it already got) is built, all sequences are merged by score, and offers
  are accepted in that order while the program, funder and quota limits hold (cumulative cost, so never
  over budget); what did not fit is offered again next round. For the headcount a household is offered as
  a bundle that crosses its line (``_units``), accepted whole or not at all.
- ``highs``: the MIP (binary ``x``; headcount: binary lift ``y`` with ``sum e x >= g y``; gap: the linear
  gap ``r <= min(g, sum e x)``; severity: the secant interpolation of ``u^2`` on ``segments`` pieces of
  ``[0, g/z]``, an over-estimate by at most ``(g/z/segments/2)^2`` per person) or its LP relaxation.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
from scipy import sparse, special

from entas.errors import PlanError
from entas.pockets.lognormal_fgt import expected_fgt

F = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
EXPECTED_TOL = 1e-12
"""Smallest change of a household's expected FGT worth a pair (below it: rounding, households far above)."""
_BANNER_SHOWN = False
LIFT_EPS = 1e-6
"""Relative margin added to the gap in the MIP lift constraint, so solver tolerance never leaves y=1 poor."""


@dataclass(frozen=True)
class Problem:
    """Arrays of one allocation problem; pairs sorted by (household, program); indices are 0-based."""

    hh: Ints
    prog: Ints
    cost: F
    effect: F
    persons: F
    welfare: F
    line: F
    district: Ints
    prog_budget: F
    prog_quota: F
    prog_funder: Ints
    funder_budget: F
    floor_rp: F
    floor_households: F
    alpha: int
    hh_weight: F | None = None
    """Households each household row stands for (a survey weight); None: one each. Quotas and household
    floors count it; ``persons`` and ``cost`` already include it."""
    log_sd: F | None = None
    """Expected objective: the sd of each household's log welfare around ``log(welfare)`` (the PMT's
    residual sd; ``welfare`` is then the predicted median); None: welfare is taken as known."""

    @property
    def expected(self) -> bool:
        return self.log_sd is not None

    @property
    def bundles(self) -> bool:
        """Headcount on known welfare: a household counts only when lifted, so it is offered as a bundle."""
        return self.alpha == 0 and self.log_sd is None

    @property
    def weight(self) -> F:
        return np.ones(self.persons.size) if self.hh_weight is None else self.hh_weight

    @property
    def count(self) -> F:
        """Households each pair stands for."""
        return self.weight[self.hh]

    @property
    def gap(self) -> F:
        return np.maximum(self.line - self.welfare, 0.0)


@dataclass
class Trace:
    """What the greedy did for each pair: the round, the gap before, the value and the budget left."""

    step: Ints
    gap_before: F
    value: F
    budget_left: F
    x: B = field(default_factory=lambda: np.zeros(0, dtype=bool))


def household_fgt(pb: Problem, gain: F, households: Ints | None = None) -> F:
    """FGT_alpha of households (all, or ``households``) after adding ``gain`` (aligned with them) to welfare.

    Known welfare: ``1(w + g < z) (1 - (w + g)/z)^alpha``. Expected (``log_sd``): with ``log W ~ N(log w, sd^2)``
    and ``z' = z - g``, ``E[((z' - W)/z)^alpha 1(W < z')] = (z'/z)^alpha E[FGT_alpha(W, z')]``, the lognormal's
    closed form (``entas.pockets.lognormal_fgt``); 0 when the gain alone reaches the line.
    """
    idx = np.arange(pb.persons.size) if households is None else households
    w, z = pb.welfare[idx], pb.line[idx]
    if pb.log_sd is None:
        after = w + gain
        return np.where(after < z, np.clip(1.0 - after / z, 0.0, None) ** pb.alpha, 0.0)
    shifted = z - gain
    room = shifted > 0
    safe = np.where(room, shifted, 1.0)
    value = _lognormal_fgt(np.log(w), pb.log_sd[idx], np.log(safe), pb.alpha)
    return np.where(room, (safe / z) ** pb.alpha * value, 0.0)


def _lognormal_fgt(mu: F, sd: F, log_z: F, alpha: int) -> F:
    """``expected_fgt`` for one alpha only (the planner's inner loop; same closed form, checked by tests)."""
    if alpha != 0:
        return expected_fgt(mu, sd, log_z)[:, alpha]
    probability: F = special.ndtr((log_z - mu) / sd)
    return probability


def objective(pb: Problem, x: B) -> float:
    """``sum_h m_h FGT_alpha`` after assigning the pairs where ``x`` is true (strict ``y < z``; expected
    under the lognormal law when ``pb.log_sd`` is set)."""
    gain: F = np.bincount(pb.hh, weights=pb.effect * x, minlength=pb.persons.size).astype(np.float64)
    return float(np.sum(pb.persons * household_fgt(pb, gain)))


def _marginal(pb: Problem, gain: F, pairs: Ints) -> F:
    """Objective reduction of adding each pair alone, given the households' current gains."""
    h = pb.hh[pairs]
    if pb.log_sd is not None:
        # pairs come sorted by household: the value before is computed once per household
        if h.size > 1 and bool(np.all(h[1:] >= h[:-1])):
            starts = np.r_[True, h[1:] != h[:-1]]
            first = h[starts]
            before = household_fgt(pb, gain[first], first)[np.cumsum(starts) - 1]
        else:
            before = household_fgt(pb, gain[h], h)
        drop = before - household_fgt(pb, gain[h] + pb.effect[pairs], h)
        return np.where(drop > EXPECTED_TOL, pb.persons[h] * drop, 0.0)
    rem = np.maximum(pb.gap[h] - gain[h], 0.0)
    e, z, m = pb.effect[pairs], pb.line[h], pb.persons[h]
    if pb.alpha == 0:
        return np.where(rem > 0, m * np.minimum(1.0, e / np.where(rem > 0, rem, 1.0)), 0.0)
    left = np.maximum(rem - e, 0.0)
    return m * ((rem / z) ** pb.alpha - (left / z) ** pb.alpha)


def group_cumsum(keys: Ints, values: F) -> F:
    """Cumulative sum of ``values`` within each key, in the given order."""
    order = np.argsort(keys, kind="stable")
    sv, sk = values[order], keys[order]
    cs = np.cumsum(sv)
    starts = np.r_[True, sk[1:] != sk[:-1]]
    base = np.maximum.accumulate(np.where(starts, cs - sv, -np.inf))
    out = np.empty_like(cs)
    out[order] = cs - base
    return out


def greedy(pb: Problem, *, x0: B | None = None, price: F | None = None, max_rounds: int = 200) -> Trace:
    """The greedy ratio rule in vectorized rounds; starts from ``x0`` (e.g. a rounded LP) when given.

    Districts with a floor are served first (their own units, then any of their pairs), then the province.
    ``price``: shadow prices of the programs' rupiah (from the LP); a pair then costs ``c (price + eps)``, so
    money of a scarce program is spent where it buys most (Lagrangian pricing); without it, plain rupiah.
    """
    ucost = pb.cost
    if price is not None and float(np.max(price)) > 0:
        ucost = pb.cost * (price[pb.prog] + 1e-3 * float(np.max(price)))
    n = pb.hh.size
    tr = Trace(np.full(n, -1, np.int64), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool))
    if x0 is not None:
        tr.x[:] = x0
        tr.step[x0] = 0
    state = {"round": 0}
    for district in np.flatnonzero((pb.floor_rp > 0) | (pb.floor_households > 0)):
        _rounds(pb, tr, state, max_rounds, ucost, district=int(district))
        if _floor_need(pb, tr.x, int(district)) != (0.0, 0.0):
            raise PlanError(f"the floor of district #{district} cannot be met within the budgets and candidates")
    _rounds(pb, tr, state, max_rounds, ucost, district=None)
    return tr


def _floor_need(pb: Problem, x: B, district: int) -> tuple[float, float]:
    dmask = x & (pb.district[pb.hh] == district)
    need_rp = pb.floor_rp[district] - float(np.sum(pb.cost[dmask]))
    need_hh = pb.floor_households[district] - float(np.sum(pb.weight[np.unique(pb.hh[dmask])]))
    return max(need_rp, 0.0), max(need_hh, 0.0)


def _segments(keys: Ints) -> Ints:
    """Start positions of runs of equal keys (keys sorted)."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _units(pb: Problem, gain: F, avail: Ints, ucost: F) -> tuple[Ints, F, F, F]:
    """Each household's greedy sequence of pairs: (pair, score per rupiah, value, remaining gap before).

    Gap and severity: the household's own greedy order by marginal value per rupiah; the objective is
    concave in the effects, so scores fall along a sequence and one global sort by score merges the
    households' sequences exactly as the greedy would. Headcount: a bundle per household -- the cheaper of its
    cheapest pair that lifts it alone and its pairs by effect per rupiah until the line is crossed -- scored
    persons / bundle cost, every pair of a bundle with the same score (all or none is accepted). Costs are
    ``ucost``: rupiah, or rupiah times the LP shadow price of their program's budget (Lagrangian pricing).
    """
    rem_h = np.maximum(pb.gap - gain, 0.0)
    if not pb.expected:
        avail = avail[rem_h[pb.hh[avail]] > 0]
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
    if avail.size == 0:
        return empty
    if pb.bundles:
        h = pb.hh[avail]
        ratio = pb.effect[avail] / ucost[avail]
        o = avail[np.lexsort((pb.prog[avail], -ratio, h))]
        ho, e, c, rem = pb.hh[o], pb.effect[o], ucost[o], rem_h[pb.hh[o]]
        cum_e = group_cumsum(ho, e)
        in_bundle = cum_e - e < rem
        total = np.bincount(ho, weights=e, minlength=rem_h.size)
        cost_b = np.bincount(ho, weights=c * in_bundle, minlength=rem_h.size)
        lifts = e >= rem
        single = np.full(rem_h.size, np.inf)
        np.minimum.at(single, ho[lifts], c[lifts])
        use_single = single < cost_b
        first_single = lifts & (c == single[ho])
        first_single &= group_cumsum(ho, first_single.astype(float)) == 1
        take = np.where(use_single[ho], first_single, in_bundle) & (total[ho] >= rem)
        unit_cost = np.where(use_single, single, cost_b)
        pairs = o[take]
        hp = pb.hh[pairs]
        score = pb.persons[hp] / unit_cost[hp]
        value = pb.persons[hp] * pb.effect[pairs] / np.bincount(hp, weights=pb.effect[pairs],
                                                               minlength=rem_h.size)[hp]
        return pairs, score, value, rem_h[hp]
    out_p, out_s, out_v, out_r = [], [], [], []
    cg = gain.copy()
    last = np.full(rem_h.size, np.inf)  # scores made non-increasing along a household's sequence
    active = avail
    while active.size:
        val = _marginal(pb, cg, active)
        active, val = active[val > 0], val[val > 0]
        if active.size == 0:
            break
        sc = val / ucost[active]
        starts = _segments(pb.hh[active])
        seg_max = np.maximum.reduceat(sc, starts)
        seg_id = np.cumsum(np.r_[False, pb.hh[active][1:] != pb.hh[active][:-1]])
        pos = np.where(sc >= seg_max[seg_id], np.arange(active.size), active.size)
        firsts = np.minimum.reduceat(pos, starts)
        chosen = active[firsts]
        score = np.minimum(sc[firsts], last[pb.hh[chosen]])
        last[pb.hh[chosen]] = score
        out_p.append(chosen)
        out_s.append(score)
        out_v.append(val[firsts])
        out_r.append(np.maximum(pb.gap - cg, 0.0)[pb.hh[chosen]])
        cg[pb.hh[chosen]] += pb.effect[chosen]
        keep = np.ones(active.size, dtype=bool)
        keep[firsts] = False
        active = active[keep]
    if not out_p:
        return empty
    return np.concatenate(out_p), np.concatenate(out_s), np.concatenate(out_v), np.concatenate(out_r)


def _rounds(pb: Problem, tr: Trace, state: dict[str, int], max_rounds: int, ucost: F, *,
            district: int | None) -> None:
    n_prog, n_h = pb.prog_budget.size, pb.persons.size
    scope = np.ones(pb.hh.size, dtype=bool) if district is None else pb.district[pb.hh] == district
    for _ in range(max_rounds):
        spent = np.bincount(pb.prog, weights=pb.cost * tr.x, minlength=n_prog)
        used = np.bincount(pb.prog, weights=pb.count * tr.x, minlength=n_prog)
        prog_left = pb.prog_budget - spent
        quota_left = pb.prog_quota - used
        fund_left = pb.funder_budget - np.bincount(pb.prog_funder, weights=spent, minlength=pb.funder_budget.size)
        need_rp, need_hh = (0.0, 0.0) if district is None else _floor_need(pb, tr.x, district)
        if district is not None and need_rp <= 0 and need_hh <= 0:
            return
        fits = (pb.cost <= prog_left[pb.prog] + 1e-9) & (quota_left[pb.prog] >= pb.count - 1e-9)
        fits &= pb.cost <= fund_left[pb.prog_funder[pb.prog]] + 1e-9
        avail = np.flatnonzero(scope & ~tr.x & fits)
        if avail.size == 0:
            return
        gain: F = np.bincount(pb.hh, weights=pb.effect * tr.x, minlength=n_h).astype(float)
        cand, score, value, rem = _units(pb, gain, avail, ucost)
        if cand.size == 0:
            if district is None:
                return
            cand, score, value, rem = avail, np.zeros(avail.size), np.zeros(avail.size), np.zeros(avail.size)
        order = np.lexsort((np.arange(cand.size), pb.hh[cand], -score))  # ties keep each household's sequence
        cand, value, rem = cand[order], value[order], rem[order]
        p = pb.prog[cand]
        cum = group_cumsum(p, pb.cost[cand])
        ok = (cum <= prog_left[p] + 1e-9) & (group_cumsum(p, pb.count[cand]) <= quota_left[p] + 1e-9)
        fcost = np.where(ok, pb.cost[cand], 0.0)
        ok &= group_cumsum(pb.prog_funder[p], fcost) <= fund_left[pb.prog_funder[p]] + 1e-9
        h = pb.hh[cand]
        if pb.bundles:
            ok &= np.bincount(h, weights=~ok, minlength=n_h)[h] == 0
        else:
            ok &= group_cumsum(h, (~ok).astype(float)) == 0
        if district is not None:
            c_ok = np.where(ok, pb.cost[cand], 0.0)
            new_hh = ok & ~np.isin(h, pb.hh[tr.x])
            new_hh &= group_cumsum(h, new_hh.astype(float)) == 1
            new_w = new_hh * pb.weight[h]
            hh_before: F = np.cumsum(new_w) - new_w
            ok &= ((np.cumsum(c_ok) - c_ok) < need_rp) | (hh_before < need_hh)
            if pb.bundles:
                ok &= np.bincount(h, weights=~ok & (score[order] > 0), minlength=n_h)[h] == 0
        if not ok.any():
            return
        state["round"] += 1
        acc = cand[ok]
        tr.x[acc] = True
        tr.step[acc] = state["round"]
        tr.gap_before[acc] = rem[ok]
        tr.value[acc] = value[ok]
        tr.budget_left[acc] = prog_left[p[ok]] - cum[ok]
    raise PlanError(f"greedy did not finish within max_rounds={max_rounds}; raise it or use method='lp'")


@dataclass(frozen=True)
class HighsResult:
    """A HiGHS solution: ``x`` per pair (0..1), the model objective (in persons x FGT) and the status."""

    x: F
    objective: float
    bound: float
    status: str
    price: F
    """Shadow price of a rupiah of each program (its budget's dual plus its funder's; LP only, else zeros)."""


def solve_highs(pb: Problem, *, integer: bool, segments: int = 8, time_limit: float = 60.0,
                mip_rel_gap: float = 0.0) -> HighsResult:
    """Build and solve the MIP (``integer=True``) or its LP relaxation with HiGHS (minimization form)."""
    if pb.expected:
        raise PlanError("the expected objective (PMT uncertainty) has no LP/MIP form: use method='greedy'")
    n, n_h = pb.hh.size, pb.persons.size
    gap_r = pb.gap / pb.line
    poor = np.flatnonzero(gap_r > 0)
    eff = pb.effect / pb.line[pb.hh]
    cost = pb.cost / 1e6
    cols_cost: list[F] = [np.zeros(n)]
    lo: list[F] = [np.zeros(n)]
    hi: list[F] = [np.ones(n)]
    rows: list[sparse.coo_matrix] = []
    rlo: list[F] = []
    rhi: list[F] = []
    offset = float(np.sum(pb.persons[poor] * gap_r[poor] ** pb.alpha))
    k = poor.size
    # map household -> its extra variable(s)
    pos = np.full(n_h, -1)
    pos[poor] = np.arange(k)
    pair_poor = pos[pb.hh] >= 0
    xs = np.flatnonzero(pair_poor)
    sum_e = sparse.coo_matrix((eff[xs], (pos[pb.hh[xs]], xs)), shape=(k, n))
    n_extra = k if pb.alpha != 2 else 2 * k
    if pb.alpha in (0, 1):
        # maximize sum m y (alpha 0, y binary) or sum m r (alpha 1): minimize offset - that
        cols_cost.append(-pb.persons[poor])
        lo.append(np.zeros(k))
        hi.append(np.ones(k) if pb.alpha == 0 else gap_r[poor])
        coef = (gap_r[poor] + LIFT_EPS) if pb.alpha == 0 else np.ones(k)
        rows.append(sparse.hstack([sum_e, sparse.coo_matrix(sparse.diags(-coef))]))
        rlo.append(np.zeros(k))
        rhi.append(np.full(k, np.inf))
    else:
        # u >= g - sum e x  (u: cols n..n+k), s (cols n+k..n+2k) >= secant_j(u); minimize sum m s - offset
        cols_cost.append(np.zeros(k))
        cols_cost.append(pb.persons[poor])
        lo += [np.zeros(k), np.zeros(k)]
        hi += [gap_r[poor], np.full(k, np.inf)]
        rows.append(sparse.hstack([sum_e, sparse.identity(k), sparse.coo_matrix((k, k))]))
        rlo.append(gap_r[poor])
        rhi.append(np.full(k, np.inf))
        for j in range(segments):
            a0, a1 = gap_r[poor] * j / segments, gap_r[poor] * (j + 1) / segments
            rows.append(sparse.hstack([sparse.coo_matrix((k, n)), sparse.diags(-(a0 + a1)), sparse.identity(k)]))
            rlo.append(-a0 * a1)
            rhi.append(np.full(k, np.inf))
        offset = 0.0
    n_cols = n + n_extra
    pad = n_cols - n

    def on_x(mat: sparse.spmatrix) -> sparse.spmatrix:
        return sparse.hstack([mat, sparse.coo_matrix((mat.shape[0], pad))])

    prog_row = sum(m.shape[0] for m in rows)
    onehot_p = sparse.coo_matrix((np.ones(n), (pb.prog, np.arange(n))), shape=(pb.prog_budget.size, n))
    rows.append(on_x(onehot_p.multiply(cost[None, :])))
    rlo.append(np.full(pb.prog_budget.size, -np.inf))
    rhi.append(pb.prog_budget / 1e6)
    if np.isfinite(pb.prog_quota).any():
        rows.append(on_x(onehot_p.multiply(pb.count[None, :])))
        rlo.append(np.full(pb.prog_budget.size, -np.inf))
        rhi.append(np.where(np.isfinite(pb.prog_quota), pb.prog_quota, np.inf))
    fund = pb.prog_funder[pb.prog]
    fund_row = sum(m.shape[0] for m in rows)
    rows.append(on_x(sparse.coo_matrix((cost, (fund, np.arange(n))), shape=(pb.funder_budget.size, n))))
    rlo.append(np.full(pb.funder_budget.size, -np.inf))
    rhi.append(pb.funder_budget / 1e6)
    d_pair = pb.district[pb.hh]
    n_d = pb.floor_rp.size
    rows.append(on_x(sparse.coo_matrix((cost, (d_pair, np.arange(n))), shape=(n_d, n))))
    rlo.append(pb.floor_rp / 1e6)
    rhi.append(np.full(n_d, np.inf))
    a = sparse.vstack(rows).tocsc()
    integrality = np.zeros(a.shape[1], dtype=np.int64)
    if pb.floor_households.any():
        a, integrality = _household_floors(pb, a, integrality, cols_cost, lo, hi, rlo, rhi, integer)
    if integer:
        integrality[:n] = 1
        if pb.alpha == 0:
            integrality[n:n + k] = 1
    res = _run(a, np.concatenate(cols_cost), np.concatenate(lo), np.concatenate(hi), np.concatenate(rlo),
               np.concatenate(rhi), integrality, time_limit, mip_rel_gap)
    obj, bound, status, col, dual = res
    price = np.zeros(pb.prog_budget.size)
    if not integer:
        n_p = pb.prog_budget.size
        price = np.abs(dual[prog_row:prog_row + n_p]) + np.abs(dual[fund_row:fund_row + pb.funder_budget.size])[
            pb.prog_funder]
    if pb.alpha == 2:
        # the secant form over-estimates u^2 by at most (g/z/segments/2)^2: subtract it to keep a valid bound
        slack = float(np.sum(pb.persons[poor] * (gap_r[poor] / segments) ** 2 / 4.0))
        return HighsResult(np.clip(col[:n], 0.0, 1.0), obj, bound - slack, status, price)
    return HighsResult(np.clip(col[:n], 0.0, 1.0), offset + obj, offset + bound, status, price)


def _household_floors(pb: Problem, a: sparse.csc_matrix, integrality: Ints, cols_cost: list[F], lo: list[F],
                      hi: list[F], rlo: list[F], rhi: list[F], integer: bool) -> tuple[Any, Ints]:
    """Served indicators v_h <= sum_p x_hp, and sum_{h in d} v_h >= floor_households[d]."""
    n, n_h, m0 = pb.hh.size, pb.persons.size, a.shape[1]
    link = sparse.hstack([sparse.coo_matrix((np.ones(n), (pb.hh, np.arange(n))), shape=(n_h, n)),
                          sparse.coo_matrix((n_h, m0 - n)), -sparse.identity(n_h)])
    dist = sparse.hstack([sparse.coo_matrix((pb.floor_households.size, m0)),
                          sparse.coo_matrix((pb.weight, (pb.district, np.arange(n_h))),
                                            shape=(pb.floor_households.size, n_h))])
    a = sparse.vstack([sparse.hstack([a, sparse.coo_matrix((a.shape[0], n_h))]), link, dist]).tocsc()
    cols_cost.append(np.zeros(n_h))
    lo.append(np.zeros(n_h))
    hi.append(np.ones(n_h))
    rlo += [np.zeros(n_h), pb.floor_households]
    rhi += [np.full(n_h, np.inf), np.full(pb.floor_households.size, np.inf)]
    return a, np.r_[integrality, np.full(n_h, 1 if integer else 0)]


def _run(a: sparse.csc_matrix, c: F, lo: F, hi: F, rlo: F, rhi: F, integrality: Ints, time_limit: float,
         mip_rel_gap: float) -> tuple[float, float, str, F, F]:
    h = quiet_highs()
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, lo, hi
    lp.row_lower_, lp.row_upper_ = rlo, rhi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    if integrality.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                           for v in integrality]
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status == "Infeasible":
        raise PlanError("the budgets and floors cannot all be met (HiGHS: infeasible); lower a district floor")
    if status not in ("Optimal", "Time limit reached"):
        raise PlanError(f"HiGHS did not solve the allocation: {status}")
    info = h.getInfo()
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if integrality.any() else obj
    col = np.asarray(h.getSolution().col_value, dtype=float)
    if col.size != c.size:
        raise PlanError(f"HiGHS returned no solution within time_limit={time_limit} s")
    dual = np.asarray(h.getSolution().row_dual, dtype=float) if not integrality.any() else np.zeros(a.shape[0])
    return obj, bound, status, col, dual


def quiet_highs() -> Any:
    """A silent HiGHS instance. HiGHS prints its banner to the process's stdout (file descriptor 1, below
    Python) when the first instance is made, which would corrupt ``--format csv|json`` output: the first
    construction runs with descriptor 1 pointed at /dev/null."""
    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    else:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    return h


def secondary_fill(pb: Problem, x: B, value: F) -> B:
    """Pairs to add after the poverty objective is served: the most ``value`` (e.g. person-deprivations
    removed) per rupiah first, with the money, quotas and funder budgets left by ``x``.

    The value is linear and separable, so one ordered pass is the greedy: pairs in order of value per rupiah
    (then household, program) are accepted while their program's and funder's cumulative cost fits.
    """
    n_prog = pb.prog_budget.size
    spent = np.bincount(pb.prog, weights=pb.cost * x, minlength=n_prog)
    used = np.bincount(pb.prog, weights=pb.count * x, minlength=n_prog)
    prog_left, quota_left = pb.prog_budget - spent, pb.prog_quota - used
    fund_left = pb.funder_budget - np.bincount(pb.prog_funder, weights=spent, minlength=pb.funder_budget.size)
    cand = np.flatnonzero(~x & (value > 0))
    if cand.size == 0:
        return np.zeros_like(x)
    cand = cand[np.lexsort((pb.prog[cand], pb.hh[cand], -value[cand] / pb.cost[cand]))]
    p = pb.prog[cand]
    ok = (group_cumsum(p, pb.cost[cand]) <= prog_left[p] + 1e-9) & (group_cumsum(p, pb.count[cand])
                                                                     <= quota_left[p] + 1e-9)
    f = pb.prog_funder[p]
    ok &= group_cumsum(f, np.where(ok, pb.cost[cand], 0.0)) <= fund_left[f] + 1e-9
    added = np.zeros_like(x)
    added[cand[ok]] = True
    return added
