"""`entas db upgrade`, `entas users add|list`, `entas ledger stakeholder-add|plan-import|assign|import|status`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
from ops_world import HOME_DISTRICT, PASSWORD, households, plan_frame
from typer.testing import CliRunner

from entas.cli import app

runner = CliRunner()


def test_operations_commands_from_an_empty_database(registry_home: Path, tmp_path: Path) -> None:
    db = ["--home", str(registry_home), "--database-url", f"sqlite:///{tmp_path / 'ops.sqlite'}"]
    before = runner.invoke(app, ["users", "list", *db])
    assert before.exit_code == 2 and "entas db upgrade" in before.output
    upgraded = runner.invoke(app, ["db", "upgrade", *db])
    assert upgraded.exit_code == 0, upgraded.output
    assert "revision 0001" in upgraded.output
    added = runner.invoke(app, ["ledger", "stakeholder-add", "ID-CSR-A", "--name", "PT Contoh", "--kind", "company",
                                "--funder-type", "csr", *db])
    assert added.exit_code == 0, added.output
    user = runner.invoke(app, ["users", "add", "ani", "--role", "district_officer", "--area", HOME_DISTRICT,
                               "--password-stdin", *db], input=PASSWORD + "\n")
    assert user.exit_code == 0, user.output
    assert PASSWORD not in user.output
    bad = runner.invoke(app, ["users", "add", "budi", "--role", "district_officer", "--area", "99.99",
                              "--password-stdin", *db], input=PASSWORD + "\n")
    assert bad.exit_code == 2 and "not a district" in bad.output
    listed = runner.invoke(app, ["users", "list", "--format", "csv", *db])
    users = pl.read_csv(io.StringIO(listed.stdout), infer_schema=False)
    assert users.select("name", "role", "areas").rows() == [("ani", "district_officer", HOME_DISTRICT)]

    rows = households(registry_home, HOME_DISTRICT, 400).filter(pl.col("welfare_decile") == 1).head(3)
    plan = tmp_path / "plan.csv"
    plan_frame(rows).write_csv(plan)
    assert runner.invoke(app, ["ledger", "plan-import", str(plan), *db]).exit_code == 0
    assigned = runner.invoke(app, ["ledger", "assign", "ID-CSR-A", "--program", "pkh", *db])
    assert "3 plan items assigned" in assigned.output
    report = tmp_path / "report.csv"
    report.write_text("household_id,program,delivered_on,amount_rp\n"  # an extreme-poor (desil 1) household
                      f"{rows['household_id'][0]},pkh,2025-02-01,750000\n"
                      "NOPE,pkh,2025-02-01,1\n", encoding="utf-8")
    imported = runner.invoke(app, ["ledger", "import", str(report), "--stakeholder", "ID-CSR-A", "--user", "ani",
                                   "--format", "json", *db])
    assert imported.exit_code == 0, imported.output
    counts = json.loads(imported.stdout)[0]
    assert (counts["read"], counts["stored"], counts["rejected"]) == (2, 1, 1)
    status = runner.invoke(app, ["ledger", "status", "--report", "public", "--k", "1", "--format", "csv", *db])
    assert status.exit_code == 0, status.output
    public = pl.read_csv(io.StringIO(status.stdout))
    assert public["reached_any"].sum() == 1
