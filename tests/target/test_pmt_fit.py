"""PMT fit (entas.target.pmt) against R lm(..., weights =) on a committed sample, and its behaviour.

Reference: tests/fixtures/target/make_pmt_reference.R (R 4.2 lm) on pmt_sample.csv (2,000 synthetic survey
households with their covariates, written by make_pmt_sample.py). Coefficients, residual variances and R^2
agree to 1e-8 relative.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entas.engine import connect, register, to_polars
from entas.errors import TargetingError
from entas.synth import generate
from entas.target.covariates import COVARIATES, household_covariates
from entas.target.pmt import PMTModel, field_of, fit_pmt

FIXTURES = Path(__file__).parents[1] / "fixtures" / "target"
RTOL = 1e-8
SHORT = ["log_household_size", "log_floor_area_pc", "urban", "has_savings", "has_refrigerator", "has_motorcycle",
         "has_car", "floor_type_wood_low", "floor_type_cement_brick", "wall_type_wood_board", "head_education_primary",
         "head_education_university", "share_children_u15", "any_disability"]


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "pmt_sample.csv", schema_overrides={"district_code": pl.Utf8, "psu": pl.Utf8,
                                                                        "stratum": pl.Utf8})


@pytest.fixture(scope="module")
def r_coefficients() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "pmt_reference_coefficients.csv", null_values="NA",
                       schema_overrides={"district_code": pl.Utf8})


@pytest.fixture(scope="module")
def r_fit() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "pmt_reference_fit.csv", schema_overrides={"district_code": pl.Utf8})


def _r_terms(r_coefficients: pl.DataFrame, model: str, district: str = "all") -> dict[str, float | None]:
    rows = r_coefficients.filter((pl.col("model") == model) & (pl.col("district_code") == district))
    return dict(zip(rows["term"].to_list(), rows["estimate"].to_list(), strict=True))


def _ours(model: PMTModel, district: str) -> dict[str, float]:
    rows = model.coefficients.filter(pl.col("district_code") == district)
    return dict(zip(rows["term"].to_list(), rows["estimate"].to_list(), strict=True))


def test_pooled_model_with_district_effects_matches_r_lm(sample: pl.DataFrame, r_coefficients: pl.DataFrame,
                                                          r_fit: pl.DataFrame) -> None:
    model = fit_pmt(sample, selection="none", district_effects=True)
    ref = _r_terms(r_coefficients, "district_effects")
    assert model.dropped == tuple(t for t, v in ref.items() if v is None)
    districts = sorted(sample["district_code"].unique().to_list())
    for district in districts:
        ours = _ours(model, district)
        expected_intercept = ref["intercept"] + (ref.get(f"district{district}") or 0.0)
        np.testing.assert_allclose(ours["intercept"], expected_intercept, rtol=RTOL)
        slopes = [t for t in model.terms]
        np.testing.assert_allclose([ours[t] for t in slopes], [ref[t] for t in slopes], rtol=RTOL)
    fit = r_fit.filter(pl.col("model") == "district_effects").row(0, named=True)
    np.testing.assert_allclose([model.sigma2, model.r2], [fit["sigma2"], fit["r2"]], rtol=RTOL)


def test_province_model_matches_r_lm(sample: pl.DataFrame, r_coefficients: pl.DataFrame, r_fit: pl.DataFrame) -> None:
    model = fit_pmt(sample, selection="none", district_effects=False)
    ref = _r_terms(r_coefficients, "province")
    ours = _ours(model, "64")
    terms = ["intercept", *model.terms]
    np.testing.assert_allclose([ours[t] for t in terms], [ref[t] for t in terms], rtol=RTOL)
    fit = r_fit.filter(pl.col("model") == "province").row(0, named=True)
    np.testing.assert_allclose([model.sigma2, model.r2], [fit["sigma2"], fit["r2"]], rtol=RTOL)


def test_separate_district_models_match_r_lm_and_small_districts_fall_back(
    sample: pl.DataFrame, r_coefficients: pl.DataFrame, r_fit: pl.DataFrame
) -> None:
    model = fit_pmt(sample, covariates=SHORT, selection="none", district_effects="separate", min_district_n=150)
    separate = r_fit.filter(pl.col("model") == "separate")
    own = model.fit.filter((pl.col("model") == "separate") & (pl.col("district_code") != "all"))
    assert sorted(own["district_code"].to_list()) == sorted(
        separate["district_code"].to_list())
    for row in separate.iter_rows(named=True):
        district = row["district_code"]
        ref = {t: (v if v is not None else 0.0) for t, v in _r_terms(r_coefficients, "separate", district).items()}
        ours = _ours(model, district)
        np.testing.assert_allclose([ours[t] for t in ref], list(ref.values()), rtol=RTOL, atol=1e-300)
        variance = model.residual_variance.filter(pl.col("district_code") == district)["sigma2"].item()
        r2 = model.fit.filter(pl.col("district_code") == district)["r2"].item()
        np.testing.assert_allclose([variance, r2], [row["sigma2"], row["r2"]], rtol=RTOL)
    pooled = _r_terms(r_coefficients, "short_pooled")
    for district in ("64.11", "64.74"):  # fewer than 150 households: the pooled short model
        ours = _ours(model, district)
        assert model.fit.filter(pl.col("district_code") == district)["model"].item() == "pooled"
        np.testing.assert_allclose([ours[t] for t in SHORT], [pooled[t] for t in SHORT], rtol=RTOL)
        np.testing.assert_allclose(ours["intercept"], pooled["intercept"] + pooled[f"district{district}"], rtol=RTOL)


def test_backward_selection_keeps_the_strong_fields_and_does_not_raise_cv_error(sample: pl.DataFrame) -> None:
    full = fit_pmt(sample, selection="none", folds=5, seed=3)
    chosen = fit_pmt(sample, selection="backward", folds=5, seed=3)
    assert {field_of(t) for t in chosen.terms} >= {"household_size", "floor_area", "has_car", "has_refrigerator"}
    assert len(chosen.terms) < len(full.terms)
    cv_full, cv_chosen = (m.fit.filter(pl.col("district_code") == "all")["cv_rmse"].item() for m in (full, chosen))
    assert cv_chosen <= cv_full + 1e-3
    assert 0.45 < chosen.r2 < 0.55  # synth is tuned to R^2 ~ 0.5


def test_fit_table_has_one_row_per_district_and_the_province(sample: pl.DataFrame) -> None:
    model = fit_pmt(sample, selection="none")
    assert model.fit.columns == ["district_code", "model", "n", "r2", "rmse", "cv_rmse", "sigma2"]
    assert model.fit.height == sample["district_code"].n_unique() + 1
    assert model.fit.filter(pl.col("district_code") != "all")["n"].sum() == sample.height
    assert (model.fit["cv_rmse"] >= model.fit["rmse"] - 0.02).all()


def test_fit_from_raw_survey_and_members_builds_the_covariates() -> None:
    province = generate("64", 2024, scale=0.05, seed=2)
    model = fit_pmt(province.survey_households, province.survey_members, selection="none",
                    reference_date=dt.date(2024, 3, 15), snapshot_id="synth-64-2024")
    assert model.uses_members and model.snapshot_id == "synth-64-2024"
    assert set(model.terms) <= set(COVARIATES) and "log_household_size" in model.terms
    assert model.residual_variance["district_code"].to_list()[-1] == "64"


def test_non_positive_welfare_is_an_error_naming_the_count(sample: pl.DataFrame) -> None:
    bad = sample.with_columns(consumption_pc_rp_month=pl.when(pl.int_range(pl.len()) < 3).then(0.0)
                              .otherwise(pl.col("consumption_pc_rp_month")))
    with pytest.raises(TargetingError, match="3 survey households"):
        fit_pmt(bad, selection="none")


def test_unknown_options_are_errors(sample: pl.DataFrame) -> None:
    with pytest.raises(TargetingError, match="district_effects"):
        fit_pmt(sample, district_effects="by_village")  # type: ignore[arg-type]
    with pytest.raises(TargetingError, match="not in the survey"):
        fit_pmt(sample, covariates=["log_household_size", "no_such_column"])


def test_covariates_match_an_independent_polars_computation() -> None:
    province = generate("64", 2024, scale=0.01, seed=4)
    backend = connect()
    table = household_covariates(register(backend, province.households, "h"), register(backend, province.members, "m"),
                                 reference_date=dt.date(2024, 3, 15))
    ours = to_polars(table).sort("household_id")
    h = province.households.sort("household_id")
    assert ours.height == h.height and ours["household_id"].to_list() == h["household_id"].to_list()
    np.testing.assert_allclose(ours["log_floor_area_pc"], np.log(h["floor_area_m2"] / h["household_size"]), rtol=1e-12)
    assert ours["floor_type_earth"].to_list() == (h["floor_type"] == "earth").cast(pl.Float64).to_list()
    assert ours["urban"].to_list() == h["village_code"].str.slice(9, 1).eq("1").cast(pl.Float64).to_list()
    assert ours["electricity_va_gt2200"].to_list() == (h["electricity_va"] > 2200).cast(pl.Float64).to_list()
    m = province.members.with_columns(
        age=pl.lit(2024) - pl.col("birth_date").dt.year()
        - ((pl.col("birth_date").dt.month() > 3) | ((pl.col("birth_date").dt.month() == 3)
                                                    & (pl.col("birth_date").dt.day() > 15))).cast(pl.Int32))
    shares = m.group_by("household_id").agg(child=(pl.col("age") < 15).mean(),
                                            female_head=((pl.col("relation_to_head") == "head")
                                                         & (pl.col("sex") == "female")).any()).sort("household_id")
    np.testing.assert_allclose(ours["share_children_u15"], shares["child"], rtol=1e-12)
    assert ours["head_female"].to_list() == shares["female_head"].cast(pl.Float64).to_list()
    assert ours.select(pl.col(c).sum() for c in COVARIATES if c.startswith("missing_")).sum_horizontal().item() == 0


def test_missing_values_raise_their_indicator_and_keep_the_row() -> None:
    province = generate("64", 2024, scale=0.01, seed=4)
    h = province.households.head(50).with_columns(
        floor_type=pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("floor_type")),
        floor_area_m2=pl.when(pl.int_range(pl.len()) == 7).then(None).otherwise(pl.col("floor_area_m2")),
        roof_type=pl.when(pl.int_range(pl.len()) == 9).then(pl.lit("palm")).otherwise(pl.col("roof_type")))
    out = to_polars(household_covariates(register(connect(), h, "h"))).sort("household_id")
    assert out.height == 50
    assert out["missing_floor_type"].sum() == 5 and out["missing_floor_area_m2"].sum() == 1
    assert out["missing_roof_type"].sum() == 1
    assert out.filter(pl.col("missing_floor_area_m2") == 1)["log_floor_area_pc"].item() == 0.0
