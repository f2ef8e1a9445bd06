"""Behaviour of entas.measure.poverty beyond the R references: conventions, errors, census mode, levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from entas.errors import DesignError, LonelyPSUError, MeasureError, PovertyLineError, WelfareError
from entas.measure import CENSUS_NOTE, METHOD_VERSION, attach_poverty_line, poverty, poverty_lines
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
TOY = pl.DataFrame({
    "stratum": ["a", "a", "a", "a", "b", "b", "b", "b"],
    "psu": ["1", "1", "2", "2", "3", "3", "4", "4"],
    "weight": [10.0, 12.0, 8.0, 9.0, 20.0, 22.0, 18.0, 15.0],
    "household_size": [4, 3, 5, 2, 1, 6, 3, 4],
    "consumption_pc_rp_month": [90.0, 150.0, 100.0, 70.0, 200.0, 95.0, 120.0, 60.0],
    "district_code": ["64.01", "64.01", "64.02", "64.02", "64.01", "64.02", "64.02", "64.01"],
})
DESIGN = SurveyDesign(strata="stratum", psu="psu")


def one(result: pl.DataFrame, measure: str, area: str = "all") -> dict[str, object]:
    rows = result.filter((pl.col("measure") == measure) & (pl.col("area") == area))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_headcount_and_its_se_equal_a_direct_numpy_computation() -> None:
    w = TOY["weight"].to_numpy() * TOY["household_size"].to_numpy()
    y = TOY["consumption_pc_rp_month"].to_numpy()
    poor = (y < 100.0).astype(float)
    ratio = (w * poor).sum() / w.sum()
    z = w * (poor - ratio) / w.sum()
    variance = 0.0
    for stratum in ("a", "b"):
        totals = np.array([z[(TOY["stratum"] == stratum).to_numpy() & (TOY["psu"] == p).to_numpy()].sum()
                           for p in TOY.filter(pl.col("stratum") == stratum)["psu"].unique().to_list()])
        variance += totals.size / (totals.size - 1) * ((totals - totals.mean()) ** 2).sum()
    row = one(poverty(TOY, DESIGN, 100.0, measures=["headcount_ratio"]), "headcount_ratio")
    assert row["estimate"] == pytest.approx(ratio, rel=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(variance), rel=1e-10)
    assert row["df"] == 2
    assert row["method"] == METHOD_VERSION


def test_a_household_exactly_at_the_line_is_not_poor() -> None:
    result = poverty(TOY, DESIGN, 100.0, measures=["number_poor"])
    w = (TOY["weight"] * TOY["household_size"]).to_numpy()
    below = (TOY["consumption_pc_rp_month"] < 100.0).to_numpy()
    assert one(result, "number_poor")["estimate"] == pytest.approx(w[below].sum())
    assert one(result, "number_poor")["estimate"] < w[TOY["consumption_pc_rp_month"].to_numpy() <= 100.0].sum()


def test_several_levels_in_one_call_equal_separate_calls() -> None:
    lines = {"low": 90.0, "high": 130.0}
    together = poverty(TOY, DESIGN, lines, by=["all", "district", "district_code", ("district", "stratum")])
    separate = pl.concat([poverty(TOY, DESIGN, lines, by=[level])
                          for level in ["all", "district", "district_code", ("district", "stratum")]])
    assert_frame_equal(together, separate, rel_tol=1e-12)


def test_the_default_lonely_psu_policy_raises_naming_the_stratum() -> None:
    lonely = TOY.with_columns(psu=pl.when(pl.col("stratum") == "b").then(pl.lit("3")).otherwise(pl.col("psu")))
    with pytest.raises(LonelyPSUError, match="b"):
        poverty(lonely, DESIGN, 100.0)
    assert poverty(lonely, DESIGN.with_lonely_psu("remove"), 100.0)["se"].null_count() == 0


def test_a_census_gives_exact_values_without_sampling_error() -> None:
    result = poverty(TOY, None, 100.0, by=["district"])
    assert result["se"].null_count() == result.height
    assert result["deff"].null_count() == result.height
    assert set(result["note"].to_list()) == {CENSUS_NOTE}
    persons = TOY.filter(pl.col("district_code") == "64.01")["household_size"].sum()
    assert one(result, "population", "64.01")["estimate"] == persons


def test_watts_refuses_non_positive_welfare_and_says_how_many() -> None:
    bad = TOY.with_columns(consumption_pc_rp_month=pl.Series([0.0, -1.0] + [100.0] * 6))
    with pytest.raises(WelfareError, match="2 rows"):
        poverty(bad, DESIGN, 100.0, measures=["watts"])
    assert poverty(bad, DESIGN, 100.0, measures=["headcount_ratio"]).height == 1


def test_unknown_measures_and_levels_are_errors() -> None:
    with pytest.raises(MeasureError, match="gini"):
        poverty(TOY, DESIGN, 100.0, measures=["gini"])
    with pytest.raises(MeasureError, match="nowhere"):
        poverty(TOY, DESIGN, 100.0, by=["nowhere"])


def test_design_validation_names_its_problem() -> None:
    with pytest.raises(DesignError, match="missing"):
        SurveyDesign(strata="nope").validate(TOY)
    with pytest.raises(DesignError, match="not positive"):
        DESIGN.validate(TOY.with_columns(weight=pl.lit(0.0)))
    with pytest.raises(DesignError, match="varies"):
        SurveyDesign(strata="stratum", psu="psu", fpc_psu="f").validate(TOY.with_columns(f=pl.Series(range(8))))
    info = SurveyDesign(strata="stratum", psu="psu").validate(TOY)
    assert (info.n_strata, info.n_psu, info.df) == (2, 4, 2)


def test_design_is_immutable_and_changed_by_copies() -> None:
    changed = DESIGN.with_lonely_psu("adjust")
    assert DESIGN.lonely_psu == "fail" and changed.lonely_psu == "adjust"
    with pytest.raises(AttributeError):
        DESIGN.weight = "w"  # type: ignore[misc]
    with pytest.raises(DesignError):
        DESIGN.replace(lonely_psu="ignore")


def test_district_lines_come_from_the_data_file() -> None:
    national = poverty_lines(2024, "national")
    assert national.filter(pl.col("area_code") == "64.71")["rp_per_capita_month"].item() > 0
    with pytest.raises(PovertyLineError, match="bases"):
        poverty_lines(2024, "extreme")
    sample = pl.read_csv(FIXTURES / "synth_survey.csv", schema_overrides={"district_code": pl.Utf8})
    attached = attach_poverty_line(sample, 2024, "national")
    assert attached["line_national_rp_month"].equals(sample["line_national"], check_names=False)
    extreme = attach_poverty_line(sample, 2024, "extreme", basis="USD 2.15 PPP 2017")
    assert extreme["line_extreme_rp_month"].n_unique() == 1


def test_a_per_household_line_has_no_single_rupiah_value() -> None:
    with_line = TOY.with_columns(z=pl.when(pl.col("district_code") == "64.01").then(100.0).otherwise(80.0))
    result = poverty(with_line, DESIGN, {"district": "z", "fixed": 100.0}, measures=["headcount_ratio"])
    assert result.filter(pl.col("line") == "district")["line_rp"].item() is None
    assert result.filter(pl.col("line") == "fixed")["line_rp"].item() == 100.0


def test_the_snapshot_id_is_carried_into_every_row() -> None:
    result = poverty(TOY, DESIGN, 100.0, snapshot_id="survey-2024-03")
    assert set(result["snapshot_id"].to_list()) == {"survey-2024-03"}
