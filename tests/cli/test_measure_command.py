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


def test_focus_tests_every_district_against_the_province(home: Path) -> None:
    result = runner.invoke(app, ["measure", "--home", str(home), "--focus", "--by", "district", "--line", "national",
                                 "--measures", "headcount_ratio", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = pl.DataFrame(json.loads(result.stdout))
    assert rows.height == 10
    assert set(rows["parent_area"].to_list()) == {"64"}
    assert {"p_value", "p_adjusted", "significant_above"} <= set(rows.columns)


def test_compare_tests_the_change_from_an_earlier_round(home: Path, tmp_path: Path) -> None:
    earlier = runner.invoke(app, ["synth", "--year", "2023", "--scale", "0.02", "--out", str(tmp_path / "s23")])
    assert earlier.exit_code == 0, earlier.output
    result = runner.invoke(app, ["measure", "--home", str(home), "--by", "province", "--line", "national",
                                 "--measures", "headcount_ratio", "--compare",
                                 str(tmp_path / "s23" / "survey_households.parquet"), "--format", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["difference"] == pytest.approx(row["estimate_after"] - row["estimate_before"])
    assert 0 <= row["p_value"] <= 1
