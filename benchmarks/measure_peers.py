"""Peer runs for ``bench_measure.py``: the same FGT0-2 and Gini with linearized SEs by district in samplics or svy.

Usage (normally started by ``bench_measure.py`` as a child process, so that its peak RSS is its own):
``python benchmarks/measure_peers.py samplics|svy --data hh.parquet --out peer.parquet [--districts K]``.
Prints one JSON line with the timings. It imports neither entas nor the other peer (svy may live in its own
virtual environment).

Definitions, as entas: person weight W = weight * household_size; FGT(alpha) is the W-weighted mean of
``1(y < z) (1 - y/z)^alpha``, linearized as a ratio (samplics and svy: ``mean`` with weights W, which is
the same ratio estimator); domains are estimated on the full design (strata ``stratum``, PSUs ``psu``, with
replacement). Neither peer has a Gini: its influence values (Langel and Tillé 2013, as entas) are computed
here in numpy per district and their W-weighted total is estimated by the peer (``total``), the way one would
with these libraries; the numpy step is part of the timed work.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

F64 = npt.NDArray[np.float64]
FGT = ("headcount_ratio", "poverty_gap", "poverty_severity")


def load(path: Path, districts: int | None) -> pl.DataFrame:
    """The columns the peers need, with ``district`` (the first ``districts`` districts only, when given)."""
    d = pl.read_parquet(path, columns=["village_code", "stratum", "psu", "weight", "household_size",
                                       "consumption_pc_rp_month", "poverty_line_rp"])
    d = d.with_columns(district=pl.col("village_code").str.slice(0, 5), subdistrict=pl.col("village_code")
                       .str.slice(0, 8)).rename({"village_code": "village"})
    if districts is not None:
        keep = d["district"].unique().sort().head(districts)
        d = d.with_columns(district=pl.when(pl.col("district").is_in(keep.implode())).then(pl.col("district"))
                           .otherwise(pl.lit("other")))
    y, z = pl.col("consumption_pc_rp_month"), pl.col("poverty_line_rp")
    gap = pl.when(y < z).then(1.0 - y / z).otherwise(0.0)
    return d.with_columns(pw=pl.col("weight") * pl.col("household_size"),
                          headcount_ratio=(y < z).cast(pl.Float64), poverty_gap=gap, poverty_severity=gap * gap)


def gini_influence(domain: npt.NDArray[Any], y: F64, w: F64) -> tuple[F64, dict[str, float]]:
    """Per-row Gini influence values u (per unit of W) within each domain, and each domain's Gini."""
    names, codes = np.unique(domain, return_inverse=True)  # sort on integer codes, not strings
    order = np.lexsort((y, codes))
    ds, ys, ws = codes[order], y[order], w[order]
    starts = np.flatnonzero(np.r_[True, ds[1:] != ds[:-1]])
    ends = np.r_[starts[1:], len(ds)]
    u_sorted = np.empty(len(ys))
    ginis: dict[str, float] = {}
    for a, b in zip(starts, ends, strict=True):
        yy, ww = ys[a:b], ws[a:b]
        c, cy = np.cumsum(ww), np.cumsum(ww * yy)
        n_, b_ = c[-1], cy[-1]
        g = 2.0 * np.sum(yy * ww * (c - ww / 2.0)) / (n_ * b_) - 1.0
        ginis[str(names[ds[a]])] = float(g)
        u_sorted[a:b] = (2.0 * (c * yy - cy) + b_ - n_ * yy - g * (b_ + n_ * yy)) / (n_ * b_)
    u = np.empty(len(ys))
    u[order] = u_sorted
    return u, ginis


def run_samplics(d: pl.DataFrame, level: str = "district") -> tuple[pl.DataFrame, dict[str, float]]:
    """FGT0-2 and Gini by ``level`` (district, subdistrict or village) with samplics' TaylorEstimator."""
    from samplics.estimation import TaylorEstimator  # type: ignore[import-not-found, import-untyped, unused-ignore]
    from samplics.utils.types import PopParam  # type: ignore[import-not-found, import-untyped, unused-ignore]

    times: dict[str, float] = {}
    start = time.perf_counter()
    stratum: Any = d["stratum"].to_numpy()  # samplics accepts arrays; its annotations say Series
    psu: Any = d["psu"].to_numpy()
    dom: Any = d[level].to_numpy()
    pw = d["pw"].to_numpy()
    rows: list[dict[str, Any]] = []
    for m in FGT:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(y=d[m].to_numpy(), samp_weight=pw, stratum=stratum, psu=psu, domain=dom)
        rows += [{"level": level, "area": str(k), "measure": m, "estimate": float(v),
                  "se": float(est.stderror[k])} for k, v in est.point_est.items()]
    times["fgt_s"] = time.perf_counter() - start
    start = time.perf_counter()
    u, ginis = gini_influence(dom, d["consumption_pc_rp_month"].to_numpy(), pw)
    est = TaylorEstimator(PopParam.total)
    est.estimate(y=u, samp_weight=pw, stratum=stratum, psu=psu, domain=dom)
    rows += [{"level": level, "area": str(k), "measure": "gini", "estimate": ginis[str(k)],
              "se": float(est.stderror[k])} for k in est.point_est]
    times["gini_s"] = time.perf_counter() - start
    return pl.DataFrame(rows), times


def run_svy(d: pl.DataFrame, levels: list[str]) -> tuple[pl.DataFrame, dict[str, float]]:
    """FGT0-2 and Gini by each of ``levels`` with svy's Taylor estimation (one ``by`` per level)."""
    import svy  # type: ignore[import-not-found, import-untyped, unused-ignore]

    times = {"setup_s": 0.0, "fgt_s": 0.0, "gini_s": 0.0}
    start = time.perf_counter()
    us, ginis = {}, {}
    for level in levels:
        u, g = gini_influence(d[level].to_numpy(), d["consumption_pc_rp_month"].to_numpy(), d["pw"].to_numpy())
        us[f"u_{level}"], ginis[level] = pl.Series(u), g
    times["gini_s"] += time.perf_counter() - start
    start = time.perf_counter()
    data = d.select("stratum", "psu", "pw", *levels, *FGT, **us)
    sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt="pw"))
    times["setup_s"] = time.perf_counter() - start
    parts = []
    for level in levels:
        start = time.perf_counter()
        for m, est in zip(FGT, sample.estimation.mean(list(FGT), by=level), strict=True):
            parts.append(est.to_polars().select(pl.lit(level).alias("level"), pl.col(level).alias("area"),
                                                pl.lit(m).alias("measure"), pl.col("est").alias("estimate"), "se"))
        times["fgt_s"] += time.perf_counter() - start
        start = time.perf_counter()
        total = sample.estimation.total(f"u_{level}", by=level)
        parts.append(total.to_polars().select(
            pl.lit(level).alias("level"), pl.col(level).alias("area"), pl.lit("gini").alias("measure"),
            pl.col(level).replace_strict(ginis[level], return_dtype=pl.Float64).alias("estimate"), "se"))
        times["gini_s"] += time.perf_counter() - start
    return pl.concat(parts), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("peer", choices=["samplics", "svy"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--districts", type=int, default=None, help="only the first K districts (the rest: 'other')")
    parser.add_argument("--levels", default="district",
                        help="svy: comma-separated levels, in one run; samplics: one level (its domain)")
    args = parser.parse_args()
    start = time.perf_counter()
    d = load(args.data, args.districts)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    levels = args.levels.split(",")
    result, times = run_samplics(d, levels[0]) if args.peer == "samplics" else run_svy(d, levels)
    total_s = time.perf_counter() - start  # includes importing the peer
    compute_s = sum(times.values())
    result.write_parquet(args.out)
    print(json.dumps({"read_s": read_s, "compute_s": compute_s, "import_and_compute_s": total_s, **times,
                      "domains": int(result.select("level", "area").n_unique()) if "level" in result.columns
                      else int(result["area"].n_unique())}))


if __name__ == "__main__":
    main()
