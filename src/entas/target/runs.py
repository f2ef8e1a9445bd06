"""Targeting runs on the snapshot store: what ``entas target fit`` and ``entas target score`` (and the demo) do.

``run_fit`` fits the PMT on a survey snapshot and stores a ``target-model`` snapshot naming it;
``run_score`` scores the current registry with the current model and stores ``target-scores`` naming both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from entas.errors import EntasError
from entas.registry.snapshots import TABLE_FILES, SnapshotStore

__all__ = ["ScoreRun", "load_model", "run_evaluate", "run_fit", "run_score"]


@dataclass(frozen=True)
class ScoreRun:
    snapshot_id: str
    scores: pl.DataFrame


def _current(store: SnapshotStore, kind: str, advice: str) -> str:
    snapshot = store.current(kind)
    if snapshot is None:
        raise EntasError(f"no {kind} snapshot under {store.home}: {advice}")
    return str(snapshot)


def run_fit(store: SnapshotStore, *, survey: str | None = None, district_effects: Any = True,
            selection: str = "backward", folds: int = 5, seed: int = 0) -> tuple[Any, str]:
    """Fit the PMT on ``survey`` (default: the current survey snapshot); store it; return (model, snapshot id)."""
    from entas.measure.survey_measures import survey_year
    from entas.target.model_store import model_manifest, model_tables
    from entas.target.pmt import fit_pmt

    chosen = survey or _current(store, "survey", "run `entas import survey FILE` or `entas demo` first")
    households, members = store.read("survey", "households", chosen), store.read("survey", "members", chosen)
    model = fit_pmt(households, members, district_effects=district_effects, selection=selection,  # type: ignore[arg-type]
                    folds=folds, seed=seed, snapshot_id=chosen)
    snapshot, _ = store.commit("target-model", model_tables(model), manifest_extra={
        "mode": "analysis", "survey_snapshot": chosen, "year": survey_year(households), **model_manifest(model)})
    return model, snapshot


def load_model(store: SnapshotStore) -> tuple[Any, str, dict[str, Any]]:
    """The current PMT model, its snapshot id and manifest."""
    from entas.target.model_store import model_from_snapshot

    snapshot = _current(store, "target-model", "run `entas target fit` first")
    manifest = store.manifest("target-model", snapshot)
    tables = {t: store.read("target-model", t, snapshot) for t in TABLE_FILES["target-model"]}
    return model_from_snapshot(tables, manifest), snapshot, manifest


def run_score(store: SnapshotStore, *, extreme_basis: str | None = None, backend: Any | None = None) -> ScoreRun:
    """Score the current registry with the current model; store and return ``target-scores``."""
    from entas.engine import connect, register, to_polars
    from entas.measure.lines import default_basis
    from entas.target.score import lines_for_year, score_registry

    model, model_snapshot, manifest = load_model(store)
    registry = _current(store, "registry", "run `entas import registry FILE` or `entas demo` first")
    year = int(manifest["year"])
    basis = extreme_basis or default_basis(year, "extreme")
    con = backend if backend is not None else connect()
    households = register(con, store.read("registry", "households", registry), "registry_households")
    members = register(con, store.read("registry", "members", registry), "registry_members")
    scored = to_polars(score_registry(model, households, members, lines=lines_for_year(year, extreme_basis=basis),
                                      by_district=True, keep=["welfare_decile"]))
    snapshot, _ = store.commit("target-scores", {"scores": scored}, manifest_extra={
        "mode": "analysis", "registry_snapshot": registry, "model_snapshot": model_snapshot, "year": year,
        "extreme_basis": basis})
    return ScoreRun(snapshot, scored)


def run_evaluate(store: SnapshotStore, *, test_share: float = 0.3, seed: int = 0) -> tuple[Any, str]:
    """Targeting errors on held-out survey PSUs (``entas.target.evaluate``); stored as ``target-evaluation``
    naming the survey snapshot; returns (``Evaluation``, snapshot id)."""
    from entas.measure.survey_measures import survey_year
    from entas.target.evaluate import held_out_evaluation

    chosen = _current(store, "survey", "run `entas import survey FILE` or `entas demo` first")
    households, members = store.read("survey", "households", chosen), store.read("survey", "members", chosen)
    result = held_out_evaluation(households, members, year=survey_year(households), test_share=test_share,
                                 seed=seed, snapshot_id=chosen)
    snapshot, _ = store.commit("target-evaluation", {"errors": result.errors, "curve": result.curve},
                               manifest_extra={"mode": "analysis", "survey_snapshot": chosen,
                                               "test_share": test_share, "seed": seed})
    return result, snapshot
