"""Survey-like household tables for the measurement benchmarks, generated in chunks straight to Parquet.

Usage: ``python benchmarks/measure_data.py --households 1000000 --out /tmp/hh.parquet [--seed 1]``.

Structure, on the real East Kalimantan codes (``entas.areas.area_tree("64", level="village")``, 1,038 villages):
households are spread over villages (gamma shares, urban villages three times larger), rows are ordered by
village, PSUs are runs of 10 consecutive households of a village (the last one of a village may be smaller),
strata are district x urban (integer ``stratum`` = 2 * district index + urban), PSU weights are lognormal
around 25, ``household_size`` is 1-9, per-capita consumption is lognormal around each district's line
(``poverty_line_rp``) with district, village, PSU and size effects (about 7% of persons poor).

Reproducibility: the same seed and household count give the same rows whatever the machine: the village
allocation and area effects come from one generator seeded by ``seed``; each chunk of ``CHUNK`` rows from a
generator seeded by ``(seed, chunk index)``; PSU effects and weights from a counter hash of the PSU id, so a
PSU cut by a chunk boundary still has one effect and one weight. At most one chunk is in memory.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow.parquet as pq
from scipy.special import ndtri

from entas.areas import area_tree

CHUNK = 2_000_000
PSU_SIZE = 10
SIZE_PROBS = np.array([0.08, 0.14, 0.20, 0.22, 0.16, 0.10, 0.05, 0.03, 0.02])
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Frame:
    """The village frame: codes, allocation of households and area effects, one entry per village."""

    village_code: npt.NDArray[np.str_]
    district_code: npt.NDArray[np.str_]
    stratum: npt.NDArray[np.int32]
    start: I64  # first household index of each village
    psu_offset: I64  # global id of each village's first PSU
    effect: F64  # district + village + urban effect on log consumption
    line: F64  # the district's poverty line, rupiah per capita per month


def village_frame(n_households: int, seed: int) -> Frame:
    """Villages with their household counts and effects (deterministic in ``seed`` and ``n_households``)."""
    villages = area_tree("64", level="village").sort("code")
    rng = np.random.default_rng(seed)
    urban = villages["urban"].fill_null(False).to_numpy().astype(bool)
    district = villages["code"].str.slice(0, 5).to_numpy().astype(str)
    districts, d_index = np.unique(district, return_inverse=True)
    share = rng.gamma(2.0, 1.0, len(villages)) * np.where(urban, 3.0, 1.0)
    counts = rng.multinomial(n_households, share / share.sum()).astype(np.int64)
    d_effect = rng.normal(0.0, 0.2, len(districts))
    d_line = 650_000.0 * np.exp(rng.normal(0.0, 0.1, len(districts)))
    effect = d_effect[d_index] + rng.normal(0.0, 0.25, len(villages)) + 0.3 * urban
    psus = -(-counts // PSU_SIZE)
    return Frame(
        village_code=villages["code"].to_numpy().astype(str), district_code=district,
        stratum=(2 * d_index + urban).astype(np.int32),
        start=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
        psu_offset=np.concatenate([[0], np.cumsum(psus)[:-1]]).astype(np.int64),
        effect=effect, line=d_line[d_index],
    )


def _hash_uniform(keys: I64, seed: int, stream: int) -> F64:
    """Uniform (0, 1) values from a splitmix64 hash of (seed, stream, key): a counter-based generator."""
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64((seed * 1_000_003 + stream) & 0xFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9) & _MASK
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB) & _MASK
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


def chunk(frame: Frame, first: int, last: int, seed: int) -> pl.DataFrame:
    """Households ``first`` .. ``last - 1`` as a Polars frame."""
    rng = np.random.default_rng([seed, first // CHUNK])
    ids = np.arange(first, last, dtype=np.int64)
    v = np.searchsorted(frame.start, ids, side="right") - 1
    psu = frame.psu_offset[v] + (ids - frame.start[v]) // PSU_SIZE
    psu_effect = 0.2 * ndtri(_hash_uniform(psu, seed, 1))
    weight = 25.0 * np.exp(0.3 * ndtri(_hash_uniform(psu, seed, 2)))
    size = rng.choice(np.arange(1, 10, dtype=np.int32), size=len(ids), p=SIZE_PROBS)
    noise = rng.normal(0.0, 0.5, len(ids))
    log_y = np.log(frame.line[v]) + 0.75 + frame.effect[v] + psu_effect - 0.08 * (size - 4) + noise
    return pl.DataFrame({
        "household_id": ids,
        "village_code": frame.village_code[v],
        "stratum": frame.stratum[v],
        "psu": psu,
        "weight": weight,
        "household_size": size,
        "consumption_pc_rp_month": np.round(np.exp(log_y), 2),
        "poverty_line_rp": frame.line[v],
    })


def write(n_households: int, out: Path, seed: int = 1) -> Path:
    """Write ``n_households`` rows to the Parquet file ``out`` (one row group per chunk); returns ``out``."""
    frame = village_frame(n_households, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    try:
        for first in range(0, n_households, CHUNK):
            table = chunk(frame, first, min(first + CHUNK, n_households), seed).to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    write(args.households, args.out, args.seed)
    print(f"{args.households:,} households -> {args.out} ({args.out.stat().st_size / 1e9:.2f} GB) "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
