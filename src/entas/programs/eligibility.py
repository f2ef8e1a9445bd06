"""Eligibility and benefits of every household for a catalog of programs, and the explanation for one household.

``eligibility`` compiles each program's rule and benefit counts (``entas.programs.rules_ibis``) into one Ibis
query over the households joined with their member counts: per program a boolean column ``<code>`` (an unknown
result -- a missing field -- is *not eligible*), ``<code>_benefit_rp_year`` (sum of amount x capped count over
the benefit components, 0 when not eligible; amounts are the parameter values in force at ``at``),
``<code>_beneficiaries`` (what a unit cost multiplies: 1 household, or the persons the components count) and
``<code>_effect_rp_pc_month`` (the consumption-equivalent welfare effect per capita per month if received:
the ``rp_pc_month`` parameter, or benefit / 12 / household_size x pass-through; take-up is not applied here).
It runs on DuckDB or PySpark; the registry is a census, so these are counts, not estimates.

``explain`` shows, for one household and one program, each top-level clause of the rule with its value, whether
it passed, and why (the values of the fields and member counts it reads), then the whole rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl
from ibis.backends import BaseBackend  # type: ignore[import-untyped]

from entas.engine import connect, register, to_polars
from entas.errors import ProgramError
from entas.programs.catalog import Program
from entas.programs.rule_tree import Node, clauses, inputs, unparse
from entas.programs.rules_ibis import to_ibis, with_member_counts


def _tables(households: Any, members: Any, backend: BaseBackend | None) -> tuple[ir.Table, ir.Table]:
    if isinstance(households, ir.Table) and isinstance(members, ir.Table):
        return households, members
    con = backend if backend is not None else connect()
    h = households if isinstance(households, ir.Table) else register(con, households, "programs_households")
    m = members if isinstance(members, ir.Table) else register(con, members, "programs_members")
    return h, m


def _trees(program: Program) -> list[Node]:
    return [program.eligibility.tree, *(component.count.tree for component in program.benefit)]


def eligibility(
    households: Any,
    members: Any,
    programs: Sequence[Program],
    *,
    as_of: dt.date | None = None,
    at: dt.date | None = None,
    backend: BaseBackend | None = None,
) -> ir.Table:
    """Eligibility, benefit (rupiah a year) and welfare effect of every household for every program.

    ``households``/``members``: Ibis tables, or frames registered in ``backend`` (new DuckDB when None).
    ``as_of``: date ages are taken at (None: members carry an ``age`` column). ``at``: date of the parameter
    values (None: latest). Columns: household_id, then per program ``<code>``, ``<code>_benefit_rp_year``,
    ``<code>_beneficiaries`` (1 for a household program; for a person program the members counted by its
    benefit components, capped), ``<code>_effect_rp_pc_month``.
    """
    if not programs:
        raise ProgramError("eligibility needs at least one program")
    h, m = _tables(households, members, backend)
    table, counts = with_member_counts(h, m, [t for p in programs for t in _trees(p)], as_of=as_of)
    columns: dict[str, Any] = {}
    for program in programs:
        eligible = to_ibis(program.eligibility.tree, table, counts).fill_null(False)
        total: Any = ibis.literal(0.0)
        persons: Any = ibis.literal(0.0)
        for component in program.benefit:
            count = to_ibis(component.count.tree, table, counts).cast("float64").fill_null(0.0)
            if component.max_count is not None:
                count = ibis.least(count, float(component.max_count))
            total = total + count * program.value(component.amount, at)
            persons = persons + count
        benefit = ibis.ifelse(eligible, total, 0.0)
        beneficiaries = ibis.ifelse(eligible, persons if program.unit == "person" else ibis.literal(1.0), 0.0)
        effect = program.welfare_effect
        if effect.rp_pc_month is not None:
            per_capita: Any = ibis.literal(program.value(effect.rp_pc_month, at))
        else:
            size = table["household_size"].cast("float64")
            per_capita = ibis.ifelse(size > 0, total / 12.0 / size * program.value(effect.pass_through, at), None)
        columns[program.code] = eligible
        columns[f"{program.code}_benefit_rp_year"] = benefit.cast("float64")
        columns[f"{program.code}_beneficiaries"] = beneficiaries.cast("float64")
        columns[f"{program.code}_effect_rp_pc_month"] = ibis.ifelse(eligible, per_capita, 0.0).cast("float64")
    return table.select("household_id", **columns)


def explain(
    households: Any,
    members: Any,
    program: Program,
    household_id: str,
    *,
    as_of: dt.date | None = None,
    backend: BaseBackend | None = None,
) -> pl.DataFrame:
    """Each top-level clause of ``program``'s rule for one household: clause, value, passed, why.

    The last row is the whole rule. ``passed`` is null when the clause is unknown (a missing field), which
    counts as not eligible.
    """
    h, m = _tables(households, members, backend)
    h = h.filter(h["household_id"] == household_id)
    m = m.filter(m["household_id"] == household_id)
    rule = program.eligibility
    parts = clauses(rule.tree)
    values = {unparse(n): n for part in parts for n in inputs(part)}
    table, counts = with_member_counts(h, m, [rule.tree], as_of=as_of)
    exprs = {f"_clause_{i}": to_ibis(part, table, counts) for i, part in enumerate(parts)}
    exprs["_rule"] = to_ibis(rule.tree, table, counts)
    exprs.update({f"_input_{i}": to_ibis(node, table, counts) for i, node in enumerate(values.values())})
    row = to_polars(table.select(**exprs))
    if row.height == 0:
        raise ProgramError(f"household {household_id!r} is not in the registry")
    if row.height > 1:
        raise ProgramError(f"household {household_id!r} appears {row.height} times in the registry")
    shown = {key: row[f"_input_{i}"][0] for i, key in enumerate(values)}
    labels = {unparse(n): rule.text[n.start: n.end] for n in values.values()}

    def why(part: Node) -> str:
        return ", ".join(f"{labels[unparse(n)]} = {_show(shown[unparse(n)])}" for n in inputs(part))

    records = [{"clause": rule.text[p.start: p.end], "value": _show(row[f"_clause_{i}"][0]),
                "passed": row[f"_clause_{i}"][0], "why": why(p)} for i, p in enumerate(parts)]
    whole = row["_rule"][0]
    records.append({"clause": "(whole rule)", "value": _show(whole), "passed": whole,
                    "why": "eligible" if whole else "not eligible" + (" (a value is missing)" if whole is None else ""),
                    })
    return pl.DataFrame(records, schema={"clause": pl.String, "value": pl.String, "passed": pl.Boolean,
                                         "why": pl.String})


def _show(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
