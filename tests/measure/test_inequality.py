"""Behaviour of entas.measure.inequality beyond the R references: census mode, consistency with poverty()."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from entas.errors import MeasureError, WelfareError
from entas.measure import poverty
from entas.measure.inequality import CENSUS_NOTE, inequality
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
STRAT = SurveyDesign(weight="pw", strata="stype", fpc_psu="fpc", person_weight_column="size")


def api() -> pl.DataFrame:
    return pl.read_csv(FIXTURES / "apistrat.csv")


def test_census_has_exact_values_and_no_sampling_error() -> None:
    frame = pl.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "household_size": [1, 1, 1, 1]})
    out = inequality(frame, None, welfare="y", measures=["mean_consumption", "gini", "median_consumption"])
    by_measure = dict(zip(out["measure"], out["estimate"], strict=True))
    assert by_measure["mean_consumption"] == pytest.approx(2.5)
    assert by_measure["gini"] == pytest.approx(0.25)  # sum |yi - yj| / (2 n^2 mean) = 20 / 80
    assert by_measure["median_consumption"] == 2.0  # smallest y with share >= 0.5
    assert out["se"].is_null().all() and out["df"].is_null().all()
    assert (out["note"] == CENSUS_NOTE).all()


def test_mean_matches_poverty_mean_consumption_with_deff() -> None:
    ours = inequality(api(), STRAT, by="stype", welfare="api00", measures=["mean_consumption"])
    theirs = poverty(api(), STRAT, 600, by="stype", welfare="api00", measures=["mean_consumption"])
    for column in ("estimate", "se", "deff"):
        assert ours[column].to_list() == pytest.approx(theirs[column].to_list(), rel=1e-10)


def test_output_has_the_tidy_columns_with_null_lines() -> None:
    out = inequality(api(), STRAT, welfare="api00", measures=["gini"])
    assert out.columns == ["level", "area", "measure", "line", "line_rp", "estimate", "se", "ci_low", "ci_high",
                           "cv", "deff", "n", "df", "method", "snapshot_id", "note"]
    assert out["line"].is_null().all() and out["line_rp"].is_null().all()


def test_theil_refuses_nonpositive_welfare() -> None:
    frame = pl.DataFrame({"y": [0.0, 2.0], "household_size": [1, 1]})
    with pytest.raises(WelfareError, match="Theil and MLD need welfare > 0"):
        inequality(frame, None, welfare="y", measures=["theil"])


def test_unknown_measure_is_refused() -> None:
    with pytest.raises(MeasureError, match="unknown inequality measures"):
        inequality(api(), STRAT, welfare="api00", measures=["atkinson"])
