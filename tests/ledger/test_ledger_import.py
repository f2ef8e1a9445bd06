"""Bulk delivery reports and plan files: every row stored, unchanged or rejected with its row and field."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from ops_world import World, plan_frame

from entas.errors import ConflictError, LedgerImportError
from entas.ledger import import_deliveries, import_plan
from entas.registry.snapshots import SnapshotStore

HEADER = "id_keluarga,program,pelaksana,tanggal_salur,nilai_rp,bukti,kunci,nik"


def _report(world: World, path: Path, first_amount: str = "1.500.000") -> tuple[Path, str]:
    h, o = world.home_ids, world.other_ids
    members = SnapshotStore(world.store.home).read("registry", "members")
    stranger_nik = members.filter(pl.col("household_id") == o[0])["nik"][0]
    lines = [
        HEADER,
        f"{h[0]},pkh,ID-CSR-A,2025-02-01,{first_amount},kuitansi,k-001,",  # row 2: stored
        "NOPE-1,pkh,ID-CSR-A,2025-02-01,100000,,k-002,",  # row 3: unknown household
        f"{o[0]},pkh,ID-CSR-A,2025-02-01,100000,,k-003,",  # row 4: another district: same word
        f"{h[1]},pkh,ID-CSR-A,31/02/2025,100000,,k-004,",  # row 5: bad date
        f"{h[1]},xyz,ID-CSR-A,2025-02-01,100000,,k-005,",  # row 6: unknown program
        f"{h[2]},pkh,ID-CSR-A,2025-02-01,100000,,k-006,{stranger_nik}",  # row 7: NIK of another household
        f"{h[0]},pkh,ID-CSR-A,2025-02-01,{first_amount},kuitansi,k-001,",  # row 8: key repeated
        f"{h[1]},micro_credit,ID-CSR-B,15/01/2025,500000,,,",  # row 9: stored, key derived
        f"{h[3]},pkh,ID-CSR-A,2025-02-01,-5,,k-009,",  # row 10: negative amount
        f"{h[3]},pkh,ID-NOBODY,2025-02-01,5,,k-010,",  # row 11: unknown stakeholder
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, stranger_nik


EXPECTED = {(3, "household_id", "unknown_household"), (4, "household_id", "unknown_household"),
            (5, "delivered_on", "bad_date"), (6, "program", "unknown_program"), (7, "nik", "nik_mismatch"),
            (8, "idempotency_key", "duplicate_key"), (10, "amount_rp", "below_minimum"),
            (11, "stakeholder", "unknown_stakeholder")}


def test_report_rows_are_stored_or_rejected_with_row_and_field(world: World, tmp_path: Path) -> None:
    officer = world.access["district_officer"]
    path, stranger_nik = _report(world, tmp_path / "laporan.csv")
    result = import_deliveries(officer, path)
    assert (result.read, result.stored, result.unchanged, result.rejected) == (10, 2, 0, 8)
    assert result.read == result.stored + result.unchanged + result.rejected
    assert result.rejects_path is not None
    rejects = pl.read_csv(result.rejects_path, infer_schema=False)
    assert {(int(r["row"]), r["column"], r["rule"]) for r in rejects.iter_rows(named=True)} == EXPECTED
    assert set(rejects["file"]) == {"laporan.csv"}
    assert stranger_nik not in result.rejects_path.read_text(encoding="utf-8")  # the NIK is masked
    stored = officer.interventions().sort("id")
    assert stored["amount_rp"].to_list() == [1_500_000, 500_000]
    assert stored["stakeholder"].to_list() == ["ID-CSR-A", "ID-CSR-B"]


def test_reimport_is_harmless_and_a_changed_row_conflicts(world: World, tmp_path: Path) -> None:
    officer = world.access["district_officer"]
    path, _ = _report(world, tmp_path / "laporan.csv")
    import_deliveries(officer, path)
    again = import_deliveries(officer, path)
    assert (again.stored, again.unchanged, again.rejected) == (0, 2, 8)
    changed, _ = _report(world, tmp_path / "laporan-revisi.csv", first_amount="1.600.000")
    third = import_deliveries(officer, changed)
    assert (third.stored, third.unchanged, third.rejected) == (0, 1, 9)
    assert third.rejects_path is not None
    conflicts = pl.read_csv(third.rejects_path, infer_schema=False).filter(pl.col("rule") == "key_conflict")
    assert conflicts["row"].to_list() == ["2", "8"]  # row 8 repeats row 2, so it conflicts too
    assert officer.interventions().height == 2


def test_a_partner_imports_only_for_itself(world: World, tmp_path: Path) -> None:
    path = tmp_path / "csr.csv"
    h = world.home_ids
    path.write_text("household_id,program,stakeholder,delivered_on\n"
                    f"{h[0]},rumah_layak_huni_csr,,2025-05-01\n"  # own stakeholder by default
                    f"{h[1]},rumah_layak_huni_csr,ID-CSR-B,2025-05-01\n"  # someone else's
                    f"{h[4]},rumah_layak_huni_csr,,2025-05-01\n",  # not assigned to the partner
                    encoding="utf-8")
    result = import_deliveries(world.access["partner"], path)
    assert (result.stored, result.rejected) == (1, 2)
    assert result.rejects_path is not None
    rules = pl.read_csv(result.rejects_path, infer_schema=False).select("row", "rule").rows()
    assert set(rules) == {("3", "not_own_stakeholder"), ("4", "unknown_household")}


def test_report_without_a_required_column_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "no-program.csv"
    path.write_text("household_id,stakeholder\nX,ID-CSR-A\n", encoding="utf-8")
    with pytest.raises(LedgerImportError, match="'program' absent"):
        import_deliveries(world.access["admin"], path)


def test_plan_import_is_idempotent_and_immutable(world: World, tmp_path: Path) -> None:
    admin = world.access["admin"]
    rows = SnapshotStore(world.store.home).read("registry", "households").head(4)
    plan = plan_frame(rows, plan_id="plan-test")
    path = tmp_path / "plan.parquet"
    plan.write_parquet(path)
    assert import_plan(admin, path).plans["created"].to_list() == [True]
    assert import_plan(admin, plan).plans["created"].to_list() == [False]
    with pytest.raises(ConflictError, match="new plan_id"):
        import_plan(admin, plan.with_columns(cost_rp=pl.lit(1.0)))
    bad = plan.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("charity")).otherwise(
        pl.col("strategy")).alias("strategy")).with_columns(plan_id=pl.lit("plan-bad"))
    with pytest.raises(LedgerImportError, match="row 3, field strategy: unknown_strategy"):
        import_plan(admin, bad)
    with pytest.raises(LedgerImportError, match="missing: reason"):
        import_plan(admin, plan.drop("reason"))
