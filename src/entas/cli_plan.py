"""``entas plan``: allocate the programs of the catalog to registry households under a budget file.

A face: it reads the current registry and PMT-score snapshots, builds the candidates
(``entas.plan.candidates``), allocates (``entas.plan.allocate``), computes the least budget to reach the
target by district (``entas.plan.least_budget``), stores a ``plan`` snapshot whose manifest is the run record
(inputs, budget file and its hash, options, versions, time), optionally writes by-name lists, and renders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
    greedy = "greedy"
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


def versions() -> dict[str, str]:
    """Versions of entas and the libraries a plan or simulation depends on (for the run record)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("entas", "numpy", "polars", "highspy", "scipy", "ibis-framework", "duckdb"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def file_record(path: Path) -> dict[str, str]:
    """A file named in a run record: its path and SHA-256."""
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def current_snapshot(store: Any, kind: str, advice: str) -> str:
    snapshot = store.current(kind)
    if snapshot is None:
        raise EntasError(f"no {kind} snapshot under {store.home}: {advice}")
    return str(snapshot)


def plan(
    budget: Annotated[Path | None, typer.Option(help="Budget file (CSV/Excel: kind,key,budget_rp,...,status,"
                                                     "source); default: the illustrative Kaltim file.")] = None,
    objective: Annotated[ObjectiveOption, typer.Option(help="What to minimize: extremely poor persons, their "
                                                            "gap or severity.")] = ObjectiveOption.headcount,
    method: Annotated[MethodOption, typer.Option(help="greedy (default), lp/mip (known welfare), or "
                                                      "a rule used today for comparison.")] = MethodOption.greedy,
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
    from entas.engine import register
    from entas.plan.allocate import allocate
    from entas.plan.budgets import DEFAULT_BUDGETS, load_budgets
    from entas.plan.candidates import assumptions, build_candidates
    from entas.plan.least_budget import least_budget
    from entas.programs.catalog import load_catalog
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))
    backend = engine_backend(engine)
    expected = welfare is WelfareOption.expected

    def run() -> tuple[pl.DataFrame, pl.DataFrame, str, dict[str, Any], pl.DataFrame | None]:
        started = time.perf_counter()
        with progress_bar() as progress:
            progress("plan: read", 0, 4)
            registry = current_snapshot(store, "registry", "run `entas import registry FILE` or `entas demo` first")
            scores_id = current_snapshot(store, "target-scores", "run `entas target fit` and `entas target score`")
            score_manifest = store.manifest("target-scores", scores_id)
            if score_manifest.get("registry_snapshot") != registry:
                stderr.print(f"note: the scores ({scores_id}) were made on registry "
                             f"{score_manifest.get('registry_snapshot')}, not the current {registry}")
            plan_year = year or int(score_manifest["year"]) + 1
            as_of = dt.date(plan_year, 1, 1)
            programs = load_catalog()
            budget_file = budget or DEFAULT_BUDGETS
            budgets = load_budgets(budget_file, programs=[p.code for p in programs])
            households = store.read("registry", "households", registry)
            members = store.read("registry", "members", registry)
            scores = store.read("target-scores", "scores", scores_id)
            progress("plan: read", 1, 4)
            h = register(backend, households, "plan_households")
            m = register(backend, members, "plan_members")
            candidates = build_candidates(h, m, scores, programs, as_of=as_of, at=as_of, deprivations=deprivations,
                                          backend=backend)
            progress("plan: candidates", 2, 4)
            allocation = allocate(candidates, budgets.drop("status", "source"), objective=objective.value,
                                  method=method.value, expected=expected, deprivations=deprivations)
            progress("plan: allocation", 3, 4)
            population = scores.group_by("district_code").agg(persons=pl.col("household_size").sum())
            least = least_budget(candidates, objective=objective.value, expected=expected,
                                 threshold=threshold, threshold_rate=threshold_rate, population=population)
            progress("plan: least budget", 4, 4)
        details = candidates.unique("program").select("program", "strategy", "funder_type")
        assignments = allocation.plan.join(
            candidates.select("household_id", "program", "village_code", "strategy", "funder_type", "take_up",
                              "effect_full_rp_pc_month"), on=["household_id", "program"], how="left")
        written = None
        if lists is not None:
            from entas.plan.lists import assignment_list, write_lists

            frame = assignment_list(assignments, households, members, programs, personal=personal.value)
            written = write_lists(frame, lists, fmt=list_format.value)
        record = {
            "mode": "analysis", "registry_snapshot": registry, "scores_snapshot": scores_id,
            "model_snapshot": score_manifest.get("model_snapshot"), "year": plan_year, "as_of": as_of.isoformat(),
            "budget_file": file_record(Path(budget_file)), "objective": objective.value, "method": method.value,
            "welfare": welfare.value, "deprivations": deprivations, "threshold": threshold,
            "threshold_rate": threshold_rate,
            "before": allocation.before, "after": allocation.after, "bound": allocation.bound,
            "gap_to_bound": allocation.gap_to_bound, "status": allocation.status,
            "method_version": allocation.method_version, "assumptions": assumptions(programs, as_of),
            "budget_assumptions": budgets.filter(pl.col("status") == "assumption")["key"].to_list(),
            "versions": versions(), "seconds": round(time.perf_counter() - started, 2),
            "candidates": candidates.height, "programs": details.height,
        }
        snapshot, _ = store.commit("plan", {"assignments": assignments, "spend": allocation.spend,
                                            "least_budget": least}, manifest_extra=record)
        return allocation.spend, least, snapshot, record, written

    spend, least, snapshot, record, written = run_guarded(run)
    unit = "expected extremely poor persons" if expected else "extremely poor persons (predicted median)"
    if objective is not ObjectiveOption.headcount:
        unit = f"{objective.value} (persons x FGT)"
    bound = "" if record["gap_to_bound"] is None else f"; gap to the LP bound {record['gap_to_bound']:.2%}"
    render(spend.filter(pl.col("level") != "district"), fmt,
           title=f"Plan {snapshot}: {unit} {record['before']:,.1f} -> {record['after']:,.1f}{bound}")
    render(least.select("district_code", "before", "floor", "target", "reached", "budget_rp", "after", "households",
                        *(c for c in least.columns if c in ("expenditure_burden_rp", "income_rp", "pockets_rp"))),
           fmt, title="Least budget to reach the target by district (composition by strategy, rupiah a year)")
    if record["budget_assumptions"]:
        stderr.print(f"assumed (unsourced) budget amounts: {', '.join(record['budget_assumptions'])}")
    if written is not None:
        stderr.print(f"by-name lists: {written.height} files under {lists}")
    stderr.print(f"stored: {store.folder('plan') / snapshot}")


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
    import dataclasses

    from entas.plan.scenario import list_scenarios, load_scenario
    from entas.plan.simulate import combine, project_registry, run_record, simulate_survey
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))
    names = scenario or list(list_scenarios())

    def run() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None, str]:
        chosen = plan_id or current_snapshot(store, "plan", "run `entas plan` first")
        manifest = store.manifest("plan", chosen)
        scores_id = str(manifest["scores_snapshot"])
        scores = store.read("target-scores", "scores", scores_id)
        assignments = store.read("plan", "assignments", chosen)
        scenarios = [load_scenario(name) for name in names]
        if years is not None:
            wanted = _years(years)
            scenarios = [dataclasses.replace(s, years=wanted) for s in scenarios]
        projections, records = [], []
        with progress_bar() as progress:
            steps = len(scenarios) * (2 if survey else 1)
            done = 0
            survey_frames = []
            replay = None
            for item in scenarios:
                progress("simulate", done, steps)
                projection = project_registry(scores, item, assignments, draws=draws, seed=seed)
                projections.append(projection)
                records.append(run_record(item, projection=projection,
                                          snapshot_ids={"plan": chosen, "target-scores": scores_id}))
                done += 1
                if survey:
                    if replay is None:
                        replay = _survey_replay(store, manifest)
                    households, design, survey_assignments, survey_id = replay
                    frame = simulate_survey(households, design, item, survey_assignments, snapshot_id=survey_id)
                    survey_frames.append(frame)
                    done += 1
            progress("simulate", steps, steps)
        path, zero = combine(projections)
        tables = {"path": path, "zero_year": zero}
        if survey_frames:
            tables["survey_path"] = pl.concat(survey_frames, how="diagonal_relaxed")
        snapshot, _ = store.commit("simulation", tables, manifest_extra={
            "mode": "analysis", "plan_snapshot": chosen, "scores_snapshot": scores_id, "runs": records,
            "versions": versions(), "budget_file": manifest.get("budget_file")})
        return path, zero, tables.get("survey_path"), snapshot

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


def _survey_replay(store: Any, manifest: dict[str, Any]) -> tuple[pl.DataFrame, Any, pl.DataFrame, str]:
    """The plan's rule replayed on the current survey: households with lines, design, assignments, snapshot."""
    from entas.measure.lines import default_basis
    from entas.measure.survey_measures import survey_design
    from entas.plan.budgets import load_budgets
    from entas.plan.survey_plan import survey_plan
    from entas.programs.catalog import load_catalog
    from entas.registry.snapshots import TABLE_FILES
    from entas.target.model_store import model_from_snapshot

    survey_id = current_snapshot(store, "survey", "run `entas import survey FILE` or `entas demo` first")
    model_id = str(manifest["model_snapshot"])
    model_manifest = store.manifest("target-model", model_id)
    model = model_from_snapshot({t: store.read("target-model", t, model_id) for t in TABLE_FILES["target-model"]},
                                model_manifest)
    households = store.read("survey", "households", survey_id)
    members = store.read("survey", "members", survey_id)
    programs = load_catalog()
    budgets = load_budgets(manifest["budget_file"]["path"], programs=[p.code for p in programs])
    year = int(model_manifest["year"])
    result = survey_plan(households, members, model, programs, budgets.drop("status", "source"), year=year,
                         extreme_basis=default_basis(year, "extreme"), as_of=dt.date.fromisoformat(manifest["as_of"]),
                         objective=manifest["objective"],
                         method=manifest["method"],
                         expected=manifest["welfare"] == "expected",
                         deprivations=bool(manifest.get("deprivations", False)))
    return result.households, survey_design(households, lonely_psu="adjust"), result.plan, survey_id
