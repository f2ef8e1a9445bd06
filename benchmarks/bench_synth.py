"""Time and peak memory of ``entas.synth.generate``; prints one markdown table row.

Usage: ``python benchmarks/bench_synth.py --scale 1.0 [--seed 1] [--year 2024]``. Peak memory is the
process's maximum resident set size (``resource.getrusage``), which includes the interpreter and libraries;
tracemalloc is not used because numpy and polars allocate outside Python's allocator.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from entas.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    start = time.perf_counter()
    result = generate("64", args.year, scale=args.scale, seed=args.seed)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    ok = int(result.calibration["ok"].sum())
    print("| scale | year | households | persons | survey households | seconds | peak RSS GB | targets met | cpus |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.scale} | {args.year} | {result.households.height:,} | {result.members.height:,} | "
        f"{result.survey_households.height:,} | {seconds:.1f} | {peak_gb:.2f} | {ok}/{result.calibration.height} | "
        f"{os.cpu_count()} ({platform.machine()}) |"
    )


if __name__ == "__main__":
    main()
