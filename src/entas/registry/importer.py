"""Import registry files: read, validate, write rejects, and commit an immutable snapshot.

``import_registry`` reads every file as text (``entas.registry.reading``), checks each row against the
schema (``entas.registry.validation``, ``entas.registry.nik``), then the rules across rows and tables
(``entas.registry.consistency``). A bad row never stops the import and is never dropped silently: it goes to
the rejects file (``entas.registry.rejects``) with one line per broken rule, and the per-file counts add up
(``read == accepted + rejected``). The accepted rows, typed and sorted, become a snapshot
(``entas.registry.snapshots``):

- update (default): the current snapshot with the imported households upserted by ``household_id``; when
  the import carries member files, an imported household's members replace its old members (a household
  imported without member files keeps its old members);
- replace (``replace=True``): only the imported rows.

Importing the same files again finds the same content hash and creates no snapshot (``created`` false).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from entas.errors import InputFileError
from entas.progress import ProgressReporter, report
from entas.registry.consistency import Snapshot, household_rules
from entas.registry.reading import FILE, ROW, DatasetKind, RawTable, read_tables, required_columns, tables_of
from entas.registry.rejects import empty_violations, reject_lines, shown_value, write_rejects
from entas.registry.schema import TABLES, Field, TableName
from entas.registry.snapshots import SnapshotStore
from entas.registry.validation import AreaSets, apply_field_checks, rule_name, typed_name

PROVINCE = "64"
"""East Kalimantan: village codes must be villages of this province's official tree."""

_DTYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(), "number": pl.Float64(), "boolean": pl.Boolean(), "date": pl.Date(),
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the snapshot, per-file counts, where the rejects are, and warnings.

    ``counts`` has one row per (file, table) with ``read``, ``accepted`` and ``rejected`` rows
    (``read == accepted + rejected``). ``created`` is false when the content equals the current snapshot,
    which then stays current (``snapshot_id`` is its id).
    """

    kind: DatasetKind
    snapshot_id: str
    created: bool
    counts: pl.DataFrame
    rejects_path: Path | None
    duplicate_household_ids: int
    duplicate_niks: int
    warnings: tuple[str, ...]


def field_dtype(field: Field) -> pl.DataType:
    """The snapshot column type of a field."""
    return _DTYPES.get(field.kind, pl.Utf8())


def typed_schema(table: TableName) -> dict[str, pl.DataType]:
    """Column name -> type of a snapshot table, in schema order."""
    return {f.name: field_dtype(f) for f in TABLES[table]}


@dataclass(frozen=True)
class CheckedTable:
    """One table after the row rules: typed columns, ``_ok``, and its violations (``_key`` based)."""

    table: TableName
    frame: pl.DataFrame
    violations: pl.DataFrame


def check_rows(raws: list[RawTable], table: TableName, areas: AreaSets, today: dt.date) -> CheckedTable:
    """Concatenate the files of one table and apply every row rule."""
    parts = [raw.frame.with_columns(pl.lit(raw.path.name).alias(FILE)) for raw in raws]
    frame = pl.concat(parts, how="diagonal").with_row_index("_key").with_columns(pl.col("_key").cast(pl.Int64))
    frame, checks = apply_field_checks(frame, table, areas, today=today)
    found = [
        frame.filter(pl.col(rule_name(i)).is_not_null()).select(
            "_key",
            pl.lit(check.column).alias("column"),
            shown_value(table, check.column).alias("value"),
            pl.col(rule_name(i)).alias("rule"),
        )
        for i, check in enumerate(checks)
    ]
    violations = pl.concat([empty_violations(), *found], how="vertical")
    ok = (
        ~pl.any_horizontal(pl.col(rule_name(i)).is_not_null() for i in range(len(checks)))
        if checks else pl.lit(True)
    )
    present = {f.name for f in TABLES[table] if typed_name(f.name) in frame.columns}
    typed = [
        (pl.col(typed_name(f.name)) if f.name in present else pl.lit(None)).cast(field_dtype(f)).alias(f.name)
        for f in TABLES[table]
    ]
    frame = frame.select("_key", FILE, ROW, *typed, ok.alias("_ok"))
    return CheckedTable(table, frame, violations)


def read_inputs(
    paths: Sequence[Path], kind: DatasetKind, progress: ProgressReporter | None, optional: tuple[str, ...] = ()
) -> tuple[list[RawTable], list[str]]:
    """Read every file; raise ``InputFileError`` naming a missing required column; collect warnings."""
    if not paths:
        raise InputFileError(f"no {kind} files given")
    raws: list[RawTable] = []
    warnings: list[str] = []
    for done, path in enumerate(paths):
        report(progress, "read", done, len(paths))
        for raw in read_tables(Path(path), kind):
            missing = [c for c in required_columns(raw.table) if c not in raw.frame.columns and c not in optional]
            if missing:
                raise InputFileError(
                    f"{raw.path}: required column {missing[0]!r} absent from this {raw.table} file"
                    + (f" (also: {', '.join(missing[1:])})" if len(missing) > 1 else "")
                )
            if raw.extra_columns:
                warnings.append(
                    f"{raw.path.name}: columns not in the {raw.table} schema, left out of the snapshot: "
                    + ", ".join(raw.extra_columns)
                )
            raws.append(raw)
    report(progress, "read", len(paths), len(paths))
    return raws, warnings


def count_rows(raws: list[RawTable], checked: dict[TableName, CheckedTable]) -> pl.DataFrame:
    """Per (file, table): rows read, accepted and rejected, in the order the files were given."""
    order = pl.DataFrame(
        {"file": [r.path.name for r in raws], "table": [r.table for r in raws], "__order": list(range(len(raws)))}
    ).unique(["file", "table"], keep="first")
    tallies = [
        c.frame.group_by(FILE).agg(
            read=pl.len().cast(pl.Int64), accepted=pl.col("_ok").sum().cast(pl.Int64)
        ).with_columns(pl.lit(t).alias("table")).rename({FILE: "file"})
        for t, c in checked.items()
    ]
    merged = pl.concat(tallies).with_columns(rejected=pl.col("read") - pl.col("accepted"))
    return (
        order.join(merged, on=["file", "table"], how="left")
        .sort("__order")
        .select("file", "table", "read", "accepted", "rejected")
    )


def accepted_rows(checked: CheckedTable) -> pl.DataFrame:
    """The accepted rows of a table, typed, in schema order, sorted by household (and member) id."""
    keys = ["household_id", "member_id"] if "member_id" in checked.frame.columns else ["household_id"]
    fields = [f.name for f in TABLES[checked.table]]
    return checked.frame.filter(pl.col("_ok")).select(fields).sort(keys)


def run_checks(
    raws: list[RawTable],
    kind: DatasetKind,
    *,
    snapshot: Snapshot | None,
    areas: AreaSets,
    today: dt.date,
    check_nik: bool,
) -> tuple[dict[TableName, CheckedTable], pl.DataFrame]:
    """Row rules then cross rules; return the checked tables and the rejects lines of all tables."""
    household_table, member_table = tables_of(kind)
    checked: dict[TableName, CheckedTable] = {}
    for table in (household_table, member_table):
        mine = [r for r in raws if r.table == table]
        if mine:
            checked[table] = check_rows(mine, table, areas, today)
    if household_table not in checked:
        empty = pl.DataFrame(schema={"_key": pl.Int64, FILE: pl.Utf8, ROW: pl.Int64, **typed_schema(household_table),
                                     "_ok": pl.Boolean})
        checked[household_table] = CheckedTable(household_table, empty, empty_violations())
    households = checked[household_table]
    members = checked.get(member_table)
    new_households, new_members, cross = household_rules(
        households.frame, members.frame if members else None, snapshot, check_nik=check_nik
    )
    checked[household_table] = CheckedTable(household_table, new_households, households.violations)
    if members is not None:
        checked[member_table] = CheckedTable(member_table, new_members, members.violations)
    lines = []
    for table, generic in ((household_table, "households"), (member_table, "members")):
        if table not in checked:
            continue
        item = checked[table]
        own = pl.concat([
            item.violations.with_columns(pl.lit(0).alias("__stage")),
            cross.filter(pl.col("table") == generic).drop("table").with_columns(pl.lit(1).alias("__stage")),
        ])
        lines.append(reject_lines(item.frame, own, table).with_columns(own["__stage"]))
    rejects = pl.concat(lines).sort(["file", "table", "row", "__stage"], maintain_order=True).drop("_key", "__stage")
    if household_table in checked and checked[household_table].frame.height == 0:
        del checked[household_table]
    return checked, rejects


def rule_count(rejects: pl.DataFrame, rule: str) -> int:
    """Rows (not lines) rejected for ``rule``."""
    rows = rejects.filter(pl.col("rule") == rule).select("file", "table", "row").unique()
    return rows.height


def import_registry(
    paths: Sequence[Path],
    *,
    home: Path,
    replace: bool = False,
    progress: ProgressReporter | None = None,
    province: str = PROVINCE,
) -> ImportResult:
    """Import P3KE/DTSEN-style household and member files into a new registry snapshot.

    ``paths`` may mix CSV, Excel and Parquet files of households and members (recognised from their
    columns). Rows that break a rule go to ``home/rejects/registry-<time>.csv``; the rest update the current
    snapshot (or replace it with ``replace=True``). Raises ``InputFileError`` for a file that cannot be read
    at all. See docs/import.md for every rule.
    """
    today = dt.datetime.now(dt.UTC).date()
    raws, warnings = read_inputs(paths, "registry", progress)
    store = SnapshotStore(home)
    current = None if replace else store.current("registry")
    snapshot = None
    if current is not None:
        snapshot = Snapshot(
            households=store.read("registry", "households", current),
            members=store.read("registry", "members", current),
        )
    report(progress, "validate", 0, 1)
    checked, rejects = run_checks(
        raws, "registry", snapshot=snapshot, areas=AreaSets.of_province(province), today=today, check_nik=True
    )
    report(progress, "validate", 1, 1)
    households = accepted_rows(checked["households"]) if "households" in checked else None
    members = accepted_rows(checked["members"]) if "members" in checked else None
    tables = _merge(snapshot, households, members)
    rejects_path = write_rejects(rejects, Path(home), "registry")
    counts = count_rows(raws, checked)
    report(progress, "snapshot", 0, 1)
    snapshot_id, created = store.commit("registry", tables, manifest_extra=_manifest_extra(
        raws, counts, mode="replace" if replace else "update", rejects_path=rejects_path,
    ))
    report(progress, "snapshot", 1, 1)
    return ImportResult(
        kind="registry",
        snapshot_id=snapshot_id,
        created=created,
        counts=counts,
        rejects_path=rejects_path,
        duplicate_household_ids=rule_count(rejects, "duplicate_household_id"),
        duplicate_niks=rule_count(rejects, "duplicate_nik"),
        warnings=tuple(warnings),
    )


def _merge(
    snapshot: Snapshot | None, households: pl.DataFrame | None, members: pl.DataFrame | None
) -> dict[str, pl.DataFrame]:
    """Upsert the accepted rows into the snapshot's tables (or take them alone when there is none)."""
    empty_h = pl.DataFrame(schema=typed_schema("households"))
    empty_m = pl.DataFrame(schema=typed_schema("members"))
    new_h = households if households is not None else empty_h
    new_m = members if members is not None else empty_m
    if snapshot is None:
        return {"households": new_h, "members": new_m}
    replaced = new_h["household_id"]
    merged_h = pl.concat([snapshot.households.filter(~pl.col("household_id").is_in(replaced.implode())), new_h])
    if members is None:
        merged_m = snapshot.members
    else:
        touched = pl.concat([replaced, new_m["household_id"]]).unique()
        merged_m = pl.concat([snapshot.members.filter(~pl.col("household_id").is_in(touched.implode())), new_m])
    return {
        "households": merged_h.sort("household_id"),
        "members": merged_m.sort(["household_id", "member_id"]),
    }


def _manifest_extra(
    raws: list[RawTable], counts: pl.DataFrame, *, mode: str, rejects_path: Path | None
) -> dict[str, Any]:
    by_file = {(r["file"], r["table"]): r for r in counts.iter_rows(named=True)}  # one row per input file
    sources = [
        {
            "file": raw.path.name,
            "path": str(raw.path),
            "sha256": raw.sha256,
            "table": raw.table,
            "rows_read": by_file[(raw.path.name, raw.table)]["read"],
            "rows_accepted": by_file[(raw.path.name, raw.table)]["accepted"],
        }
        for raw in raws
    ]
    return {"mode": mode, "sources": sources, "rejects_file": rejects_path.name if rejects_path else None}
