"""`entas pockets` as a user runs it after `entas demo`: ranked pockets printed and stored as a snapshot."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo
from entas.registry.snapshots import SnapshotStore

runner = CliRunner()


def test_pockets_ranks_villages_and_stores_a_snapshot_naming_its_inputs(tmp_path: Path) -> None:
    run_demo(tmp_path, scale=0.02, seed=2)
    result = runner.invoke(app, ["pockets", "--home", str(tmp_path), "--bootstrap", "2", "--permutations", "99",
                                 "--top", "5", "--format", "csv"])
    assert result.exit_code == 0, result.output
    shown = pl.read_csv(io.StringIO(result.stdout))
    assert shown["rank"].to_list() == [1, 2, 3, 4, 5]
    assert {"extreme_rate", "extreme_poor", "lacking", "hot_spot", "primary_strategy"} <= set(shown.columns)
    store = SnapshotStore(tmp_path)
    manifest = store.manifest("pockets")
    assert manifest["registry_snapshot"] == store.current("registry")
    assert manifest["survey_snapshot"] == store.current("survey")
    assert manifest["parameters"]["bootstrap"] == 2
    assert set(manifest["tables"]) == {"pockets", "small_area", "deprivation", "hot_spots", "public_works"}
    stored = store.read("pockets", "pockets")
    assert stored.height >= 1000 and stored.head(5)["area_code"].to_list() == shown["area_code"].to_list()
    listing = runner.invoke(app, ["snapshots", "pockets", "--home", str(tmp_path), "--format", "json"])
    assert json.loads(listing.stdout)[0]["current"] is True


def test_pockets_without_snapshots_exits_2_with_advice(tmp_path: Path) -> None:
    result = runner.invoke(app, ["pockets", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "entas demo" in " ".join(result.output.split())


def test_bad_options_are_refused_before_the_long_work(tmp_path: Path) -> None:
    run_demo(tmp_path, scale=0.01, seed=2)
    result = runner.invoke(app, ["pockets", "--home", str(tmp_path), "--permutations", "10"])
    assert result.exit_code == 2
    assert "permutations" in result.output and "ebp" not in result.output
