"""`entas measure` as an analyst runs it: on the current snapshot, on a file, with bad options."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("home")
    run_demo(folder, scale=0.02, seed=4)
    return folder


def test_measure_prints_every_column_of_the_contract_as_json(home: Path) -> None:
    result = runner.invoke(app, ["measure", "--home", str(home), "--by", "district", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = pl.DataFrame(json.loads(result.stdout))
    for column in ("level", "area", "measure", "line", "estimate", "se", "ci_low", "ci_high", "cv", "deff", "n",
                   "df", "method", "snapshot_id"):
        assert column in rows.columns
    assert rows["area"].n_unique() == 10
    assert rows["snapshot_id"].unique().to_list()[0].startswith("survey-")


def test_measure_reads_a_survey_file(home: Path) -> None:
    survey_file = home / "synth" / "64-2024" / "survey_households.parquet"
    result = runner.invoke(app, ["measure", "--survey", str(survey_file), "--line", "600000", "--by", "province",
                                 "--measures", "headcount_ratio", "--format", "csv"])
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(result.stdout.encode())
    assert frame["line"].to_list() == ["Rp600,000"]


def test_table_output_shows_ratios_in_percent(home: Path) -> None:
    result = runner.invoke(app, ["measure", "--home", str(home), "--by", "province", "--measures", "headcount_ratio",
                                 "--line", "national"])
    assert result.exit_code == 0, result.output
    assert "ratios in %" in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--line", "moderate"], "unknown line"), (["--measures", "gini_x"], "unknown measures"),
     (["--survey", "survey-9999-none"], "survey-9999-none")],
)
def test_bad_options_exit_with_code_2(home: Path, options: list[str], message: str) -> None:
    result = runner.invoke(app, ["measure", "--home", str(home), *options])
    assert result.exit_code == 2
    assert message in result.output
