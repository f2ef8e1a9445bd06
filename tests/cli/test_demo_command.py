"""`entas demo` end to end at a small scale: generate, import, summarise, and say where everything is."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo

runner = CliRunner()


def test_demo_imports_every_generated_row_and_lists_its_outputs(tmp_path: Path) -> None:
    summary = run_demo(tmp_path, scale=0.01, seed=3)
    assert (summary.counts["read"] == summary.counts["accepted"] + summary.counts["rejected"]).all()
    assert summary.counts["rejected"].sum() == 0
    for path in summary.outputs.values():
        assert path.exists(), path
    total = summary.districts.filter(pl.col("district") == "Total").row(0, named=True)
    households = pl.read_parquet(tmp_path / "synth" / "64-2024" / "registry_households.parquet")
    assert total["households"] == households.height
    assert total["persons"] == households["household_size"].sum()
    assert summary.districts.height == 11


def test_demo_command_prints_the_summary_and_the_output_paths(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--scale", "0.01", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Registry by district" in result.stdout
    assert "Mahakam" in result.stdout
    assert str(tmp_path) in result.stdout
