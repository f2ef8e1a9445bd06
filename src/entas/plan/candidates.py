"""Candidates for planning: every (household, program) pair a plan may assign, with its cost and effect.

A pair is a candidate when the household is eligible for the program by the catalog's rule
(``entas.programs.eligibility``, the rule as written: registry fields such as the registry's ``welfare_decile``
-- desil) and does not already receive it (``entas.plan.needs.RECEIPT_FLAGS``; a household already receiving
a program has its effect inside its consumption, so giving it again is not a plan). Per pair:

- ``cost_rp``: the program's unit cost including delivery in force at ``at`` (rupiah a year), times the
  beneficiaries (1 for a household program, the members its benefit components count for a person program);
- ``effect_full_rp_pc_month``: the consumption-equivalent effect per capita per month *if received*
  (the catalog's flat effect, or the benefit spread over members and months times pass-through);
- ``take_up`` (share of eligible households that actually take the program, catalog parameter) and
  ``effect_rp_pc_month = effect_full_rp_pc_month x take_up``: the **expected** effect that planning uses
  (the simulation draws take-up instead);
- ``welfare_rp_month``: the household's predicted welfare from the PMT scores (the conditional median,
  ``predicted_welfare_rp_month``), ``line_rp_month`` its extreme-poverty line (``line_extreme_rp_month``);
  ``residual_sd``: the sd of its log welfare around the prediction (for the expected objective,
  ``allocate(expected=True)``); ``welfare_decile``: the PMT decile (for the lowest-desil rule),
  ``registry_desil`` kept beside it.

``households`` of ``scope="poor"`` keeps only households predicted below ``poor_margin`` x their line (the
only ones a poverty objective values; the ``lowest_desil`` rule should see every household, so the default
keeps all). Assumptions, marked in the catalog, stay marked: ``assumptions`` lists them per program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl

from entas.engine import to_polars
from entas.errors import PlanError
from entas.plan.needs import RECEIPT_FLAGS
from entas.programs.catalog import Program
from entas.programs.eligibility import eligibility

SCORE_COLUMNS = ("household_id", "district_code", "village_code", "household_size", "predicted_welfare_rp_month",
                 "residual_sd", "line_extreme_rp_month", "welfare_decile")
"""Columns of the PMT scores (``entas.target.score.score_registry``) that planning reads."""

__all__ = ["SCORE_COLUMNS", "assumptions", "build_candidates", "program_table"]


def program_table(programs: Sequence[Program], at: dt.date | None = None) -> pl.DataFrame:
    """One row per program: code, names, strategy, funder_type, unit, unit_cost_rp, take_up, assumptions."""
    return pl.DataFrame({
        "program": [p.code for p in programs], "name_id": [p.name_id for p in programs],
        "name_en": [p.name_en for p in programs], "strategy": [p.strategy for p in programs],
        "funder_type": [p.funder_type for p in programs], "unit": [p.unit for p in programs],
        "unit_cost_rp": [p.value(p.unit_cost, at) for p in programs],
        "take_up": [p.value(p.welfare_effect.take_up, at) for p in programs],
        "removes_deprivations": [list(p.removes_deprivations) for p in programs],
        "assumptions": [", ".join(p.assumptions(at)) for p in programs]},
        schema_overrides={"removes_deprivations": pl.List(pl.String)})


def assumptions(programs: Sequence[Program], at: dt.date | None = None) -> dict[str, tuple[str, ...]]:
    """Program code -> the parameters whose value at ``at`` is an assumption (every report must say so)."""
    return {p.code: p.assumptions(at) for p in programs if p.assumptions(at)}


def build_candidates(
    households: ir.Table,
    members: ir.Table,
    scores: ir.Table | pl.DataFrame,
    programs: Sequence[Program],
    *,
    as_of: dt.date | None = None,
    at: dt.date | None = None,
    scope: Literal["all", "poor"] = "all",
    poor_margin: float = 1.0,
    deprivations: bool = True,
    backend: Any | None = None,
) -> pl.DataFrame:
    """One row per eligible (household, program) pair not already received; see the module docstring.

    ``households``/``members``: the registry (Ibis tables); ``scores``: PMT scores of the same households
    (``SCORE_COLUMNS``); ``as_of``: date ages are taken at; ``at``: date of the parameter values (latest when
    None). Columns: ``household_id, district_code, village_code, program, strategy, funder_type, cost_rp,
    beneficiaries, effect_full_rp_pc_month, take_up, effect_rp_pc_month, welfare_rp_month, line_rp_month,
    residual_sd, household_size, welfare_decile`` (+ ``registry_desil`` when the scores carry it), sorted by
    household and program.
    """
    if not programs:
        raise PlanError("build_candidates needs at least one program")
    score_frame = scores if isinstance(scores, pl.DataFrame) else to_polars(scores)
    missing = [c for c in SCORE_COLUMNS if c not in score_frame.columns]
    if missing:
        raise PlanError(f"the PMT scores lack {', '.join(missing)} (score the registry with `entas target score`)")
    if poor_margin <= 0:
        raise PlanError(f"poor_margin must be positive, got {poor_margin}")
    rules = eligibility(households, members, programs, as_of=as_of, at=at, backend=backend)
    flags = sorted({f for fs in RECEIPT_FLAGS.values() for f in fs if f in households.columns})
    if flags:
        rules = rules.join(households.select("household_id", *flags), "household_id")
    parts = []
    for program in programs:
        code = program.code
        receives: Any = ibis.literal(False)
        for flag in RECEIPT_FLAGS.get(code, ()):
            if flag in flags:
                receives = receives | rules[flag].fill_null(False)
        parts.append(rules.filter(rules[code] & ~receives).select(
            "household_id", program=ibis.literal(code), beneficiaries=rules[f"{code}_beneficiaries"],
            effect_full_rp_pc_month=rules[f"{code}_effect_rp_pc_month"]))
    pairs = to_polars(ibis.union(*parts) if len(parts) > 1 else parts[0])
    table = program_table(programs, at).select("program", "strategy", "funder_type", "unit_cost_rp", "take_up")
    keep = [*SCORE_COLUMNS, *(["registry_desil"] if "registry_desil" in score_frame.columns else [])]
    scored = score_frame.select(keep).rename({"predicted_welfare_rp_month": "welfare_rp_month",
                                              "line_extreme_rp_month": "line_rp_month"})
    if scope == "poor":
        scored = scored.filter(pl.col("welfare_rp_month") < pl.col("line_rp_month") * poor_margin)
    elif scope != "all":
        raise PlanError(f"unknown scope {scope!r}; use 'all' or 'poor'")
    out = (pairs.join(scored, on="household_id", how="inner").join(table, on="program", how="left")
           .filter(pl.col("beneficiaries") > 0)
           .with_columns(cost_rp=pl.col("unit_cost_rp") * pl.col("beneficiaries"),
                         effect_rp_pc_month=pl.col("effect_full_rp_pc_month").fill_null(0.0) * pl.col("take_up"),
                         household_size=pl.col("household_size").cast(pl.Float64))
           .drop("unit_cost_rp"))
    if deprivations:
        out = _with_deprivations(out, households, members, programs, as_of, backend)
    order = ["household_id", "district_code", "village_code", "program", "strategy", "funder_type", "cost_rp",
             "beneficiaries", "effect_full_rp_pc_month", "take_up", "effect_rp_pc_month", "welfare_rp_month",
             "line_rp_month", "residual_sd", "household_size", "welfare_decile",
             *(["registry_desil"] if "registry_desil" in out.columns else []),
             *(["deprivations_removed"] if deprivations else [])]
    return out.select(order).sort("household_id", "program")


def _with_deprivations(pairs: pl.DataFrame, households: ir.Table, members: ir.Table, programs: Sequence[Program],
                       as_of: dt.date | None, backend: Any | None) -> pl.DataFrame:
    """``deprivations_removed`` = persons x the program's indicators the household is deprived in (null = 0)."""
    from entas.pockets.deprivation import deprivation_indicators

    removes = {p.code: p.removes_deprivations for p in programs if p.removes_deprivations}
    names = sorted({name for names in removes.values() for name in names})
    if not names:
        return pairs.with_columns(deprivations_removed=pl.lit(0.0))
    flags = to_polars(deprivation_indicators(households, members, as_of=as_of, backend=backend).select(
        "household_id", *names))
    count = pl.lit(0.0)
    for code, indicators in removes.items():
        here = pl.sum_horizontal(pl.col(n).fill_null(0).cast(pl.Float64) for n in indicators)
        count = pl.when(pl.col("program") == code).then(here).otherwise(count)
    joined = pairs.join(flags, on="household_id", how="left")
    return joined.with_columns(deprivations_removed=count * pl.col("household_size")).drop(names)
