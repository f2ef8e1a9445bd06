"""Scoring with a PMT (entas.target.score): against R predictions and pnorm, scipy's normal CDF, an
independent Polars rank/decile computation, and DuckDB vs PySpark parity.

References: tests/fixtures/target/pmt_reference_scores.csv (make_pmt_reference.R: R fitted() of the weighted
lm with district effects, pnorm with the district residual variance); scipy.stats.norm.cdf.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from entas.engine import connect, register, to_polars
from entas.errors import TargetingError
from entas.synth import generate
from entas.target.pmt import PMTModel, fit_pmt
from entas.target.score import lines_for_year, normal_cdf, score_registry

FIXTURES = Path(__file__).parents[1] / "fixtures" / "target"
CDF_TOLERANCE = 1e-7
PROB_TOLERANCE = 1e-7
REFERENCE_DATE = dt.date(2024, 3, 15)


@pytest.fixture(scope="module")
def province() -> Any:
    return generate("64", 2024, scale=0.02, seed=5)


@pytest.fixture(scope="module")
def model(province: Any) -> PMTModel:
    return fit_pmt(province.survey_households, province.survey_members, selection="none",
                   reference_date=REFERENCE_DATE)


@pytest.fixture(scope="module")
def lines() -> dict[str, dict[str, float]]:
    return lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017")


def test_normal_cdf_agrees_with_scipy_within_1e_7() -> None:
    z = np.concatenate([np.linspace(-9, 9, 4001), [-40.0, 40.0, 0.0]])
    table = register(connect(), pl.DataFrame({"z": z}), "z")
    ours = to_polars(table.select(p=normal_cdf(table["z"])))["p"].to_numpy()
    assert np.max(np.abs(ours - stats.norm.cdf(z))) < CDF_TOLERANCE


def test_predictions_and_probabilities_match_r(lines: dict[str, dict[str, float]]) -> None:
    sample = pl.read_csv(FIXTURES / "pmt_sample.csv", schema_overrides={"district_code": pl.Utf8, "psu": pl.Utf8,
                                                                          "stratum": pl.Utf8})
    model = fit_pmt(sample, selection="none")
    households = register(connect(), sample.drop("consumption_pc_rp_month").with_columns(household_size=1), "s")
    ours = to_polars(score_registry(model, households, lines=lines)).sort("household_id")
    ref = pl.read_csv(FIXTURES / "pmt_reference_scores.csv").sort("household_id")
    assert ours["household_id"].to_list() == ref["household_id"].to_list()
    np.testing.assert_allclose(ours["predicted_log_welfare"], ref["fitted"], rtol=1e-10)
    for kind in ("extreme", "national"):
        assert (ours[f"prob_below_{kind}"] - ref[f"prob_below_{kind}"]).abs().max() < PROB_TOLERANCE


def test_ranks_and_person_deciles_match_an_independent_computation(
    model: PMTModel, province: Any, lines: dict[str, dict[str, float]]
) -> None:
    backend = connect()
    households, members = register(backend, province.households, "h"), register(backend, province.members, "m")
    scored = score_registry(model, households, members,
                            lines=lines, by_district=True, reference_date=REFERENCE_DATE)
    ours = to_polars(scored).sort("predicted_log_welfare", "household_id")
    assert ours.height == province.households.height
    persons = ours["household_size"].cum_sum() - ours["household_size"]
    decile = (persons * 10 // ours["household_size"].sum() + 1).clip(upper_bound=10)
    assert ours["welfare_decile"].to_list() == decile.to_list()
    assert ours["welfare_rank"].to_list() == list(range(1, ours.height + 1))
    shares = ours.group_by("welfare_decile").agg(pl.col("household_size").sum() / ours["household_size"].sum())
    assert shares["household_size"].is_between(0.098, 0.102).all()
    district = ours.filter(pl.col("district_code") == "64.72")
    assert district["welfare_rank_district"].to_list() == list(range(1, district.height + 1))
    np.testing.assert_allclose(ours["predicted_welfare_rp_month"], np.exp(ours["predicted_log_welfare"]), rtol=1e-12)
    assert (ours["prob_below_extreme"] <= ours["prob_below_national"]).all()


def test_a_district_absent_from_the_survey_takes_the_province_coefficients(
    model: PMTModel, province: Any, lines: dict[str, dict[str, float]]
) -> None:
    households = province.households.head(20)
    moved = households.with_columns(village_code=pl.lit("64.99.01.2001"))
    backend = connect()
    members = register(backend, province.members, "m")
    ours = to_polars(score_registry(model, register(backend, moved, "h"), members, lines=lines,
                                    reference_date=REFERENCE_DATE))
    slopes = model.coefficients.filter(pl.col("district_code") == "64")
    assert ours["district_code"].unique().to_list() == ["64.99"]
    assert ours["residual_sd"].unique().to_list() == [pytest.approx(model.sigma2**0.5)]
    assert ours["line_national_rp_month"].unique().to_list() == [lines["national"]["64"]]
    assert slopes.height == len(model.terms) + 1


# Spark plans the wide scoring expression slowly (~50 s on a loaded 2-core machine): kept in the default suite,
# because scoring must run on both engines
def test_duckdb_and_pyspark_give_the_same_scores(
    spark: Any, model: PMTModel, province: Any, lines: dict[str, dict[str, float]]
) -> None:
    frames = []
    households_frame = province.households.head(600)
    members_frame = province.members.filter(pl.col("household_id").is_in(households_frame["household_id"].implode()))
    for backend in (connect(), spark):
        households = register(backend, households_frame, "score_households")
        members = register(backend, members_frame, "score_members")
        scored = score_registry(model, households, members, lines=lines, by_district=True,
                                reference_date=REFERENCE_DATE, keep=["welfare_decile"])
        frames.append(to_polars(scored).sort("household_id"))
    assert_frame_equal(frames[0], frames[1].select(frames[0].columns), check_dtypes=False, rel_tol=1e-10)


def test_missing_lines_and_members_are_errors(model: PMTModel, province: Any) -> None:
    households = register(connect(), province.households, "h")
    with pytest.raises(TargetingError, match="national"):
        score_registry(model, households, None, lines={"extreme": 391000.0})
    with pytest.raises(TargetingError, match="pass the members"):
        score_registry(model, households, None, lines={"extreme": 391000.0, "national": 833955.0})
