"""Benchmark of entas.plan.allocate: a synthetic province of households x programs (vectorized numpy).

Times the greedy (no LP) on the whole candidate table and the LP bound + lp/greedy with gap on one district
(HiGHS on the whole-province LP is too slow: the decomposition by district is the feasible route). For the
headcount it also times, on the whole province, the Lagrangian plan over bundles with its bound
(``entas.plan.lagrange``: candidates -> plan and bound, the Problem build included) and the greedy's gap to
that bound. ``--budget-scale`` multiplies every budget (1 = ~15% of candidate cost; 0.2 makes them bind).
Prints markdown rows: ``| step | households | pairs | seconds | before | after | bound | gap |``.

Run: .venv/bin/python benchmarks/bench_plan.py --households 1100000 --programs 15 --lp-households 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from entas.plan import allocate as allocate_module
from entas.plan.allocate import Allocation, allocate
from entas.plan.covers import minimal_covers
from entas.plan.lagrange import lagrange, lagrangian_dual
from entas.plan.solvers import greedy, objective


def province(n_h: int, n_p: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Candidates (each household eligible for ~30% of programs) and budgets covering ~15% of their cost."""
    r = np.random.default_rng(seed)
    per = r.binomial(n_p, 0.3, n_h)
    hh = np.repeat(np.arange(n_h), per)
    prog = (r.random(hh.size) * n_p).astype(np.int64)
    order = np.lexsort((prog, hh))
    hh, prog = hh[order], prog[order]
    keep = np.r_[True, (hh[1:] != hh[:-1]) | (prog[1:] != prog[:-1])]
    hh, prog = hh[keep], prog[keep]
    welfare = r.lognormal(np.log(750_000), 0.45, n_h).round()
    line = np.where(np.arange(n_h) % 10 < 3, 520_000.0, 480_000.0)
    unit_cost = r.uniform(0.6e6, 6e6, n_p)
    unit_effect = r.uniform(15_000, 110_000, n_p)
    cand = pl.DataFrame({
        "household_id": hh.astype(np.int64), "district_code": (hh % 10).astype(np.int64),
        "program": prog, "cost_rp": (unit_cost[prog] * r.uniform(0.8, 1.2, hh.size)).round(-3),
        "effect_rp_pc_month": (unit_effect[prog] * r.uniform(0.5, 1.5, hh.size)).round(-3),
        "welfare_rp_month": welfare[hh], "line_rp_month": line[hh],
        "household_size": r.integers(1, 8, n_h)[hh].astype(np.float64)})
    cand = cand.with_columns(
        pl.format("H{}", pl.col("household_id").cast(pl.Utf8).str.zfill(7)).alias("household_id"),
        pl.format("64.{}", pl.col("district_code").cast(pl.Utf8).str.zfill(2)).alias("district_code"),
        pl.format("P{}", pl.col("program").cast(pl.Utf8).str.zfill(2)).alias("program"))
    totals = cand.group_by("program").agg(pl.col("cost_rp").sum()).sort("program")
    budgets = pl.DataFrame({"kind": "program", "key": totals["program"], "budget_rp": totals["cost_rp"] * 0.15,
                            "funder": ["APBN" if i % 2 == 0 else "APBD" for i in range(totals.height)]})
    budgets = pl.concat([budgets, pl.DataFrame({"kind": ["funder"], "key": ["APBN"],
                                                "budget_rp": [float(budgets.filter(pl.col("funder") == "APBN")
                                                                    ["budget_rp"].sum() * 0.8)]})], how="diagonal")
    return cand, budgets


def row(step: str, n_h: int, pairs: int, seconds: float, a: Allocation) -> str:
    before, after, bound, gap = a.before, a.after, a.bound, a.gap_to_bound
    b = "" if bound is None else f"{bound:,.0f}"
    g = "" if gap is None else f"{gap:.2%}"
    return f"| {step} | {n_h:,} | {pairs:,} | {seconds:.1f} | {before:,.0f} | {after:,.0f} | {b} | {g} |"


def lagrange_rows(cand: pl.DataFrame, budgets: pl.DataFrame, n_h: int) -> list[str]:
    """The Lagrangian headcount plan and bound, and the plain greedy measured against that bound."""
    t = time.perf_counter()
    _, _, pb, *_ = allocate_module._problem(cand, budgets, 0)
    x, bound = lagrange(pb)
    before, after = objective(pb, np.zeros(pb.hh.size, dtype=bool)), objective(pb, x)
    seconds = time.perf_counter() - t
    gap = (after - bound) / (before - bound) if before > bound else 0.0
    out = [f"| lagrange headcount + bundle bound | {n_h:,} | {cand.height:,} | {seconds:.1f} | {before:,.0f} | "
           f"{after:,.0f} | {bound:,.0f} | {gap:.2%} |"]
    t = time.perf_counter()
    g_after = objective(pb, greedy(pb).x)
    bound = before - lagrangian_dual(pb, minimal_covers(pb)).value
    seconds = time.perf_counter() - t
    gap = (g_after - bound) / (before - bound) if before > bound else 0.0
    out.append(f"| greedy headcount + bundle bound (no Problem build) | {n_h:,} | {cand.height:,} | {seconds:.1f} | "
               f"{before:,.0f} | {g_after:,.0f} | {bound:,.0f} | {gap:.2%} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_100_000)
    ap.add_argument("--programs", type=int, default=15)
    ap.add_argument("--lp-households", type=int, default=20_000)
    ap.add_argument("--objective", default="headcount")
    ap.add_argument("--budget-scale", type=float, default=1.0)
    args = ap.parse_args()
    print("| step | households | pairs | seconds | before | after | bound | gap to LP bound |")
    print("|---|---|---|---|---|---|---|---|")
    t = time.perf_counter()
    cand, budgets = province(args.households, args.programs)
    budgets = budgets.with_columns(pl.col("budget_rp") * args.budget_scale)
    print(f"| build candidates | {args.households:,} | {cand.height:,} | {time.perf_counter() - t:.1f} | | | | |")
    t = time.perf_counter()
    a = allocate(cand, budgets, objective=args.objective, method="greedy", bound=False)
    print(row(f"greedy {args.objective}, no bound", args.households, cand.height, time.perf_counter() - t, a))
    if args.objective == "headcount":
        print("\n".join(lagrange_rows(cand, budgets, args.households)))
    small, sb = province(args.lp_households, args.programs, seed=2)
    sb = sb.with_columns(pl.col("budget_rp") * args.budget_scale)
    for method in ("greedy", "lp"):
        t = time.perf_counter()
        a = allocate(small, sb, objective=args.objective, method=method)
        print(row(f"{method} {args.objective} + LP bound", args.lp_households, small.height,
                  time.perf_counter() - t, a))


if __name__ == "__main__":
    main()
