"""Rejected rows: one line per broken rule, personal data masked, written as a UTF-8 CSV.

The rejects file has the columns ``file, row, table, column, value, rule``. ``row`` is the row number in
the source as its user sees it (see ``entas.registry.reading``). ``value`` is the value as read (trimmed),
except for personal fields (``Field.personal``): a NIK shows as ``6407**********01`` (four leading and two
trailing characters), a name or an address as ``<redacted>``. Rules that point at another row (duplicates)
say where in ``value``, e.g. ``H-0001 (first: households.csv row 2)``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from entas.registry.nik import REDACTED, mask_nik
from entas.registry.schema import TABLES, TableName

REJECT_COLUMNS = ("file", "row", "table", "column", "value", "rule")
VIOLATION_SCHEMA = {"_key": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "rule": pl.Utf8}


def shown_value(table: TableName, column: str) -> pl.Expr:
    """The value of ``column`` as the rejects file may show it: masked when the field is personal."""
    field = next((f for f in TABLES[table] if f.name == column), None)
    text = pl.col(column).cast(pl.Utf8)
    if field is None or not field.personal:
        return text
    if field.kind == "nik":
        return mask_nik(text)
    return pl.when(text.is_not_null()).then(pl.lit(REDACTED)).otherwise(None)


def empty_violations() -> pl.DataFrame:
    """A violations frame with no rows: ``_key, column, value, rule``."""
    return pl.DataFrame(schema=VIOLATION_SCHEMA)


def reject_lines(frame: pl.DataFrame, violations: pl.DataFrame, table: TableName) -> pl.DataFrame:
    """Violations joined to their source file and row: the rejects-file lines of one table."""
    located = violations.join(frame.select("_key", "_file", "_row"), on="_key", how="left", maintain_order="left")
    return located.select(
        pl.col("_file").alias("file"),
        pl.col("_row").alias("row"),
        pl.lit(table).alias("table"),
        "column",
        "value",
        "rule",
        "_key",
    )


def write_rejects(lines: pl.DataFrame, home: Path, kind: str) -> Path | None:
    """Write the rejects CSV under ``home/rejects/<kind>-<UTC timestamp>.csv``; None when nothing was rejected."""
    if lines.height == 0:
        return None
    folder = home / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{kind}-{stamp}.csv"
    lines.select(REJECT_COLUMNS).write_csv(path)
    return path
