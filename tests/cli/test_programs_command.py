"""``entas programs`` (the Typer app, tested directly until the lead wires it into ``entas``)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from typer.testing import CliRunner

from entas.cli_programs import programs_app
from entas.programs.catalog import DEFAULT_CATALOG
from entas.registry.snapshots import SnapshotStore
from entas.synth import generate

runner = CliRunner()


def test_list_shows_every_program_and_its_assumptions() -> None:
    result = runner.invoke(programs_app, ["list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 16
    assert "blt_dd" in result.output and "amount_rp_year" in result.output


def test_check_passes_on_the_default_catalog_and_exits_2_on_a_bad_rule(tmp_path: Path) -> None:
    ok = runner.invoke(programs_app, ["check", str(DEFAULT_CATALOG), "--format", "csv"])
    assert ok.exit_code == 0, ok.output
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG, folder)
    path = folder / "pip.yaml"
    path.write_text(path.read_text().replace("pupils > 0", "pupils >> 0"), encoding="utf-8")
    bad = runner.invoke(programs_app, ["check", str(folder)])
    assert bad.exit_code == 2
    assert "pip.yaml" in bad.output and "'eligibility'" in bad.output and "column 33" in bad.output


def test_check_exits_1_when_a_situation_fails(tmp_path: Path) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG, folder)
    path = folder / "sembako.yaml"
    path.write_text(path.read_text().replace("benefit_rp_year: 2400000", "benefit_rp_year: 2500000"), encoding="utf-8")
    result = runner.invoke(programs_app, ["check", str(folder), "--format", "csv"])
    assert result.exit_code == 1


def test_explain_reads_the_current_registry(tmp_path: Path) -> None:
    p = generate("64", 2024, scale=0.005, seed=3)
    SnapshotStore(tmp_path).commit("registry", {"households": p.households, "members": p.members},
                                   manifest_extra={"mode": "test"})
    household = p.households["household_id"][0]
    result = runner.invoke(programs_app, ["explain", household, "--home", str(tmp_path), "--program", "pkh",
                                          "--as-of", dt.date(2024, 3, 15).isoformat(), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "welfare_decile <= 4" in result.output and "(whole rule)" in result.output
    missing = runner.invoke(programs_app, ["explain", "nope", "--home", str(tmp_path)])
    assert missing.exit_code == 2
