"""Budget files: the money, quotas and floors a plan must respect, each figure with its source.

A budget file is CSV or Excel (first sheet) with one row per limit -- the ``budgets`` frame of
``entas.plan.allocate``: ``kind`` (program, funder, district), ``key`` (program code, funder name, district
code), ``budget_rp``, ``quota_households``, ``funder`` (for a program: the funder whose budget it draws on),
``floor_rp``, ``floor_households`` -- plus ``status`` (sourced or assumption) and ``source`` (where the figure
comes from, or why it is assumed). A row with a figure and no source is refused: figures from outside carry
their source, and assumptions stay marked in every report that uses them. Errors name the file, the row (as a
spreadsheet shows it, header = row 1) and the field.

``DEFAULT_BUDGETS`` is an illustrative file for East Kalimantan: every amount in it is an assumption except
the CSR decent-house quota (the province's published target), so plans made with it show what the method
does, not what the province can afford.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from entas.errors import PlanError

DEFAULT_BUDGETS = Path(__file__).with_name("budgets") / "kaltim_2025.csv"
NUMBERS = ("budget_rp", "quota_households", "floor_rp", "floor_households")
TEXT = ("kind", "key", "funder", "status", "source")
KINDS = ("program", "funder", "district")

__all__ = ["DEFAULT_BUDGETS", "load_budgets"]


def load_budgets(path: Path | str | None = None, *, programs: Sequence[str] | None = None) -> pl.DataFrame:
    """Read and check a budget file (default: ``DEFAULT_BUDGETS``); ``programs``: the known program codes."""
    file = Path(path) if path is not None else DEFAULT_BUDGETS
    if not file.exists():
        raise PlanError(f"{file}: no such budget file")
    try:
        if file.suffix.lower() in (".xlsx", ".xlsm"):
            raw = pl.read_excel(file, infer_schema_length=0)
        elif file.suffix.lower() == ".csv":
            raw = pl.read_csv(file, infer_schema_length=0)
        else:
            raise PlanError(f"{file}: a budget file is .csv or .xlsx, not {file.suffix or 'no suffix'}")
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise PlanError(f"{file}: cannot read it as a table ({error})") from error
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    missing = [c for c in ("kind", "key") if c not in raw.columns]
    if missing:
        raise PlanError(f"{file}: missing column(s) {', '.join(missing)}")
    unknown = sorted(set(raw.columns) - set(NUMBERS) - set(TEXT))
    if unknown:
        raise PlanError(f"{file}: unknown column(s) {', '.join(unknown)}; use {', '.join(TEXT + NUMBERS)}")
    frame = raw.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in (*TEXT, *NUMBERS)
                             if c not in raw.columns).with_columns(pl.col(c).str.strip_chars() for c in (*TEXT,
                                                                                                         *NUMBERS))
    frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
                               for c in (*TEXT, *NUMBERS))
    row = pl.int_range(2, pl.len() + 2)  # spreadsheet row numbers: header is row 1

    def fail(mask: pl.Expr, field: str, why: str) -> None:
        bad = frame.with_columns(row=row).filter(mask)
        if bad.height:
            raise PlanError(f"{file}, row {bad['row'][0]}, field {field}: {why}"
                            + (f" ({bad.height} rows)" if bad.height > 1 else ""))

    fail(~pl.col("kind").is_in(KINDS) | pl.col("kind").is_null(), "kind", f"must be one of {', '.join(KINDS)}")
    fail(pl.col("key").is_null(), "key", "is empty")
    for c in NUMBERS:
        number = pl.col(c).str.replace_all(r"[_\s]", "").cast(pl.Float64, strict=False)
        fail(pl.col(c).is_not_null() & number.is_null(), c, "is not a number")
        fail(number < 0, c, "is negative")
        frame = frame.with_columns(number.alias(c))
    fail(pl.col("status").is_not_null() & ~pl.col("status").is_in(["sourced", "assumption"]), "status",
         "must be sourced or assumption")
    has_figure = pl.any_horizontal(pl.col(c).is_not_null() for c in NUMBERS)
    fail(has_figure & (pl.col("source").is_null() | pl.col("status").is_null()), "source",
         "a figure needs its status (sourced or assumption) and its source")
    fail(pl.struct("kind", "key").is_duplicated(), "key", "repeats a (kind, key) row")
    if programs is not None:
        fail((pl.col("kind") == "program") & ~pl.col("key").is_in(list(programs)), "key",
             f"is not a program of the catalog ({', '.join(sorted(programs))})")
    return frame.select(*TEXT, *NUMBERS)
