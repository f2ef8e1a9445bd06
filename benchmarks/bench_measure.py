"""Time and peak memory of entas' poverty and inequality measures with linearized SEs, against peers.

Usage:

- ``python benchmarks/bench_measure.py suite [--households 1000000] [--peers samplics,r,svy]``: FGT0-2 and
  Gini with SEs by district, subdistrict and village on DuckDB (entas), then the peers by district on the
  same Parquet file (samplics and svy in Python, R survey on a CSV export), with the maximum relative SE
  difference per peer and the speed ratios. ``--peer-districts K`` runs the peers on the first K districts
  only (the rest one domain "other") for an extrapolation per domain.
- ``python benchmarks/bench_measure.py scale --households 10000000 [--engine duckdb|pyspark]``: FGT0-2 with
  SEs by province, district, subdistrict and village on a chunk-generated Parquet file.

Every job runs in a child process (GNU ``/usr/bin/time`` gives its own peak RSS, interpreter and libraries
included). entas reads the Parquet through ``entas.engine.register``; each entas call runs twice, the first
(cold: Ibis compile, backend start, file metadata) reported separately from the second (warm). Data come
from ``benchmarks/measure_data.py`` (same seed, same rows) and are deleted at the end unless ``--keep``.
Prints markdown table rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

HERE = Path(__file__).resolve().parent
FGT = ("headcount_ratio", "poverty_gap", "poverty_severity")
SUITE_LEVELS = ("district", "subdistrict", "village")
SCALE_LEVELS = ("province", "district", "subdistrict", "village")


@dataclass(frozen=True)
class Run:
    """A finished child process: its JSON report, wall seconds and peak RSS in GB."""

    report: dict[str, Any]
    wall_s: float
    peak_gb: float


def child(command: list[str]) -> Run:
    """Run ``command``; its last stdout line is JSON. Peak RSS of this child alone from GNU ``/usr/bin/time``."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *command], capture_output=True,
                              text=True)
        wall = time.perf_counter() - start
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        peak_kb = int(Path(rss.name).read_text().split()[-1])
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return Run(json.loads(lines[-1]), wall, peak_kb / 1024**2)


def run_entas(data: Path, engine: str, levels: list[str], gini: bool, out: Path | None, repeat: int) -> None:
    """The child: entas measures on ``data``; prints JSON timings; writes the district rows to ``out``."""
    start = time.perf_counter()
    from entas.engine import connect, register
    from entas.measure.inequality import inequality
    from entas.measure.poverty import poverty
    from entas.survey.design import SurveyDesign

    report: dict[str, Any] = {"import_s": time.perf_counter() - start}
    start = time.perf_counter()
    backend = connect(engine)  # type: ignore[arg-type]
    table = register(backend, data, "households")
    report["connect_s"] = time.perf_counter() - start
    design = SurveyDesign(weight="weight", strata="stratum", psu="psu")
    frames = []
    for i in range(repeat):
        start = time.perf_counter()
        pov = poverty(table, design, {"district": "poverty_line_rp"}, by=levels, measures=FGT)
        report[f"fgt_s_{i}"] = time.perf_counter() - start
        if gini:
            start = time.perf_counter()
            ineq = inequality(table, design, by=levels, measures=["gini"])
            report[f"gini_s_{i}"] = time.perf_counter() - start
    report["rows"] = pov.height + (ineq.height if gini else 0)
    report["domains"] = {level: int(pov.filter(pl.col("level") == level)["area"].n_unique()) for level in levels}
    frames.append(pov)
    if gini:
        frames.append(ineq)
    if out is not None:
        pl.concat(frames).select("level", "area", "measure", "estimate", "se").write_parquet(out)
    print(json.dumps(report))


def generate(households: int, path: Path, seed: int) -> float:
    """Generate the Parquet file in a child process; returns its wall seconds (skipped if it exists)."""
    if path.exists():
        return 0.0
    start = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "measure_data.py"), "--households", str(households),
                    "--out", str(path), "--seed", str(seed)], check=True)
    return time.perf_counter() - start


def entas_command(data: Path, engine: str, levels: tuple[str, ...], gini: bool, out: Path | None,
                  repeat: int) -> list[str]:
    command = [sys.executable, __file__, "_entas", "--data", str(data), "--engine", engine,
               "--levels", ",".join(levels), "--repeat", str(repeat)]
    return command + (["--gini"] if gini else []) + (["--out", str(out)] if out else [])


def compare(entas: pl.DataFrame, peer: pl.DataFrame) -> dict[str, float]:
    """Max relative difference of SEs and of estimates over the shared (level, area, measure) rows."""
    j = entas.join(peer, on=["level", "area", "measure"], suffix="_peer")
    def rel(a: str, b: str) -> pl.Expr:  # relative where the peer's value is not ~0, else absolute
        scale = pl.when(pl.col(b).abs() > 1e-12).then(pl.col(b).abs()).otherwise(1.0)
        return ((pl.col(a) - pl.col(b)).abs() / scale).max()

    found = j.select(se=rel("se", "se_peer"), est=rel("estimate", "estimate_peer"), n=pl.len()).row(0, named=True)
    return {"se": float(found["se"]), "est": float(found["est"]), "n": int(found["n"])}


def suite(args: argparse.Namespace) -> None:
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"hh_{args.households}.parquet"
    gen_s = generate(args.households, data, args.seed)
    print(f"generated {args.households:,} households in {gen_s:.1f} s", file=sys.stderr)
    e = child(entas_command(data, "duckdb", SUITE_LEVELS, True, work / "entas.parquet", 2))
    entas_warm = e.report["fgt_s_1"] + e.report["gini_s_1"]
    entas_cold = e.report["fgt_s_0"] + e.report["gini_s_0"]
    print(f"entas: {json.dumps(e.report)} wall {e.wall_s:.1f} s peak {e.peak_gb:.2f} GB", file=sys.stderr)
    d = child(entas_command(data, "duckdb", ("district",), True, None, 2))
    district_warm = d.report["fgt_s_1"] + d.report["gini_s_1"]
    print(f"entas district only: {json.dumps(d.report)} wall {d.wall_s:.1f} s", file=sys.stderr)
    n_domains = sum(e.report["domains"].values())
    reference = pl.read_parquet(work / "entas.parquet")
    print("| tool | domains | compute s (FGT0-2 / Gini) | total wall s | peak RSS GB | max rel. SE diff vs entas "
          "| max rel. estimate diff | entas speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| entas (DuckDB), warm | {e.report['domains']} | {entas_warm:.2f} ({e.report['fgt_s_1']:.2f} / "
          f"{e.report['gini_s_1']:.2f}); cold {entas_cold:.2f} | {e.wall_s:.1f} (both runs) | {e.peak_gb:.2f} "
          "| - | - | - |")
    print(f"| entas (DuckDB), district only, warm | 10 | {district_warm:.2f} ({d.report['fgt_s_1']:.2f} / "
          f"{d.report['gini_s_1']:.2f}) | {d.wall_s:.1f} (both runs) | {d.peak_gb:.2f} | - | - | - |")
    sys.stdout.flush()
    peers = [p for p in args.peers.split(",") if p]
    districts = ["--districts", str(args.peer_districts)] if args.peer_districts else []
    for peer in peers:
        out = work / f"{peer}.parquet"
        try:
            if peer == "r":
                csv = work / "households.csv"
                if not csv.exists():
                    pl.read_parquet(data).with_columns(district=pl.col("village_code").str.slice(0, 5)).select(
                        "district", "stratum", "psu", "weight", "household_size", "consumption_pc_rp_month",
                        "poverty_line_rp").write_csv(csv)
                run = child(["Rscript", str(HERE / "measure_peer.R"), str(csv), str(work / "r.csv")])
                pl.read_csv(work / "r.csv", schema_overrides={"area": pl.Utf8}).with_columns(
                    level=pl.lit("district")).write_parquet(out)
            else:
                python = args.svy_python if peer == "svy" else sys.executable
                levels = ["--levels", ",".join(SUITE_LEVELS)] if peer == "svy" and not args.peer_districts else []
                run = child([python, str(HERE / "measure_peers.py"), peer, "--data", str(data), "--out", str(out),
                             *districts, *levels])
        except (RuntimeError, OSError) as error:
            print(f"| {peer} | failed: {str(error)[-300:]!r} | | | | | | |")
            continue
        result = pl.read_parquet(out)
        diff = compare(reference, result.filter(pl.col("area") != "other"))
        compute = run.report["compute_s"]
        n_dom = result.select("level", "area").n_unique()
        head = (f"| {peer} | {n_dom:,} ({', '.join(result['level'].unique(maintain_order=True))}) | {compute:.2f} "
                f"({run.report['fgt_s']:.2f} / {run.report['gini_s']:.2f}) | {run.wall_s:.1f} | {run.peak_gb:.2f} "
                f"| {diff['se']:.2e} ({diff['n']} rows) | {diff['est']:.2e} | ")
        if n_dom >= n_domains:
            print(head + f"all levels, measured: {compute / entas_warm:.1f}x (FGT "
                  f"{run.report['fgt_s'] / e.report['fgt_s_1']:.1f}x, Gini "
                  f"{run.report['gini_s'] / e.report['gini_s_1']:.1f}x) |")
        else:
            print(head + f"district: {compute / district_warm:.1f}x (FGT "
                  f"{run.report['fgt_s'] / d.report['fgt_s_1']:.1f}x, Gini "
                  f"{run.report['gini_s'] / d.report['gini_s_1']:.1f}x); all {n_domains:,} domains, peer "
                  f"extrapolated linearly per domain ({compute / n_dom * n_domains:,.0f} s): "
                  f"{compute / n_dom * n_domains / entas_warm:.0f}x |")
        sys.stdout.flush()
    if not args.keep:
        shutil.rmtree(work)


def scale(args: argparse.Namespace) -> None:
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"hh_{args.households}.parquet"
    usage = shutil.disk_usage(work)
    print(f"free disk {usage.free / 1e9:.0f} GB", file=sys.stderr)
    gen_s = generate(args.households, data, args.seed)
    size_gb = data.stat().st_size / 1e9
    e = child(entas_command(data, args.engine, SCALE_LEVELS, False, None, args.repeat))
    r = e.report
    warm = f"{r['fgt_s_1']:.1f}" if "fgt_s_1" in r else "-"
    print("| households | engine | domains | FGT0-2 + SEs, 4 levels: cold s | warm s | connect + register s "
          "| child wall s | peak RSS GB | data: generate s, Parquet GB |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.households:,} | {args.engine} | {sum(r['domains'].values()):,} | {r['fgt_s_0']:.1f} | {warm} | "
          f"{r['connect_s']:.1f} | {e.wall_s:.1f} | {e.peak_gb:.2f} | {gen_s:.0f}, {size_gb:.2f} |")
    if not args.keep:
        shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("suite", "scale"):
        p = sub.add_parser(name)
        p.add_argument("--households", type=int, default=1_000_000)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--workdir", type=Path, default=Path("/tmp/entas-bench-measure"))
        p.add_argument("--keep", action="store_true", help="keep the generated data")
    sub.choices["suite"].add_argument("--peers", default="samplics,r,svy")
    sub.choices["suite"].add_argument("--peer-districts", type=int, default=None)
    sub.choices["suite"].add_argument("--svy-python", default=sys.executable,
                                      help="the Python of an environment with svy installed")
    sub.choices["scale"].add_argument("--engine", choices=["duckdb", "pyspark"], default="duckdb")
    sub.choices["scale"].add_argument("--repeat", type=int, default=2)
    c = sub.add_parser("_entas", help="internal: the entas child process")
    c.add_argument("--data", type=Path, required=True)
    c.add_argument("--engine", default="duckdb")
    c.add_argument("--levels", required=True)
    c.add_argument("--gini", action="store_true")
    c.add_argument("--out", type=Path, default=None)
    c.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.command == "_entas":
        run_entas(args.data, args.engine, args.levels.split(","), args.gini, args.out, args.repeat)
    elif args.command == "suite":
        suite(args)
    else:
        scale(args)


if __name__ == "__main__":
    main()
