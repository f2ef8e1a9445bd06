"""The committed messy fixture (tests/fixtures/messy, made by make_messy.py) gives exactly its expected rejects."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from household_builder import MESSY

from entas.registry.importer import ImportResult, import_registry
from entas.registry.snapshots import SnapshotStore


@pytest.fixture
def messy_result(messy_files: list[Path], home: Path) -> ImportResult:
    return import_registry(messy_files, home=home)


def _rejects(result: ImportResult) -> pl.DataFrame:
    assert result.rejects_path is not None
    return pl.read_csv(result.rejects_path, infer_schema=False)


def test_rejects_are_exactly_the_declared_ones(messy_result: ImportResult) -> None:
    expected = pl.read_csv(MESSY / "expected_rejects.csv", infer_schema=False)
    got = _rejects(messy_result).select(expected.columns)
    assert got.sort(got.columns).to_dicts() == expected.sort(expected.columns).to_dicts()


def test_rejects_file_has_the_documented_columns(messy_result: ImportResult) -> None:
    assert _rejects(messy_result).columns == ["file", "row", "table", "column", "value", "rule"]


def test_rejects_file_lives_under_home_rejects(messy_result: ImportResult, home: Path) -> None:
    assert messy_result.rejects_path is not None
    assert messy_result.rejects_path.parent == home / "rejects"
    assert re.fullmatch(r"registry-\d{8}T\d{6}\d+Z\.csv", messy_result.rejects_path.name)


def test_read_equals_accepted_plus_rejected_for_every_file(messy_result: ImportResult) -> None:
    counts = messy_result.counts
    assert counts.filter(pl.col("read") != pl.col("accepted") + pl.col("rejected")).height == 0


def test_counts_per_file_and_table(messy_result: ImportResult) -> None:
    assert messy_result.counts.rows() == [
        ("households_latin1.csv", "households", 13, 2, 11),
        ("members_semicolon.csv", "members", 32, 6, 26),
        ("p3ke_export.xlsx", "households", 3, 2, 1),
        ("p3ke_export.xlsx", "members", 4, 2, 2),
        ("households_extra.parquet", "households", 2, 1, 1),
    ]


def test_rejected_counts_match_distinct_rejected_rows(messy_result: ImportResult) -> None:
    lines = _rejects(messy_result).select("file", "table", "row").unique()
    per_file = lines.group_by("file", "table").len()
    joined = messy_result.counts.join(per_file, on=["file", "table"], how="left")
    joined = joined.with_columns(pl.col("len").fill_null(0))
    assert (joined["rejected"] == joined["len"]).all()


def test_snapshot_holds_exactly_the_accepted_rows(messy_result: ImportResult, home: Path) -> None:
    store = SnapshotStore(home)
    households = store.read("registry", "households")
    members = store.read("registry", "members")
    assert households["household_id"].to_list() == ["H001", "H002", "H020", "P3KE-001", "P3KE-002"]
    assert members.height == int(messy_result.counts.filter(pl.col("table") == "members")["accepted"].sum())


def test_duplicates_are_counted(messy_result: ImportResult) -> None:
    assert (messy_result.duplicate_household_ids, messy_result.duplicate_niks) == (1, 1)


def test_duplicate_points_at_the_first_row(messy_result: ImportResult) -> None:
    line = _rejects(messy_result).filter(pl.col("rule") == "duplicate_household_id").row(0, named=True)
    assert line["value"] == "H002 (first: households_latin1.csv row 3)"


def test_extra_p3ke_columns_are_named_in_warnings(messy_result: ImportResult) -> None:
    text = " ".join(messy_result.warnings)
    assert "padan_dukcapil" in text and "provinsi" in text and "kepala_keluarga" in text


def test_no_nik_or_name_appears_unmasked_in_rejects(messy_files: list[Path], messy_result: ImportResult) -> None:
    assert messy_result.rejects_path is not None
    text = messy_result.rejects_path.read_text(encoding="utf-8")
    members = pl.read_csv(messy_files[1], separator=";", infer_schema=False)
    assert not re.search(r"\d{7,}", text), "a run of 7+ digits could be a NIK"
    for name in members.filter(pl.col("name").str.len_chars() > 0)["name"]:
        assert name not in text
    for nik in members["nik"].drop_nulls():
        assert nik not in text


def test_nik_is_masked_keeping_four_leading_and_two_trailing_digits(messy_result: ImportResult) -> None:
    masked = _rejects(messy_result).filter(pl.col("rule") == "nik_sex")["value"].item()
    assert masked == "6472**********22"


def test_indonesian_accents_survive_the_latin1_file(messy_result: ImportResult, home: Path) -> None:
    addresses = SnapshotStore(home).read("registry", "households")["address"].to_list()
    assert "Gang Kenari, Désa Samurangau" in addresses


def test_p3ke_labels_become_english_codes(messy_result: ImportResult, home: Path) -> None:
    row = SnapshotStore(home).read("registry", "households").filter(pl.col("household_id") == "P3KE-002").row(
        0, named=True
    )
    assert (row["cooking_fuel"], row["sanitation"], row["floor_type"], row["receives_pkh"]) == (
        "lpg", "shared", "wood_low", True,
    )


def test_excel_date_cells_become_dates(messy_result: ImportResult, home: Path) -> None:
    members = SnapshotStore(home).read("registry", "members")
    born = members.filter(pl.col("member_id") == "P3KE-001-01")["birth_date"].item()
    assert str(born) == "1985-07-17"
