"""entas.pockets.deprivation against published Alkire-Foster examples, an independent R implementation, and
the identities of the method.

References (tests/fixtures/pockets/af_examples.csv, one source per row):
- Alkire and Foster (2011), J. Public Economics 95, sections 2-3: the 4 x 4 achievement matrix y and cutoffs
  z; at k = 2 of 4, H = 1/2, A = 3/4, M0 = 3/8 (published); union and intersection values derived from it.
- UNDP Human Development Report technical note on the MPI (HDR 2010/2011, technical note 4), the table
  "Illustration of the MPI calculation using hypothetical data": 4 households of 4, 7, 5, 4 persons, 10
  indicators with global MPI weights, k = 1/3: scores 0.222, 0.722, 0.389, 0.500, H = 0.800, A = 0.5625,
  MPI = 0.450, contributions education 33.3%, health 29.6%, living standards 37.0% (printed rounded: checked
  to 5e-4; the exact fractions behind them to 1e-12).
- Alkire, Foster, Seth, Santos, Roche and Ballon (2015), ch. 5, Box 5.5: scores c and c' with the same M0
  and different H and A (0/1 matrices constructed to give the published scores).
- tests/fixtures/pockets/make_af_reference.R: the indicator rules, missing-data reweighting and area measures
  written again in base R from the documented definitions, on a synthetic registry sample with gaps made on
  purpose (make_af_sample.py); household indicators must agree exactly, scores and area measures to 1e-12.
"""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from entas.engine import connect, register, to_polars
from entas.errors import DeprivationError
from entas.pockets.deprivation import (
    INDICATOR_NAMES,
    alkire_foster,
    deprivation_indicators,
    nested_weights,
    score,
)
from entas.synth import generate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pockets"
AS_OF = dt.date(2024, 3, 15)
EXACT = 1e-12  # arithmetic identities and the R reference (R writes 15 significant digits)
PRINTED = 5e-4  # values printed to three decimals (or one decimal of a percentage)
EXAMPLES = ("af2011", "hdr_mpi", "book_box5_5_X", "book_box5_5_Xprime")
LEVELS = ("village", "subdistrict", "district", "province")
K_GRID = (0.1, 0.2, 0.25, 1 / 3, 0.5, 0.75, 1.0)  # holds every k of the examples


def number(text: str) -> float:
    return float(Fraction(text))


def example_rows(name: str, kind: str) -> pl.DataFrame:
    rows = pl.read_csv(FIXTURES / "af_examples.csv", infer_schema=False)
    return rows.filter((pl.col("example") == name) & (pl.col("kind") == kind))


def example_table(name: str) -> tuple[pl.DataFrame, dict[str, float], dict[str, str]]:
    """The example as an indicator table (one row per unit, persons = its size), its weights and dimensions."""
    weights = example_rows(name, "weight")
    if name == "af2011":  # deprived when the achievement is strictly below the cutoff
        cutoff = {r["indicator"]: number(r["value"]) for r in example_rows(name, "cutoff").iter_rows(named=True)}
        cells = example_rows(name, "achievement").with_columns(
            value=pl.struct("indicator", "value").map_elements(
                lambda r: int(number(r["value"]) < cutoff[r["indicator"]]), return_dtype=pl.Int64))
    else:
        cells = example_rows(name, "deprivation").with_columns(pl.col("value").cast(pl.Int64))
    wide = cells.pivot(on="indicator", index="unit", values="value")
    sizes = example_rows(name, "size").select("unit", persons=pl.col("value").cast(pl.Int64))
    table = wide.join(sizes, on="unit").sort(pl.col("unit").cast(pl.Int64)).with_columns(
        village_code=pl.lit("64.01.01.2001"))
    return (table, {r["indicator"]: number(r["value"]) for r in weights.iter_rows(named=True)},
            {r["indicator"]: r["dimension"] for r in weights.iter_rows(named=True)})


def measures(result: pl.DataFrame) -> dict[str, float]:
    return dict(zip(result["measure"], result["value"], strict=True))


@pytest.fixture(scope="module")
def example_runs() -> dict[str, dict[float, pl.DataFrame]]:
    """Each example measured at every k of K_GRID (one engine pass per k, shared by the tests below)."""
    runs: dict[str, dict[float, pl.DataFrame]] = {}
    for name in EXAMPLES:
        table, weights, dimensions = example_table(name)
        frame = register(connect(), table, "example")
        runs[name] = {k: alkire_foster(frame, level="province", k=k, weights=weights, dimensions=dimensions)
                      for k in K_GRID}
    return runs


@pytest.mark.parametrize("name", EXAMPLES)
def test_published_example_values(name: str, example_runs: dict[str, dict[float, pl.DataFrame]]) -> None:
    expected = example_rows(name, "expected").filter(pl.col("measure").is_in(["H", "A", "M0"]))
    assert expected.height >= 3
    for row in expected.iter_rows(named=True):
        got = measures(example_runs[name][number(row["k"])])[row["measure"]]
        tolerance = EXACT if row["status"] != "published" or "/" in row["value"] else PRINTED
        assert got == pytest.approx(number(row["value"]), abs=tolerance), (name, row["k"], row["measure"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_published_example_scores(name: str) -> None:
    table, weights, dimensions = example_table(name)
    expected = example_rows(name, "expected").filter(pl.col("measure") == "score")
    assert expected.height >= 4
    scored = to_polars(score(register(connect(), table, "example"), weights, dimensions, 0.5))
    for row in expected.iter_rows(named=True):
        got = scored.filter(pl.col("unit") == row["unit"])["deprivation_score"].item()
        tolerance = PRINTED if "." in row["value"] else EXACT
        assert got == pytest.approx(number(row["value"]), abs=tolerance), (name, row["unit"])


def test_af2011_headcounts(example_runs: dict[str, dict[float, pl.DataFrame]]) -> None:
    got = measures(example_runs["af2011"][0.5])
    rows = example_rows("af2011", "expected").filter(pl.col("measure").str.ends_with("headcount"))
    assert rows.height == 8
    for row in rows.iter_rows(named=True):
        assert got[f"{row['measure']}:{row['indicator']}"] == pytest.approx(number(row["value"]), abs=EXACT)


def test_hdr_dimension_contributions(example_runs: dict[str, dict[float, pl.DataFrame]]) -> None:
    _, _, dimensions = example_table("hdr_mpi")
    got = measures(example_runs["hdr_mpi"][1 / 3])
    for row in example_rows("hdr_mpi", "expected").filter(pl.col("measure") == "contribution").iter_rows(named=True):
        share = sum(got[f"contribution:{n}"] for n, d in dimensions.items() if d == row["dimension"])
        assert share == pytest.approx(number(row["value"]), abs=PRINTED), row["dimension"]


def test_book_box_5_5_same_m0_from_different_incidence_and_intensity(
    example_runs: dict[str, dict[float, pl.DataFrame]],
) -> None:
    x, x_prime = (measures(example_runs[name][0.5]) for name in ("book_box5_5_X", "book_box5_5_Xprime"))
    assert x["M0"] == pytest.approx(x_prime["M0"], abs=EXACT)
    assert x["H"] < x_prime["H"] and x["A"] > x_prime["A"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_identities_on_examples(name: str, example_runs: dict[str, dict[float, pl.DataFrame]]) -> None:
    _, weights, _ = example_table(name)
    for result in example_runs[name].values():
        assert_identities(result, weights)


def assert_identities(result: pl.DataFrame, weights: dict[str, float], *, complete: bool = True) -> None:
    """M0 = H x A = sum_j w_j censored headcount_j (complete data); contributions add up to 1 when M0 > 0."""
    for area, rows in result.partition_by("area_code", as_dict=True).items():
        m = measures(rows)
        if m["H"] == 0:
            assert m["M0"] == 0 and m["A"] is None and all(m[f"contribution:{n}"] is None for n in weights)
            continue
        assert m["M0"] == pytest.approx(m["H"] * m["A"], abs=EXACT), area
        assert sum(m[f"contribution:{n}"] for n in weights) == pytest.approx(1.0, abs=EXACT), area
        if complete:
            weighted = sum(w * m[f"censored_headcount:{n}"] for n, w in weights.items())
            assert m["M0"] == pytest.approx(weighted, abs=EXACT), area


@pytest.mark.parametrize("name", EXAMPLES)
def test_monotonic_in_k(name: str, example_runs: dict[str, dict[float, pl.DataFrame]]) -> None:
    assert_monotonic([measures(example_runs[name][k]) for k in K_GRID])


def assert_monotonic(runs: list[dict[str, float]]) -> None:
    """As k rises H and M0 cannot rise, and A (the mean score of fewer, more deprived poor) cannot fall."""
    for low, high in itertools.pairwise(runs):
        assert high["H"] <= low["H"] + EXACT and high["M0"] <= low["M0"] + EXACT
        if high["A"] is not None:
            assert high["A"] >= low["A"] - EXACT
    assert runs[0]["H"] > runs[-1]["H"]


# --- the R reference on a synthetic sample with gaps -------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    households = pl.read_csv(FIXTURES / "af_households.csv", schema_overrides={
        "village_code": pl.Utf8, "household_size": pl.Int64, "floor_area_m2": pl.Float64})
    members = pl.read_csv(FIXTURES / "af_members.csv", schema_overrides={"birth_date": pl.Date})
    return households, members


@pytest.fixture(scope="module")
def sample_indicators(sample: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    return to_polars(deprivation_indicators(*sample, as_of=AS_OF))


def test_household_indicators_match_r(sample_indicators: pl.DataFrame) -> None:
    reference = pl.read_csv(FIXTURES / "af_households_reference.csv", schema_overrides={"poor": pl.Boolean})
    joined = reference.join(sample_indicators, on="household_id", how="full", suffix="_py")
    assert joined.height == reference.height == sample_indicators.height
    for column in ("persons", *INDICATOR_NAMES):
        same = joined[column].cast(pl.Int64).eq_missing(joined[f"{column}_py"].cast(pl.Int64))
        assert same.all(), (column, joined.filter(~same).select("household_id", column, f"{column}_py").head())
    assert joined["score"].is_null().eq(joined["deprivation_score"].is_null()).all()
    assert (joined["score"] - joined["deprivation_score"]).abs().max() < EXACT
    assert joined["poor"].eq(joined["poor_k"].fill_null(False)).all()
    assert joined["health_insurance"].null_count() > 0 and joined["drinking_water"].null_count() > 0


@pytest.mark.parametrize("level", LEVELS)
def test_area_measures_match_r(sample_indicators: pl.DataFrame, level: str) -> None:
    reference = pl.read_csv(FIXTURES / "af_reference.csv", schema_overrides={"area_code": pl.Utf8})
    for k in reference.filter(pl.col("level") == level)["k"].unique():
        expected = reference.filter((pl.col("level") == level) & (pl.col("k") == k))
        got = alkire_foster(sample_indicators, level=level, k=k)
        joined = expected.join(got, on=["area_code", "measure"], how="full", suffix="_py")
        assert joined.height == expected.height == got.height
        assert (joined["persons"] == joined["persons_py"]).all()
        assert (joined["households"] == joined["households_py"]).all()
        assert joined["value"].is_null().eq(joined["value_py"].is_null()).all()
        error = ((joined["value"] - joined["value_py"]).abs() / joined["value"].abs().clip(lower_bound=1.0)).max()
        assert error is None or error < EXACT, (level, k, error)


def test_contributions_add_up_with_missing_data(sample_indicators: pl.DataFrame) -> None:
    weights = nested_weights(list(INDICATOR_NAMES))
    assert_identities(alkire_foster(sample_indicators, level="district"), weights, complete=False)


def test_monotonic_in_k_with_missing_data(sample_indicators: pl.DataFrame) -> None:
    assert_monotonic([measures(alkire_foster(sample_indicators, level="province", k=k)) for k in K_GRID])


def test_same_results_on_pyspark(spark: Any, sample: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    households, members = sample
    on_duckdb = alkire_foster(deprivation_indicators(households, members, as_of=AS_OF), level="subdistrict")
    on_spark = alkire_foster(deprivation_indicators(register(spark, households, "af_households"),
                                                    register(spark, members, "af_members"), as_of=AS_OF),
                             level="subdistrict")
    joined = on_duckdb.join(on_spark, on=["area_code", "measure"], how="full", suffix="_spark")
    assert joined.height == on_duckdb.height == on_spark.height
    assert joined["value"].is_null().eq(joined["value_spark"].is_null()).all()
    assert ((joined["value"] - joined["value_spark"]).abs().max() or 0.0) < 1e-9
    assert (joined["persons"] == joined["persons_spark"]).all()


# --- the synthetic province (scale 0.05): rules against Polars, areas add up ---------------------------------

@pytest.fixture(scope="module")
def province() -> Any:
    return generate("64", 2024, scale=0.05, seed=1)


@pytest.fixture(scope="module")
def province_indicators(province: Any) -> pl.DataFrame:
    return to_polars(deprivation_indicators(province.households, province.members, as_of=AS_OF))


@pytest.mark.parametrize(("column", "indicator", "code", "deprived"), [
    ("drinking_water", "drinking_water", "surface", 1), ("drinking_water", "drinking_water", "bottled", 0),
    ("drinking_water", "drinking_water", "unprotected_well", 1), ("drinking_water", "drinking_water", "rain", 0),
    ("sanitation", "sanitation", "public", 1), ("sanitation", "sanitation", "shared", 0),
    ("lighting", "electricity", "none", 1), ("lighting", "electricity", "non_pln", 0),
    ("cooking_fuel", "cooking_fuel", "kerosene", 1), ("cooking_fuel", "cooking_fuel", "natural_gas", 0),
    ("floor_type", "floor", "earth", 1), ("floor_type", "floor", "wood_low", 0),
    ("wall_type", "wall", "woven_bamboo", 1), ("wall_type", "wall", "plastered_bamboo", 0),
    ("roof_type", "roof", "thatch", 1), ("roof_type", "roof", "asbestos", 0),
])
def test_household_rule_on_code(province: Any, province_indicators: pl.DataFrame, column: str, indicator: str,
                                code: str, deprived: int) -> None:
    ids = province.households.filter(pl.col(column) == code)["household_id"]
    assert ids.len() > 0, f"the synthetic province has no {column} = {code}"
    values = province_indicators.filter(pl.col("household_id").is_in(ids.implode()))[indicator]
    assert values.len() == ids.len() and (values == deprived).all()


def test_overcrowding_and_member_rules_match_polars(province: Any, province_indicators: pl.DataFrame) -> None:
    hh, members = province.households, province.members
    born = pl.col("birth_date")
    age = 2024 - born.dt.year() - ((born.dt.month() > 3) | ((born.dt.month() == 3) & (born.dt.day() > 15))).cast(
        pl.Int32)
    per_household = members.with_columns(age=age).group_by("household_id").agg(
        school_attendance=((pl.col("age").is_between(7, 15)) & (pl.col("school_enrolment") != "enrolled")).any(),
        adult_schooling=~((pl.col("age") >= 15) & pl.col("education").is_in(
            ["primary", "junior_secondary", "senior_secondary", "diploma", "university"])).any(),
        health_insurance=(pl.col("health_insurance") == "none").any())
    expected = hh.select("household_id", overcrowding=pl.col("floor_area_m2") / pl.col("household_size") < 7.2).join(
        per_household, on="household_id", how="left")
    joined = expected.join(province_indicators, on="household_id", suffix="_entas")
    assert joined.height == hh.height
    for name in ("overcrowding", "school_attendance", "adult_schooling", "health_insurance"):
        mismatch = joined.filter(pl.col(name).cast(pl.Int8).ne_missing(pl.col(f"{name}_entas")))
        assert mismatch.height == 0, (name, mismatch.head())
        assert 0 < joined[name].sum() < joined.height, name


def test_area_aggregates_add_up_to_province(province_indicators: pl.DataFrame) -> None:
    weights = nested_weights(list(INDICATOR_NAMES))
    totals = {level: alkire_foster(province_indicators, level=level) for level in LEVELS}
    province_row = measures(totals["province"])
    for level, result in totals.items():
        assert_identities(result, weights)
        wide = result.pivot(on="measure", index=["area_code", "persons", "households"], values="value")
        assert wide["persons"].sum() == totals["province"]["persons"][0], level
        assert wide["households"].sum() == province_indicators.height, level
        assert wide["poor_persons"].sum() == pytest.approx(province_row["poor_persons"], abs=EXACT)
        assert (wide["M0"] * wide["persons"]).sum() == pytest.approx(
            province_row["M0"] * totals["province"]["persons"][0], rel=EXACT)
        for name in INDICATOR_NAMES:
            numerator = (wide[f"censored_headcount:{name}"] * wide["persons"]).sum()
            assert numerator == pytest.approx(
                province_row[f"censored_headcount:{name}"] * totals["province"]["persons"][0], rel=EXACT), name


def test_bad_specifications_raise(sample: tuple[pl.DataFrame, pl.DataFrame],
                                  sample_indicators: pl.DataFrame) -> None:
    households, members = sample
    with pytest.raises(DeprivationError, match="add up to 1"):
        alkire_foster(sample_indicators, weights={"floor": 0.5, "roof": 0.4})
    with pytest.raises(DeprivationError, match="not columns"):
        alkire_foster(sample_indicators, weights={"floor": 0.5, "assets": 0.5})
    with pytest.raises(DeprivationError, match="positive"):
        alkire_foster(sample_indicators, weights={"floor": 1.5, "roof": -0.5})
    for k in (0.0, 1.5):
        with pytest.raises(DeprivationError, match="cut-off k"):
            alkire_foster(sample_indicators, k=k)
    with pytest.raises(DeprivationError, match="unknown level"):
        alkire_foster(sample_indicators, level="kecamatan")
    with pytest.raises(DeprivationError, match="ages"):
        deprivation_indicators(households, members)
    with pytest.raises(DeprivationError, match="roof_type"):
        deprivation_indicators(households.drop("roof_type"), members, as_of=AS_OF)
    with pytest.raises(DeprivationError, match="persons"):
        alkire_foster(sample_indicators.with_columns(persons=pl.lit(0)))
