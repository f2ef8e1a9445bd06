"""Time and peak memory of targeting and pockets on the whole synthetic province; prints markdown table rows.

Usage: ``python benchmarks/bench_pockets.py [--scale 1.0] [--seed 1] [--bootstrap 50] [--permutations 999]``.

The province is generated once and written to Parquet (not timed); each job then runs in its own child
process reading those files, and reports its own wall time and peak RSS (``ru_maxrss`` of the child:
interpreter and libraries included):

- ``score``: fit the PMT on the survey (with members) and score every registry household on DuckDB
  (``entas.target.score.score_registry``, collected to Polars); fit and score timed separately;
- ``pockets``: ``entas.pockets.find.find_pockets`` at village level: covariates, the EBP of FGT0-2 for the
  extreme and national lines for all villages with B bootstrap replicates, Alkire-Foster deprivations, hot
  spots with the given permutations, the ranked list and the Public Works comparison, with the true
  extremely poor persons (from the synthetic truth) in the villages each selection picks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def child_score(folder: Path) -> dict[str, Any]:
    from entas.engine import connect, register, to_polars
    from entas.target.pmt import fit_pmt
    from entas.target.score import lines_for_year, score_registry

    survey = pl.read_parquet(folder / "survey_households.parquet")
    survey_members = pl.read_parquet(folder / "survey_members.parquet")
    start = time.perf_counter()
    model = fit_pmt(survey, survey_members)
    fit_s = time.perf_counter() - start
    backend = connect()
    households = register(backend, folder / "households.parquet", "households")
    members = register(backend, folder / "members.parquet", "members")
    start = time.perf_counter()
    scored = to_polars(score_registry(model, households, members, by_district=True,
                                      lines=lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017")))
    return {"fit_s": fit_s, "score_s": time.perf_counter() - start, "rows": scored.height,
            "terms": len(model.terms)}


def child_pockets(folder: Path, bootstrap: int, permutations: int) -> dict[str, Any]:
    from entas.pockets.find import find_pockets

    frames = {name: pl.read_parquet(folder / f"{name}.parquet")
              for name in ("households", "members", "survey_households", "survey_members")}
    start = time.perf_counter()
    result = find_pockets(frames["households"], frames["members"], frames["survey_households"],
                          frames["survey_members"], year=2024, level="village", bootstrap=bootstrap,
                          permutations=permutations)
    seconds = time.perf_counter() - start
    from entas.pockets.pocket_list import compare_selections

    assert result.public_works is not None
    truth = pl.read_parquet(folder / "truth_villages.parquet")
    comparison = compare_selections(result.pockets, result.public_works, truth=truth)
    return {"pockets_s": seconds, "villages": result.pockets.height, "comparison": comparison.to_dicts()}


def run_child(job: str, folder: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "_child", job, str(folder), *extra], check=True,
                          capture_output=True, text=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == "_child":
        job, folder = sys.argv[2], Path(sys.argv[3])
        start = time.perf_counter()
        report = child_score(folder) if job == "score" else child_pockets(folder, int(sys.argv[4]), int(sys.argv[5]))
        print(json.dumps(report | {"wall_s": time.perf_counter() - start, "peak_gb": _peak_gb()}))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=50)
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    from entas.synth import generate

    province = generate("64", 2024, scale=args.scale, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="entas-bench-pockets-") as name:
        folder = Path(name)
        for table in ("households", "members", "survey_households", "survey_members"):
            getattr(province, table).write_parquet(folder / f"{table}.parquet")
        province.truth.group_by(area_code="village_code").agg(
            true_extreme_poor=(pl.col("household_size") * pl.col("extreme_poor")).sum().cast(pl.Float64)
        ).write_parquet(folder / "truth_villages.parquet")
        households, survey = province.households.height, province.survey_households.height
        del province
        score = run_child("score", folder)
        pockets = run_child("pockets", folder, str(args.bootstrap), str(args.permutations))
    cpus = os.cpu_count()
    print(f"scale {args.scale}: {households:,} registry households, {survey:,} survey households, {cpus} CPUs")
    print("| job | what | seconds | child wall s | peak RSS GB |")
    print("|---|---|---|---|---|")
    print(f"| PMT fit | {survey:,} survey households, {score['terms']} terms kept, 5-fold CV selection | "
          f"{score['fit_s']:.1f} | | |")
    print(f"| registry scoring (DuckDB) | {score['rows']:,} households: predicted welfare, P(extreme), P(poor), "
          f"ranks and deciles | {score['score_s']:.1f} | {score['wall_s']:.1f} | {score['peak_gb']:.2f} |")
    print(f"| pockets, village level | {pockets['villages']:,} villages: EBP (B={args.bootstrap}), deprivations, "
          f"hot spots ({args.permutations} permutations), ranking, Public Works | {pockets['pockets_s']:.1f} | "
          f"{pockets['wall_s']:.1f} | {pockets['peak_gb']:.2f} |")
    print()
    print("| selection | villages | in both | estimated extreme poor | share of estimated | true extreme poor | "
          "share of true |")
    print("|---|---|---|---|---|---|---|")
    for row in pockets["comparison"]:
        print(f"| {row['selection']} | {row['villages']} | {row['in_both']} | {row['estimated_extreme_poor']:,.0f} | "
              f"{row['share_of_estimated_extreme_poor']:.3f} | {row['true_extreme_poor']:,.0f} | "
              f"{row['share_of_true_extreme_poor']:.3f} |")


if __name__ == "__main__":
    main()
