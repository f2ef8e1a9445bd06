"""Allocation of programs to households that minimizes extreme poverty under budgets, quotas and floors.

Model (``docs/planning.md``): one candidate row per eligible (household, program) pair not already
received, with the unit cost incl. delivery ``cost_rp`` (rupiah per year) and the welfare effect
``effect_rp_pc_month`` (consumption-equivalent rupiah per capita per month, take-up already inside it).
**Effects add up across programs** for one household: its welfare after the plan is ``welfare + sum of
effects``. The objective is ``sum_h persons_h FGT_alpha(welfare_h after, line_h)`` -- the number of
extremely poor persons (``headcount``, alpha 0), the persons-weighted gap (``gap``, 1) or severity
(``severity``, 2); **poor means welfare < line, strictly**, so a household leaves extreme poverty when
``welfare + effects >= line``.

Constraints (``budgets`` frame, one row per limit; columns ``kind, key`` and, where they apply,
``budget_rp, quota_households, funder, floor_rp, floor_households``):
``kind="program"`` -- every program in the candidates needs a row: budget (null = unlimited), optional quota
(households), optional funder; ``kind="funder"`` -- a funder's budget over its programs; ``kind="district"``
-- a minimum spend and/or number of households served in a district.

Methods: ``mip`` (exact, HiGHS; for a few thousand pairs), ``lp`` (the LP relaxation -- a bound on every
plan -- then the integral part of its solution completed by the greedy rule), ``greedy`` (marginal
objective reduction per rupiah, vectorized per round), ``lagrange`` (headcount: bundles that lift a
household priced by the minimized Lagrangian, ``entas.plan.lagrange``), and the two rules used today for
comparison: ``lowest_desil`` (lowest ``welfare_decile`` first, then household_id) and ``first_come``
(household_id order), each program paying in that order until its fund (or its funder's) is empty; they
ignore floors. Everything is deterministic (ties by household_id, then program). ``greedy``, ``lagrange``
and ``lp`` report their gap to a bound as the share of the bound's objective reduction they do not achieve:
for the headcount the bundle (Lagrangian) bound -- the LP over lifting bundles, much tighter than the
aggregated LP, whose fractional programs lift households fractionally; for gap and severity the LP.

Limits: one year; no interaction between programs beyond addition; the plan is as good as the welfare
prediction, the effects and the costs it is given (see the limits section of docs/planning.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from entas.errors import PlanError
from entas.plan.lagrange import lagrange, lagrangian_dual
from entas.plan.solvers import (
    Problem,
    Trace,
    greedy,
    group_cumsum,
    household_fgt,
    objective,
    secondary_fill,
    solve_highs,
)

METHOD_VERSION = "entas.plan 0.1"
Objective = Literal["headcount", "gap", "severity"]
Method = Literal["greedy", "lagrange", "lp", "mip", "lowest_desil", "first_come"]
ALPHA: Mapping[str, int] = {"headcount": 0, "gap": 1, "severity": 2}
METHODS = ("greedy", "lagrange", "lp", "mip", "lowest_desil", "first_come")
CANDIDATE_COLUMNS = ("household_id", "district_code", "program", "cost_rp", "effect_rp_pc_month",
                     "welfare_rp_month", "line_rp_month", "household_size")
MIP_MAX_PAIRS = 20_000
SECONDARY_STEP = 10**6
"""``step`` of the pairs added by the secondary objective (after every poverty round)."""


@dataclass(frozen=True)
class Allocation:
    """A plan and its accounting.

    ``plan``: one row per assignment -- ``household_id, district_code, program, funder, cost_rp,
    effect_rp_pc_month, gap_before_rp`` (the household's remaining gap per capita before this assignment),
    ``value`` (objective reduction credited to it), ``rp_per_value`` (its cost per unit of objective
    reduced), ``budget_left_rp`` (its program's budget left after it), ``step`` (greedy round; 0 = taken
    from the LP) and ``reason``. ``spend``: ``level`` (program/funder/district), ``key``, ``spend_rp``,
    ``limit_rp`` (budget; for a district its spend floor), ``households``. ``before``/``after``: the
    objective (persons x FGT) without/with the plan;
    ``bound``: the LP (or MIP dual) bound on ``after``; ``gap_to_bound``: ``(after - bound)/(before - bound)``.
    """

    plan: pl.DataFrame
    spend: pl.DataFrame
    objective: str
    method: str
    before: float
    after: float
    bound: float | None
    gap_to_bound: float | None
    status: str
    method_version: str = METHOD_VERSION


def allocate(candidates: pl.DataFrame, budgets: pl.DataFrame, *, objective: Objective = "headcount",
             method: Method = "greedy", segments: int = 8, time_limit: float = 60.0,
             pricing: bool = False, bound: bool = True, expected: bool = False,
             deprivations: bool = False) -> Allocation:
    """Choose (household, program) assignments that minimize extreme poverty; see the module docstring.

    ``segments``: pieces of the severity's piecewise-linear MIP/LP form; ``time_limit``: seconds for HiGHS
    (a MIP stopped early returns its best plan, with ``status`` saying so); ``pricing``: greedy and lp weigh
    each program's rupiah by its LP shadow price (Lagrangian pricing; measured worse than plain rupiah on
    small instances, so off by default); ``bound=False``: greedy skips the LP (no bound, no gap; for sizes
    where the LP is too slow, see benchmarks/bench_plan.py). ``expected=True``: minimize the *expected*
    objective when welfare is a PMT prediction -- ``welfare_rp_month`` is the predicted median and the
    candidates carry ``residual_sd`` (sd of log welfare); a household then counts with its probability of
    being extremely poor (gap and severity: their lognormal expectations), so money also goes to households
    predicted just above the line. Greedy (or the simple rules) only: it has no LP form, so no bound.
    ``deprivations=True``: the secondary objective -- with the money left once the poverty objective gains
    nothing more, add the pairs removing the most person-deprivations per rupiah (candidate column
    ``deprivations_removed``; lexicographic: never at the expense of the poverty objective).
    """
    if objective not in ALPHA:
        raise PlanError(f"unknown objective {objective!r}; choose one of {', '.join(ALPHA)}")
    if method not in METHODS:
        raise PlanError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if deprivations and "deprivations_removed" not in candidates.columns:
        raise PlanError("deprivations=True needs a deprivations_removed column (build_candidates adds it)")
    if expected and method in ("mip", "lp", "lagrange"):
        raise PlanError(f"method={method!r} has no form for the expected objective; use 'greedy'")
    if method == "lagrange" and objective != "headcount":
        raise PlanError("method='lagrange' prices bundles that lift households: it is for the headcount objective")
    cand, hh, pb, programs, funders, districts = _problem(candidates, budgets, ALPHA[objective], expected=expected)
    if method == "mip" and cand.height > MIP_MAX_PAIRS:
        raise PlanError(f"method='mip' is for small instances (<= {MIP_MAX_PAIRS} pairs, got {cand.height}); "
                        "use 'lp' or 'greedy'")
    n = cand.height
    trace = Trace(np.full(n, -1, np.int64), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool))
    bound_value: float | None = None
    status = "done"
    if method == "mip":
        res = solve_highs(pb, integer=True, segments=segments, time_limit=time_limit)
        trace.x[:] = res.x > 0.5
        bound_value, status = res.bound, res.status
    elif method == "greedy" and (not bound or expected):
        trace = greedy(pb)
    elif method == "lagrange":
        trace.x[:], bound_value = lagrange(pb)
        trace.step[trace.x] = 0
    elif method == "greedy" and pb.bundles and not pricing:
        # the bundle (Lagrangian) bound: exact LP over lifting bundles, far tighter than the aggregated LP
        trace = greedy(pb)
        before = float(np.sum(pb.persons * household_fgt(pb, np.zeros(pb.persons.size))))
        bound_value = before - lagrangian_dual(pb).value
    elif method in ("greedy", "lp"):
        lp = solve_highs(pb, integer=False, segments=segments, time_limit=time_limit)
        bound_value = lp.bound
        x0 = lp.x >= 1.0 - 1e-6 if method == "lp" else None
        if x0 is not None and pb.alpha == 0:
            gain = np.bincount(pb.hh, weights=pb.effect * x0, minlength=pb.persons.size)
            x0 &= ~((gain < pb.gap) & (pb.gap > 0))[pb.hh]
        trace = greedy(pb, x0=x0, price=lp.price if pricing else None)
    else:
        if method == "lowest_desil" and "welfare_decile" not in candidates.columns:
            raise PlanError("method='lowest_desil' needs a welfare_decile column in the candidates")
        trace.x[:] = _simple_rule(cand, pb, by_decile=method == "lowest_desil")
    if deprivations:
        added = secondary_fill(pb, trace.x, cand["deprivations_removed"].cast(pl.Float64).fill_null(0.0).to_numpy())
        trace.x[added] = True
        trace.step[added] = SECONDARY_STEP
    return _result(cand, hh, pb, trace, programs, funders, districts, objective, method, bound_value, status)


def lp_bound(candidates: pl.DataFrame, budgets: pl.DataFrame, *, objective: Objective = "headcount",
                 segments: int = 8) -> float:
    """The LP relaxation bound alone: no plan can bring the objective below this value."""
    _, _, pb, *_ = _problem(candidates, budgets, ALPHA[objective])
    return solve_highs(pb, integer=False, segments=segments).bound


def _problem(candidates: pl.DataFrame, budgets: pl.DataFrame, alpha: int, *,
             expected: bool = False) -> tuple[pl.DataFrame, pl.DataFrame, Problem, list[str], list[str], list[str]]:
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise PlanError(f"candidates lack column(s) {', '.join(missing)}")
    if candidates.height == 0:
        raise PlanError("candidates are empty: no eligible (household, program) pair to allocate")
    num: tuple[str, ...] = ("cost_rp", "effect_rp_pc_month", "welfare_rp_month", "line_rp_month", "household_size")
    nulls = [c for c in CANDIDATE_COLUMNS if candidates[c].null_count()]
    if nulls:
        raise PlanError(f"candidates have missing values in {', '.join(nulls)}")
    weighted = "weight" in candidates.columns
    if weighted:
        num = (*num, "weight")
    if expected:
        if "residual_sd" not in candidates.columns:
            raise PlanError("expected=True needs a residual_sd column (sd of log welfare, from the PMT scores)")
        if candidates.filter(pl.col("welfare_rp_month") <= 0).height:
            raise PlanError("expected=True needs welfare_rp_month > 0 (the predicted median welfare)")
        num = (*num, "residual_sd")
    cand = candidates.with_columns(pl.col(c).cast(pl.Float64) for c in num).with_columns(
        pl.col("household_id", "district_code", "program").cast(pl.Utf8)).sort("household_id", "program")
    for col, test, what in (("cost_rp", pl.col("cost_rp") <= 0, "cost_rp <= 0"),
                            ("effect_rp_pc_month", pl.col("effect_rp_pc_month") < 0, "effect < 0"),
                            ("line_rp_month", pl.col("line_rp_month") <= 0, "line <= 0"),
                            ("household_size", pl.col("household_size") <= 0, "household_size <= 0"),
                            *((("weight", pl.col("weight").is_null() | (pl.col("weight") <= 0), "weight <= 0"),)
                              if weighted else ()),
                            *((("residual_sd", pl.col("residual_sd").is_null() | (pl.col("residual_sd") <= 0),
                                "residual_sd <= 0"),) if expected else ())):
        bad = cand.filter(test | pl.col(col).is_nan())
        if bad.height:
            raise PlanError(f"{bad.height} candidate row(s) with {what} or NaN (first: household "
                            f"{bad['household_id'][0]}, program {bad['program'][0]})")
    if cand.select(pl.struct("household_id", "program").is_duplicated().any()).item():
        raise PlanError("candidates repeat a (household_id, program) pair")
    per_household = ["district_code", "welfare_rp_month", "line_rp_month", "household_size",
                     *(["weight"] if weighted else []), *(["residual_sd"] if expected else [])]
    hh = cand.group_by("household_id", maintain_order=True).agg(pl.first(*per_household))
    consistent = cand.group_by("household_id").agg(pl.col(*per_household).n_unique().max())
    if consistent.select(pl.max_horizontal(pl.exclude("household_id")).max()).item() > 1:
        raise PlanError("a household has different district, welfare, line, size, weight or residual_sd across "
                        "its candidate rows")
    programs = sorted(cand["program"].unique().to_list())
    districts = sorted(hh["district_code"].unique().to_list())
    budget_cols = {"kind": pl.Utf8, "key": pl.Utf8, "budget_rp": pl.Float64, "quota_households": pl.Float64,
                   "funder": pl.Utf8, "floor_rp": pl.Float64, "floor_households": pl.Float64}
    if "kind" not in budgets.columns or "key" not in budgets.columns:
        raise PlanError("budgets need columns kind and key (kind: program, funder or district)")
    b = budgets.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in budget_cols.items()
                             if c not in budgets.columns).with_columns(
        pl.col(c).cast(t) for c, t in budget_cols.items())
    kinds = set(b["kind"].to_list()) - {"program", "funder", "district"}
    if kinds:
        raise PlanError(f"unknown budget kind(s) {sorted(kinds)}; use program, funder or district")
    if b.select(pl.struct("kind", "key").is_duplicated().any()).item():
        raise PlanError("budgets repeat a (kind, key) row")
    for c in ("budget_rp", "quota_households", "floor_rp", "floor_households"):
        if b.filter(pl.col(c) < 0).height:
            raise PlanError(f"budgets have a negative {c}")
    prow = b.filter(pl.col("kind") == "program")
    lacking = sorted(set(programs) - set(prow["key"].to_list()))
    if lacking:
        raise PlanError(f"no program budget row for {', '.join(lacking)} (kind='program'; null budget = unlimited)")
    prow = pl.DataFrame({"key": programs}).join(prow, on="key", how="left", maintain_order="left")
    prow = prow.with_columns(pl.col("funder").fill_null(pl.col("key")))
    frow = b.filter(pl.col("kind") == "funder")
    funders = sorted(set(prow["funder"].to_list()) | set(frow["key"].to_list()))
    fbud = dict(zip(frow["key"].to_list(), frow["budget_rp"].to_list(), strict=True))
    drow = b.filter(pl.col("kind") == "district")
    unknown = sorted(set(drow["key"].to_list()) - set(districts))
    if unknown:
        raise PlanError(f"district floor(s) for district(s) without candidates: {', '.join(unknown)}")
    dmap = {d: i for i, d in enumerate(districts)}
    floor_rp, floor_hh = np.zeros(len(districts)), np.zeros(len(districts))
    for key, frp, fhh in drow.select("key", "floor_rp", "floor_households").iter_rows():
        floor_rp[dmap[key]], floor_hh[dmap[key]] = frp or 0.0, fhh or 0.0
    hidx = cand.select(pl.col("household_id").rank("dense").cast(pl.Int64) - 1).to_series().to_numpy()
    pidx = cand["program"].replace_strict({p: i for i, p in enumerate(programs)}, return_dtype=pl.Int64).to_numpy()
    fmap = {f: i for i, f in enumerate(funders)}
    hh_weight = hh["weight"].to_numpy() if weighted else None
    cost = cand["cost_rp"].to_numpy() * (1.0 if hh_weight is None else hh_weight[hidx])
    persons = hh["household_size"].to_numpy() * (1.0 if hh_weight is None else hh_weight)
    pb = Problem(
        hh=hidx, prog=pidx, cost=cost, effect=cand["effect_rp_pc_month"].to_numpy(),
        persons=persons, welfare=hh["welfare_rp_month"].to_numpy(),
        line=hh["line_rp_month"].to_numpy(),
        district=hh["district_code"].replace_strict(dmap, return_dtype=pl.Int64).to_numpy(),
        prog_budget=prow["budget_rp"].fill_null(np.inf).to_numpy(),
        prog_quota=prow["quota_households"].fill_null(np.inf).to_numpy(),
        prog_funder=np.array([fmap[f] for f in prow["funder"].to_list()], dtype=np.int64),
        funder_budget=np.array([np.inf if fbud.get(f) is None else float(fbud[f]) for f in funders]),
        floor_rp=floor_rp, floor_households=floor_hh, alpha=alpha, hh_weight=hh_weight,
        log_sd=hh["residual_sd"].to_numpy() if expected else None)
    return cand, hh, pb, programs, funders, districts


def _simple_rule(cand: pl.DataFrame, pb: Problem, *, by_decile: bool) -> np.ndarray:
    """Each program pays pairs in the rule's order while its fund and its funder's fund last (a prefix)."""
    n = cand.height
    if by_decile:
        order = np.lexsort((pb.prog, pb.hh, cand["welfare_decile"].fill_null(99).to_numpy()))
    else:
        order = np.lexsort((pb.prog, pb.hh))
    x = np.zeros(n, dtype=bool)
    p, c = pb.prog[order], pb.cost[order]
    # cumulative cost and count are monotone in the order, so these tests keep a prefix per program
    ok = (group_cumsum(p, c) <= pb.prog_budget[p] + 1e-9) & (group_cumsum(p, pb.count[order]) <= pb.prog_quota[p]
                                                              + 1e-9)
    f = pb.prog_funder[p]
    ok &= group_cumsum(f, np.where(ok, c, 0.0)) <= pb.funder_budget[f] + 1e-9
    x[order[ok]] = True
    return x


def _result(cand: pl.DataFrame, hh: pl.DataFrame, pb: Problem, tr: Trace, programs: list[str],
            funders: list[str], districts: list[str], objective_name: str, method: str, bound: float | None,
            status: str) -> Allocation:
    x = tr.x
    before = objective(pb, np.zeros_like(x))
    after = objective(pb, x)
    gain: np.ndarray = np.bincount(pb.hh, weights=pb.effect * x, minlength=pb.persons.size).astype(np.float64)
    # credit: the greedy's marginal value; otherwise the household's reduction split by effect shares
    hh_red = pb.persons * (household_fgt(pb, np.zeros_like(gain)) - household_fgt(pb, gain))
    share = np.where(gain[pb.hh] > 0, pb.effect / np.where(gain[pb.hh] > 0, gain[pb.hh], 1.0), 0.0)
    traced = (tr.step > 0) & (tr.step < SECONDARY_STEP)  # the greedy's own record of the pair
    value = np.where(traced, tr.value, hh_red[pb.hh] * share)
    gap_before = np.where(traced, tr.gap_before, pb.gap[pb.hh])
    spent = np.bincount(pb.prog, weights=pb.cost * x, minlength=len(programs))
    left = np.where(traced, tr.budget_left, (pb.prog_budget - spent)[pb.prog])
    funder_names = np.array(funders)[pb.prog_funder[pb.prog]]
    plan = cand.select("household_id", "district_code", "program").with_columns(
        funder=pl.Series(funder_names), cost_rp=pl.Series(pb.cost), effect_rp_pc_month=pl.Series(pb.effect),
        gap_before_rp=pl.Series(gap_before), value=pl.Series(value),
        rp_per_value=pl.Series(np.where(value > 0, pb.cost / np.where(value > 0, value, 1.0), np.inf)),
        budget_left_rp=pl.Series(left), step=pl.Series(tr.step),
        **({} if pb.hh_weight is None else {"weight": pl.Series(pb.count)}),
        **({"deprivations_removed": cand["deprivations_removed"].cast(pl.Float64).fill_null(0.0)}
           if "deprivations_removed" in cand.columns else {})).filter(pl.Series(x))
    why = {"greedy": "greedy round", "lagrange": "Lagrangian bundle", "lp": "LP/greedy step", "mip": "MIP optimum",
           "lowest_desil": "lowest desil", "first_come": "first come"}[method]
    plan = plan.with_columns(reason=pl.format(
        "{} {}: gap Rp {} pc/month, Rp {} per unit of {} reduced, program budget left Rp {}", pl.lit(why),
        pl.col("step"), pl.col("gap_before_rp").round(0), pl.col("rp_per_value").round(0), pl.lit(objective_name),
        pl.col("budget_left_rp").round(0)))
    if "deprivations_removed" in plan.columns:
        plan = plan.with_columns(reason=pl.when(pl.col("step") == SECONDARY_STEP).then(pl.format(
            "secondary objective: {} person-deprivations removed, Rp {} each, with money the poverty objective "
            "left", pl.col("deprivations_removed").round(1),
            (pl.col("cost_rp") / pl.col("deprivations_removed")).round(0))).otherwise(pl.col("reason")))
    plan = plan.sort("household_id", "program")
    gap = None
    if bound is not None and method != "mip":
        gap = 0.0 if before - bound <= 1e-12 else max(0.0, (after - bound) / (before - bound))
    return Allocation(plan, _spend(plan, pb, programs, funders, districts), objective_name, method, before, after,
                      bound, gap, status)


def _spend(plan: pl.DataFrame, pb: Problem, programs: list[str], funders: list[str],
           districts: list[str]) -> pl.DataFrame:
    fbudget = dict(zip(funders, pb.funder_budget.tolist(), strict=True))
    pbudget = dict(zip(programs, pb.prog_budget.tolist(), strict=True))
    dfloor = dict(zip(districts, pb.floor_rp.tolist(), strict=True))
    parts = []
    for level, col, limits, keys in (("program", "program", pbudget, programs), ("funder", "funder", fbudget, funders),
                                     ("district", "district_code", dfloor, districts)):
        served = (pl.col("weight").filter(pl.col("household_id").is_first_distinct()).sum() if "weight" in plan.columns
                  else pl.col("household_id").n_unique())
        agg = pl.DataFrame({"key": keys}).join(
            plan.group_by(col).agg(spend_rp=pl.col("cost_rp").sum(), households=served)
            .rename({col: "key"}), on="key", how="left").fill_null(0)
        parts.append(agg.select(pl.lit(level).alias("level"), "key", pl.col("spend_rp").cast(pl.Float64),
                                pl.col("key").replace_strict(limits, return_dtype=pl.Float64).alias("limit_rp"),
                                pl.col("households").cast(pl.Float64 if "weight" in plan.columns else pl.Int64)))
    return pl.concat(parts)
