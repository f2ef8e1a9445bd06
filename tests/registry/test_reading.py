"""Reading files as text with the row numbers a person sees, and refusing files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest

from entas.errors import InputFileError
from entas.registry.importer import import_registry
from entas.registry.reading import normalize_header, read_tables


def test_header_is_trimmed_lowercased_and_underscored() -> None:
    assert normalize_header("  Kode Kemdagri ") == "kode_kemdagri"
    assert normalize_header("\ufeffID-Keluarga P3KE") == "id_keluarga_p3ke"


def test_latin1_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes("household_id,address\nH1,Désa Ñusa\n".encode("latin-1"))
    (raw,) = read_tables(path, "registry")
    assert raw.frame["address"].to_list() == ["Désa Ñusa"]


def test_utf8_bom_does_not_spoil_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes("\ufeffhousehold_id,village_code\nH1,6472011001\n".encode())
    (raw,) = read_tables(path, "registry")
    assert "household_id" in raw.frame.columns


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_detected_from_the_header(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(delimiter.join(["household_id", "address"]) + "\n" + delimiter.join(["H1", '"a, b; c"']) + "\n")
    (raw,) = read_tables(path, "registry")
    assert raw.frame["address"].to_list() == ["a, b; c"]


def test_csv_rows_are_numbered_as_in_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('household_id,address\nH1,"two\nlines"\nH2,x\n')
    (raw,) = read_tables(path, "registry")
    assert raw.frame["_row"].to_list() == [2, 3]


def test_values_stay_text_so_leading_zeros_survive(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("household_id,welfare_decile\n007,01\n")
    (raw,) = read_tables(path, "registry")
    assert raw.frame.row(0, named=True) == {"_row": 2, "household_id": "007", "welfare_decile": "01"}


def test_parquet_rows_are_numbered_from_one(tmp_path: Path) -> None:
    path = tmp_path / "h.parquet"
    pl.DataFrame({"household_id": ["A", "B"], "welfare_decile": [1, 2]}).write_parquet(path)
    (raw,) = read_tables(path, "registry")
    assert raw.frame["_row"].to_list() == [1, 2]
    assert raw.frame["welfare_decile"].dtype == pl.Utf8


def test_excel_uses_sheet_row_numbers_and_first_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id_keluarga_P3KE", "kode_kemdagri", "desil_kesejahteraan", "catatan"])
    sheet.append(["P1", 6472011001, 3, "x"])
    sheet.append([None, None, None, None])
    sheet.append(["P2", "64.72.01.1001", 4.0, "y"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    (raw,) = read_tables(path, "registry")
    assert raw.table == "households"
    assert raw.frame["_row"].to_list() == [2, 4]
    assert raw.frame["village_code"].to_list() == ["6472011001", "64.72.01.1001"]
    assert raw.frame["welfare_decile"].to_list() == ["3", "4"]
    assert raw.extra_columns == ("catatan",)


def test_member_file_is_recognised_by_its_name_or_member_id(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("id_keluarga,id_individu,nik\nP1,P1-1,6472011205800001\n")
    (raw,) = read_tables(path, "registry")
    assert raw.table == "members"


def test_family_file_with_the_heads_nik_stays_a_household_file(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("id_keluarga_p3ke,kode_kemdagri,desil_kesejahteraan,nik\nP1,6472011001,1,6472011205800001\n")
    (raw,) = read_tables(path, "registry")
    assert raw.table == "households"
    assert raw.extra_columns == ("nik",)


def test_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_tables(tmp_path / "nope.csv", "registry")


def test_unsupported_extension_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("{}")
    with pytest.raises(InputFileError, match="unsupported file type"):
        read_tables(path, "registry")


def test_file_without_known_columns_is_an_input_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(InputFileError, match="no recognisable households columns"):
        read_tables(path, "registry")


def test_absent_required_column_is_named(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("household_id,welfare_decile,address\nH1,1,Jl. Mawar\n")
    with pytest.raises(InputFileError, match="required column 'village_code' absent"):
        import_registry([path], home=home)


def test_input_error_text_carries_no_personal_data(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("household_id,member_id,nik,name\nH1,1,6472011205800001,Siti Aisyah\n")
    with pytest.raises(InputFileError) as error:
        import_registry([path], home=home)
    assert "6472011205800001" not in str(error.value) and "Siti" not in str(error.value)
