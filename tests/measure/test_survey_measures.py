"""Named lines for a survey round: national = each district's line, extreme = every basis of the year."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from entas.errors import MeasureError
from entas.measure.survey_measures import measure_survey, resolve_lines, survey_design, survey_year
from entas.synth import generate


@pytest.fixture(scope="module")
def households() -> pl.DataFrame:
    return generate("64", 2024, scale=0.05, seed=21).survey_households


def published_district_lines_2024() -> dict[str, float]:
    lines = pl.read_csv("src/entas/data/poverty_lines.csv", schema_overrides={"area_code": pl.Utf8})
    national = lines.filter((pl.col("year") == 2024) & (pl.col("kind") == "national"))
    return dict(national.select("area_code", "rp_per_capita_month").rows())


def test_national_headcount_uses_each_districts_line(households: pl.DataFrame) -> None:
    result = measure_survey(households, lines=["national"], by=["province"], measures=["headcount_ratio"])
    line = households["district_code"].replace_strict(published_district_lines_2024(), return_dtype=pl.Float64)
    persons = (households["weight"] * households["household_size"]).to_numpy()
    poor = (households["consumption_pc_rp_month"] < line).to_numpy()
    assert result["estimate"].item() == pytest.approx(np.sum(persons * poor) / np.sum(persons), rel=1e-12)


def test_extreme_means_every_basis_of_the_year(households: pl.DataFrame) -> None:
    _, lines = resolve_lines(households, ["extreme"], 2024)
    assert [line.name for line in lines] == ["extreme (USD 1.90 PPP 2011)", "extreme (USD 2.15 PPP 2017)"]
    _, lines_2023 = resolve_lines(households, ["extreme"], 2023)
    assert [line.name for line in lines_2023] == ["extreme (USD 1.90 PPP 2011)"]


def test_a_rupiah_amount_is_a_fixed_line(households: pl.DataFrame) -> None:
    result = measure_survey(households, lines=["500000"], by=["province"], measures=["headcount_ratio"])
    assert result["line"].to_list() == ["Rp500,000"]
    assert result["line_rp"].to_list() == [500000.0]


def test_unknown_line_name_is_an_error(households: pl.DataFrame) -> None:
    with pytest.raises(MeasureError, match="unknown line 'moderate'"):
        measure_survey(households, lines=["moderate"])


def test_the_round_year_comes_from_the_period(households: pl.DataFrame) -> None:
    assert survey_year(households) == 2024
    two_rounds = pl.concat([households, households.with_columns(pl.lit("2023-03").alias("survey_period"))])
    with pytest.raises(MeasureError, match="one survey round at a time"):
        survey_year(two_rounds)


def test_fpc_is_used_only_when_filled(households: pl.DataFrame) -> None:
    assert survey_design(households).fpc_ssu == "fpc_ssu"
    without = households.with_columns(pl.lit(None, dtype=pl.Int64).alias("fpc_ssu"))
    assert survey_design(without).fpc_ssu is None
    assert survey_design(without).fpc_psu == "fpc_psu"
