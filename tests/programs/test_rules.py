"""The eligibility-rule language: parsing, safety limits, error positions, and compiled results.

References: precedence against hand-parenthesised canonical text; compiled results against a direct Polars
evaluation of the same rules on the synthetic registry (exact equality of booleans and counts); DuckDB against
PySpark on a small sample (exact).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from entas.engine import connect, register, to_polars
from entas.errors import ProgramError, RuleError
from entas.programs.rule_tree import clauses, unparse
from entas.programs.rules import MAX_DEPTH, MAX_RULE_LENGTH, parse, tokenize
from entas.programs.rules_ibis import to_ibis, with_member_counts
from entas.synth import generate

AS_OF = dt.date(2024, 3, 15)


@pytest.mark.parametrize(("text", "canonical"), [
    ("has_car or has_boat and has_land", "(has_car or (has_boat and has_land))"),
    ("not has_car and has_boat", "((not has_car) and has_boat)"),
    ("household_size + 2 * 3 >= 7", "((household_size + (2 * 3)) >= 7)"),
    ("household_size - 1 - 1 == 2", "(((household_size - 1) - 1) == 2)"),
    ("(household_size + 2) * 3 > -4", "(((household_size + 2) * 3) > -4)"),
    ("welfare_decile not in [1, 2]", "(welfare_decile not in [1, 2])"),
    ("floor_type in ['earth', \"bamboo\"]", "(floor_type in ['earth', 'bamboo'])"),
    ("between(welfare_decile, 1, 4)", "between(welfare_decile, 1, 4)"),
    ("count_members(age >= 60 and disability != 'none') > 0",
     "(count_members(((age >= 60) and (disability != 'none'))) > 0)"),
])
def test_precedence_and_associativity_follow_the_grammar(text: str, canonical: str) -> None:
    assert unparse(parse(text).tree) == canonical


def test_clauses_split_the_outermost_and_chain() -> None:
    rule = parse("welfare_decile <= 4 and (has_car or has_boat) and not has_land")
    assert [rule.text[c.start: c.end] for c in clauses(rule.tree)] == [
        "welfare_decile <= 4", "has_car or has_boat", "not has_land"]


def _column(text: str) -> int:
    with pytest.raises(RuleError) as caught:
        parse(text, program="demo")
    message = str(caught.value)
    assert "program 'demo'" in message
    assert text in message
    caret_line = message.splitlines()[-1]
    assert caret_line.strip() == "^"
    column = int(message.split(" at column ")[1].split("\n")[0])
    assert caret_line.index("^") - 2 == column - 1  # the caret sits under the named column
    return column


@pytest.mark.parametrize(("text", "column"), [
    ("welfare_decile <= 4 and foo", 25),             # unknown field
    ("welfare_decile <= ", 19),                       # end of rule
    ("welfare_decile <= 4 )", 21),                    # stray parenthesis
    ("age > 60", 1),                                  # member field at household level
    ("count_members(welfare_decile < 3) > 0", 15),   # household field in a member condition
    ("floor_type == 3", 15),                          # type mismatch string vs number
    ("1 < household_size < 3", 20),                   # chained comparison
    ("eval(1)", 1),                                   # unknown function
    ("between(household_size, 1) ", 1),               # wrong arity
    ("household_size > 'x", 18),                      # unterminated string
    ("household_size in [1, household_size]", 23),    # list of literals only
    ("welfare_decile + 1", 1),                        # not a boolean rule
])
def test_errors_name_program_rule_and_column(text: str, column: int) -> None:
    assert _column(text) == column


@pytest.mark.parametrize(("text", "column"), [
    ("1; DROP TABLE households", 2),
    ("__import__('os').system('rm -rf /')", 17),
    ("has_car.__class__", 8),
    ("has_car or 1 == 1 --", 21),
    ("welfare_decile <= 4 /* */", 22),
    ("`welfare_decile` < 3", 1),
    ("household_size > 1 union select 1", 20),
])
def test_injection_attempts_are_rejected(text: str, column: int) -> None:
    assert _column(text) == column


def test_length_and_depth_limits() -> None:
    with pytest.raises(RuleError, match="longer than"):
        parse("has_car or " * (MAX_RULE_LENGTH // 11 + 1) + "has_car")
    deep = "(" * (MAX_DEPTH + 1) + "has_car" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(RuleError, match="nested deeper"):
        parse(deep)
    assert unparse(parse("(" * MAX_DEPTH + "has_car" + ")" * MAX_DEPTH).tree) == "has_car"
    with pytest.raises(RuleError, match="nested deeper"):
        parse("not " * (MAX_DEPTH + 1) + "has_car")


def test_rule_error_is_a_program_error_and_numbers_tokenize() -> None:
    assert issubclass(RuleError, ProgramError)
    assert [t.text for t in tokenize("1_000 >= 2.5")] == ["1_000", ">=", "2.5", ""]
    with pytest.raises(RuleError, match="malformed number"):
        tokenize("1.2.3")


RULES = {
    "poor_with_children": "welfare_decile <= 4 and (children_0_6 > 0 or pupils > 0)",
    "bad_house": "house_ownership == 'own' and (floor_type in ['earth', 'bamboo'] or not (roof_type != 'thatch'))",
    "crowded": "floor_area_m2 / household_size < 7.2 and electricity_va not in [900, 1300]",
    "elderly_alone": "count_members(age >= 60) == members_listed and between(members_listed, 1, 2)",
    "jobless": "any_member(between(age, 18, 64) and work_status in ['unemployed', 'not_working'])",
    "size_arith": "max(household_size, 3) - min(welfare_decile, 2) * 2 >= 3",
}


def _polars_reference(households: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The same rules written directly in Polars (independent of the parser and the Ibis compiler)."""
    born = pl.col("birth_date")
    not_yet = (born.dt.month() > AS_OF.month) | ((born.dt.month() == AS_OF.month) & (born.dt.day() > AS_OF.day))
    age = AS_OF.year - born.dt.year() - not_yet.cast(pl.Int64)
    m = members.with_columns(age=age)
    counts = m.group_by("household_id").agg(
        children=(pl.col("age") <= 6).fill_null(False).sum(),
        pupils=((pl.col("school_enrolment") == "enrolled") & pl.col("age").is_between(6, 18)).fill_null(False).sum(),
        elderly=(pl.col("age") >= 60).fill_null(False).sum(),
        listed=pl.len(),
        jobless=(pl.col("age").is_between(18, 64) & pl.col("work_status").is_in(["unemployed", "not_working"]))
        .fill_null(False).sum(),
    )
    h = households.join(counts, on="household_id", how="left").with_columns(
        pl.col("children", "pupils", "elderly", "listed", "jobless").fill_null(0))
    return h.select(
        "household_id",
        poor_with_children=(pl.col("welfare_decile") <= 4) & ((pl.col("children") > 0) | (pl.col("pupils") > 0)),
        bad_house=(pl.col("house_ownership") == "own")
        & (pl.col("floor_type").is_in(["earth", "bamboo"]) | (pl.col("roof_type") == "thatch")),
        crowded=(pl.col("floor_area_m2") / pl.col("household_size") < 7.2)
        & ~pl.col("electricity_va").is_in([900, 1300]),
        elderly_alone=(pl.col("elderly") == pl.col("listed")) & pl.col("listed").is_between(1, 2),
        jobless=pl.col("jobless") > 0,
        size_arith=pl.max_horizontal(pl.col("household_size"), 3)
        - pl.min_horizontal(pl.col("welfare_decile"), 2) * 2 >= 3,
    ).with_columns(pl.exclude("household_id").fill_null(False))


def _compiled(con: Any, households: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    rules = {name: parse(text, program=name) for name, text in RULES.items()}
    h, m = register(con, households, "rules_h"), register(con, members, "rules_m")
    table, counts = with_member_counts(h, m, [r.tree for r in rules.values()], as_of=AS_OF)
    values = {n: to_ibis(r.tree, table, counts).fill_null(False) for n, r in rules.items()}
    expr = table.select("household_id", **values)
    return to_polars(expr).sort("household_id")


@pytest.fixture(scope="module")
def registry() -> tuple[pl.DataFrame, pl.DataFrame]:
    p = generate("64", 2024, scale=0.02, seed=1)
    return p.households, p.members


def test_compiled_rules_equal_a_direct_polars_evaluation(registry: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    households, members = registry
    got = _compiled(connect(), households, members)
    expected = _polars_reference(households, members).sort("household_id")
    assert got.height == households.height
    for name in RULES:
        assert got[name].to_list() == expected[name].to_list(), name
        assert 0 < got[name].sum() < got.height, f"{name} should split the registry"


def test_duckdb_equals_pyspark_on_a_sample(spark: Any, registry: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    households, members = registry
    sample = households.head(300)
    sample_members = members.filter(pl.col("household_id").is_in(sample["household_id"].implode()))
    duck = _compiled(connect(), sample, sample_members)
    assert _compiled(spark, sample, sample_members).equals(duck)
