"""Lagrangian relaxation of the headcount plan over bundles: a tight bound and a plan priced by it.

The headcount problem (``docs/planning.md``, alpha 0) chooses for each poor household either nothing or a
*bundle* that lifts it (a cover of its gap, ``entas.plan.covers``), maximizing the persons lifted subject to
program budgets ``B_p`` and quotas ``Q_p`` and funder budgets ``F_f``. Relaxing those limits with prices
``lambda_p, mu_p, nu_f >= 0`` (persons per rupiah, per household) splits it by household:

    L(lambda, mu, nu) = sum_h max(0, m_h - min_S sum_{p in S} [c_hp (lambda_p + nu_f(p)) + mu_p n_h])
                        + lambda.B + mu.Q + nu.F

(``m_h`` persons, ``c_hp`` cost, ``n_h`` households the row stands for, ``S`` over the minimal covers of h).
For *any* prices, L is at least the persons lifted by *any* feasible plan (weak duality: a plan's lifted
households each hold a cover, whose priced cost it pays; the prices times the unused budget are >= 0), so
``before - min L`` bounds the persons left poor from below. min L equals the LP relaxation over bundles,
which is never looser than the aggregated LP of ``solvers.solve_highs`` (``sum_p e x >= g y``, where a
household can be lifted fractionally by fractional programs) and is much tighter for the headcount.

District floors are left out of L. That keeps the bound valid: a floor only removes plans (it forces money
into a district, possibly on households that are not lifted), and a maximum over more plans is no smaller.
The bound is then the bound of the problem without floors -- looser when floors bind, never wrong.

Minimizing L (convex, piecewise linear): a bisection of one common rupiah price for all limited programs (log
scale), then the level method (Lemarechal, Nemirovskii and Nesterov 1995): the cuts ``L_i + g_i (u - u_i)``
of the evaluated points give a lower model whose minimum over the box of useful prices is a certified lower
limit of min L; the next point is the projection of the current one on the level set ``model <= lower +
0.3 (best - lower)`` (a small QP). It stops when best and lower agree within ``tol`` or after
``max_evaluations`` pricings; each pricing is one vectorized pass over the covers.

The plan: the cut weights of the final model are the dual of its minimum, and the matching mixture of the
evaluated points' choices is a near-optimal solution of the LP over bundles (it keeps every limit on
average). Round 0 offers each household its cover of most weight in that mixture, most weight first; later
rounds offer each household not yet lifted its cheapest cover at the best prices among those that still fit
the money left. Within a round bundles go by margin per rupiah (households of a district whose floor is not
met first) and are accepted whole while the cumulative program, quota and funder limits hold; the money
left is used by ``solvers.greedy(pb, x0=...)``, which also meets floors. If the floors can no longer be met
with the money the plan left, the floor districts are served first (their bundles, then greedy until the
floors are met) and the rest is planned again with the money left.

Limits: headcount only. A household with more than ``k_max`` useful pairs (``covers.K_MAX``) is counted as
lifted in the bound (valid, looser by its persons) and offered a bundle from its ``k_max`` best pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from scipy import optimize

from entas.errors import PlanError
from entas.plan.covers import K_MAX, Covers, minimal_covers
from entas.plan.solvers import Problem, greedy, group_cumsum, objective, quiet_highs

F = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
LEVEL = 0.3
"""Level-method parameter: the next point aims at ``lower + LEVEL (best - lower)``."""
BISECTIONS = 14
"""Evaluations spent on the common price before the level method (log scale, 10 decades)."""


@dataclass(frozen=True)
class Dual:
    """The minimized Lagrangian: ``value`` (persons: no plan lifts more), the prices and how it converged.

    ``lower``: the cutting-plane model's minimum, a certified lower limit of min L (``value - lower`` is how
    far the bound could still tighten). ``prog_price``/``funder_price``: persons per rupiah; ``quota_price``:
    persons per household served; ``evaluations``: pricings of all covers done.
    """

    value: float
    lower: float
    prog_price: F
    quota_price: F
    funder_price: F
    evaluations: int


class _Pricing:
    """Evaluates L and a subgradient at prices ``u`` in [0, 1]^d (scaled so 1 = no household uses the limit).

    With ``record``, keeps each evaluation's chosen cover per open household (-1: takes none) for the
    recovery of a primal mixture.
    """

    def __init__(self, pb: Problem, covers: Covers, *, record: bool = False) -> None:
        self.pb, self.cv = pb, covers
        n_p, n_f = pb.prog_budget.size, pb.funder_budget.size
        cp = covers.pairs
        self.e_cost, self.e_prog, self.e_count = pb.cost[cp], pb.prog[cp], pb.count[cp]
        self.e_fund = pb.prog_funder[self.e_prog]
        self.cover_rp = covers.total(self.e_cost)
        owners = covers.owners
        self.owner_open = ~covers.capped[owners]
        self.owner_persons = pb.persons[owners]
        self.open_idx = owners[self.owner_open]
        self.lifted_anyway = float(np.sum(pb.persons[covers.capped]))
        used = np.zeros(n_p, dtype=bool)
        used[self.e_prog] = True
        m_max = float(np.max(pb.persons[self.open_idx])) if self.open_idx.size else 0.0
        c_min_p = np.full(n_p, np.inf)
        np.minimum.at(c_min_p, self.e_prog, self.e_cost)
        n_min_p = np.full(n_p, np.inf)
        np.minimum.at(n_min_p, self.e_prog, self.e_count)
        c_min_f = np.full(n_f, np.inf)
        np.minimum.at(c_min_f, pb.prog_funder, c_min_p)
        used_f = np.bincount(pb.prog_funder, weights=used, minlength=n_f) > 0
        self.kind: list[Ints] = [np.flatnonzero(used & np.isfinite(pb.prog_budget)),
                                 np.flatnonzero(used & np.isfinite(pb.prog_quota)),
                                 np.flatnonzero(used_f & np.isfinite(pb.funder_budget))]
        self.scale = np.concatenate([m_max / c_min_p[self.kind[0]], m_max / n_min_p[self.kind[1]],
                                     m_max / c_min_f[self.kind[2]]])
        self.rhs = np.concatenate([pb.prog_budget[self.kind[0]], pb.prog_quota[self.kind[1]],
                                   pb.funder_budget[self.kind[2]]])
        self.dim = self.scale.size
        self.evaluations = 0
        self.record: list[npt.NDArray[np.int32]] | None = [] if record else None

    def prices(self, u: F) -> tuple[F, F, F]:
        """(lambda per program, mu per program, nu per funder) at the scaled point ``u``."""
        pb = self.pb
        lam, mu, nu = np.zeros(pb.prog_budget.size), np.zeros(pb.prog_budget.size), np.zeros(pb.funder_budget.size)
        v = u * self.scale
        a, b = self.kind[0].size, self.kind[1].size
        lam[self.kind[0]], mu[self.kind[1]], nu[self.kind[2]] = v[:a], v[a:a + b], v[a + b:]
        return lam, mu, nu

    def __call__(self, u: F) -> tuple[float, F]:
        self.evaluations += 1
        lam, mu, nu = self.prices(u)
        cover_cost = self.cv.total(self.e_cost * (lam[self.e_prog] + nu[self.e_fund]) + mu[self.e_prog] * self.e_count)
        priced, chosen = self.cv.pick(cover_cost, self.cover_rp)
        margin = np.where(self.owner_open, self.owner_persons - priced, 0.0)
        take = margin > 0
        value = float(np.sum(margin[take])) + self.lifted_anyway + float(np.dot(u * self.scale, self.rhs))
        if self.record is not None:
            self.record.append(np.where(take, chosen, -1)[self.owner_open].astype(np.int32))
        e = self.cv.entries_of(chosen[take])
        n_p = self.pb.prog_budget.size
        spend = np.bincount(self.e_prog[e], weights=self.e_cost[e], minlength=n_p)
        served = np.bincount(self.e_prog[e], weights=self.e_count[e], minlength=n_p)
        fund = np.bincount(self.pb.prog_funder, weights=spend, minlength=self.pb.funder_budget.size)
        use = np.concatenate([spend[self.kind[0]], served[self.kind[1]], fund[self.kind[2]]])
        return value, (self.rhs - use) * self.scale


def pair_price(pb: Problem, lam: F, mu: F, nu: F, rupiah_eps: float = 0.0) -> F:
    """Each pair's priced cost ``c (lambda_p + nu_f(p) + rupiah_eps) + mu_p n_h`` (persons)."""
    return pb.cost * (lam[pb.prog] + nu[pb.prog_funder[pb.prog]] + rupiah_eps) + mu[pb.prog] * pb.count


def lagrangian_dual(pb: Problem, covers: Covers | None = None, *, max_evaluations: int = 60,
                    tol: float = 1e-4) -> Dual:
    """Minimize L over the prices (see the module docstring).

    ``tol``: stop when the best L and the certified lower limit differ by less than ``tol`` of the best.
    """
    if pb.alpha != 0:
        raise PlanError("the Lagrangian over bundles is for the headcount objective (alpha 0)")
    f = _Pricing(pb, minimal_covers(pb) if covers is None else covers)
    return _minimize(f, max_evaluations, tol)[0]


def _minimize(f: _Pricing, max_evaluations: int, tol: float) -> tuple[Dual, F]:
    """Bisection of a common price, then the level method; returns the dual and the cut weights.

    The weights (one per evaluation, summing to 1) are the dual of the cutting-plane model at its minimum:
    the matching mixture of the evaluations' choices is an (approximately) optimal solution of the LP over
    bundles, which keeps every limit on average.
    """
    pts, vals, grads = [np.zeros(f.dim)], [], []
    val, g = f(pts[0])
    vals.append(val)
    grads.append(g)
    lower, weights = val, np.ones(1)
    if f.dim:
        direction = np.r_[np.ones(f.kind[0].size), np.zeros(f.kind[1].size), np.ones(f.kind[2].size)]
        if direction.any():
            t_hi = float(np.min(f.scale[direction > 0]))
            lo, hi = np.log(t_hi * 1e-10), np.log(t_hi)
            for _ in range(min(BISECTIONS, max_evaluations // 3)):
                mid = 0.5 * (lo + hi)
                pts.append(direction * np.exp(mid) / f.scale)
                val, g = f(pts[-1])
                vals.append(val)
                grads.append(g)
                if float(np.dot(g, direction / f.scale)) > 0:
                    hi = mid
                else:
                    lo = mid
        current = pts[int(np.argmin(vals))]
        while True:
            lower, weights = _model_min(np.array(pts), np.array(vals), np.array(grads))
            best = float(min(vals))
            if best - lower <= tol * max(best, 1.0) or f.evaluations >= max_evaluations:
                break
            nxt = _project(current, np.array(pts), np.array(vals), np.array(grads), lower + LEVEL * (best - lower))
            if nxt is None:
                break
            val, g = f(nxt)
            pts.append(nxt)
            vals.append(val)
            grads.append(g)
            current = nxt
    i = int(np.argmin(vals))
    lam, mu, nu = f.prices(pts[i])
    return Dual(float(vals[i]), float(lower), lam, mu, nu, f.evaluations), weights


def lagrange(pb: Problem, *, k_max: int = K_MAX, max_evaluations: int = 60, tol: float = 1e-4,
             max_rounds: int = 60) -> tuple[B, float]:
    """Headcount plan priced by the minimized Lagrangian, and the bound on the persons left poor.

    Returns ``x`` (bool per pair: the plan) and ``bound_after = before - min L``: no plan leaves fewer persons
    extremely poor (floors and all). The plan never exceeds a budget, quota or funder budget; floors are
    met as ``solvers.greedy`` meets them (``PlanError`` when it cannot).
    """
    if pb.alpha != 0:
        raise PlanError("the Lagrangian over bundles is for the headcount objective (alpha 0)")
    cv = minimal_covers(pb, k_max=k_max)
    f = _Pricing(pb, cv, record=True)
    dual, weights = _minimize(f, max_evaluations, tol)
    before = objective(pb, np.zeros(pb.hh.size, dtype=bool))
    first, key = _recover(f, weights)
    lam = np.r_[dual.prog_price, dual.funder_price]
    eps = 1e-3 * float(np.mean(lam[lam > 0])) if (lam > 0).any() else 1e-3 / float(np.max(pb.cost))
    price = pair_price(pb, dual.prog_price, dual.quota_price, dual.funder_price, eps)
    x = _offer(pb, cv, price, max_rounds, first, key, np.zeros(pb.hh.size, dtype=bool))
    try:
        return greedy(pb, x0=x).x, before - dual.value
    except PlanError:
        if not ((pb.floor_rp > 0) | (pb.floor_households > 0)).any():
            raise
    # a floor cannot be met with the money the plan left: floor districts first (their bundles, then greedy
    # until the floors are met), then the plan again elsewhere with the money left
    in_floor = ((pb.floor_rp > 0) | (pb.floor_households > 0))[pb.district[pb.hh]]
    x = greedy(pb, x0=x & in_floor).x & in_floor
    x = _offer(pb, cv, price, max_rounds, first, key, x)
    return greedy(pb, x0=x).x, before - dual.value


def _recover(f: _Pricing, weights: F) -> tuple[Ints, F]:
    """Per household, the cover of most weight in the mixture (-1: none) and the weight of being lifted."""
    assert f.record is not None
    n_h = f.pb.persons.size
    first, key = np.full(n_h, -1, dtype=np.int64), np.zeros(n_h)
    use = np.flatnonzero(weights > 1e-9)
    if use.size == 0 or f.open_idx.size == 0:
        return first, key
    chosen = np.stack([f.record[i] for i in use]).astype(np.int64)
    w = weights[use]
    j = np.tile(np.arange(f.open_idx.size), use.size)
    c, a = chosen.ravel(), np.repeat(w, f.open_idx.size)
    keep = c >= 0
    j, c, a = j[keep], c[keep], a[keep]
    key[f.open_idx] = np.bincount(j, weights=a, minlength=f.open_idx.size)
    if j.size == 0:
        return first, key
    o = np.lexsort((c, j))
    j, c, a = j[o], c[o], a[o]
    starts = np.flatnonzero(np.r_[True, (j[1:] != j[:-1]) | (c[1:] != c[:-1])])
    wsum, jj, cc = np.add.reduceat(a, starts), j[starts], c[starts]
    o = np.lexsort((cc, -wsum, jj))
    top = o[np.r_[True, jj[o][1:] != jj[o][:-1]]]
    first[f.open_idx[jj[top]]] = cc[top]
    return first, key


def _offer(pb: Problem, cv: Covers, price: F, max_rounds: int, first: Ints, key: F, taken: B) -> B:
    """Accept households' bundles whole, within all limits, on top of the pairs ``taken``; returns all pairs.

    Round 0 offers each household its cover of most weight in the recovered mixture (``first``), most
    weight (``key``) first; later rounds offer every household not yet lifted its cheapest cover (at
    ``price``) among those whose pairs still fit the money left. Within a round bundles go by margin per
    rupiah, households of a district whose floor is not met first; they are accepted in that order while
    the cumulative program, quota and funder limits hold (the order is fixed, so the test is a cumsum).
    """
    x = taken.copy()
    if cv.hh.size == 0:
        return x
    e_cost, e_prog, e_count, e_hh = pb.cost[cv.pairs], pb.prog[cv.pairs], pb.count[cv.pairs], pb.hh[cv.pairs]
    e_fund = pb.prog_funder[e_prog]
    cover_price, cover_rp = cv.total(price[cv.pairs]), cv.total(e_cost)
    owners = cv.owners
    floors = (pb.floor_rp > 0) | (pb.floor_households > 0)
    lifted = np.bincount(pb.hh, weights=x, minlength=pb.persons.size) > 0
    spent = np.bincount(pb.prog, weights=pb.cost * x, minlength=pb.prog_budget.size)
    prog_left = pb.prog_budget - spent
    quota_left = pb.prog_quota - np.bincount(pb.prog, weights=pb.count * x, minlength=pb.prog_budget.size)
    fund_left = pb.funder_budget - np.bincount(pb.prog_funder, weights=spent, minlength=pb.funder_budget.size)
    for r in range(max_rounds + 1):
        e_fit = (e_cost <= prog_left[e_prog] + 1e-9) & (e_count <= quota_left[e_prog] + 1e-9)
        e_fit &= (e_cost <= fund_left[e_fund] + 1e-9) & ~lifted[e_hh]
        cover_ok = cv.total((~e_fit).astype(np.float64)) == 0
        if r == 0:
            chosen = first[owners]
            chosen = np.where(chosen >= 0, chosen, 0)
            chosen = np.where((first[owners] >= 0) & cover_ok[chosen], chosen, -1)
            weight = key[owners]
        else:
            chosen = cv.pick(np.where(cover_ok, cover_price, np.inf), cover_rp)[1]
            weight = np.zeros(owners.size)
        keep = chosen >= 0
        hs, c_h, weight = owners[keep], chosen[keep], weight[keep]
        if hs.size == 0:
            if r == 0:
                continue
            break
        margin = pb.persons[hs] - cover_price[c_h]
        score = margin / cover_rp[c_h]
        urgent = np.zeros(hs.size, dtype=bool)
        if floors.any():
            d = pb.district[hs]
            o = np.lexsort((hs, -score, d))
            spent_d = np.bincount(pb.district[pb.hh], weights=pb.cost * x, minlength=floors.size)
            served_d = np.bincount(pb.district, weights=pb.weight * lifted, minlength=floors.size)
            rp_before = group_cumsum(d[o], cover_rp[c_h][o]) - cover_rp[c_h][o] + spent_d[d[o]]
            w = pb.weight[hs[o]]
            hh_before = group_cumsum(d[o], w) - w + served_d[d[o]]
            urgent[o] = floors[d[o]] & ((rp_before < pb.floor_rp[d[o]]) | (hh_before < pb.floor_households[d[o]]))
        order = np.lexsort((hs, -score, margin <= 0, -np.round(weight, 6), ~urgent))
        rank = np.empty(hs.size, dtype=np.int64)
        rank[order] = np.arange(hs.size)
        e = cv.entries_of(c_h)
        e_rank = np.repeat(rank, np.diff(cv.ptr)[c_h])
        o = np.argsort(e_rank, kind="stable")
        e, e_rank = e[o], e_rank[o]
        p, c, n, fun = e_prog[e], e_cost[e], e_count[e], e_fund[e]
        ok = (group_cumsum(p, c) <= prog_left[p] + 1e-9) & (group_cumsum(p, n) <= quota_left[p] + 1e-9)
        ok &= group_cumsum(fun, np.where(ok, c, 0.0)) <= fund_left[fun] + 1e-9
        ok = np.bincount(e_rank, weights=~ok, minlength=hs.size)[e_rank] == 0
        if not ok.any():
            if r == 0:
                continue
            break
        x[cv.pairs[e[ok]]] = True
        lifted[e_hh[e[ok]]] = True
        spent = np.bincount(p[ok], weights=c[ok], minlength=prog_left.size)
        prog_left -= spent
        quota_left -= np.bincount(p[ok], weights=n[ok], minlength=prog_left.size)
        fund_left -= np.bincount(pb.prog_funder, weights=spent, minlength=fund_left.size)
    return x


def _model_min(pts: F, vals: F, grads: F) -> tuple[float, F]:
    """min over the box [0, 1]^d of max_i (L_i + g_i (u - u_i)) (an LP in (u, t)) and the cuts' weights."""
    n, d = grads.shape
    a = np.hstack([-grads, np.ones((n, 1))])
    rlo = vals - np.einsum("ij,ij->i", grads, pts)
    sol = _highs(np.r_[np.zeros(d), 1.0], a, rlo, np.full(n, np.inf), np.r_[np.zeros(d), -np.inf],
                 np.r_[np.ones(d), np.inf])
    if sol is None:
        return -np.inf, np.zeros(n)
    col, dual = sol
    weights = np.abs(dual)
    return float(col[-1]), weights / max(float(np.sum(weights)), 1e-300)


def _project(current: F, pts: F, vals: F, grads: F, level: float) -> F | None:
    """The point of the level set {u in box: L_i + g_i (u - u_i) <= level for all i} nearest to ``current``.

    Euclidean projection by SLSQP (a dense least-squares QP solver, exact for this size); if it fails, the
    nearest point in the max-norm, an LP.
    """
    rhi = level - vals + np.einsum("ij,ij->i", grads, pts)
    d = current.size
    norm = np.maximum(np.linalg.norm(grads, axis=1), 1e-12)
    res = optimize.minimize(lambda u: 0.5 * float(np.sum((u - current) ** 2)), current, jac=lambda u: u - current,
                            method="SLSQP", bounds=[(0.0, 1.0)] * d,
                            constraints=[{"type": "ineq", "fun": lambda u: (rhi - grads @ u) / norm,
                                          "jac": lambda u: -grads / norm[:, None]}],
                            options={"maxiter": 200, "ftol": 1e-12})
    if res.success and bool(np.all(grads @ res.x <= rhi + 1e-6 * norm)):
        out: F = np.clip(np.asarray(res.x, dtype=float), 0.0, 1.0)
        return out
    # max-norm: min s subject to |u - current| <= s, cuts <= level
    a = np.vstack([np.hstack([grads, np.zeros((vals.size, 1))]),
                   np.hstack([np.eye(d), -np.ones((d, 1))]), np.hstack([np.eye(d), np.ones((d, 1))])])
    sol = _highs(np.r_[np.zeros(d), 1.0], a, np.r_[np.full(vals.size, -np.inf), np.full(d, -np.inf), current],
                 np.r_[rhi, current, np.full(d, np.inf)], np.r_[np.zeros(d), 0.0], np.r_[np.ones(d), np.inf])
    return None if sol is None else sol[0][:d]


def _highs(c: F, a: F, rlo: F, rhi: F, lo: F, hi: F) -> tuple[F, F] | None:
    """Solve the LP min c x subject to rlo <= a x <= rhi, lo <= x <= hi: (x, row duals); None unless optimal."""
    h = quiet_highs()
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, lo, hi
    lp.row_lower_, lp.row_upper_ = rlo, rhi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, a.size + 1, a.shape[1])
    lp.a_matrix_.index_ = np.tile(np.arange(a.shape[1]), a.shape[0])
    lp.a_matrix_.value_ = a.ravel()
    h.passModel(lp)
    h.run()
    if h.modelStatusToString(h.getModelStatus()) != "Optimal":
        return None
    sol = h.getSolution()
    return np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_dual, dtype=float)
