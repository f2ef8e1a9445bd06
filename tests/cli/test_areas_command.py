"""`entas areas` as a user runs it: formats, levels, BPS codes, exit code 2 on a bad code."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from entas.cli import app

runner = CliRunner()


def test_areas_lists_the_ten_districts_as_json() -> None:
    result = runner.invoke(app, ["areas", "64", "--level", "district", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 10
    assert {"code": "64.07", "bps_district_code": "6402"}.items() <= rows[3].items()


def test_areas_prints_csv_villages_of_a_bps_district() -> None:
    result = runner.invoke(app, ["areas", "6411", "--level", "village", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("code,name,level")
    assert len(lines) == 1 + 50  # Mahakam Ulu: 50 kampung


def test_areas_renders_a_table() -> None:
    result = runner.invoke(app, ["areas", "64.74"])
    assert result.exit_code == 0, result.output
    assert "Bontang" in result.stdout


def test_unknown_area_exits_with_code_2_and_a_message() -> None:
    result = runner.invoke(app, ["areas", "64.99"])
    assert result.exit_code == 2
    assert "64.99" in result.output
