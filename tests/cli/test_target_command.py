"""`entas target fit|score|evaluate|verify-list` as a user runs them after `entas demo`.

Each command must store or read the snapshots it names, and the stored model must score exactly as the fitted
one (the round trip through the snapshot tables and manifest loses nothing).
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo
from entas.engine import connect, register, to_polars
from entas.registry.snapshots import TABLE_FILES, SnapshotStore
from entas.target.model_store import model_from_snapshot
from entas.target.pmt import fit_pmt
from entas.target.score import lines_for_year, score_registry

runner = CliRunner()


def test_fit_score_evaluate_and_verify_list(tmp_path: Path) -> None:
    run_demo(tmp_path, scale=0.02, seed=4)
    home = ["--home", str(tmp_path)]
    fitted = runner.invoke(app, ["target", "fit", *home, "--format", "csv"])
    assert fitted.exit_code == 0, fitted.output
    fit = pl.read_csv(io.StringIO(fitted.stdout))
    assert "all" in fit["district_code"].to_list() and fit["r2"].is_between(0, 1).all()
    store = SnapshotStore(tmp_path)
    assert store.manifest("target-model")["survey_snapshot"] == store.current("survey")

    scored = runner.invoke(app, ["target", "score", *home, "--format", "csv"])
    assert scored.exit_code == 0, scored.output
    summary = pl.read_csv(io.StringIO(scored.stdout))
    registry = store.read("registry", "households")
    assert summary["households"].sum() == registry.height
    manifest = store.manifest("target-scores")
    assert manifest["model_snapshot"] == store.current("target-model")
    assert manifest["registry_snapshot"] == store.current("registry")
    scores = store.read("target-scores", "scores")
    assert scores["prob_below_extreme"].is_between(0, 1).all()
    assert (scores["prob_below_extreme"] <= scores["prob_below_national"] + 1e-12).all()

    evaluated = runner.invoke(app, ["target", "evaluate", *home, "--curve", str(tmp_path / "curve.csv"),
                                    "--format", "csv"])
    assert evaluated.exit_code == 0, evaluated.output
    errors = pl.read_csv(io.StringIO(evaluated.stdout))
    assert set(errors["line"]) == {"line_extreme", "line_national"}
    # the synthetic survey is drawn from the registry, so it carries the registry's desil: evaluated beside
    assert set(errors["score"]) == {"predicted_log_welfare", "registry_desil"}
    assert (tmp_path / "curve.csv").exists()

    out = tmp_path / "visits.csv"
    listed = runner.invoke(app, ["target", "verify-list", *home, "--level", "district", "--visits", "10,100",
                                 "--out", str(out), "--format", "csv"])
    assert listed.exit_code == 0, listed.output
    yields = pl.read_csv(io.StringIO(listed.stdout))
    assert set(yields["visits"]) == {10, 100}
    visits = pl.read_csv(out)
    assert visits.height == registry.height and "nik" not in visits.columns and "name" not in visits.columns


def test_score_before_fit_exits_2(tmp_path: Path) -> None:
    run_demo(tmp_path, scale=0.01, seed=4)
    result = runner.invoke(app, ["target", "score", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "entas target fit" in " ".join(result.output.split())


def test_stored_model_scores_as_the_fitted_one(tmp_path: Path) -> None:
    run_demo(tmp_path, scale=0.01, seed=5)
    store = SnapshotStore(tmp_path)
    households, members = store.read("survey", "households"), store.read("survey", "members")
    model = fit_pmt(households, members, snapshot_id=store.current("survey"))
    from entas.target.model_store import model_manifest, model_tables

    snapshot, _ = store.commit("target-model", model_tables(model), manifest_extra={"mode": "analysis",
                                                                                    **model_manifest(model)})
    again = model_from_snapshot({t: store.read("target-model", t) for t in TABLE_FILES["target-model"]},
                                store.manifest("target-model", snapshot))
    backend = connect()
    hh = register(backend, store.read("registry", "households"), "hh")
    mem = register(backend, store.read("registry", "members"), "mem")
    lines = lines_for_year(2024, extreme_basis="USD 2.15 PPP 2017")
    first = to_polars(score_registry(model, hh, mem, lines=lines)).sort("household_id")
    second = to_polars(score_registry(again, hh, mem, lines=lines)).sort("household_id")
    assert_frame_equal(first, second)
