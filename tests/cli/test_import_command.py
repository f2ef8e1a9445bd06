"""`entas import` and `entas snapshots` as a data administrator runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from entas.cli import app

runner = CliRunner()
MESSY = Path(__file__).parents[1] / "fixtures" / "messy"
MESSY_FILES = [MESSY / name for name in ("households_latin1.csv", "members_semicolon.csv", "p3ke_export.xlsx")]


def test_import_prints_counts_that_add_up_and_where_the_rejects_are(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import", "registry", *map(str, MESSY_FILES), "--home", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    counts = pl.DataFrame(json.loads(result.stdout))
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()
    assert counts["rejected"].sum() > 0
    rejects = list((tmp_path / "rejects").glob("registry-*.csv"))
    assert len(rejects) == 1
    assert str(rejects[0].name) in result.stderr.replace("\n", "")


def test_a_missing_file_exits_with_code_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    result = runner.invoke(app, ["import", "registry", str(missing), "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "nowhere.csv" in result.output
    assert "Traceback" not in result.output


def test_snapshots_lists_the_current_snapshot(tmp_path: Path) -> None:
    runner.invoke(app, ["import", "registry", *map(str, MESSY_FILES), "--home", str(tmp_path)])
    result = runner.invoke(app, ["snapshots", "registry", "--home", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("snapshot_id") or "registry-0001" in result.stdout
    assert "registry-0001" in result.stdout


def test_unknown_dataset_kind_exits_with_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["snapshots", "ledger", "--home", str(tmp_path)])
    assert result.exit_code == 2
