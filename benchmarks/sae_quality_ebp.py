"""How well the unit-level EBP recovers the true village and subdistrict poverty rates of the synthetic province.

The synthetic province (``entas.synth.generate``) knows every registry household's true consumption, so the
true person-level headcount ratio of every area is known (``truth``). This script fits the nested-error
model on the province's Susenas-like sample with the PMT covariates (``entas.target.covariates``, household
and member covariates, built identically for survey and registry), predicts every registry household
(``entas.pockets.ebp``, survey households linked to their registry household), and compares the EBP
headcount with the truth per area: bias (mean of estimate - truth), RMSE, and the coverage of nominal 95%
intervals ``estimate +/- 1.96 sqrt(bootstrap mse)``, over sampled areas, areas without sample, and all areas,
for the national and the extreme line. Rates are fractions (0.05 = 5%).

Usage:

- ``python benchmarks/sae_quality_ebp.py [--scale 0.05] [--seed 1] [--bootstrap 50]``: the quality tables
  (markdown). ``tests/pockets/test_ebp.py`` pins the figures at scale 0.05, seed 1.
- ``python benchmarks/sae_quality_ebp.py timing [--scale 1.0] [--bootstrap 50]``: time and peak memory of
  one ``ebp`` call for all villages (covariates from Parquet files, registry with members), measured in a
  child process (``ru_maxrss``: interpreter and libraries included; generating the province is not counted).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from entas.engine import connect, register
from entas.pockets.ebp import ebp
from entas.synth import SynthProvince, generate
from entas.target.covariates import covariate_names, household_covariates

Z95 = 1.959963984540054
WIDTHS = {"subdistrict": 8, "village": 13}
LINES = {"extreme": "extreme_line_rp_month", "national": "poverty_line_rp_month"}
TRUTH_FLAG = {"extreme": "extreme_poor", "national": "poor"}


@dataclass(frozen=True)
class Quality:
    """The comparison table (level, line, areas, n_areas, truth, bias, rmse, coverage_95) and the fits."""

    table: pl.DataFrame
    models: dict[str, dict[str, float]]


def true_rates(truth: pl.DataFrame, level: str) -> pl.DataFrame:
    """The true person-level headcount of every area for both lines: ``area, line, truth``."""
    area = pl.col("village_code").str.slice(0, WIDTHS[level]).alias("area")
    rates = truth.group_by(area).agg(
        **{line: (pl.col(flag).cast(pl.Float64) * pl.col("household_size")).sum() / pl.col("household_size").sum()
           for line, flag in TRUTH_FLAG.items()})
    return rates.unpivot(index="area", variable_name="line", value_name="truth")


def _inputs(province: SynthProvince, backend: Any) -> tuple[Any, Any, tuple[str, ...]]:
    lines = province.truth.select("household_id", *LINES.values(), "survey_household_id")
    households = register(backend, province.households.join(lines, on="household_id"), "ebp_households")
    registry = household_covariates(households, register(backend, province.members, "ebp_members"),
                                    keep=[*LINES.values(), "survey_household_id"])
    survey = household_covariates(register(backend, province.survey_households, "ebp_survey"),
                                  register(backend, province.survey_members, "ebp_survey_members"),
                                  keep=["consumption_pc_rp_month"])
    return registry, survey, covariate_names(survey)


def _metrics(frame: pl.DataFrame, level: str, line: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for name, keep in (("sampled", pl.col("in_sample")), ("not sampled", ~pl.col("in_sample")), ("all", pl.lit(True))):
        part = frame.filter(keep & (pl.col("line") == line))
        if part.is_empty():
            continue
        err = part["estimate"] - part["truth"]
        covered = ((part["truth"] - part["estimate"]).abs() <= Z95 * part["rmse"]).mean() \
            if part["rmse"].null_count() == 0 else None
        out.append({"level": level, "line": line, "areas": name, "n_areas": part.height,
                    "truth": float(part["truth"].mean()), "estimate": float(part["estimate"].mean()),  # type: ignore[arg-type]
                    "bias": float(err.mean()), "rmse": float((err**2).mean()) ** 0.5,  # type: ignore[arg-type, operator]
                    "coverage_95": None if covered is None else float(covered)})  # type: ignore[arg-type]
    return out


def evaluate_province(province: SynthProvince, *, bootstrap: int = 50, seed: int = 1,
                      levels: tuple[str, ...] = ("subdistrict", "village")) -> Quality:
    """EBP headcounts against the truth, by subdistrict and village, national and extreme lines.

    ``bootstrap = 0`` skips the MSE (coverage is then null); bias and RMSE do not depend on it.
    """
    registry, survey, covariates = _inputs(province, connect())
    rows: list[dict[str, object]] = []
    models: dict[str, dict[str, float]] = {}
    for level in levels:
        result = ebp(registry, survey, LINES, covariates=covariates, level=level, link="survey_household_id",
                     bootstrap=bootstrap, seed=seed)
        models[level] = {"sigma2_u": result.model.sigma2_u, "sigma2_e": result.model.sigma2_e,
                         "covariates": float(len(result.model.terms) - 1), "dropped": float(len(result.dropped))}
        frame = result.estimates.filter(pl.col("measure") == "headcount_ratio").join(
            true_rates(province.truth, level), on=["area", "line"], how="left")
        for line in LINES:
            rows += _metrics(frame, level, line)
    return Quality(table=pl.DataFrame(rows), models=models)


def evaluate(scale: float = 0.05, seed: int = 1, *, bootstrap: int = 50,
             levels: tuple[str, ...] = ("subdistrict", "village")) -> Quality:
    """``evaluate_province`` on the province generated at ``scale`` with ``seed`` (year 2024)."""
    return evaluate_province(generate("64", 2024, scale=scale, seed=seed), bootstrap=bootstrap, seed=seed,
                             levels=levels)


def _timed_child(folder: str, bootstrap: int) -> None:
    """In a child process: read the Parquet files, run ``ebp`` for all villages, print time and peak RSS."""
    backend = connect()
    tables = {name: register(backend, Path(folder) / f"{name}.parquet", name)
              for name in ("households", "members", "survey_households", "survey_members")}
    registry = household_covariates(tables["households"], tables["members"],
                                    keep=[*LINES.values(), "survey_household_id"])
    survey = household_covariates(tables["survey_households"], tables["survey_members"],
                                  keep=["consumption_pc_rp_month"])
    start = time.perf_counter()
    result = ebp(registry, survey, LINES, covariates=covariate_names(survey), level="village",
                 link="survey_household_id", bootstrap=bootstrap, seed=1)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb, "areas": result.estimates["area"].n_unique(),
                      "survey_households": result.model.n, "covariates": len(result.model.terms) - 1}))


def timing(scale: float, seed: int, bootstrap: int) -> dict[str, Any]:
    """Time and peak memory of ``ebp`` for all villages at ``scale`` (see the module docstring)."""
    province = generate("64", 2024, scale=scale, seed=seed)
    with tempfile.TemporaryDirectory(prefix="entas-ebp-bench-") as folder:
        lines = province.truth.select("household_id", *LINES.values(), "survey_household_id")
        province.households.join(lines, on="household_id").write_parquet(Path(folder) / "households.parquet")
        province.members.write_parquet(Path(folder) / "members.parquet")
        province.survey_households.write_parquet(Path(folder) / "survey_households.parquet")
        province.survey_members.write_parquet(Path(folder) / "survey_members.parquet")
        households = province.households.height
        del province
        out = subprocess.run([sys.executable, __file__, "_child", folder, str(bootstrap)], check=True,
                             capture_output=True, text=True)
    measured: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured | {"households": households, "bootstrap": bootstrap, "scale": scale}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "_child":
        _timed_child(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", nargs="?", choices=("quality", "timing"), default="quality")
    parser.add_argument("--scale", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=50)
    args = parser.parse_args()
    if args.mode == "timing":
        print(json.dumps(timing(args.scale or 1.0, args.seed, args.bootstrap)))
        return
    scale = args.scale or 0.05
    quality = evaluate(scale, args.seed, bootstrap=args.bootstrap)
    print(f"scale {scale}, seed {args.seed}, B = {args.bootstrap}; models: {quality.models}")
    print("| level | line | areas | n | true rate (%) | EBP mean (%) | bias (pp) | RMSE (pp) | 95% coverage |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in quality.table.iter_rows(named=True):
        coverage = "-" if r["coverage_95"] is None else f"{100 * r['coverage_95']:.0f}%"
        print(f"| {r['level']} | {r['line']} | {r['areas']} | {r['n_areas']} | {100 * r['truth']:.2f} | "
              f"{100 * r['estimate']:.2f} | {100 * r['bias']:.2f} | {100 * r['rmse']:.2f} | {coverage} |")

if __name__ == "__main__":
    main()
