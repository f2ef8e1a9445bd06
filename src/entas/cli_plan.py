"""``entas plan`` and ``entas simulate``: the planning runs of ``entas.plan.runs``, as a user runs them.

A face: it parses options, calls ``run_plan`` / ``run_simulation`` (which read the snapshots, compute and
store a ``plan`` or ``simulation`` snapshot whose manifest is the run record), writes the by-name lists when
asked, and renders.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from entas.cli_support import (
    EngineChoice,
    FormatOption,
    HomeOption,
    OutputFormat,
    engine_backend,
    entas_home,
    progress_bar,
    render,
    run_guarded,
    stderr,
)
from entas.errors import EntasError


class ObjectiveOption(StrEnum):
    headcount = "headcount"
    gap = "gap"
    severity = "severity"


class MethodOption(StrEnum):
    auto = "auto"
    greedy = "greedy"
    lagrange = "lagrange"
    lp = "lp"
    mip = "mip"
    lowest_desil = "lowest_desil"
    first_come = "first_come"


class WelfareOption(StrEnum):
    expected = "expected"
    median = "median"


class ListFormatOption(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    parquet = "parquet"


class PersonalOption(StrEnum):
    masked = "masked"
    full = "full"
    none = "none"


def plan(
    budget: Annotated[Path | None, typer.Option(help="Budget file (CSV/Excel: kind,key,budget_rp,...,status,"
                                                     "source); default: the illustrative Kaltim file.")] = None,
    objective: Annotated[ObjectiveOption, typer.Option(help="What to minimize: extremely poor persons, their "
                                                            "gap or severity.")] = ObjectiveOption.headcount,
    method: Annotated[MethodOption, typer.Option(
        help="auto: lagrange for the headcount on known (median) welfare, else greedy; lagrange/lp/mip need "
             "known welfare; lowest_desil and first_come are the rules used today, for comparison.")] = (
        MethodOption.auto),
    welfare: Annotated[WelfareOption, typer.Option(
        help="expected: each household counts with its PMT probability of extreme poverty (default); median: "
             "the predicted welfare taken as known.")] = WelfareOption.expected,
    year: Annotated[int | None, typer.Option(help="Plan year: ages and program parameters at 1 January "
                                                  "(default: the year after the scores').")] = None,
    threshold: Annotated[float, typer.Option(help="Least-budget target: persons left per district (0 = zero; "
                                                  "with --welfare expected zero is out of reach).")] = 0.5,
    threshold_rate: Annotated[float | None, typer.Option(help="Least-budget target as a share of each "
                                                              "district's persons instead.")] = None,
    deprivations: Annotated[bool, typer.Option(help="Secondary objective: money the poverty objective leaves buys "
                                                    "the most person-deprivations removed per rupiah.")] = True,
    lists: Annotated[Path | None, typer.Option(help="Write by-name lists per stakeholder and district here.")] = None,
    list_format: Annotated[ListFormatOption, typer.Option(help="Format of the lists.")] = ListFormatOption.xlsx,
    personal: Annotated[PersonalOption, typer.Option(help="NIK and names in the lists: masked NIK (default), "
                                                          "full, or none.")] = PersonalOption.masked,
    engine: EngineChoice = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Allocate programs to households under a budget file, with the least budget to reach the target."""
    from entas.plan.runs import PlanRun, run_plan, write_plan_lists
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))
    backend = engine_backend(engine)
    expected = welfare is WelfareOption.expected
    notes: list[str] = []

    def run() -> tuple[PlanRun, pl.DataFrame | None]:
        with progress_bar() as progress:
            chosen = method.value
            if method is MethodOption.auto:
                chosen = "lagrange" if objective is ObjectiveOption.headcount and not expected else "greedy"
            result = run_plan(store, budget=budget, objective=objective.value, method=chosen,
                              expected=expected, deprivations=deprivations, year=year, threshold=threshold,
                              threshold_rate=threshold_rate, backend=backend, progress=progress, notes=notes)
        written = None
        if lists is not None:
            written = write_plan_lists(store, lists, plan_id=result.snapshot_id, fmt=list_format.value,
                                       personal=personal.value)
        return result, written

    result, written = run_guarded(run)
    for note in notes:
        stderr.print(f"note: {note}")
    record = result.record
    unit = "expected extremely poor persons" if expected else "extremely poor persons (predicted median)"
    if objective is not ObjectiveOption.headcount:
        unit = f"{objective.value} (persons x FGT)"
    bound = "" if record["gap_to_bound"] is None else f"; gap to the LP bound {record['gap_to_bound']:.2%}"
    render(result.spend.filter(pl.col("level") != "district"), fmt,
           title=f"Plan {result.snapshot_id}: {unit} {record['before']:,.1f} -> {record['after']:,.1f}{bound}")
    least = result.least_budget
    render(least.select("district_code", "before", "floor", "budget_near_floor_rp", "target", "reached", "budget_rp",
                        "after", "households",
                        *(c for c in least.columns if c in ("expenditure_burden_rp", "income_rp", "pockets_rp"))),
           fmt, title="Least budget to reach the target by district (composition by strategy, rupiah a year)")
    if record["budget_assumptions"]:
        stderr.print(f"assumed (unsourced) budget amounts: {', '.join(record['budget_assumptions'])}")
    if written is not None:
        stderr.print(f"by-name lists: {written.height} files under {lists}")
    stderr.print(f"stored: {store.folder('plan') / result.snapshot_id}")


def _years(text: str) -> tuple[int, ...]:
    """``2024-2026`` or ``2024,2025,2026`` -> the years."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            return tuple(range(first, last + 1))
        return tuple(int(part) for part in text.split(","))
    except ValueError as error:
        raise EntasError(f"--years takes FIRST-LAST or a comma list of years, not {text!r}") from error


def simulate(
    scenario: Annotated[list[str] | None, typer.Option(
        help="Scenario name (baseline, plan, slow) or YAML file; repeat for several (default: all three).")] = None,
    plan_id: Annotated[str | None, typer.Option("--plan", help="Plan snapshot id (default: the current one).")] = None,
    years: Annotated[str | None, typer.Option(help="Years, e.g. 2024-2026 (default: the scenario's).")] = None,
    draws: Annotated[int | None, typer.Option(help="PMT draws (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    survey: Annotated[bool, typer.Option(help="Also replay the plan rule on the survey (rates with SEs).")] = True,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Project extreme poverty year by year under scenarios, with the plan rolled out; the year each district
    reaches zero."""
    from entas.plan.runs import run_simulation
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))

    def run() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, str]:
        wanted = _years(years) if years is not None else None
        with progress_bar() as progress:
            result = run_simulation(store, scenarios=scenario, plan_id=plan_id, years=wanted, draws=draws,
                                    seed=seed, survey=survey, progress=progress)
        return result.path, result.zero_year, result.survey_path, result.snapshot_id

    path, zero, survey_path, snapshot = run_guarded(run)
    province = path.filter(pl.col("level") == "province")
    if fmt is OutputFormat.table:
        province = province.select("scenario", "year", "assignments_delivered", "poor_persons", "poor_persons_p05",
                                   "poor_persons_p95", "deterministic_poor_persons", "rate")
    render(province, fmt, title=f"Simulation {snapshot}: expected extremely poor persons in the registry by year "
                                "(90% band over PMT draws; no-draw = the median prediction)")
    if survey_path is not None:
        rates = survey_path.filter((pl.col("level") == "province") & (pl.col("measure") == "headcount_ratio"))
        if fmt is OutputFormat.table:
            rates = rates.select("scenario", "year", "variant", "estimate", "se", "ci_low", "ci_high")
        render(rates, fmt, title="The plan rule replayed on the survey: extreme poverty rate with design SEs "
                                 "(observed consumption; before = growth only)")
    render(zero, fmt, title="Year each area reaches zero (expected count, 95th percentile, no-draw path)")
    stderr.print(f"stored: {store.folder('simulation') / snapshot}")
