"""`entas plan` and `entas simulate` as a user runs them after `entas demo` and `entas target fit/score`."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from entas.cli import app
from entas.demo import run_demo
from entas.registry.snapshots import SnapshotStore

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan-home")
    run_demo(folder, scale=0.02, seed=4)
    for command in (["target", "fit", "--selection", "none"], ["target", "score"]):
        result = runner.invoke(app, [*command, "--home", str(folder)])
        assert result.exit_code == 0, result.output
    return folder


def test_plan_stores_a_run_record_and_writes_masked_lists(home: Path, tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    result = runner.invoke(app, ["plan", "--home", str(home), "--lists", str(lists), "--list-format", "csv",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    store = SnapshotStore(home)
    manifest = store.manifest("plan")
    assert manifest["registry_snapshot"] == store.current("registry")
    assert manifest["scores_snapshot"] == store.current("target-scores")
    assert len(manifest["budget_file"]["sha256"]) == 64 and manifest["welfare"] == "expected"
    assert manifest["after"] < manifest["before"] and {"numpy", "polars", "highspy"} <= set(manifest["versions"])
    assert "pkh" in manifest["budget_assumptions"] and manifest["assumptions"]
    assignments = store.read("plan", "assignments")
    spend = store.read("plan", "spend").filter(pl.col("level") == "program")
    assert (spend["spend_rp"] <= spend["limit_rp"] + 1e-6).all()
    assert assignments["cost_rp"].sum() == pytest.approx(spend["spend_rp"].sum())
    least = store.read("plan", "least_budget")
    assert least.height == 11 and least["district_code"][-1] == "64"
    files = sorted(lists.glob("*.csv"))
    rows = pl.concat([pl.read_csv(f, schema_overrides={"head_nik": pl.Utf8, "district_code": pl.Utf8})
                      for f in files])
    assert rows.height == assignments.height
    assert rows["head_nik"].drop_nulls().str.contains(r"^\d{4}\*{10}\d{2}$").all()
    niks = set(store.read("registry", "members")["nik"].to_list())
    assert not niks & set(re.findall(r"\d{16}", result.output))


def test_plan_with_a_bad_budget_file_names_row_and_field(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "budget.csv"
    bad.write_text("kind,key,budget_rp,status,source\nprogram,pkh,lots,assumption,x\n")
    result = runner.invoke(app, ["plan", "--home", str(home), "--budget", str(bad)])
    assert result.exit_code == 2
    assert "row 2, field budget_rp" in " ".join(result.output.split())


def test_simulate_projects_each_scenario_and_names_the_zero_year(home: Path) -> None:
    assert runner.invoke(app, ["plan", "--home", str(home), "--format", "csv"]).exit_code == 0
    result = runner.invoke(app, ["simulate", "--home", str(home), "--scenario", "baseline", "--scenario", "plan",
                                 "--draws", "10", "--format", "csv"])
    assert result.exit_code == 0, result.output
    store = SnapshotStore(home)
    manifest = store.manifest("simulation")
    assert manifest["plan_snapshot"] == store.current("plan") and len(manifest["runs"]) == 2
    path = store.read("simulation", "path").filter(pl.col("level") == "province")
    by = {(r["scenario"], r["year"]): r for r in path.iter_rows(named=True)}
    assert by[("plan", 2024)]["poor_persons"] == pytest.approx(by[("baseline", 2024)]["poor_persons"])
    assert by[("plan", 2026)]["poor_persons"] < by[("baseline", 2026)]["poor_persons"]
    zero = store.read("simulation", "zero_year")
    assert zero.filter(pl.col("level") == "district").height == 20
    survey = store.read("simulation", "survey_path")
    assert {"before", "after"} == set(survey["variant"]) and survey["se"].null_count() < survey.height


def test_simulate_without_a_plan_exits_2_with_advice(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "entas plan" in " ".join(result.output.split())


def test_excel_lists_have_a_frozen_filtered_list_and_an_explanation_sheet(home: Path, tmp_path: Path) -> None:
    import openpyxl

    lists = tmp_path / "xlsx"
    result = runner.invoke(app, ["plan", "--home", str(home), "--lists", str(lists), "--format", "csv"])
    assert result.exit_code == 0, result.output
    files = sorted(lists.glob("*.xlsx"))
    assert files
    book = openpyxl.load_workbook(files[0], read_only=False)
    assert book.sheetnames == ["daftar", "keterangan"]
    sheet = book["daftar"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["district_code", "village_code", "household_id", "head_name", "head_nik"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref is not None
    niks = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True) if row[4]]
    assert niks and all(re.fullmatch(r"\d{4}\*{10}\d{2}", str(n)) for n in niks)
    meanings = {row[0]: row[1] for row in book["keterangan"].iter_rows(min_row=2, values_only=True)}
    assert "NIK" in str(meanings["head_nik"])


def test_csv_output_is_clean_csv_in_a_fresh_process(home: Path) -> None:
    """HiGHS prints a banner on fd 1 when its first instance is made; `--format csv` must stay parseable."""
    import subprocess
    import sys

    entas = Path(sys.executable).parent / "entas"  # the console script of this environment
    done = subprocess.run([str(entas), "plan", "--home", str(home), "--welfare", "median", "--format", "csv"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "level,key,spend_rp,limit_rp,households"
    assert "HiGHS" not in done.stdout


def test_export_list_goes_through_the_access_layer(home: Path, tmp_path: Path) -> None:
    """After `entas ledger plan-import` (the current plan snapshot), `entas export list` writes what each user
    may see: a district officer only its district, a province analyst every district with NIKs masked."""
    import openpyxl

    assert runner.invoke(app, ["plan", "--home", str(home), "--format", "csv"]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade", "--home", str(home)]).exit_code == 0
    imported = runner.invoke(app, ["ledger", "plan-import", "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    for name, role, areas in (("officer", "district_officer", ["--area", "64.01"]),
                              ("analyst", "province_analyst", [])):
        added = runner.invoke(app, ["users", "add", name, "--role", role, *areas, "--password-stdin",
                                    "--home", str(home)], input="a-long-password-1\n")
        assert added.exit_code == 0, added.output
    officer = runner.invoke(app, ["export", "list", "--out", str(tmp_path / "o"), "--user", "officer",
                                  "--format", "csv", "--home", str(home)])
    assert officer.exit_code == 0, officer.output
    rows = pl.concat([pl.read_csv(f, infer_schema_length=0) for f in (tmp_path / "o").glob("*.csv")])
    assert rows.height > 0 and set(rows["district_code"]) == {"64.01"}
    analyst = runner.invoke(app, ["export", "list", "--out", str(tmp_path / "a"), "--user", "analyst",
                                  "--home", str(home)])
    assert analyst.exit_code == 0, analyst.output
    files = sorted((tmp_path / "a").glob("*.xlsx"))
    assert len({f.name.split("__")[1] for f in files}) > 1
    sheet = openpyxl.load_workbook(files[0])["daftar"]
    header = [c.value for c in sheet[1]]
    niks = [row[header.index("head_nik")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert niks and all(n is None or "*" in str(n) for n in niks)
    empty = runner.invoke(app, ["export", "list", "--out", str(tmp_path / "e"), "--program", "none",
                                "--home", str(home)])
    assert empty.exit_code == 2 and "plan-import" in empty.output
