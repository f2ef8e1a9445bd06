"""District contributions to provincial poverty against R survey's svyratio (make_subgroup_references.R)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from entas.errors import MeasureError
from entas.measure.poverty import poverty
from entas.measure.subgroups import subgroup_contributions
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
REFERENCES = pl.read_csv(FIXTURES / "subgroups" / "subgroup_references.csv", schema_overrides={"area": pl.Utf8})
SAMPLE = pl.read_csv(FIXTURES / "synth_survey.csv", schema_overrides={
    "district_code": pl.Utf8, "village_code": pl.Utf8, "psu": pl.Utf8, "stratum": pl.Utf8})
LINES = {"national": "line_national", "extreme": "line_extreme"}
DESIGNS = {
    "synth_fpc": SurveyDesign(weight="weight", strata="stratum", psu="psu", fpc_psu="fpc_psu", fpc_ssu="fpc_ssu"),
    "synth_nofpc": SurveyDesign(weight="weight", strata="stratum", psu="psu"),
}


@pytest.fixture(scope="module")
def ours() -> dict[str, pl.DataFrame]:
    return {case: subgroup_contributions(SAMPLE, design, LINES) for case, design in DESIGNS.items()}


def _row_id(row: dict[str, object]) -> str:
    return "-".join(str(row[k]) for k in ("case", "measure", "line", "area"))


@pytest.mark.parametrize("row", list(REFERENCES.iter_rows(named=True)), ids=_row_id)
def test_contribution_matches_r_svyratio(row: dict[str, object], ours: dict[str, pl.DataFrame]) -> None:
    mine = ours[str(row["case"])].filter(
        (pl.col("measure") == f"{row['measure']}_contribution") & (pl.col("line") == row["line"])
        & (pl.col("area") == row["area"])
    ).row(0, named=True)
    assert mine["estimate"] == pytest.approx(row["estimate"], rel=1e-8, abs=1e-15)
    assert mine["se"] == pytest.approx(row["se"], rel=1e-6, abs=1e-15)
    assert mine["df"] == row["df"]


def test_contributions_add_up_to_one(ours: dict[str, pl.DataFrame]) -> None:
    totals = ours["synth_fpc"].filter(pl.col("estimate").is_not_nan()).group_by("measure", "line").agg(
        pl.col("estimate").sum())
    assert totals["estimate"].to_list() == pytest.approx([1.0] * totals.height, rel=1e-12)


def test_contribution_is_population_share_times_relative_poverty() -> None:
    design = DESIGNS["synth_nofpc"]
    shares = subgroup_contributions(SAMPLE, design, LINES, measures=["headcount_ratio"]).filter(
        pl.col("line") == "national")
    by_district = poverty(SAMPLE, design, LINES, by=["all", "district"], measures=["headcount_ratio", "population"])
    total = by_district.filter(pl.col("level") == "all")
    p = total.filter((pl.col("measure") == "headcount_ratio") & (pl.col("line") == "national"))["estimate"].item()
    n = total.filter(pl.col("measure") == "population")["estimate"].item()
    district = by_district.filter(pl.col("level") == "district")
    for area, share in shares.select("area", "estimate").rows():
        rows = district.filter(pl.col("area") == area)
        p_d = rows.filter((pl.col("measure") == "headcount_ratio") & (pl.col("line") == "national"))["estimate"]
        n_d = rows.filter(pl.col("measure") == "population")["estimate"]
        assert share == pytest.approx(n_d.item() / n * p_d.item() / p, rel=1e-12)


def test_only_fgt_measures_decompose() -> None:
    with pytest.raises(MeasureError, match="FGT measures"):
        subgroup_contributions(SAMPLE, DESIGNS["synth_fpc"], LINES, measures=["watts"])
