"""entas.measure.compare_to_parent against R survey 4.1.1 (tests/fixtures/measure/compare/, its R script).

R computes each area's difference to its parent with ``svytotal`` of every domain's and parent's numerator
and denominator (their joint covariance, as ``svyby(..., covmat = TRUE)``) and the delta method of
``svycontrast`` (``nD/dD - nP/dP``): the linearization of z_D - z_P. Every reference row (case x level x
area x measure x line) is compared: estimates and differences to 1e-8 relative; SEs, CI bounds, t and p-values
(raw and Benjamini-Hochberg, both alternatives) to 1e-6 relative; n and df exactly. Designs: stratified
(with and without fpc; domains equal to strata and crossing them), two-stage cluster (fpc at both stages, and
none), lonely PSUs under each policy (parent: the whole sample), and the synthetic entas sample (districts
against the province; subdistricts against their district).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from entas.measure.compare import compare_to_parent
from entas.survey.design import SurveyDesign

FIXTURES = Path(__file__).parents[1] / "fixtures" / "measure"
ESTIMATE_RTOL = 1e-8
SE_RTOL = 1e-6
MEASURES = ("headcount_ratio", "poverty_gap", "mean_consumption")
API_LINES = {"z600": 600, "z700": 700}
SYNTH_LINES = {"national": "line_national", "extreme": "line_extreme"}
LEVELS = {"district_code": "district", "subdistrict": "subdistrict"}  # R's column -> entas level

CASES: dict[str, dict[str, Any]] = {
    "strat_fpc": {"file": "apistrat.csv", "design": {"strata": "stype", "fpc_psu": "fpc"}},
    "strat_nofpc": {"file": "apistrat.csv", "design": {"strata": "stype"}},
    "clus2_fpc": {"file": "apiclus2.csv", "design": {"psu": "dnum", "ssu": "snum", "fpc_psu": "fpc1",
                                                     "fpc_ssu": "fpc2"}},
    "clus2_nofpc": {"file": "apiclus2.csv", "design": {"psu": "dnum", "ssu": "snum"}},
    **{f"lonely_{policy}": {"file": "apiclus1.csv", "design": {"strata": "lstrat", "psu": "dnum",
                                                               "lonely_psu": policy}}
       for policy in ("remove", "certainty", "adjust", "average")},
    "synth": {"file": "synth_survey.csv", "design": {"strata": "stratum", "psu": "psu", "fpc_psu": "fpc_psu",
                                                     "fpc_ssu": "fpc_ssu"},
              "weight": "weight", "size": "household_size", "lines": SYNTH_LINES,
              "welfare": "consumption_pc_rp_month"},
}


@functools.cache
def compared(case: str, level: str, parent: str, alternative: str, adjust: str) -> pl.DataFrame:
    spec = CASES[case]
    frame = pl.read_csv(FIXTURES / spec["file"], schema_overrides={
        "district_code": pl.Utf8, "village_code": pl.Utf8, "psu": pl.Utf8, "stratum": pl.Utf8})
    design = SurveyDesign(weight=spec.get("weight", "pw"), person_weight_column=spec.get("size", "size"),
                          **spec["design"])
    out = compare_to_parent(frame, design, spec.get("lines", API_LINES), level=LEVELS.get(level, level),
                            parent=LEVELS.get(parent, parent), measures=MEASURES,
                            welfare=spec.get("welfare", "api00"), alternative=alternative,  # type: ignore[arg-type]
                            adjust=adjust)  # type: ignore[arg-type]
    return out.with_columns(pl.col("line").fill_null(""))


REFERENCES = pl.read_csv(FIXTURES / "compare" / "compare_references.csv", null_values="NA",
                         schema_overrides={"area": pl.Utf8, "parent_area": pl.Utf8, "line": pl.Utf8}
                         ).with_columns(pl.col("line").fill_null(""))
ROWS = REFERENCES.rows(named=True)
IDS = [f"{r['case']}-{r['level']}-{r['area']}-{r['measure']}-{r['line']}" for r in ROWS]


def close(ours: float | None, ref: float | None, rtol: float, atol: float = 0.0) -> bool:
    if ref is None or math.isnan(ref):
        return ours is None or math.isnan(ours)
    if ours is None:
        return False
    if math.isinf(ref):
        return ours == ref
    return abs(ours - ref) <= rtol * abs(ref) + atol


def ours_for(ref: dict[str, Any], alternative: str, adjust: str) -> dict[str, Any]:
    found = compared(ref["case"], ref["level"], ref["parent_level"], alternative, adjust).filter(
        (pl.col("area") == ref["area"]) & (pl.col("measure") == ref["measure"]) & (pl.col("line") == ref["line"]))
    assert found.height == 1, f"{found.height} rows for {ref}"
    return found.row(0, named=True)


@pytest.mark.parametrize("ref", ROWS, ids=IDS)
def test_difference_to_parent_matches_r_svycontrast(ref: dict[str, Any]) -> None:
    row = ours_for(ref, "greater", "fdr_bh")
    assert row["parent_area"] == ref["parent_area"]
    scale = max(abs(ref["estimate"]), abs(ref["parent_estimate"]))
    for column in ("estimate", "parent_estimate", "difference"):
        assert close(row[column], ref[column], ESTIMATE_RTOL, 1e-14 * scale), (column, row[column], ref[column])
    se_atol = 1e-9 * scale  # an SE that R computes as exactly 0 may come out here as a rounding residue
    for column in ("se", "ci_low", "ci_high"):
        assert close(row[column], ref[column], SE_RTOL, se_atol), (column, row[column], ref[column])
    if ref["se"] > se_atol:
        assert close(row["t"], ref["t"], SE_RTOL), (row["t"], ref["t"])
        assert close(row["p_value"], ref["p_greater"], SE_RTOL, 1e-12), (row["p_value"], ref["p_greater"])
        assert close(row["p_adjusted"], ref["p_greater_bh"], SE_RTOL, 1e-12), (row["p_adjusted"],
                                                                                ref["p_greater_bh"])
    assert row["n"] == ref["n"]
    assert row["df"] == ref["df"]


@pytest.mark.parametrize("ref", [r for r in ROWS if r["se"] > 1e-9 * abs(r["parent_estimate"])],
                         ids=[i for i, r in zip(IDS, ROWS, strict=True) if r["se"] > 1e-9 * abs(r["parent_estimate"])])
def test_two_sided_p_values_match_r(ref: dict[str, Any]) -> None:
    raw = ours_for(ref, "two-sided", "none")
    adjusted = ours_for(ref, "two-sided", "fdr_bh")
    assert close(raw["p_value"], ref["p_two_sided"], SE_RTOL, 1e-12), (raw["p_value"], ref["p_two_sided"])
    assert raw["p_adjusted"] == raw["p_value"]
    assert close(adjusted["p_adjusted"], ref["p_two_sided_bh"], SE_RTOL, 1e-12), (adjusted["p_adjusted"],
                                                                                   ref["p_two_sided_bh"])
