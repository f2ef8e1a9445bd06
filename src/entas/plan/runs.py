"""Planning runs on the snapshot store: what ``entas plan`` and ``entas simulate`` (and ``entas demo``) do.

``run_plan`` reads the current registry and PMT scores, builds the candidates, allocates under a budget
file, computes the least budget by district and stores a ``plan`` snapshot whose manifest is the run record
(inputs, budget file and its SHA-256, options, assumptions, versions, seconds). ``run_simulation`` projects
a plan under named scenarios (registry with PMT draws; the plan rule replayed on the survey) and stores a
``simulation`` snapshot. ``write_plan_lists`` writes the by-name lists of a stored plan. The faces only
parse options and render.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from entas.errors import EntasError
from entas.progress import ProgressReporter
from entas.registry.snapshots import SnapshotStore

__all__ = ["PlanRun", "SimulationRun", "current_snapshot", "file_record", "run_plan", "run_simulation", "versions",
           "write_plan_lists"]


@dataclass(frozen=True)
class PlanRun:
    snapshot_id: str
    spend: pl.DataFrame
    least_budget: pl.DataFrame
    record: dict[str, Any]


@dataclass(frozen=True)
class SimulationRun:
    snapshot_id: str
    path: pl.DataFrame
    zero_year: pl.DataFrame
    survey_path: pl.DataFrame | None


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


def current_snapshot(store: SnapshotStore, kind: str, advice: str) -> str:
    snapshot = store.current(kind)
    if snapshot is None:
        raise EntasError(f"no {kind} snapshot under {store.home}: {advice}")
    return str(snapshot)


def _noop(step: str, done: int, total: int) -> None:
    return None


def run_plan(store: SnapshotStore, *, budget: Path | None = None, objective: str = "headcount",
             method: str = "greedy", expected: bool = True, deprivations: bool = True, year: int | None = None,
             threshold: float = 0.5, threshold_rate: float | None = None, backend: Any | None = None,
             progress: ProgressReporter | None = None, notes: list[str] | None = None) -> PlanRun:
    """Plan on the current registry and scores; store and return the ``plan`` snapshot (see module docstring).

    ``notes`` collects remarks for the user (e.g. scores made on another registry snapshot).
    """
    from entas.engine import connect, register
    from entas.plan.allocate import allocate
    from entas.plan.budgets import DEFAULT_BUDGETS, load_budgets
    from entas.plan.candidates import assumptions, build_candidates
    from entas.plan.least_budget import least_budget
    from entas.programs.catalog import load_catalog

    report = progress or _noop
    started = time.perf_counter()
    report("plan", 0, 4)
    registry = current_snapshot(store, "registry", "run `entas import registry FILE` or `entas demo` first")
    scores_id = current_snapshot(store, "target-scores", "run `entas target fit` and `entas target score`")
    score_manifest = store.manifest("target-scores", scores_id)
    if score_manifest.get("registry_snapshot") != registry and notes is not None:
        notes.append(f"the scores ({scores_id}) were made on registry {score_manifest.get('registry_snapshot')}, "
                     f"not the current {registry}")
    plan_year = year or int(score_manifest["year"]) + 1
    as_of = dt.date(plan_year, 1, 1)
    programs = load_catalog()
    budget_file = budget or DEFAULT_BUDGETS
    budgets = load_budgets(budget_file, programs=[p.code for p in programs])
    households = store.read("registry", "households", registry)
    members = store.read("registry", "members", registry)
    scores = store.read("target-scores", "scores", scores_id)
    report("plan", 1, 4)
    con = backend if backend is not None else connect()
    h = register(con, households, "plan_households")
    m = register(con, members, "plan_members")
    candidates = build_candidates(h, m, scores, programs, as_of=as_of, at=as_of, deprivations=deprivations,
                                  backend=con)
    del households, members
    report("plan", 2, 4)
    allocation = allocate(candidates, budgets.drop("status", "source"), objective=objective,  # type: ignore[arg-type]
                          method=method, expected=expected, deprivations=deprivations)  # type: ignore[arg-type]
    report("plan", 3, 4)
    population = scores.group_by("district_code").agg(persons=pl.col("household_size").sum())
    least = least_budget(candidates, objective=objective, expected=expected,  # type: ignore[arg-type]
                         threshold=threshold, threshold_rate=threshold_rate, population=population)
    report("plan", 4, 4)
    assignments = allocation.plan.join(
        candidates.select("household_id", "program", "village_code", "strategy", "funder_type", "take_up",
                          "effect_full_rp_pc_month"), on=["household_id", "program"], how="left")
    record = {
        "mode": "analysis", "registry_snapshot": registry, "scores_snapshot": scores_id,
        "model_snapshot": score_manifest.get("model_snapshot"), "year": plan_year, "as_of": as_of.isoformat(),
        "budget_file": file_record(Path(budget_file)), "objective": objective, "method": method,
        "welfare": "expected" if expected else "median", "deprivations": deprivations, "threshold": threshold,
        "threshold_rate": threshold_rate, "before": allocation.before, "after": allocation.after,
        "bound": allocation.bound, "gap_to_bound": allocation.gap_to_bound, "status": allocation.status,
        "method_version": allocation.method_version, "assumptions": assumptions(programs, as_of),
        "budget_assumptions": budgets.filter(pl.col("status") == "assumption")["key"].to_list(),
        "versions": versions(), "seconds": round(time.perf_counter() - started, 2),
        "candidates": candidates.height, "programs": candidates["program"].n_unique(),
    }
    snapshot, _ = store.commit("plan", {"assignments": assignments, "spend": allocation.spend,
                                        "least_budget": least}, manifest_extra=record)
    return PlanRun(snapshot, allocation.spend, least, record)


def write_plan_lists(store: SnapshotStore, folder: Path, *, plan_id: str | None = None, fmt: str = "xlsx",
                     personal: str = "masked") -> pl.DataFrame:
    """By-name lists of a stored plan, one file per (stakeholder, district); returns what was written."""
    from entas.plan.lists import assignment_list, write_lists
    from entas.programs.catalog import load_catalog

    chosen = plan_id or current_snapshot(store, "plan", "run `entas plan` first")
    registry = str(store.manifest("plan", chosen)["registry_snapshot"])
    frame = assignment_list(store.read("plan", "assignments", chosen), store.read("registry", "households", registry),
                            store.read("registry", "members", registry), load_catalog(),
                            personal=personal)  # type: ignore[arg-type]
    return write_lists(frame, folder, fmt=fmt)  # type: ignore[arg-type]


def run_simulation(store: SnapshotStore, *, scenarios: Sequence[str] | None = None, plan_id: str | None = None,
                   years: tuple[int, ...] | None = None, draws: int | None = None, seed: int | None = None,
                   survey: bool = True, progress: ProgressReporter | None = None) -> SimulationRun:
    """Project a stored plan under scenarios (names or files); store and return the ``simulation`` snapshot."""
    from entas.plan.scenario import list_scenarios, load_scenario
    from entas.plan.simulate import combine, project_registry, run_record, simulate_survey

    report = progress or _noop
    chosen = plan_id or current_snapshot(store, "plan", "run `entas plan` first")
    manifest = store.manifest("plan", chosen)
    scores_id = str(manifest["scores_snapshot"])
    scores = store.read("target-scores", "scores", scores_id)
    assignments = store.read("plan", "assignments", chosen)
    loaded = [load_scenario(name) for name in (scenarios or list_scenarios())]
    if years is not None:
        loaded = [dataclasses.replace(s, years=years) for s in loaded]
    steps = len(loaded) * (2 if survey else 1)
    done = 0
    projections, records, survey_frames = [], [], []
    replay = None
    for item in loaded:
        report("simulate", done, steps)
        projection = project_registry(scores, item, assignments, draws=draws, seed=seed)
        projections.append(projection)
        records.append(run_record(item, projection=projection,
                                  snapshot_ids={"plan": chosen, "target-scores": scores_id}))
        done += 1
        if survey:
            if replay is None:
                replay = _survey_replay(store, manifest)
            households, design, survey_assignments, survey_id = replay
            survey_frames.append(simulate_survey(households, design, item, survey_assignments,
                                                 snapshot_id=survey_id))
            done += 1
    report("simulate", steps, steps)
    path, zero = combine(projections)
    tables = {"path": path, "zero_year": zero}
    if survey_frames:
        tables["survey_path"] = pl.concat(survey_frames, how="diagonal_relaxed")
    snapshot, _ = store.commit("simulation", tables, manifest_extra={
        "mode": "analysis", "plan_snapshot": chosen, "scores_snapshot": scores_id, "runs": records,
        "versions": versions(), "budget_file": manifest.get("budget_file")})
    return SimulationRun(snapshot, path, zero, tables.get("survey_path"))


def _survey_replay(store: SnapshotStore, manifest: dict[str, Any]) -> tuple[pl.DataFrame, Any, pl.DataFrame, str]:
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
                         objective=manifest["objective"], method=manifest["method"],
                         expected=manifest["welfare"] == "expected",
                         deprivations=bool(manifest.get("deprivations", False)))
    return result.households, survey_design(households, lonely_psu="adjust"), result.plan, survey_id
