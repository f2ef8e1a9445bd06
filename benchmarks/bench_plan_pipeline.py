"""Benchmark of the planning pipeline on the synthetic province: candidates, plan, least budget, projection.

Generates the province (``--scale 1.0`` = about 1.1M registry households), fits and applies the PMT, then
times each planning step as ``entas plan`` / ``entas simulate`` run them: candidates from the registry and
the catalog (eligibility on DuckDB), the allocation under the default budget file (expected objective,
greedy, deprivations second), the least budget by district, and the registry projection with PMT draws.
Prints markdown rows ``| step | rows | seconds | peak RSS GB |`` (peak RSS of the process so far).

Run: .venv/bin/python benchmarks/bench_plan_pipeline.py --scale 1.0 --draws 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import polars as pl

from entas.engine import connect, register, to_polars
from entas.plan.allocate import allocate
from entas.plan.budgets import load_budgets
from entas.plan.candidates import build_candidates
from entas.plan.least_budget import least_budget
from entas.plan.scenario import load_scenario
from entas.plan.simulate import project_registry
from entas.programs.catalog import load_catalog
from entas.synth import generate
from entas.target.pmt import fit_pmt
from entas.target.score import lines_for_year, score_registry


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--draws", type=int, default=100)
    args = parser.parse_args()
    reference = dt.date(2024, 3, 15)
    province = generate("64", 2024, scale=args.scale, seed=1)
    model = fit_pmt(province.survey_households, province.survey_members, reference_date=reference, seed=1)
    con = connect()
    households = register(con, province.households, "h")
    members = register(con, province.members, "m")
    scores = to_polars(score_registry(model, households, members,
                                      lines=lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017"),
                                      reference_date=reference, keep=["welfare_decile"]))
    programs = load_catalog()
    budgets = load_budgets(programs=[p.code for p in programs]).drop("status", "source")
    print(f"scale {args.scale}: {scores.height:,} households; setup peak {peak_gb():.2f} GB")
    print("| step | rows | seconds | peak RSS GB |\n|---|---|---|---|")
    as_of = dt.date(2025, 1, 1)
    rows: list[tuple[str, int, float]] = []
    plans = {}

    started = time.perf_counter()
    candidates = build_candidates(households, members, scores, programs, as_of=as_of, at=as_of, backend=con)
    rows.append(("candidates (eligibility, costs, effects, deprivations)", candidates.height,
                 time.perf_counter() - started))
    print(f"| {rows[-1][0]} | {rows[-1][1]:,} | {rows[-1][2]:.1f} | {peak_gb():.2f} |", flush=True)
    for name, kwargs in (("allocate: expected headcount, greedy, deprivations second",
                          {"expected": True, "deprivations": True}),
                         ("allocate: median headcount, greedy (no LP bound)", {"bound": False})):
        started = time.perf_counter()
        plan = allocate(candidates, budgets, **kwargs)  # type: ignore[arg-type]
        plans[name] = plan
        rows.append((name, plan.plan.height, time.perf_counter() - started))
        print(f"| {rows[-1][0]} | {rows[-1][1]:,} | {rows[-1][2]:.1f} | {peak_gb():.2f} |", flush=True)
    expected_plan = plans["allocate: expected headcount, greedy, deprivations second"]
    started = time.perf_counter()
    population = scores.group_by("district_code").agg(persons=pl.col("household_size").sum())
    least = least_budget(candidates, expected=True, threshold_rate=0.001, population=population)
    rows.append(("least budget by district (expected, 0.1% target)", least.height, time.perf_counter() - started))
    print(f"| {rows[-1][0]} | {rows[-1][1]:,} | {rows[-1][2]:.1f} | {peak_gb():.2f} |", flush=True)
    started = time.perf_counter()
    assignments = expected_plan.plan.join(candidates.select("household_id", "program", "take_up", "strategy",
                                                            "effect_full_rp_pc_month"),
                                          on=["household_id", "program"], how="left")
    projection = project_registry(scores, load_scenario("plan"), assignments, draws=args.draws)
    rows.append((f"projection 2024-2026, {args.draws} draws", projection.path.height, time.perf_counter() - started))
    print(f"| {rows[-1][0]} | {rows[-1][1]:,} | {rows[-1][2]:.1f} | {peak_gb():.2f} |", flush=True)
    total = sum(r[2] for r in rows[:2]) + rows[3][2]
    print(f"\nfull plan (candidates + allocation + least budget): {total:.1f} s")


if __name__ == "__main__":
    main()
