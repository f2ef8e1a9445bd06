"""One small province with every snapshot a report reads, built once for the report tests (about a minute)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo


@pytest.fixture(scope="session")
def full_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo (scale 0.01) -> target fit/score/evaluate -> pockets -> plan -> simulate, as a user runs them."""
    folder = tmp_path_factory.mktemp("report-home")
    run_demo(folder, scale=0.01, seed=4)
    runner = CliRunner()
    for command in (["target", "fit", "--selection", "none"], ["target", "score"], ["target", "evaluate"],
                    ["pockets", "--bootstrap", "2", "--permutations", "99"], ["plan"],
                    ["simulate", "--draws", "10"]):
        result = runner.invoke(app, [*command, "--home", str(folder), "--format", "csv"])
        assert result.exit_code == 0, (command, result.output)
    return folder


@pytest.fixture
def home_copy(full_home: Path, tmp_path: Path) -> Path:
    """A private copy of the full home, for tests that remove snapshots or import boundaries."""
    target = tmp_path / "home"
    shutil.copytree(full_home, target, ignore=shutil.ignore_patterns("synth"))
    return target
