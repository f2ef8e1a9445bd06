"""The plan rule applied to the survey: population rates with standard errors from the survey design.

The registry plan names households but its outcome is a prediction; the survey observes consumption but its
households are not in the registry. So the *rule* that made the plan is replayed on the weighted survey:
survey households are scored by the same PMT, their candidates built from the same catalog, and the same
budgets allocated with each household standing for ``weight`` households (``allocate`` with a ``weight``
column). Selection uses what a planner sees (the PMT prediction, as on the registry); the outcome is the
household's *observed* consumption plus the effects it receives, so targeting errors show in the rates.
``entas.plan.simulate.simulate_survey`` then grows consumption by year and estimates extreme poverty with the
design's standard errors.

Limits: the SE is the survey's sampling error given the rule, not the uncertainty of the plan; a survey
household of weight w is assigned whole (w households at once), so budgets are met in steps of w
households; eligibility needs the rule's fields in the survey (a rule reading a field the survey lacks is
unknown, i.e. not eligible).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from entas.engine import connect, register, to_polars
from entas.plan.allocate import Allocation, Objective, allocate
from entas.plan.candidates import build_candidates
from entas.plan.simulate import plan_with_take_up
from entas.programs.catalog import Program
from entas.target.pmt import PMTModel
from entas.target.score import lines_for_year, score_registry

__all__ = ["SurveyPlan", "survey_plan"]


@dataclass(frozen=True)
class SurveyPlan:
    """``households``: survey households with ``district_code`` and ``line_extreme_rp_month``; ``plan``: the
    assignments (with take-up columns) on them; ``allocation``: the weighted allocation."""

    households: pl.DataFrame
    plan: pl.DataFrame
    allocation: Allocation


def survey_plan(survey_households: pl.DataFrame, survey_members: pl.DataFrame, model: PMTModel,
                programs: Sequence[Program], budgets: pl.DataFrame, *, year: int, extreme_basis: str,
                as_of: dt.date, objective: Objective = "headcount", method: str = "greedy",
                expected: bool = True, deprivations: bool = False, backend: Any | None = None) -> SurveyPlan:
    """Score the survey with ``model``, build its candidates and allocate ``budgets`` over the weighted sample."""
    con = backend if backend is not None else connect()
    h = register(con, survey_households, "survey_plan_households")
    m = register(con, survey_members, "survey_plan_members")
    keep = [c for c in ("welfare_decile",) if c in survey_households.columns]
    scored = to_polars(score_registry(model, h, m, lines=lines_for_year(year, extreme_basis=extreme_basis),
                                      weight="weight", keep=keep))
    candidates = build_candidates(h, m, scored, programs, as_of=as_of, at=as_of, deprivations=deprivations,
                                  backend=con)
    weights = survey_households.select("household_id", pl.col("weight").cast(pl.Float64))
    candidates = candidates.join(weights, on="household_id", how="left")
    allocation = allocate(candidates, budgets, objective=objective, method=method,  # type: ignore[arg-type]
                          expected=expected, deprivations=deprivations)
    lines = scored.select("household_id", "line_extreme_rp_month")
    households = survey_households.join(lines, on="household_id", how="left")
    return SurveyPlan(households, plan_with_take_up(allocation.plan, candidates), allocation)
