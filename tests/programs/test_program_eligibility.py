"""Eligibility over a registry, explain for one household, and catalog validation errors.

References: benefits against a direct Polars computation of the PKH components on the synthetic registry
(exact to 1e-6 rupiah); explain against hand-checked clause values; errors must name file, field and position.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from entas.engine import to_polars
from entas.errors import ProgramError, RuleError
from entas.programs.catalog import DEFAULT_CATALOG, load_catalog, load_program
from entas.programs.eligibility import eligibility, explain
from entas.synth import generate

AS_OF = dt.date(2024, 3, 15)
BY_CODE = {p.code: p for p in load_catalog()}


@pytest.fixture(scope="module")
def registry() -> tuple[pl.DataFrame, pl.DataFrame]:
    p = generate("64", 2024, scale=0.02, seed=1)
    return p.households, p.members


def test_pkh_benefit_equals_a_direct_polars_computation(registry: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    households, members = registry
    pkh = BY_CODE["pkh"]
    got = to_polars(eligibility(households, members, [pkh, BY_CODE["sembako"]], as_of=AS_OF)).sort("household_id")
    born = pl.col("birth_date")
    age = AS_OF.year - born.dt.year() - ((born.dt.month() > AS_OF.month) | (
        (born.dt.month() == AS_OF.month) & (born.dt.day() > AS_OF.day))).cast(pl.Int64)
    enrolled = pl.col("school_enrolment") == "enrolled"
    counts = members.with_columns(age=age).group_by("household_id").agg(
        child=(pl.col("age") <= 6).fill_null(False).sum(),
        primary=(enrolled & pl.col("age").is_between(6, 12)).fill_null(False).sum(),
        junior=(enrolled & pl.col("age").is_between(13, 15)).fill_null(False).sum(),
        senior=(enrolled & pl.col("age").is_between(16, 18)).fill_null(False).sum(),
        disabled=pl.col("disability").is_in(["intellectual", "mental", "multiple"]).fill_null(False).sum(),
        elderly=(pl.col("age") >= 60).fill_null(False).sum(),
    )
    h = households.join(counts, on="household_id", how="left").fill_null(0).sort("household_id")
    total = (pl.col("child") * 3e6 + pl.col("primary") * 9e5 + pl.col("junior") * 1.5e6 + pl.col("senior") * 2e6
             + pl.min_horizontal("disabled", 1) * 2.4e6 + pl.min_horizontal("elderly", 1) * 2.4e6)
    eligible = (pl.col("welfare_decile") <= 4) & (
        (pl.col("child") + pl.col("primary") + pl.col("junior") + pl.col("senior") + pl.col("disabled")
         + pl.col("elderly")) > 0)
    expected = h.select(eligible=eligible, benefit=pl.when(eligible).then(total).otherwise(0.0))
    assert got["pkh"].to_list() == expected["eligible"].to_list()
    assert (got["pkh_benefit_rp_year"] - expected["benefit"]).abs().max() < 1e-6
    assert 0 < got["pkh"].sum() < got.height
    assert got["sembako"].to_list() == (h["welfare_decile"] <= 4).to_list()
    size = h["household_size"].cast(pl.Float64)
    effect = (got["pkh_benefit_rp_year"] / 12 / size * pkh.value("pass_through")).fill_nan(0.0)
    assert (got["pkh_effect_rp_pc_month"] - effect).abs().max() < 1e-6


def test_explain_lists_each_clause_with_its_values() -> None:
    households = pl.DataFrame({"household_id": ["a"], "welfare_decile": [2], "household_size": [3]})
    members = pl.DataFrame({"household_id": ["a", "a", "a"], "age": [40, 8, 70],
                            "school_enrolment": [None, "dropped_out", None], "disability": ["none"] * 3})
    table = explain(households, members, BY_CODE["pkh"], "a")
    assert table["clause"].to_list() == [
        "welfare_decile <= 4", "children_0_6 > 0 or pupils > 0 or severely_disabled > 0 or elderly_60 > 0",
        "(whole rule)"]
    assert table["passed"].to_list() == [True, True, True]
    assert table["why"][0] == "welfare_decile = 2"
    assert table["why"][1] == "children_0_6 = 0, pupils = 0, severely_disabled = 0, elderly_60 = 1"
    with pytest.raises(ProgramError, match="not in the registry"):
        explain(households, members, BY_CODE["pkh"], "zz")


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG, folder)
    path = folder / "sembako.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("eligibility: welfare_decile <= 4", "eligibility: welfare_decile <= 4 and desil < 3",
     r"sembako.yaml: field 'eligibility': program 'sembako': unknown field 'desil' at column 25"),
    ("funder_type: state_budget", "funder_type: lottery", r"field 'funder_type': 'lottery' is not one of"),
    ("      status: sourced", "      status: maybe", r"field 'parameters.amount_rp_year.values\[0\].status'"),
    ("amount: amount_rp_year", "amount: amount_rp_month", r"field 'benefit\[0\].amount': names parameter"),
    ("removes_deprivations: []", "removes_deprivations: [poverty]", r"field 'removes_deprivations'"),
    ("strategy: expenditure_burden\n", "", r"field 'strategy': missing"),
])
def test_catalog_errors_name_the_file_and_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ProgramError, match=message):
        load_program(path)
    with pytest.raises(ProgramError, match=r"sembako\.yaml"):
        load_catalog(path.parent)


def test_rule_errors_in_a_file_are_rule_errors_with_a_caret(tmp_path: Path) -> None:
    path = _broken(tmp_path, "eligibility: welfare_decile <= 4", "eligibility: welfare_decile <= 4; DROP")
    with pytest.raises(RuleError) as caught:
        load_program(path)
    assert str(caught.value).splitlines()[-1] == "  " + " " * 19 + "^"
