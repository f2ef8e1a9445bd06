"""The same measurement code on PySpark (local mode) gives the DuckDB results: one code path, two engines.

CI installs the ``spark`` extra and Java 17, so these tests run there; they are not skipped when PySpark is
missing (a missing engine is a failure).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from entas.measure.survey_measures import measure_survey
from entas.synth import generate

KEYS = ["level", "area", "measure", "line"]
MEASURES = ["headcount_ratio", "poverty_gap", "poverty_severity", "watts", "number_poor", "mean_consumption"]


@pytest.fixture(scope="module")
def households() -> pl.DataFrame:
    return generate("64", 2024, scale=0.05, seed=21).survey_households


def test_poverty_by_three_levels_agrees_across_engines(spark: Any, households: pl.DataFrame) -> None:
    by = ["province", "district", "subdistrict"]
    on_duckdb = measure_survey(households, by=by, measures=MEASURES)
    on_spark = measure_survey(households, by=by, measures=MEASURES, backend=spark)
    no_null_keys = pl.col("line").fill_null("")  # mean_consumption has no line
    joined = on_duckdb.with_columns(no_null_keys).join(
        on_spark.with_columns(no_null_keys), on=KEYS, how="full", suffix="_spark", coalesce=True
    )
    assert joined.height == on_duckdb.height == on_spark.height
    for column in ("estimate", "se", "deff"):
        both = joined.filter(pl.col(column).is_not_null())
        relative = ((both[column] - both[f"{column}_spark"]).abs() / both[column].abs().clip(lower_bound=1e-300)).max()
        assert relative is None or relative < 1e-9, column
    assert (joined["n"] == joined["n_spark"]).all()
    assert (joined["df"] == joined["df_spark"]).all()


def test_a_lonely_psu_is_refused_on_spark_too(spark: Any, households: pl.DataFrame) -> None:
    from entas.errors import LonelyPSUError

    first_stratum = households["stratum"].sort()[0]
    one_psu = households["psu"].filter(households["stratum"] == first_stratum)[0]
    lonely = households.filter((pl.col("stratum") != first_stratum) | (pl.col("psu") == one_psu))
    with pytest.raises(LonelyPSUError):
        measure_survey(lonely, by=["province"], measures=["headcount_ratio"], backend=spark)
