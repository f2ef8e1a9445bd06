"""entas.measure against R survey 4.1.1 (tests/fixtures/measure/make_references.R, references.csv).

Every reference row (case x level x area x measure x line) is compared: estimates to 1e-8 relative, standard
errors, CI bounds and design effects to 1e-6 relative; n and df exactly. The cases are described in the R
script: stratified (with, without, and as-fraction fpc; unit sizes), one-stage cluster (with and without
fpc), two-stage cluster (fpc at both stages, and none), lonely PSUs under each policy, and the synthetic
entas sample with district lines.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from entas.engine import register
from entas.measure import poverty
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
ESTIMATE_RTOL = 1e-8
SE_RTOL = 1e-6
API_LINES = {"z600": 600, "z700": 700}
API_BY: list[Any] = ["all", "stype", "awards", ("stype", "awards")]

CASES: dict[str, dict[str, Any]] = {
    "strat_fpc": {"file": "apistrat.csv", "design": {"strata": "stype", "fpc_psu": "fpc"}},
    "strat_frac": {"file": "apistrat.csv", "design": {"strata": "stype", "fpc_psu": "fpc_frac"}},
    "strat_nofpc": {"file": "apistrat.csv", "design": {"strata": "stype"}},
    "strat_fpc_unit": {"file": "apistrat.csv", "design": {"strata": "stype", "fpc_psu": "fpc"}, "size": "unit"},
    "clus1_fpc": {"file": "apiclus1.csv", "design": {"psu": "dnum", "fpc_psu": "fpc"}},
    "clus1_nofpc": {"file": "apiclus1.csv", "design": {"psu": "dnum"}},
    "clus2_fpc": {"file": "apiclus2.csv", "design": {"psu": "dnum", "ssu": "snum", "fpc_psu": "fpc1",
                                                     "fpc_ssu": "fpc2"}},
    "clus2_nofpc": {"file": "apiclus2.csv", "design": {"psu": "dnum", "ssu": "snum"}},
    **{
        f"lonely_{policy}": {"file": "apiclus1.csv", "design": {"strata": "lstrat", "psu": "dnum",
                                                                "lonely_psu": policy}, "by": ["all", "stype"]}
        for policy in ("remove", "certainty", "adjust", "average")
    },
    "synth": {
        "file": "synth_survey.csv", "design": {"strata": "stratum", "psu": "psu", "fpc_psu": "fpc_psu",
                                               "fpc_ssu": "fpc_ssu"}, "size": "household_size",
        "weight": "weight", "lines": {"national": "line_national", "extreme": "line_extreme"},
        "welfare": "consumption_pc_rp_month", "by": ["all", "district_code", "urban", ("district_code", "urban")],
    },
}


def load(name: str) -> pl.DataFrame:
    """A fixture CSV with codes kept as text."""
    return pl.read_csv(FIXTURES / name, schema_overrides={"district_code": pl.Utf8, "village_code": pl.Utf8,
                                                          "psu": pl.Utf8, "stratum": pl.Utf8})


_RESULTS: dict[tuple[str, str], pl.DataFrame] = {}


def result(case: str, engine: str = "duckdb", backend: Any = None) -> pl.DataFrame:
    """The case measured on ``engine`` (computed once per run)."""
    if (case, engine) not in _RESULTS:
        spec = CASES[case]
        frame = load(spec["file"]).with_columns(unit=pl.lit(1))
        table = frame if backend is None else register(backend, frame, f"r_case_{case}")
        design = SurveyDesign(weight=spec.get("weight", "pw"), person_weight_column=spec.get("size", "size"),
                              **spec["design"])
        out = poverty(table, design, spec.get("lines", API_LINES), by=spec.get("by", API_BY),
                      welfare=spec.get("welfare", "api00"))
        _RESULTS[case, engine] = out.with_columns(pl.col("area").str.to_lowercase(), pl.col("line").fill_null(""))
    return _RESULTS[case, engine]


REFERENCES = pl.read_csv(
    FIXTURES / "references.csv", schema_overrides={"area": pl.Utf8, "line": pl.Utf8, "deff": pl.Float64},
    null_values="NA",
).with_columns(pl.col("area").str.to_lowercase(), pl.col("line").fill_null(""))
ROWS = REFERENCES.rows(named=True)


def close(ours: float | None, ref: float | None, rtol: float, atol: float = 0.0) -> bool:
    if ref is None or (isinstance(ref, float) and math.isnan(ref)):
        return ours is None or math.isnan(ours)
    if ours is None:
        return False
    return abs(ours - ref) <= rtol * abs(ref) + atol


@pytest.fixture(params=["duckdb", "pyspark"])
def engine(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """Each reference row is checked on both engines: the same analytics code on DuckDB and on PySpark."""
    name = str(request.param)
    return name, (request.getfixturevalue("spark") if name == "pyspark" else None)


@pytest.mark.parametrize("ref", ROWS, ids=[f"{r['case']}-{r['level']}-{r['area']}-{r['measure']}-{r['line']}"
                                           for r in ROWS])
def test_matches_r_survey(ref: dict[str, Any], engine: tuple[str, Any]) -> None:
    ours = result(ref["case"], *engine).filter(
        (pl.col("level") == ref["level"]) & (pl.col("area") == ref["area"]) & (pl.col("measure") == ref["measure"])
        & (pl.col("line") == ref["line"]))
    assert ours.height == 1, f"{ours.height} rows for {ref}"
    row = ours.row(0, named=True)
    # an SE that R computes as exactly 0 (a constant) may come out here as a rounding residue
    se_atol = 1e-9 * abs(ref["estimate"])
    assert close(row["estimate"], ref["estimate"], ESTIMATE_RTOL), (row["estimate"], ref["estimate"])
    assert close(row["se"], ref["se"], SE_RTOL, se_atol), (row["se"], ref["se"])
    assert close(row["ci_low"], ref["ci_low"], SE_RTOL, se_atol), (row["ci_low"], ref["ci_low"])
    assert close(row["ci_high"], ref["ci_high"], SE_RTOL, se_atol), (row["ci_high"], ref["ci_high"])
    if ref["measure"] == "population":
        # the variance of a constant under SRS is 0: R divides by its rounding residue (NA, Inf or ~1e31)
        assert row["deff"] is None
    else:
        assert close(row["deff"], ref["deff"], SE_RTOL), (row["deff"], ref["deff"])
    assert row["n"] == ref["n"]
    assert row["df"] == ref["df"]
