"""Fay-Herriot inputs on the synthetic province (scale 0.05): direct estimates and variances, registry
covariates, and the quality of FH against the known truth (pinned from benchmarks/sae_quality_fh.py).

References: direct estimates are ``entas.measure.poverty`` (itself checked against R survey); here they are
checked to be passed through unchanged, the GVF variance against its formula computed by hand from the
district rows, PSU counts and registry covariates against plain Polars group-bys of the same tables.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import polars as pl
import pytest

from entas.errors import SmallAreaError
from entas.measure.lines import attach_poverty_line
from entas.measure.poverty import poverty
from entas.pockets.area_inputs import COVARIATES, direct_estimates, registry_covariates
from entas.survey.design import SurveyDesign
from entas.synth import SynthProvince, generate

LINE = "line_national_rp_month"
DESIGN = SurveyDesign.susenas(lonely_psu="adjust")
SCRIPT = Path(__file__).parents[2] / "benchmarks" / "sae_quality_fh.py"


@pytest.fixture(scope="module")
def province() -> SynthProvince:
    return generate("64", 2024, scale=0.05, seed=1)


@pytest.fixture(scope="module")
def survey(province: SynthProvince) -> pl.DataFrame:
    return attach_poverty_line(province.survey_households, 2024, "national")


@pytest.fixture(scope="module")
def subdistricts(survey: pl.DataFrame) -> pl.DataFrame:
    return direct_estimates(survey, DESIGN, LINE, level="subdistrict", variance_model="gvf")


def test_direct_estimates_are_the_poverty_estimates(survey: pl.DataFrame, subdistricts: pl.DataFrame) -> None:
    ref = poverty(survey, DESIGN, LINE, by="subdistrict", measures=["headcount_ratio"])
    got = subdistricts.join(ref, left_on="area_code", right_on="area")
    assert got.height == subdistricts.height == ref.height == 49
    np.testing.assert_allclose(got["estimate"].to_numpy(), got["estimate_right"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["direct_variance"].to_numpy(), (got["se"] ** 2).to_numpy(), rtol=1e-12)
    assert (got["n"] == got["n_right"]).all()


def test_psu_counts_match_the_sample(survey: pl.DataFrame, subdistricts: pl.DataFrame) -> None:
    counts = survey.group_by(pl.col("village_code").str.slice(0, 8).alias("area_code")).agg(
        pl.struct("stratum", "psu").n_unique().alias("psus"))
    got = subdistricts.join(counts, on="area_code")
    assert (got["n_psu"] == got["psus"]).all() and got["n_psu"].max() > 1


def test_gvf_variance_is_the_district_variance_per_household(subdistricts: pl.DataFrame) -> None:
    row = subdistricts.row(0, named=True)
    assert row["gvf_variance"] == pytest.approx(row["district_variance"] * row["district_n"] / row["n"], rel=1e-12)
    positive = subdistricts.filter(pl.col("gvf_variance") > 0)
    assert positive["variance"].to_list() == positive["gvf_variance"].to_list()
    # a district without a sampled poor person has variance 0: its areas are left out of sample
    assert subdistricts.filter(pl.col("gvf_variance") == 0)["variance"].is_null().all()
    # the smoothing gives every area with poor people in its district a variance, even with p-hat = 0
    zero = subdistricts.filter(pl.col("estimate") == 0)
    assert zero.height > 10 and (zero["variance"] > 0).all()


def test_direct_variance_model_drops_single_psu_areas(survey: pl.DataFrame, subdistricts: pl.DataFrame) -> None:
    direct = direct_estimates(survey, DESIGN, LINE, level="subdistrict", variance_model="direct")
    kept = direct.filter(pl.col("variance").is_not_null())
    assert (kept["n_psu"] >= 2).all() and (kept["variance"] > 0).all()
    assert direct.filter(pl.col("n_psu") < 2)["variance"].is_null().all()
    assert kept.height == subdistricts.filter((pl.col("n_psu") >= 2) & (pl.col("direct_variance") > 0)).height


def test_registry_covariates_match_polars(province: SynthProvince) -> None:
    got = registry_covariates(province.households, level="village")
    h = province.households.with_columns(area_code=pl.col("village_code"))
    ref = h.group_by("area_code").agg(
        households=pl.len(), population=pl.col("household_size").sum(),
        share_desil_1_2=(pl.col("welfare_decile") <= 2).mean(),
        share_no_electricity=(pl.col("lighting") == "none").mean(),
        share_no_pln=(~pl.col("lighting").is_in(["pln_metered", "pln_unmetered"])).mean(),
        share_no_toilet=(pl.col("sanitation") == "none").mean(),
        share_unimproved_water=pl.col("drinking_water").is_in(
            ["unprotected_well", "unprotected_spring", "surface", "rain"]).mean(),
        share_earth_floor=(pl.col("floor_type") == "earth").mean(),
        share_solid_fuel=pl.col("cooking_fuel").is_in(["wood", "charcoal"]).mean(),
        share_pkh=pl.col("receives_pkh").mean(), mean_household_size=pl.col("household_size").mean(),
    ).sort("area_code")
    assert got.height == 1038 and got["area_code"].to_list() == ref["area_code"].to_list()
    assert (got["households"] == ref["households"]).all() and (got["population"] == ref["population"]).all()
    for column in COVARIATES:
        np.testing.assert_allclose(got[column].to_numpy(), ref[column].to_numpy(), rtol=1e-12, err_msg=column)
    assert got["share_desil_1_2"].std() > 0  # not a constant column


def test_bad_requests_raise_small_area_error(survey: pl.DataFrame, province: SynthProvince) -> None:
    with pytest.raises(SmallAreaError, match="level"):
        direct_estimates(survey, DESIGN, LINE, level="hamlet")
    with pytest.raises(SmallAreaError, match="rate"):
        direct_estimates(survey, DESIGN, LINE, measure="number_poor")
    with pytest.raises(SmallAreaError, match="no line named"):
        direct_estimates(survey, DESIGN, LINE, line="extreme")
    with pytest.raises(SmallAreaError, match="lacks columns"):
        registry_covariates(province.households.drop("lighting"))


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sae_quality_fh", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sae_quality_fh"] = module
    spec.loader.exec_module(module)
    return module


def test_fay_herriot_recovers_true_subdistrict_rates_better_than_direct(province: SynthProvince) -> None:
    # the figures of docs/small-area.md at scale 0.05, seed 1 (national line, GVF variances); tolerance 0.5 pp
    # on RMSE and 10 points on coverage, so that a change of method or data shows while re-draws of unrelated
    # synth details do not
    quality = _script().evaluate_province(province)
    table = {(r["level"], r["estimator"], r["areas"]): r for r in quality.table.iter_rows(named=True)}
    fh, direct = table["subdistrict", "Fay-Herriot", "all"], table["subdistrict", "direct", "sampled"]
    assert fh["n_areas"] == 105 and direct["n_areas"] == 49
    assert fh["rmse"] == pytest.approx(0.0375, abs=0.005)
    assert direct["rmse"] == pytest.approx(0.1061, abs=0.005)
    assert fh["coverage_95"] == pytest.approx(0.93, abs=0.10)
    assert table["subdistrict", "Fay-Herriot", "sampled"]["rmse"] < 0.5 * direct["rmse"]
    assert table["village", "Fay-Herriot", "all"]["n_areas"] == 1038


def test_gvf_with_a_chosen_design_effect(survey: pl.DataFrame, subdistricts: pl.DataFrame) -> None:
    srs = direct_estimates(survey, DESIGN, LINE, level="subdistrict", variance_model="gvf", gvf_deff=1.0)
    got = srs.join(subdistricts.select("area_code", pl.col("gvf_variance").alias("district_gvf")), on="area_code")
    got = got.filter(pl.col("district_deff").is_not_null())
    assert got.height > 20
    np.testing.assert_allclose(got["gvf_variance"].to_numpy(),
                               (got["district_gvf"] / got["district_deff"]).to_numpy(), rtol=1e-12)
    with pytest.raises(SmallAreaError, match="gvf_deff"):
        direct_estimates(survey, DESIGN, LINE, gvf_deff=0.0)
