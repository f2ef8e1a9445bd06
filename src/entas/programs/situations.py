"""Run the test situations written beside each program (its ``tests`` key) through ``eligibility``.

As PolicyEngine's YAML tests: each situation is one household (registry fields; any field left out is missing)
with its members (member fields, ``age`` in completed years instead of a birth date), and the expected
eligibility and benefit (rupiah a year, parameter values in force at ``at``). All situations of a program run
as one query; a benefit matches within ``BENEFIT_TOLERANCE_RP`` rupiah.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from ibis.backends import BaseBackend  # type: ignore[import-untyped]

from entas.engine import to_polars
from entas.errors import ProgramError
from entas.programs.catalog import Program
from entas.programs.eligibility import eligibility
from entas.programs.rules import HOUSEHOLD_FIELDS, MEMBER_FIELDS, Kind

BENEFIT_TOLERANCE_RP = 0.5
_DTYPES: dict[Kind, pl.DataType] = {"number": pl.Float64(), "string": pl.String(), "boolean": pl.Boolean()}


def situation_frames(program: Program) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The households and members of a program's situations (household ids ``s1``, ``s2``, ...)."""
    households: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for i, situation in enumerate(program.situations):
        hid = f"s{i + 1}"
        _known(situation.household, HOUSEHOLD_FIELDS, program, f"tests[{i}].household")
        households.append({**situation.household, "household_id": hid})
        for j, member in enumerate(situation.members):
            _known(member, MEMBER_FIELDS, program, f"tests[{i}].members[{j}]")
            members.append({**member, "household_id": hid})
    h_schema = {"household_id": pl.String(), **{k: _DTYPES[v] for k, v in HOUSEHOLD_FIELDS.items()}}
    m_schema = {"household_id": pl.String(), **{k: _DTYPES[v] for k, v in MEMBER_FIELDS.items()}}
    return (pl.DataFrame(households, schema=h_schema, strict=False),
            pl.DataFrame(members, schema=m_schema, strict=False))


def _known(record: Any, fields: dict[str, Kind], program: Program, where: str) -> None:
    if not isinstance(record, dict):
        raise ProgramError(f"{program.source}: field {where!r}: expected a mapping of fields")
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise ProgramError(f"{program.source}: field '{where}.{unknown[0]}': unknown field")


def run_situations(
    program: Program, *, at: dt.date | None = None, backend: BaseBackend | None = None
) -> pl.DataFrame:
    """One row per situation: expected and computed eligibility and benefit, and ``passed``."""
    schema = {"program": pl.String, "situation": pl.String, "expected_eligible": pl.Boolean, "eligible": pl.Boolean,
              "expected_benefit_rp_year": pl.Float64, "benefit_rp_year": pl.Float64, "passed": pl.Boolean}
    if not program.situations:
        return pl.DataFrame(schema=schema)
    households, members = situation_frames(program)
    result = to_polars(eligibility(households, members, [program], at=at, backend=backend)).sort("household_id")
    ordered = {row["household_id"]: row for row in result.iter_rows(named=True)}
    rows = []
    for i, situation in enumerate(program.situations):
        row = ordered[f"s{i + 1}"]
        benefit = float(row[f"{program.code}_benefit_rp_year"])
        rows.append({"program": program.code, "situation": situation.name, "expected_eligible": situation.eligible,
                     "eligible": row[program.code], "expected_benefit_rp_year": situation.benefit_rp_year,
                     "benefit_rp_year": benefit,
                     "passed": row[program.code] == situation.eligible
                     and abs(benefit - situation.benefit_rp_year) <= BENEFIT_TOLERANCE_RP})
    return pl.DataFrame(rows, schema=schema)
