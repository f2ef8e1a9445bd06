"""Benchmark: import a full-size East Kalimantan registry (1.1M households, 4.1M members) and time it.

The registry is made by tiling a valid pattern over the province's 1,038 official villages, vectorized in
polars: household ids, village codes, decile, housing codes, and members with valid, unique NIKs (the
village's subdistrict prefix, the birth date with day + 40 for women, a serial). Household sizes cycle
through 3,4,4,3,4,5,3,4,2,4,5 (mean 41/11), so 1.1M households carry 4.1M members.

    .venv/bin/python benchmarks/bench_import.py                 # Parquet input, 1.1M households
    .venv/bin/python benchmarks/bench_import.py --csv           # CSV input instead
    .venv/bin/python benchmarks/bench_import.py --households 100000

The import runs in a child process so its peak resident memory (``ru_maxrss``) is measured alone. Goal:
under 60 s for the full size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

SIZES = (3, 4, 4, 3, 4, 5, 3, 4, 2, 4, 5)
DAYS = 3650


def make_registry(n_households: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A valid registry of ``n_households`` households on the official Kaltim villages, as text exports carry."""
    from entas.areas import area_tree

    villages = area_tree("64", level="village").select("code", "subdistrict_code").with_columns(
        rank=pl.int_range(pl.len()).over("subdistrict_code").cast(pl.Int64)
    )
    n_villages = villages.height
    village_codes = villages["code"]
    ranks = villages["rank"]
    index = pl.int_range(n_households, dtype=pl.Int64, eager=True).alias("i")
    households = pl.DataFrame(index).with_columns(
        v=pl.col("i") % n_villages,
        q=pl.col("i") // n_villages,
        size=pl.lit(pl.Series(SIZES)).gather(pl.col("i") % len(SIZES)),
    ).with_columns(
        village_code=pl.lit(village_codes).gather(pl.col("v")),
        rank=pl.lit(ranks).gather(pl.col("v")),
    )
    households_out = households.select(
        household_id=pl.format("KT{}", pl.col("i").cast(pl.Utf8).str.zfill(8)),
        village_code=pl.col("village_code").str.replace_all(".", "", literal=True),
        address=pl.format("Jl. Contoh No. {}", pl.col("q")),
        welfare_decile=(pl.col("i") % 10 + 1).cast(pl.Utf8),
        household_size=pl.col("size").cast(pl.Utf8),
        house_ownership=pl.lit("Milik Sendiri"),
        floor_area_m2=(pl.col("i") % 80 + 12).cast(pl.Utf8),
        floor_type=pl.lit("Tanah"),
        roof_type=pl.lit("Seng"),
        drinking_water=pl.lit("Sumur Bor"),
        has_savings=pl.lit("Tidak"),
        receives_pkh=pl.when(pl.col("i") % 3 == 0).then(pl.lit("Ya")).otherwise(pl.lit("Tidak")),
    )
    members = (
        households.select("i", "q", "rank", "village_code", "size")
        .with_columns(j=pl.int_ranges(0, pl.col("size")))
        .explode("j")
        .with_columns(pl.col("j").cast(pl.Int64))
    )
    start = pl.when(pl.col("j") == 0).then(pl.lit(-7305)).when(pl.col("j") == 1).then(pl.lit(-5479)).otherwise(
        pl.lit(7305) + pl.col("j") * 400
    )
    born = (pl.lit(0).cast(pl.Date) + pl.duration(days=start + pl.col("q") % DAYS))
    female = (pl.col("j") % 2) == 1
    members = members.with_columns(born=born, female=female).with_columns(
        day=pl.col("born").dt.day().cast(pl.Int64) + pl.when(pl.col("female")).then(40).otherwise(0),
        serial=pl.col("rank") * 10 + pl.col("j") + 1 + (pl.col("q") // DAYS) * 1000,
    )
    nik = (
        pl.col("village_code").str.replace_all(".", "", literal=True).str.slice(0, 6)
        + pl.col("day").cast(pl.Utf8).str.zfill(2)
        + pl.col("born").dt.month().cast(pl.Utf8).str.zfill(2)
        + (pl.col("born").dt.year() % 100).cast(pl.Utf8).str.zfill(2)
        + pl.col("serial").cast(pl.Utf8).str.zfill(4)
    )
    members_out = members.select(
        household_id=pl.format("KT{}", pl.col("i").cast(pl.Utf8).str.zfill(8)),
        member_id=(pl.col("j") + 1).cast(pl.Utf8),
        nik=nik,
        name=pl.format("Warga {}-{}", pl.col("i"), pl.col("j")),
        sex=pl.when(pl.col("female")).then(pl.lit("Perempuan")).otherwise(pl.lit("Laki-laki")),
        birth_date=pl.col("born").dt.strftime("%d/%m/%Y"),
        relation_to_head=pl.when(pl.col("j") == 0).then(pl.lit("Kepala Keluarga"))
        .when(pl.col("j") == 1).then(pl.lit("Istri/Suami")).otherwise(pl.lit("Anak")),
        education=pl.lit("SD/Sederajat"),
    )
    return households_out, members_out


def run_import(folder: Path, csv: bool) -> None:
    """Child process: import the files in ``folder`` and print the timings as JSON."""
    from entas.registry.importer import import_registry

    steps: dict[str, float] = {}
    began = time.perf_counter()

    def progress(step: str, done: int, total: int) -> None:
        if done == total:
            steps[step] = round(time.perf_counter() - began, 2)

    suffix = "csv" if csv else "parquet"
    paths = [folder / f"households.{suffix}", folder / f"members.{suffix}"]
    with tempfile.TemporaryDirectory() as home:
        result = import_registry(paths, home=Path(home), progress=progress)
        elapsed = time.perf_counter() - began
        print(json.dumps({
            "seconds": round(elapsed, 2),
            "steps_cumulative_s": steps,
            "counts": result.counts.rows(),
            "rejected": int(result.counts["rejected"].sum()),
            "snapshot": result.snapshot_id,
        }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_100_000)
    parser.add_argument("--csv", action="store_true", help="import CSV files instead of Parquet")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "entas-bench-import")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_import(args.folder, args.csv)
        return
    folder = args.folder / str(args.households)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "csv" if args.csv else "parquet"
    if not (folder / f"members.{suffix}").exists():
        began = time.perf_counter()
        households, members = make_registry(args.households)
        for name, frame in (("households", households), ("members", members)):
            if args.csv:
                frame.write_csv(folder / f"{name}.csv")
            else:
                frame.write_parquet(folder / f"{name}.parquet")
        print(f"generated {households.height:,} households, {members.height:,} members "
              f"in {time.perf_counter() - began:.1f} s -> {folder}")
    command = [sys.executable, __file__, "--run", "--folder", str(folder)] + (["--csv"] if args.csv else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({**figures, "peak_rss_mb": round(peak_mb)}, indent=1))


if __name__ == "__main__":
    main()
