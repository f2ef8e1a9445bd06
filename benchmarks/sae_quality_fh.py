"""How well Fay-Herriot recovers the true subdistrict and village poverty rates of the synthetic province.

The synthetic province (``entas.synth.generate``) knows every registry household's true consumption and
poverty status (``truth``), so the true person-level headcount ratio of every area is known. This script
draws nothing itself: it takes the province's Susenas-like sample, computes direct estimates by area
(``entas.pockets.area_inputs.direct_estimates``, design variance or GVF-smoothed), fits Fay-Herriot REML on
registry covariates (``registry_covariates``), benchmarks to the district direct estimates, and compares each
estimator with the truth: bias (mean of estimate - truth), RMSE, and the coverage of nominal 95% intervals
(direct: estimate +/- 1.96 design SE; FH: eblup +/- 1.96 sqrt(mse); benchmarked: +/- 1.96 sqrt(mse_benchmarked)),
over sampled areas, areas without sample, and all areas. Rates are fractions (0.05 = 5%).

Usage: ``python benchmarks/sae_quality_fh.py [--scale 0.05] [--seed 1] [--line national|extreme]
[--variance gvf|direct] [--gvf-deff 1.0]``; prints
markdown tables. ``tests/pockets/test_area_inputs.py`` pins the figures at scale 0.05, seed 1.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import polars as pl

from entas.measure.lines import attach_poverty_line
from entas.pockets.area_inputs import benchmark_to_direct, direct_estimates, registry_covariates
from entas.pockets.fay_herriot import fay_herriot
from entas.survey.design import SurveyDesign
from entas.synth import SynthProvince, generate

MODEL_COVARIATES = ("share_desil_1_2", "share_no_pln", "share_unimproved_water", "share_pkh", "mean_household_size")
Z95 = 1.959963984540054
WIDTHS = {"subdistrict": 8, "village": 13}


@dataclass(frozen=True)
class Quality:
    """The comparison table (level, estimator, areas, n_areas, bias, rmse, coverage_95) and the fitted sigma2_u."""

    table: pl.DataFrame
    sigma2_u: dict[str, float]


def true_rates(truth: pl.DataFrame, level: str, kind: str) -> pl.DataFrame:
    """The true person-level poverty rate of every area (households weighted by their size)."""
    poor = "poor" if kind == "national" else "extreme_poor"
    return truth.group_by(pl.col("village_code").str.slice(0, WIDTHS[level]).alias("area")).agg(
        truth=(pl.col(poor).cast(pl.Float64) * pl.col("household_size")).sum() / pl.col("household_size").sum())


def _metrics(frame: pl.DataFrame, level: str, estimator: str, estimate: str, se: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    groups = (("sampled", pl.col("in_sample")), ("not sampled", ~pl.col("in_sample")), ("all", pl.lit(True)))
    for name, keep in groups:
        part = frame.filter(keep & pl.col(estimate).is_not_null())
        if part.is_empty():
            continue
        err = (part[estimate] - part["truth"]).to_numpy()
        covered = np.abs(err) <= Z95 * part[se].to_numpy()
        out.append({"level": level, "estimator": estimator, "areas": name, "n_areas": part.height,
                    "bias": float(err.mean()), "rmse": float(np.sqrt(np.mean(err**2))),
                    "coverage_95": float(covered.mean())})
    return out


def evaluate(scale: float = 0.05, seed: int = 1, kind: str = "national", year: int = 2024,
             variance_model: str = "gvf", gvf_deff: float | None = None) -> Quality:
    """Direct, Fay-Herriot and benchmarked Fay-Herriot against the truth, by subdistrict and village."""
    return evaluate_province(generate("64", year, scale=scale, seed=seed), kind, year, variance_model, gvf_deff)


def evaluate_province(province: SynthProvince, kind: str = "national", year: int = 2024,
                      variance_model: str = "gvf", gvf_deff: float | None = None) -> Quality:
    """``evaluate`` on an already generated province."""
    survey = attach_poverty_line(province.survey_households, year, kind, basis=None if kind == "national"
                                 else "USD 2.15 PPP 2017")
    line = f"line_{kind}_rp_month"
    design = SurveyDesign.susenas(lonely_psu="adjust")
    district = direct_estimates(survey, design, line, level="district").select(
        pl.col("area_code").alias("district_code"), "estimate")
    rows: list[dict[str, object]] = []
    sigma2: dict[str, float] = {}
    for level in ("subdistrict", "village"):
        direct = direct_estimates(survey, design, line, level=level, variance_model=variance_model,  # type: ignore[arg-type]
                                  gvf_deff=gvf_deff)
        covariates = registry_covariates(province.households, level=level)
        fit = fay_herriot(direct, covariates, columns=MODEL_COVARIATES, clip=(0.0, 1.0))
        sigma2[level] = fit.sigma2_u
        bench = benchmark_to_direct(fit.areas, covariates.rename({"area_code": "area"}), district)
        frame = (bench.join(true_rates(province.truth, level, kind), on="area", how="left")
                 .join(direct.select(pl.col("area_code").alias("area"), pl.col("estimate").alias("direct_estimate"),
                                     pl.col("direct_variance").sqrt().alias("direct_se")), on="area", how="left")
                 .with_columns(in_sample=pl.col("direct_estimate").is_not_null(), fh_se=pl.col("mse").sqrt(),
                               bench_se=pl.col("mse_benchmarked").sqrt()))
        rows += _metrics(frame, level, "direct", "direct_estimate", "direct_se")
        rows += _metrics(frame, level, "Fay-Herriot", "eblup", "fh_se")
        rows += _metrics(frame, level, "FH benchmarked", "benchmarked", "bench_se")
    return Quality(table=pl.DataFrame(rows), sigma2_u=sigma2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--line", choices=("national", "extreme"), default="national")
    parser.add_argument("--variance", choices=("gvf", "direct"), default="gvf")
    parser.add_argument("--gvf-deff", type=float, default=None, help="design effect of the GVF (default: district's)")
    args = parser.parse_args()
    quality = evaluate(args.scale, args.seed, args.line, variance_model=args.variance, gvf_deff=args.gvf_deff)
    print(f"scale {args.scale}, seed {args.seed}, {args.line} line, {args.variance} variances "
          f"(GVF deff {args.gvf_deff or 'of the district'}); "
          f"sigma2_u: {quality.sigma2_u}")
    print("| level | estimator | areas | n | bias (pp) | RMSE (pp) | 95% coverage |")
    print("|---|---|---|---|---|---|---|")
    for r in quality.table.iter_rows(named=True):
        print(f"| {r['level']} | {r['estimator']} | {r['areas']} | {r['n_areas']} | {100 * r['bias']:.2f} | "
              f"{100 * r['rmse']:.2f} | {100 * r['coverage_95']:.0f}% |")


if __name__ == "__main__":
    main()
