"""Compile parsed eligibility rules (``entas.programs.rules``) to Ibis expressions over the households table.

Member conditions (``count_members(c)``, ``any_member(c)`` and the named aggregates of
``rules.MEMBER_AGGREGATES``) are gathered from every rule, deduplicated by their canonical text, and computed
in one Ibis group-by of the members table (a member whose condition is unknown is not counted); the result is
left-joined to the households (a household with no member rows counts 0). Each rule then becomes a column
expression over that joined table, so a whole catalog is one query on DuckDB or PySpark.

Ages are completed years at ``as_of`` from ``birth_date``; a members table that already has an ``age`` column
(test situations) is used as it is when ``as_of`` is None. Arithmetic is in float64; division by zero gives
null (unknown), as in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]

from entas.errors import ProgramError
from entas.programs.rule_tree import Binary, Call, Constant, InList, Name, Node, Unary, unparse
from entas.programs.rules import MEMBER_AGGREGATES, parse

_AGGREGATE_TREES: dict[str, Node] = {
    name: parse(text, program=f"aggregate {name}", scope="member").tree for name, text in MEMBER_AGGREGATES.items()
}


def member_conditions(trees: Iterable[Node]) -> dict[str, Node]:
    """Every member condition the trees use, keyed by its canonical text (shared between rules)."""
    found: dict[str, Node] = {}

    def walk(node: Node) -> None:
        if isinstance(node, Name) and node.name in _AGGREGATE_TREES:
            condition = _AGGREGATE_TREES[node.name]
            found.setdefault(unparse(condition), condition)
        elif isinstance(node, Call) and node.function in ("count_members", "any_member"):
            found.setdefault(unparse(node.args[0]), node.args[0])
        elif isinstance(node, Call):
            for arg in node.args:
                walk(arg)
        elif isinstance(node, Unary | InList):
            walk(node.operand)
        elif isinstance(node, Binary):
            walk(node.left)
            walk(node.right)

    for tree in trees:
        walk(tree)
    return found


def member_ages(members: ir.Table, as_of: dt.date | None) -> ir.Table:
    """Members with an ``age`` column: completed years at ``as_of``, or the table's own ``age`` column."""
    if as_of is None:
        if "age" not in members.columns:
            raise ProgramError("member conditions need ages: pass as_of (the registry's reference date) "
                               "or give members an `age` column")
        return members
    born = members["birth_date"].cast("date")
    not_yet = (born.month() > as_of.month) | ((born.month() == as_of.month) & (born.day() > as_of.day))
    return members.mutate(age=as_of.year - born.year() - ibis.ifelse(not_yet, 1, 0))


def with_member_counts(
    households: ir.Table, members: ir.Table, trees: Iterable[Node], *, as_of: dt.date | None
) -> tuple[ir.Table, dict[str, str]]:
    """Households joined with one count column per member condition; returns the table and key -> column."""
    conditions = member_conditions(trees)
    columns = {key: f"_members_{i}" for i, key in enumerate(conditions)}
    if not conditions:
        return households, columns
    m = member_ages(members, as_of)
    tests = {key: to_ibis(tree, m, {}) for key, tree in conditions.items()}
    # a constant condition (count_members(true)) is broadcast over the member rows before it is counted
    tests = {key: m["household_id"].notnull() & t if isinstance(t, ir.Scalar) else t for key, t in tests.items()}
    counts = m.group_by("household_id").aggregate(**{
        columns[key]: ibis.ifelse(test.fill_null(False), 1, 0).sum() for key, test in tests.items()
    })
    joined = households.left_join(counts, "household_id")
    joined = joined.drop(*(c for c in joined.columns if c.endswith("_right")))
    return joined.mutate(**{c: joined[c].fill_null(0) for c in columns.values()}), columns


def to_ibis(node: Node, table: ir.Table, counts: Mapping[str, str]) -> Any:
    """The Ibis expression of a checked tree over ``table`` (members table for member conditions)."""
    if isinstance(node, Constant):
        return ibis.literal(node.value)
    if isinstance(node, Name):
        if node.name in _AGGREGATE_TREES and node.name not in table.columns:
            return table[counts[unparse(_AGGREGATE_TREES[node.name])]]
        return table[node.name]
    if isinstance(node, Unary):
        operand = to_ibis(node.operand, table, counts)
        return ~operand if node.op == "not" else -operand
    if isinstance(node, InList):
        test = to_ibis(node.operand, table, counts).isin([item.value for item in node.items])
        return ~test if node.negated else test
    if isinstance(node, Binary):
        left, right = to_ibis(node.left, table, counts), to_ibis(node.right, table, counts)
        return _BINARY[node.op](left, right)
    if node.function in ("count_members", "any_member"):
        count = table[counts[unparse(node.args[0])]]
        return count if node.function == "count_members" else count > 0
    args = [to_ibis(arg, table, counts) for arg in node.args]
    if node.function == "between":
        return (args[0] >= args[1]) & (args[0] <= args[2])
    if node.function == "min":
        return ibis.least(*args)
    return ibis.greatest(*args)


def _divide(left: Any, right: Any) -> Any:
    denominator = right.cast("float64")
    return ibis.ifelse(denominator == 0, ibis.null("float64"), left.cast("float64") / denominator)


_BINARY: dict[str, Any] = {
    "and": lambda a, b: a & b, "or": lambda a, b: a | b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _divide,
}
