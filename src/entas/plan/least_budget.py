"""The least budget that brings estimated extreme poverty to zero, or below a stated threshold, by district.

With no budget limit, households do not compete: the cheapest way to reach a target in a district is to take
the assignments in order of objective reduction per rupiah until the target is met. The order is the greedy
of ``entas.plan.allocate`` run once with every budget unlimited (each household's own sequence of pairs by
marginal value per rupiah, merged across households):

- known welfare, headcount (``expected=False``): a household counts only once lifted, so it is a *bundle*
  of pairs (its cheapest lifting set found by the greedy's bundle rule) priced persons per rupiah; zero is
  reached when every household that some bundle can lift is lifted. Households no eligible program can lift
  (their gap exceeds the sum of their effects) stay: they are the district's ``floor`` and the catalog's limit;
- expected objective (``expected=True``, PMT uncertainty): every household has some probability of being
  extremely poor, so exactly zero is out of reach; the threshold (e.g. 0.5 persons, or a rate) is what a
  plan can promise, and the floor is the expected count left after every eligible pair is given.

The result per district (and the province): ``before``, ``floor`` (objective left with the whole catalog),
``budget_near_floor_rp`` (what buys 99% of the reduction the catalog can make: the honest "most we can do"
when the target is out of reach), ``target``, ``reached``, ``budget_rp`` (null when not reachable), ``after``,
``households``, and the spend by
strategy (``expenditure_burden``, ``income``, ``pockets``) and by funder type -- the composition of that least
budget. Greedy order is optimal for the gap and severity when effects are divisible and near-optimal for
bundles (a knapsack); the bound on how far from the least budget it can be is one household's bundle per
district (the last one taken).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from entas.errors import PlanError
from entas.plan.allocate import ALPHA, Objective, _problem
from entas.plan.solvers import Problem, _units, group_cumsum, household_fgt
from entas.programs.catalog import STRATEGIES

NEAR_FLOOR = 0.99
"""``budget_near_floor_rp`` buys this share of what the catalog can reduce (the last 1% costs the most)."""

__all__ = ["least_budget", "least_budget_path"]


def least_budget_path(candidates: pl.DataFrame, *, objective: Objective = "headcount",
                      expected: bool = False) -> pl.DataFrame:
    """The cheapest path to lower poverty: pairs in the order they are bought, with cumulative cost and value.

    One row per pair worth buying (positive value): ``household_id, district_code, program, strategy,
    funder_type, cost_rp, value`` (objective reduction credited; in bundles, the whole bundle on its last
    pair), ``order`` (0-based position in the province order), and per district ``cost_cum_rp`` and
    ``value_cum``.
    """
    cand, pb, _ = _unlimited(candidates, objective, expected)
    return _path(cand, pb)


def _path(cand: pl.DataFrame, pb: Problem) -> pl.DataFrame:
    pairs, score, value, _ = _units(pb, np.zeros(pb.persons.size), np.arange(pb.hh.size), pb.cost)
    order = np.lexsort((np.arange(pairs.size), pb.hh[pairs], -score))
    pairs, value = pairs[order], value[order]
    if pb.bundles and pairs.size:
        h = pb.hh[pairs]
        last = np.r_[h[1:] != h[:-1], True]
        total = np.bincount(h, weights=value, minlength=pb.persons.size)
        value = np.where(last, total[h], 0.0)
    district = pb.district[pb.hh[pairs]]
    extra = [c for c in ("strategy", "funder_type") if c in cand.columns]
    path: pl.DataFrame = cand[pairs.tolist()].select("household_id", "district_code", "program", *extra).with_columns(
        cost_rp=pl.Series(pb.cost[pairs]), value=pl.Series(value), order=pl.Series(np.arange(pairs.size)),
        cost_cum_rp=pl.Series(group_cumsum(district, pb.cost[pairs])),
        value_cum=pl.Series(group_cumsum(district, value)))
    return path


def least_budget(candidates: pl.DataFrame, *, objective: Objective = "headcount", expected: bool = False,
                 threshold: float = 0.0, threshold_rate: float | None = None,
                 population: pl.DataFrame | None = None, province_code: str | None = None) -> pl.DataFrame:
    """Per district, the least budget reaching ``objective <= target``; see the module docstring.

    ``threshold``: the target in objective units (persons for the headcount; 0 = zero). ``threshold_rate``:
    the target as a share of the district's persons instead (needs ``population``: ``district_code,
    persons``). The last row is the province (``province_code``, default the districts' common prefix):
    the sum of the districts' least budgets, each district meeting its own target.
    """
    if threshold < 0 or (threshold_rate is not None and not 0 <= threshold_rate < 1):
        raise PlanError("the threshold must be >= 0 persons, and a threshold rate in [0, 1)")
    if threshold_rate is not None and population is None:
        raise PlanError("threshold_rate needs the population by district (district_code, persons)")
    cand, pb, districts = _unlimited(candidates, objective, expected)
    path = _path(cand, pb)
    before_h = pb.persons * household_fgt(pb, np.zeros(pb.persons.size))
    before = pl.DataFrame({"district_code": districts,
                           "before": np.bincount(pb.district, weights=before_h, minlength=len(districts))})
    totals = path.group_by("district_code").agg(reducible=pl.col("value").sum())
    table = before.join(totals, on="district_code", how="left").with_columns(pl.col("reducible").fill_null(0.0))
    table = table.with_columns(floor=(pl.col("before") - pl.col("reducible")).clip(0.0))
    near_floor = path.join(table.select("district_code", "reducible"), on="district_code").filter(
        pl.col("value_cum") >= NEAR_FLOOR * pl.col("reducible") - 1e-9).group_by("district_code").agg(
        budget_near_floor_rp=pl.col("cost_cum_rp").min())
    table = table.join(near_floor, on="district_code", how="left").with_columns(
        pl.col("budget_near_floor_rp").fill_null(0.0))
    if threshold_rate is not None and population is not None:
        table = table.join(population.select("district_code", pl.col("persons").cast(pl.Float64)),
                           on="district_code", how="left").with_columns(
            target=pl.col("persons").fill_null(0.0) * threshold_rate).drop("persons")
    else:
        table = table.with_columns(target=pl.lit(float(threshold)))
    # the first point on each district's path where before - value_cum <= target (1e-9: rounding)
    marked = path.join(table.select("district_code", "before", "target"), on="district_code").with_columns(
        met=(pl.col("before") - pl.col("value_cum")) <= pl.col("target") + 1e-9)
    stop = marked.filter(pl.col("met")).group_by("district_code").agg(pl.col("order").min().alias("stop"))
    bought = marked.join(stop, on="district_code", how="left").filter(
        pl.col("stop").is_not_null() & (pl.col("order") <= pl.col("stop")))
    by_strategy = [pl.col("cost_rp").filter(pl.col("strategy") == s).sum().alias(f"{s}_rp") for s in STRATEGIES
                   if "strategy" in path.columns]
    spend = bought.group_by("district_code").agg(
        *by_strategy, budget_rp=pl.col("cost_rp").sum(), reduced=pl.col("value").sum(),
        households=pl.col("household_id").n_unique())
    out = table.join(spend, on="district_code", how="left").with_columns(
        reached=(pl.col("before") <= pl.col("target") + 1e-9) | pl.col("budget_rp").is_not_null())
    out = out.with_columns(
        *(pl.col(f"{s}_rp").fill_null(0.0) for s in STRATEGIES if "strategy" in path.columns),
        budget_rp=pl.when(pl.col("before") <= pl.col("target") + 1e-9).then(0.0).otherwise(pl.col("budget_rp")),
        after=pl.when(pl.col("reached")).then(pl.col("before") - pl.col("reduced").fill_null(0.0))
        .otherwise(pl.col("floor")),
        households=pl.col("households").fill_null(0).cast(pl.Int64))
    if "funder_type" in path.columns:
        funders = bought.pivot(on="funder_type", index="district_code", values="cost_rp",
                               aggregate_function="sum").fill_null(0.0) if bought.height else None
        if funders is not None:
            funders = funders.rename({c: f"funder_{c}_rp" for c in funders.columns if c != "district_code"})
            out = out.join(funders, on="district_code", how="left").with_columns(
                pl.col("^funder_.*_rp$").fill_null(0.0))
    columns = ["district_code", "before", "floor", "budget_near_floor_rp", "target", "reached", "budget_rp", "after",
               "households",
               *(c for c in out.columns if c.endswith("_rp") and c not in ("budget_rp", "budget_near_floor_rp"))]
    out = out.select(columns).sort("district_code")
    code = province_code or _common_prefix(districts)
    sums = [pl.col(c).sum() for c in columns[1:] if c not in ("reached", "budget_rp")]
    province = out.select(pl.lit(code).alias("district_code"), *sums, reached=pl.col("reached").all(),
                          budget_rp=pl.when(pl.col("reached").all()).then(pl.col("budget_rp").sum()))
    return pl.concat([out, province.select(columns)], how="vertical_relaxed")


def _unlimited(candidates: pl.DataFrame, objective: Objective,
               expected: bool) -> tuple[pl.DataFrame, Problem, list[str]]:
    """The allocation problem of ``candidates`` with every program budget unlimited."""
    programs = sorted(candidates["program"].unique().to_list())
    unlimited = pl.DataFrame({"kind": "program", "key": programs, "budget_rp": None},
                             schema={"kind": pl.Utf8, "key": pl.Utf8, "budget_rp": pl.Float64})
    cand, _, pb, _, _, districts = _problem(candidates, unlimited, ALPHA[objective], expected=expected)
    return cand, pb, districts


def _common_prefix(districts: list[str]) -> str:
    parts = {d.split(".")[0] for d in districts}
    return parts.pop() if len(parts) == 1 else "all"
