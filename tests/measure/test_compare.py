"""Behaviour of entas.measure.compare beyond the R references: hand values, covariance, FDR, focus areas, errors.

Hand values for the two-rounds difference and the Benjamini-Hochberg adjustment come from R 4.2.2
(``2 * pt(-0.6, 35)``, ``qt(0.975, 35)``, ``p.adjust(p, "BH")``); the same-sample difference is checked
against a direct numpy linearization of z_D - z_P on a toy design.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entas.errors import MeasureError
from entas.measure import CENSUS_NOTE, poverty
from entas.measure.compare import benjamini_hochberg, compare_rounds, compare_to_parent, focus_areas
from entas.survey.design import SurveyDesign

TOY = pl.DataFrame({
    "stratum": ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "b"],
    "psu": ["1", "1", "2", "2", "5", "5", "3", "3", "4", "4", "6", "6"],
    "weight": [10.0, 12.0, 8.0, 9.0, 11.0, 7.0, 20.0, 22.0, 18.0, 15.0, 16.0, 19.0],
    "household_size": [4, 3, 5, 2, 3, 3, 1, 6, 3, 4, 2, 5],
    "consumption_pc_rp_month": [90.0, 150.0, 100.0, 70.0, 85.0, 130.0, 200.0, 95.0, 120.0, 60.0, 80.0, 140.0],
    "district_code": ["64.01", "64.01", "64.02", "64.02", "64.03", "64.01", "64.01", "64.02", "64.02", "64.01",
                      "64.03", "64.03"],
})
DESIGN = SurveyDesign(strata="stratum", psu="psu")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
LINE = 100.0


def round_result(estimate: float, se: float | None, df: int | None, *, note: str | None = None) -> pl.DataFrame:
    """A one-row tidy result shaped like poverty()'s, plus a mean_consumption row (line null)."""
    return pl.DataFrame({
        "level": ["district", "district"], "area": ["64.01", "64.01"],
        "measure": ["headcount_ratio", "mean_consumption"], "line": ["national", None],
        "line_rp": [500_000.0, None], "estimate": [estimate, 1_000_000.0], "se": [se, se],
        "df": [df, df], "snapshot_id": ["s", "s"], "note": [note, note],
    }, schema_overrides={"se": pl.Float64, "df": pl.Int64, "note": pl.Utf8, "line": pl.Utf8})


def test_two_rounds_difference_matches_hand_values() -> None:
    out = compare_rounds(round_result(0.10, 0.03, 40), round_result(0.07, 0.04, 35))
    row = out.filter(pl.col("measure") == "headcount_ratio").row(0, named=True)
    assert row["difference"] == pytest.approx(-0.03, rel=1e-12)
    assert row["se"] == pytest.approx(0.05, rel=1e-12)  # sqrt(0.03^2 + 0.04^2)
    assert row["df"] == 35  # the smaller design df
    assert row["t"] == pytest.approx(-0.6, rel=1e-12)
    assert row["p_value"] == pytest.approx(0.55237139599923468, rel=1e-10)  # R: 2 * pt(-0.6, 35)
    half = 2.0301079282503425 * 0.05  # R: qt(0.975, 35)
    assert row["ci_low"] == pytest.approx(-0.03 - half, rel=1e-10)
    assert row["ci_high"] == pytest.approx(-0.03 + half, rel=1e-10)


def test_two_rounds_match_measures_without_a_line() -> None:
    out = compare_rounds(round_result(0.10, 0.03, 40), round_result(0.07, 0.04, 35))
    assert out.height == 2
    assert out.filter(pl.col("measure") == "mean_consumption")["line"].to_list() == [None]


def test_a_census_round_adds_no_variance_and_two_census_rounds_are_exact() -> None:
    mixed = compare_rounds(round_result(0.10, None, None, note=CENSUS_NOTE), round_result(0.07, 0.04, 35))
    row = mixed.row(0, named=True)
    assert row["se"] == pytest.approx(0.04)
    assert row["df"] == 35
    exact = compare_rounds(round_result(0.10, None, None, note=CENSUS_NOTE),
                           round_result(0.07, None, None, note=CENSUS_NOTE)).row(0, named=True)
    assert exact["difference"] == pytest.approx(-0.03)
    assert exact["se"] is None and exact["p_value"] is None
    assert exact["note"] == CENSUS_NOTE


def test_two_rounds_of_poverty_output_compare_row_by_row() -> None:
    before = poverty(TOY, DESIGN, LINE, by=["district"], measures=["headcount_ratio"])
    after = poverty(TOY.with_columns(pl.col("consumption_pc_rp_month") * 1.1), DESIGN, LINE, by=["district"],
                    measures=["headcount_ratio"])
    out = compare_rounds(before, after)
    assert out.height == before.height
    keys = ["level", "area", "measure"]
    joined = out.join(before.select(*keys, e1="estimate", s1="se"), on=keys).join(
        after.select(*keys, e2="estimate", s2="se"), on=keys)
    assert np.allclose(joined["difference"], joined["e2"] - joined["e1"], rtol=1e-12)
    assert np.allclose(joined["se"], np.sqrt(joined["s1"] ** 2 + joined["s2"] ** 2), rtol=1e-12)


def test_rounds_refuse_a_frame_that_is_not_a_poverty_result() -> None:
    with pytest.raises(MeasureError, match="missing columns"):
        compare_rounds(pl.DataFrame({"area": ["x"]}), round_result(0.1, 0.01, 3))


def direct_difference_variance(area: str) -> tuple[float, float]:
    """The difference district - province and its variance by a direct numpy linearization of z_D - z_P."""
    w = (TOY["weight"] * TOY["household_size"]).to_numpy()
    poor = (TOY["consumption_pc_rp_month"] < LINE).to_numpy().astype(float)
    inside = (TOY["district_code"] == area).to_numpy().astype(float)
    r_d = (w * poor * inside).sum() / (w * inside).sum()
    r_p = (w * poor).sum() / w.sum()
    z = w * inside * (poor - r_d) / (w * inside).sum() - w * (poor - r_p) / w.sum()
    totals = TOY.with_columns(z=pl.Series(z)).group_by("stratum", "psu").agg(pl.col("z").sum())
    strata = totals.group_by("stratum").agg(n=pl.len(), ss=((pl.col("z") - pl.col("z").mean()) ** 2).sum())
    variance = float((strata["n"] / (strata["n"] - 1) * strata["ss"]).sum())
    return r_d - r_p, variance


@pytest.mark.parametrize("area", ["64.01", "64.02", "64.03"])
def test_difference_to_province_equals_a_direct_linearization(area: str) -> None:
    out = compare_to_parent(TOY, DESIGN, LINE, level="district", parent="province", measures=["headcount_ratio"])
    row = out.filter(pl.col("area") == area).row(0, named=True)
    difference, variance = direct_difference_variance(area)
    assert row["difference"] == pytest.approx(difference, rel=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(variance), rel=1e-10)
    assert row["parent_area"] == "64"
    assert row["df"] == 4


def test_estimates_equal_those_of_poverty_and_the_covariance_is_not_ignored() -> None:
    out = compare_to_parent(TOY, DESIGN, LINE, level="district", parent="all", measures=["headcount_ratio"])
    measured = poverty(TOY, DESIGN, LINE, by=["all", "district"], measures=["headcount_ratio"])
    areas = measured.filter(pl.col("level") == "district").select("area", se_area="se", est_area="estimate")
    total = measured.filter(pl.col("level") == "all").row(0, named=True)
    joined = out.join(areas, on="area")
    assert np.allclose(joined["estimate"], joined["est_area"], rtol=1e-12)
    assert np.allclose(joined["parent_estimate"], total["estimate"], rtol=1e-12)
    independent = np.sqrt(joined["se_area"] ** 2 + total["se"] ** 2)
    assert not np.allclose(joined["se"], independent, rtol=1e-3)


def test_parent_all_equals_parent_province_on_one_province() -> None:
    by_all = compare_to_parent(TOY, DESIGN, LINE, parent="all")
    by_province = compare_to_parent(TOY, DESIGN, LINE, parent="province")
    assert np.allclose(by_all["se"], by_province["se"], rtol=1e-12)
    assert set(by_province["parent_area"].to_list()) == {"64"}


def test_benjamini_hochberg_matches_r_p_adjust() -> None:
    frame = pl.DataFrame({"family": ["x"] * 6 + ["y"], "p": [0.001, 0.02, 0.03, 0.2, 0.04, 0.04, 0.5]})
    adjusted = benjamini_hochberg(frame, "p", ["family"], "q").sort("family", "p")
    # R: p.adjust(c(0.001, 0.02, 0.03, 0.2, 0.04, 0.04), "BH")
    assert adjusted["q"].to_list() == pytest.approx([0.006, 0.048, 0.048, 0.048, 0.048, 0.2, 0.5], rel=1e-12)


def synth_comparison(adjust: str) -> pl.DataFrame:
    frame = pl.read_csv(FIXTURES / "synth_survey.csv", schema_overrides={
        "district_code": pl.Utf8, "village_code": pl.Utf8, "psu": pl.Utf8, "stratum": pl.Utf8})
    return compare_to_parent(frame, SurveyDesign.susenas(), {"national": "line_national"}, level="district",
                             parent="province", measures=["headcount_ratio", "mean_consumption"],
                             adjust=adjust)  # type: ignore[arg-type]


def test_focus_areas_are_those_significantly_above_and_fdr_flags_no_more_than_raw_p_values() -> None:
    bh, raw = synth_comparison("fdr_bh"), synth_comparison("none")
    assert (bh["p_adjusted"] >= bh["p_value"] - 1e-15).all()
    assert np.allclose(bh["p_value"], raw["p_value"], rtol=1e-12)
    focus = focus_areas(bh, measure="mean_consumption")
    expected = bh.filter((pl.col("measure") == "mean_consumption") & (pl.col("difference") > 0)
                         & (pl.col("p_adjusted") <= 0.05))
    assert focus.height > 0
    assert focus["area"].to_list() == expected.sort("difference", descending=True)["area"].to_list()
    assert set(focus["area"]) < set(focus_areas(raw, measure="mean_consumption")["area"])  # 1 of 3 survive BH
    assert focus_areas(bh, measure="headcount_ratio", line="extreme").height == 0


def test_one_sided_p_value_is_half_the_two_sided_one_above_the_parent() -> None:
    one = compare_to_parent(TOY, DESIGN, LINE, alternative="greater", adjust="none")
    two = compare_to_parent(TOY, DESIGN, LINE, alternative="two-sided", adjust="none")
    above = (one["difference"] > 0).to_numpy()
    assert np.allclose(one["p_value"].to_numpy()[above] * 2, two["p_value"].to_numpy()[above], rtol=1e-12)
    assert np.allclose(one["p_value"].to_numpy()[~above], 1 - two["p_value"].to_numpy()[~above] / 2, rtol=1e-12)


def test_a_census_comparison_is_exact_and_flags_every_area_above() -> None:
    out = compare_to_parent(TOY, None, LINE, measures=["headcount_ratio"])
    assert out["se"].null_count() == out.height and out["p_value"].null_count() == out.height
    assert set(out["note"].to_list()) == {CENSUS_NOTE}
    assert out["significant_above"].to_list() == (out["difference"] > 0).to_list()


def test_an_area_spanning_several_parents_is_refused() -> None:
    with pytest.raises(MeasureError, match="span several"):
        compare_to_parent(TOY, DESIGN, LINE, level="stratum", parent="district")


@pytest.mark.parametrize(("options", "message"), [
    ({"measures": ["number_poor"]}, "means only"),
    ({"level": "province", "parent": "province"}, "finer level"),
    ({"alternative": "less"}, "alternative"),
    ({"adjust": "bonferroni"}, "adjust"),
    ({"alpha": 1.5}, "alpha"),
])
def test_invalid_requests_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        compare_to_parent(TOY, DESIGN, LINE, **options)  # type: ignore[arg-type]
