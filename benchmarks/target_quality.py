"""How well the PMT finds the truly extreme poor and poor on the synthetic province (truth known).

Run: ``.venv/bin/python benchmarks/target_quality.py --scale 1.0 --seed 1`` (the figures in docs/targeting.md;
scale 1.0 takes a few minutes). Steps: generate the province; fit the PMT on the whole survey (district
effects, backward selection, 5 PSU folds); score every registry household; evaluate on the registry
households that are *not* in the survey sample (held out from the fit) against their true consumption:
inclusion/exclusion errors and coverage when targeting the registry's desil-1 share and 5/10/20% of persons,
by the PMT and by the registry's own desil; the calibration of the verification list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import polars as pl

from entas.engine import connect, register, to_polars
from entas.synth import generate
from entas.target.pmt import fit_pmt
from entas.target.quality import targeting_errors
from entas.target.score import lines_for_year, score_registry
from entas.target.verification import verification_list

REFERENCE_DATE = dt.date(2024, 3, 15)
SCORES = ("predicted_log_welfare", "registry_desil")


def evaluate(scale: float, seed: int) -> dict[str, pl.DataFrame]:
    """Fit, score and evaluate; tables ``fit``, ``errors``, ``calibration``, ``verification`` and ``summary``."""
    province = generate("64", 2024, scale=scale, seed=seed)
    model = fit_pmt(province.survey_households, province.survey_members, reference_date=REFERENCE_DATE, seed=seed)
    backend = connect()
    households = register(backend, province.households, "households")
    members = register(backend, province.members, "members")
    scored = score_registry(model, households, members, lines=lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017"),
                            reference_date=REFERENCE_DATE, keep=["welfare_decile"])
    truth = register(backend, province.truth.select(
        "household_id", true_welfare="consumption_pc_rp_month", extreme_line="extreme_line_rp_month",
        national_line="poverty_line_rp_month", extreme_poor="extreme_poor", poor="poor",
        in_survey=pl.col("survey_household_id").is_not_null()), "truth")
    joined = scored.join(truth, "household_id")
    held_out = to_polars(joined.filter(~joined["in_survey"]))
    desil1 = float(held_out.filter(pl.col("registry_desil") == 1)["household_size"].sum()
                   / held_out["household_size"].sum())
    shares = (round(desil1, 6), 0.05, 0.10, 0.20)
    errors = pl.concat([
        targeting_errors(held_out, score=SCORES, welfare="true_welfare", line=line, shares=shares).with_columns(
            eligible=pl.lit(kind))
        for kind, line in (("extreme", "extreme_line"), ("national", "national_line"))
    ])
    visits = verification_list(joined, area_level="district", visits=(10, 50, 100, 500), truth="extreme_poor")
    calibration = held_out.select(
        expected_extreme=pl.col("prob_below_extreme").sum(), actual_extreme=pl.col("extreme_poor").sum(),
        expected_poor=pl.col("prob_below_national").sum(), actual_poor=pl.col("poor").sum(), households=pl.len())
    summary = errors.filter(pl.col("level") == "province").select(
        "eligible", "score", "cutoff_share", "share_targeted", "inclusion_error", "exclusion_error", "coverage",
        "eligible_households")
    return {"fit": model.fit, "errors": errors, "calibration": calibration, "verification": visits.yields,
            "summary": summary, "terms": pl.DataFrame({"term": list(model.terms)})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    tables = evaluate(args.scale, args.seed)
    pl.Config.set_tbl_rows(60)
    pl.Config.set_tbl_cols(12)
    pl.Config.set_tbl_width_chars(160)
    print(f"scale {args.scale}, seed {args.seed}: {time.perf_counter() - start:.1f} s")
    for name in ("fit", "summary", "calibration"):
        print(name)
        print(tables[name])
    print("verification (province total by N visits)")
    print(tables["verification"].group_by("visits").agg(pl.col("expected_found", "found").sum()).sort("visits"))


if __name__ == "__main__":
    main()
