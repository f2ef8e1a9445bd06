"""entas.measure.sst against R (tests/fixtures/measure/sst/make_sst_references.R).

The Sen-Shorrocks-Thon index SST = P1 (1 + Gini of the gap ratios) and its linearized SE, per case x level x
area, on DuckDB and PySpark: estimates to 1e-8 relative, SEs to 1e-6, n and df exactly; the poverty gap and
the Gini of the gap ratios behind it also match (R's Gini checked against laeken's ``gini`` in the script).
The delete-one-PSU jackknife SE of SST matches R's ``withReplicates`` on ``as.svrepdesign`` designs; its
agreement with the linearization on a large sample is in test_replicate.py.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from entas.engine import register
from entas.measure.poverty import poverty
from entas.measure.replicate import jackknife
from entas.measure.sst import sen_shorrocks_thon
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
ESTIMATE_RTOL = 1e-8
SE_RTOL = 1e-6
SYNTH = {"weight": "weight", "strata": "stratum", "psu": "psu", "person_weight_column": "household_size"}
CASES: dict[str, dict[str, Any]] = {
    "strat_fpc": {"file": "apistrat.csv", "design": {"strata": "stype", "fpc_psu": "fpc"}},
    "strat_nofpc": {"file": "apistrat.csv", "design": {"strata": "stype"}},
    "clus1_nofpc": {"file": "apiclus1.csv", "design": {"psu": "dnum"}},
    "clus2_fpc": {"file": "apiclus2.csv", "design": {"psu": "dnum", "ssu": "snum", "fpc_psu": "fpc1",
                                                     "fpc_ssu": "fpc2"}},
    "synth": {"file": "synth_survey.csv", "design": {**SYNTH, "fpc_psu": "fpc_psu", "fpc_ssu": "fpc_ssu"},
              "by": ["all", "district_code", "urban"]},
    "synth_wr": {"file": "synth_survey.csv", "design": SYNTH, "by": ["all", "district_code", "urban"]},
    "synth_lonely_adjust": {"file": "synth_survey.csv", "design": {**SYNTH, "lonely_psu": "adjust"},
                            "by": ["all", "district_code"]},
}


def load(case: str) -> pl.DataFrame:
    """The case's households with the line column ``z`` (650 for api00; the national line for synth)."""
    name = CASES[case]["file"]
    t = pl.read_csv(FIXTURES / name, schema_overrides={"district_code": pl.Utf8, "village_code": pl.Utf8,
                                                       "psu": pl.Utf8, "stratum": pl.Utf8})
    if name == "synth_survey.csv":
        t = t.with_columns(y=pl.col("consumption_pc_rp_month"), z=pl.col("line_national"))
    else:
        t = t.with_columns(y=pl.col("api00").cast(pl.Float64), z=pl.lit(650.0))
    if case == "synth_lonely_adjust":  # as the R script: stratum 64.01-urban cut to its first PSU
        first = t.filter(pl.col("stratum") == "64.01-urban")["psu"].min()
        t = t.filter((pl.col("stratum") != "64.01-urban") | (pl.col("psu") == first))
    return t


def design(case: str) -> SurveyDesign:
    return SurveyDesign(**{"weight": "pw", "person_weight_column": "size", **CASES[case]["design"]})


@functools.cache
def result(case: str, engine: str = "duckdb", spark: Any = None) -> pl.DataFrame:
    t = load(case)
    table = t if engine == "duckdb" else register(spark, t, f"sst_{case}")
    out = poverty(table, design(case), {"z": "z"}, by=CASES[case].get("by", ["all", "stype"]), welfare="y",
                  measures=["poverty_gap", "sst"])
    return out.with_columns(pl.col("area").str.to_lowercase())


def rel(ours: float, ref: float) -> float:
    return abs(ours - ref) / abs(ref) if ref else abs(ours)


REFERENCES = pl.read_csv(FIXTURES / "sst" / "references.csv", schema_overrides={"area": pl.Utf8},
                         null_values="NA").with_columns(pl.col("area").str.to_lowercase())
JACKKNIFE = pl.read_csv(FIXTURES / "sst" / "jackknife.csv", schema_overrides={"area": pl.Utf8},
                        null_values="NA").with_columns(pl.col("area").str.to_lowercase())


def check(out: pl.DataFrame, ref: dict[str, Any]) -> None:
    at = out.filter((pl.col("level") == ref["level"]) & (pl.col("area") == ref["area"]))
    sst = at.filter(pl.col("measure") == "sst").row(0, named=True)
    gap = at.filter(pl.col("measure") == "poverty_gap").row(0, named=True)
    assert rel(sst["estimate"], ref["estimate"]) <= ESTIMATE_RTOL, (sst["estimate"], ref["estimate"])
    assert rel(sst["se"], ref["se"]) <= SE_RTOL, (sst["se"], ref["se"])
    assert rel(gap["estimate"], ref["poverty_gap"]) <= ESTIMATE_RTOL
    assert (sst["n"], sst["df"]) == (ref["n"], ref["df"])
    if ref["poverty_gap"] > 0:  # SST / P1 - 1 is the Gini of the gap ratios
        assert rel(sst["estimate"] / gap["estimate"] - 1, ref["gini_gap"]) <= ESTIMATE_RTOL


@pytest.mark.parametrize("ref", REFERENCES.rows(named=True),
                         ids=[f"{r['case']}-{r['level']}-{r['area']}" for r in REFERENCES.rows(named=True)])
def test_matches_r(ref: dict[str, Any]) -> None:
    check(result(ref["case"]), ref)


def test_pyspark_matches_r(spark: Any) -> None:
    for case in ("synth",):  # stratified, fpc at both stages, three levels
        out = result(case, "pyspark", spark)
        for ref in REFERENCES.filter(pl.col("case") == case).rows(named=True):
            check(out, ref)


@pytest.mark.parametrize("ref", JACKKNIFE.rows(named=True),
                         ids=[f"{r['case']}-{r['level']}-{r['area']}" for r in JACKKNIFE.rows(named=True)])
def test_jackknife_matches_r(ref: dict[str, Any]) -> None:
    case = ref["case"]
    out = jackknife(load(case), design(case), lines={"z": "z"}, welfare="y", measures=["sst"],
                    by=CASES[case].get("by", ["all", "stype"])).with_columns(pl.col("area").str.to_lowercase())
    row = out.filter((pl.col("level") == ref["level"]) & (pl.col("area") == ref["area"])).row(0, named=True)
    assert rel(row["estimate"], ref["estimate"]) <= ESTIMATE_RTOL
    assert rel(row["se"], ref["se"]) <= SE_RTOL, (row["se"], ref["se"])
    assert row["df"] == ref["df"]


def test_sst_function_equals_poverty_and_census_has_no_se() -> None:
    t = load("synth")
    direct = sen_shorrocks_thon(t, design("synth"), {"z": "z"}, by=["all"], welfare="y")
    via = result("synth").filter((pl.col("measure") == "sst") & (pl.col("level") == "all"))
    assert direct["estimate"][0] == pytest.approx(via["estimate"][0], rel=1e-12)
    census = sen_shorrocks_thon(t, None, {"z": "z"}, welfare="y")
    assert census["se"].is_null().all() and census["note"][0] == "census: no sampling error"


def test_no_poor_gives_zero_and_transfer_among_poor_raises_sst() -> None:
    t = pl.DataFrame({"y": [50.0, 80.0, 120.0, 200.0], "household_size": [1, 1, 1, 1]})
    rich = sen_shorrocks_thon(t, None, 40.0, welfare="y")
    assert rich["estimate"][0] == 0.0
    base = sen_shorrocks_thon(t, None, 100.0, welfare="y")["estimate"][0]
    # a transfer of 10 from the poorest (50) to a less poor person (80): P1 is unchanged, SST rises
    moved = sen_shorrocks_thon(t.with_columns(y=pl.Series([40.0, 90.0, 120.0, 200.0])), None, 100.0,
                               welfare="y")["estimate"][0]
    assert moved > base
    # by hand: g = (.5, .2, 0, 0), P1 = .175; Gini of g over four persons = 0.5714285714...
    gaps = [0.5, 0.2, 0.0, 0.0]
    mean = sum(gaps) / 4
    gini = sum(abs(a - b) for a in gaps for b in gaps) / (2 * 16 * mean)
    assert base == pytest.approx(mean * (1 + gini), rel=1e-12)
