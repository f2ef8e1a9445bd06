"""Reading registry and survey files as text, with the row number a person would look up in the source.

Every value is read as a string (``pl.Utf8``) so nothing is lost or altered by type inference before
validation: a NIK stays 16 digits, ``"07"`` stays ``"07"``, a word in a number column reaches the validator
and becomes a reject instead of a silent null. Each row carries ``_row``, the number a data administrator
sees in the source:

- CSV: the spreadsheet row (header = row 1, first data row = 2); a quoted value spanning lines is one row.
- Excel (``.xlsx``): the sheet row number.
- Parquet: the 1-based row index.

Formats: CSV in UTF-8 (with or without BOM), falling back to cp1252 and then Latin-1 when the bytes are not
UTF-8 (P3KE exports made on Windows); the delimiter (comma, semicolon or tab) is the one found most often in
the header line outside quotes. Excel through openpyxl in read-only mode: the sheets named like a table
(``households``/``keluarga``, ``members``/``individu``/``anggota``, ...) or else the first sheet; date cells
become ISO dates and whole-number cells lose their ``.0``. Parquet of any column types, cast to text.

Headers are trimmed, lower-cased, spaces and dashes become underscores, and mapped to field names through
``column_aliases(table)`` (English names or P3KE Indonesian columns). The table of a file is recognised from
its columns: a registry file with a member id or a name column is a ``members`` file (a P3KE family file
also carries the head's NIK, so a NIK alone does not decide); a survey file with a weight or PSU column is
``survey_households``, otherwise ``survey_members``. Columns outside the schema are dropped and named in the
result, so the importer can warn about them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from entas.errors import InputFileError
from entas.registry.schema import TABLES, TableName, column_aliases

DatasetKind = Literal["registry", "survey"]
SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
ROW = "_row"
FILE = "_file"
EXTRA_FIELDS = "_extra_fields"
"""Set by the CSV reader on a row with more values than the header has columns."""

_SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "households": ("households", "household", "keluarga", "data_keluarga", "rumah_tangga"),
    "members": ("members", "member", "individu", "anggota", "anggota_keluarga", "data_individu"),
    "survey_households": ("survey_households", "households", "rumah_tangga", "ruta"),
    "survey_members": ("survey_members", "members", "anggota_rumah_tangga", "art"),
}
_MEMBER_MARKERS = ("member_id", "name")
_SURVEY_HOUSEHOLD_MARKERS = ("weight", "psu")


@dataclass(frozen=True)
class RawTable:
    """One table read from one file (or one sheet): text columns named by field, plus ``_row``."""

    path: Path
    table: TableName
    frame: pl.DataFrame
    extra_columns: tuple[str, ...]
    sha256: str


def tables_of(kind: DatasetKind) -> tuple[TableName, TableName]:
    """The (household table, member table) of a dataset kind."""
    return ("households", "members") if kind == "registry" else ("survey_households", "survey_members")


def normalize_header(name: object) -> str:
    """``" Kode Kemdagri "`` -> ``"kode_kemdagri"``: trimmed, lower-case, spaces and dashes to underscores."""
    text = str(name if name is not None else "").strip().lower().lstrip("\ufeff")
    return "_".join(text.replace("-", " ").split())


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, recorded in the snapshot manifest."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_tables(path: Path, kind: DatasetKind) -> list[RawTable]:
    """Read one input file into its table(s), every value as text; raise ``InputFileError`` if unreadable."""
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; use CSV, Excel (.xlsx) or Parquet"
        )
    digest = file_sha256(path)
    frames: list[tuple[pl.DataFrame, TableName | None]]
    if suffix in (".xlsx", ".xlsm"):
        frames = _read_excel(path, kind)
    elif suffix == ".parquet":
        frames = [(_read_parquet(path), None)]
    else:
        frames = [(_read_csv(path), None)]
    return [_map_columns(path, frame, kind, table, digest) for frame, table in frames]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _detect_delimiter(header_line: str) -> str:
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in header_line:  # one header line, not the data
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        source = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    except UnicodeDecodeError:
        source = _decode(data).encode("utf-8")
    first_line = source.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    if not first_line.strip():
        raise InputFileError(f"{path}: empty file or empty header line")
    try:
        frame = pl.read_csv(
            source,
            separator=_detect_delimiter(first_line),
            infer_schema=False,
            quote_char='"',
            row_index_name=ROW,
            row_index_offset=2,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as error:
        raise InputFileError(f"{path}: not a readable CSV file ({type(error).__name__})") from None
    separator = _detect_delimiter(first_line)
    extra = _extra_field_counts(source, separator, header_fields=frame.width - 1, records=frame.height)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    if extra.max() == 0:
        return frame
    return frame.with_columns(
        pl.when(extra > 0).then(pl.format("{} value(s) beyond the header's columns", extra)).alias(EXTRA_FIELDS)
    )


def _extra_field_counts(source: bytes, separator: str, *, header_fields: int, records: int) -> pl.Series:
    """Per record, how many more fields it has than the header (0 when none).

    The CSV reader keeps the first ``header_fields`` values of a longer line; this count lets validation
    reject such a row (rule ``extra_fields``) instead of losing its tail silently. Physical lines are read as
    one text column and quoted sections removed before counting separators; when a quoted value spans lines
    (lines and records differ), or the file holds every control byte that could split its lines, the records
    are counted by the standard ``csv`` module instead.
    """
    # read each physical line as one value: the "separator" must be a byte the file does not contain
    unused = next((c for c in ("\x1f", "\x1e", "\x1d", "\x1c") if c.encode() not in source), None)
    lines = pl.Series("line", [], dtype=pl.Utf8) if unused is None else pl.read_csv(
        source, has_header=False, separator=unused, quote_char=None, infer_schema=False, new_columns=["line"]
    )["line"]
    if unused is not None and lines.len() - 1 == records:
        unquoted = lines.slice(1).fill_null("").str.replace_all('"[^"]*"', "")
        counts = unquoted.str.count_matches(separator, literal=True).cast(pl.Int64) + 1
        return (counts - header_fields).clip(lower_bound=0)
    import csv
    import io

    reader = csv.reader(io.StringIO(source.decode("utf-8")), delimiter=separator)
    next(reader, None)
    widths = [len(record) for record in reader]  # rare path: a quoted value spans lines
    return (pl.Series(widths[:records], dtype=pl.Int64) - header_fields).clip(lower_bound=0).extend_constant(
        0, records - min(records, len(widths))
    )


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _sheet_table(sheet_name: str, kind: DatasetKind) -> TableName | None:
    name = normalize_header(sheet_name)
    for table in tables_of(kind):
        if name in _SHEET_NAMES[table]:
            return table
    return None


def _read_excel(path: Path, kind: DatasetKind) -> list[tuple[pl.DataFrame, TableName | None]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken workbook
        raise InputFileError(f"{path}: not a readable Excel workbook ({type(error).__name__})") from None
    try:
        named: list[tuple[Any, TableName | None]] = [
            (sheet, table) for sheet in book.worksheets if (table := _sheet_table(sheet.title, kind))
        ]
        chosen = named or [(book.worksheets[0], None)]
        return [(_sheet_frame(path, sheet), table) for sheet, table in chosen]
    finally:
        book.close()


def _sheet_frame(path: Path, sheet: object) -> pl.DataFrame:
    """Columns of one sheet as text; openpyxl yields rows, so cells are gathered column by column."""
    header: list[str] | None = None
    columns: list[list[str | None]] = []
    rows: list[int] = []
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):  # type: ignore[attr-defined]
        cells = [_cell_text(v) for v in values]
        if header is None:
            if any(c not in (None, "") for c in cells):
                header = [c or f"column_{i + 1}" for i, c in enumerate(cells)]
                columns = [[] for _ in header]
            continue
        if all(c in (None, "") for c in cells):
            continue
        rows.append(number)
        for i in range(len(header)):
            columns[i].append(cells[i] if i < len(cells) else None)
    if header is None:
        raise InputFileError(f"{path}: sheet {getattr(sheet, 'title', '?')!r} is empty")
    data = {name: pl.Series(name, col, dtype=pl.Utf8) for name, col in zip(_unique(header), columns, strict=True)}
    return pl.DataFrame({ROW: pl.Series(ROW, rows, dtype=pl.Int64), **data})


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # pyarrow/polars raise several types for a broken file
        raise InputFileError(f"{path}: not a readable Parquet file ({type(error).__name__})") from None
    text = [
        pl.col(name).dt.strftime("%Y-%m-%d").alias(name) if dtype == pl.Date else pl.col(name).cast(pl.Utf8)
        for name, dtype in frame.schema.items()
    ]
    return frame.select(text).with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def _recognise(path: Path, headers: set[str], kind: DatasetKind) -> TableName:
    household_table, member_table = tables_of(kind)
    if kind == "registry":
        member_fields = {column_aliases("members").get(h) for h in headers}
        return member_table if member_fields & set(_MEMBER_MARKERS) else household_table
    household_fields = {column_aliases("survey_households").get(h) for h in headers}
    if household_fields & set(_SURVEY_HOUSEHOLD_MARKERS):
        return household_table
    member_fields = {column_aliases("survey_members").get(h) for h in headers}
    if "member_id" in member_fields:
        return member_table
    raise InputFileError(
        f"{path}: no recognisable survey columns: a household file needs 'weight' or 'psu', "
        "a member file needs 'member_id'"
    )


def _map_columns(
    path: Path, frame: pl.DataFrame, kind: DatasetKind, table: TableName | None, digest: str
) -> RawTable:
    headers = {name: normalize_header(name) for name in frame.columns if name not in (ROW, EXTRA_FIELDS)}
    table = table or _recognise(path, set(headers.values()), kind)
    aliases = column_aliases(table)
    renames: dict[str, str] = {}
    extra: list[str] = []
    for original, normal in headers.items():
        field = aliases.get(normal)
        if field is None or field in renames.values():
            extra.append(normal)
        else:
            renames[original] = field
    if not renames:
        raise InputFileError(f"{path}: no recognisable {table} columns (see docs/import.md for the column names)")
    selected = frame.select(
        pl.col(ROW),
        *(pl.col(original).cast(pl.Utf8).alias(field) for original, field in renames.items()),
        *([pl.col(EXTRA_FIELDS)] if EXTRA_FIELDS in frame.columns else []),
    )
    return RawTable(path=path, table=table, frame=selected, extra_columns=tuple(extra), sha256=digest)


def required_columns(table: TableName) -> tuple[str, ...]:
    """Fields a file of ``table`` must carry as columns (the required ones)."""
    return tuple(f.name for f in TABLES[table] if f.required)
