"""A CSV line with more values than the header is rejected (rule extra_fields), never silently cut."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from household_builder import valid_registry

from entas.registry.importer import import_registry


def test_a_line_with_extra_values_is_rejected_with_its_row_number(home: Path, tmp_path: Path) -> None:
    households, members = valid_registry(3)
    households_csv = tmp_path / "households.csv"
    households.write_csv(households_csv)
    lines = households_csv.read_text(encoding="utf-8").splitlines()
    lines[2] += ",stray value,another"  # the second household, spreadsheet row 3
    households_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    members_csv = tmp_path / "members.csv"
    members.write_csv(members_csv)

    result = import_registry([households_csv, members_csv], home=home)

    assert result.rejects_path is not None
    rejects = pl.read_csv(result.rejects_path, infer_schema=False)
    extra = rejects.filter(pl.col("rule") == "extra_fields")
    assert extra.select("file", "row", "column").rows() == [("households.csv", "3", "extra_fields")]
    assert extra["value"].to_list() == ["2 value(s) beyond the header's columns"]
    counts = result.counts.filter(pl.col("file") == "households.csv").row(0, named=True)
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (3, 2, 1)


def test_a_quoted_separator_is_not_an_extra_value(home: Path, tmp_path: Path) -> None:
    households, members = valid_registry(2)
    households = households.with_columns(pl.lit("Jl. Mawar, RT 003/RW 002").alias("address"))
    households_csv, members_csv = tmp_path / "households.csv", tmp_path / "members.csv"
    households.write_csv(households_csv)
    members.write_csv(members_csv)

    result = import_registry([households_csv, members_csv], home=home)

    assert result.rejects_path is None
    assert result.counts["rejected"].sum() == 0
