"""entas.xlsx: the vectorized Excel writer, read back by openpyxl (an independent reader)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from entas.errors import EntasError
from entas.xlsx import column_letter, write_xlsx


def test_values_types_escaping_frozen_header_and_filter_survive_a_round_trip(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "name": ["Siti & Co <x>", None, "tab\x01gone", "  spaced  "],
        "size": [4, 2, None, 7],
        "rp": [1.5, float("nan"), 3e9, -0.25],
        "flag": [True, False, None, True],
    })
    notes = pl.DataFrame({"column": ["name"], "meaning": ["nama"]})
    path = tmp_path / "list.xlsx"
    write_xlsx({"daftar": frame, "keterangan": notes}, path, filters=("daftar",))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["daftar", "keterangan"]
    sheet = book["daftar"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "size", "rp", "flag")
    assert rows[1] == ("Siti & Co <x>", 4, 1.5, True)
    assert rows[2] == (None, 2, None, False)  # null text, NaN -> empty
    assert rows[3] == ("tabgone", None, 3e9, None)  # a control character XML forbids is dropped
    assert rows[4] == ("  spaced  ", 7, -0.25, True)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D5"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert book["keterangan"].auto_filter.ref is None
    assert list(book["keterangan"].iter_rows(values_only=True)) == [("column", "meaning"), ("name", "nama")]


def test_empty_frames_letters_and_bad_names(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_xlsx({"kosong": pl.DataFrame({"a": []}, schema={"a": pl.Utf8})}, path, filters=("kosong",))
    assert list(openpyxl.load_workbook(path)["kosong"].iter_rows(values_only=True)) == [("a",)]
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    with pytest.raises(EntasError, match="sheet name"):
        write_xlsx({"a/b": pl.DataFrame({"a": [1]})}, tmp_path / "bad.xlsx")
    with pytest.raises(EntasError, match="at least one sheet"):
        write_xlsx({}, tmp_path / "none.xlsx")
