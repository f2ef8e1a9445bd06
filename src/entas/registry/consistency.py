"""Rules across rows and tables: duplicates, membership, household size and the single head.

They run after the row rules, in this order, each on the rows still accepted by the earlier ones except the
duplicate rules, which look at every row read (so a correction that repeats a broken row's id is also
rejected, and the administrator fixes the first row instead):

``duplicate_household_id``
    the household id already appeared in an earlier row of this import (earlier file, or earlier row of the
    same file); the later rows are rejected and ``value`` names the first row.
``duplicate_member_id``
    the same (household id, member id) appeared earlier in this import.
``duplicate_nik``
    the NIK appeared in an earlier member row of this import, or (update imports) belongs to a member of
    another household of the current snapshot that this import does not touch.
``unknown_household``
    a member's household is neither in this import nor (update imports) in the current snapshot.
``household_size_mismatch``
    when member files are imported, a household's ``household_size`` differs from its accepted member rows.
``head_count``
    when member files are imported, a household has zero or several members with ``relation_to_head`` head.
``household_rejected``
    the member's household row was rejected, so the member is rejected with it.

For a household that is only in the current snapshot but gets members in this import, the size and head
rules compare the snapshot's ``household_size`` with the imported members; the members are rejected when
they disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from entas.registry.nik import mask_nik
from entas.registry.rejects import VIOLATION_SCHEMA, empty_violations


@dataclass(frozen=True)
class Snapshot:
    """The current snapshot's tables that the cross rules need (None for a replacing import)."""

    households: pl.DataFrame
    members: pl.DataFrame


def reject(frame: pl.DataFrame, violations: pl.DataFrame) -> pl.DataFrame:
    """Mark the rows named in ``violations`` as not accepted (``_ok`` false)."""
    if violations.height == 0:
        return frame
    return frame.with_columns(pl.col("_ok") & ~pl.col("_key").is_in(violations["_key"].unique().implode()))


def _violations(frame: pl.DataFrame, condition: pl.Expr, column: str, value: pl.Expr, rule: str) -> pl.DataFrame:
    return frame.filter(condition).select(
        pl.col("_key"), pl.lit(column).alias("column"), value.cast(pl.Utf8).alias("value"), pl.lit(rule).alias("rule")
    ).cast(VIOLATION_SCHEMA)  # type: ignore[arg-type]


def duplicates(frame: pl.DataFrame, keys: list[str], column: str, shown: pl.Expr, rule: str) -> pl.DataFrame:
    """Rows whose ``keys`` already appeared in an earlier row (by ``_key``); ``value`` names the first row.

    ``frame`` is in ``_key`` order (as built by the importer). Only the few repeated keys are looked up, so
    this costs one pass of ``is_first_distinct`` over the table.
    """
    present = frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)
    repeated = present.filter(~key.is_first_distinct())
    if repeated.height == 0:
        return empty_violations()
    firsts = (
        present.join(repeated.select(keys).unique(), on=keys, how="semi")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("_file").first().alias("__first_file"), pl.col("_row").first().alias("__first_row"))
    )
    located = repeated.join(firsts, on=keys, how="left", maintain_order="left")
    value = pl.format("{} (first: {} row {})", shown, pl.col("__first_file"), pl.col("__first_row"))
    return _violations(located, pl.lit(True), column, value, rule)


def household_rules(
    households: pl.DataFrame,
    members: pl.DataFrame | None,
    snapshot: Snapshot | None,
    *,
    check_nik: bool,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Apply the cross rules; return (households, members, violations) with ``_ok`` updated.

    ``violations`` holds both tables' lines with a ``table`` column (``households`` or ``members``).
    """
    found: list[pl.DataFrame] = []

    def record(kind: str, v: pl.DataFrame) -> None:
        found.append(v.with_columns(pl.lit(kind).alias("table")))

    dup = duplicates(households, ["household_id"], "household_id", pl.col("household_id"), "duplicate_household_id")
    record("households", dup)
    households = reject(households, dup)
    if members is None:
        return households, empty_members(), _combine(found)

    dup_members = duplicates(
        members, ["household_id", "member_id"], "member_id", pl.col("member_id"), "duplicate_member_id"
    )
    record("members", dup_members)
    members = reject(members, dup_members)
    imported_ids = households["household_id"].drop_nulls().unique()
    if check_nik and "nik" in members.columns:
        dup_nik = duplicates(members, ["nik"], "nik", mask_nik(pl.col("nik")), "duplicate_nik")
        if snapshot is not None and snapshot.members.height:
            touched = pl.concat([imported_ids, members["household_id"].drop_nulls()]).unique()
            kept = snapshot.members.filter(~pl.col("household_id").is_in(touched.implode())).select(
                "nik", pl.col("household_id").alias("__other_household")
            )
            clash = members.filter(pl.col("nik").is_not_null()).join(kept, on="nik", how="inner")
            dup_nik = pl.concat([dup_nik, _violations(
                clash, pl.lit(True), "nik",
                pl.format("{} (in household {} of the current snapshot)", mask_nik(pl.col("nik")),
                          pl.col("__other_household")),
                "duplicate_nik",
            )])
        record("members", dup_nik)
        members = reject(members, dup_nik)

    known = imported_ids
    if snapshot is not None:
        known = pl.concat([known, snapshot.households["household_id"]]).unique()
    orphans = _violations(
        members, pl.col("_ok") & pl.col("household_id").is_not_null() & ~pl.col("household_id").is_in(known.implode()),
        "household_id", pl.col("household_id"), "unknown_household",
    )
    record("members", orphans)
    members = reject(members, orphans)

    households, members = _size_and_head(households, members, snapshot, record)

    accepted_ids = households.filter(pl.col("_ok"))["household_id"].unique()
    cascaded = _violations(
        members,
        pl.col("_ok") & pl.col("household_id").is_in(imported_ids.implode())
        & ~pl.col("household_id").is_in(accepted_ids.implode()),
        "household_id", pl.col("household_id"), "household_rejected",
    )
    record("members", cascaded)
    members = reject(members, cascaded)
    return households, members, _combine(found)


def _size_and_head(
    households: pl.DataFrame,
    members: pl.DataFrame,
    snapshot: Snapshot | None,
    record: Callable[[str, pl.DataFrame], None],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    counts = (
        members.filter(pl.col("_ok"))
        .group_by("household_id")
        .agg(__members=pl.len().cast(pl.Int64), __heads=(pl.col("relation_to_head") == "head").sum().cast(pl.Int64))
    )
    scoped = households.filter(pl.col("_ok")).join(counts, on="household_id", how="left").with_columns(
        pl.col("__members").fill_null(0), pl.col("__heads").fill_null(0)
    )
    size_bad = pl.col("household_size").is_not_null() & (pl.col("household_size") != pl.col("__members"))
    size_value = pl.format("{} (member rows: {})", pl.col("household_size"), pl.col("__members"))
    head_value = pl.format("{} heads", pl.col("__heads"))
    found = pl.concat([
        _violations(scoped, size_bad, "household_size", size_value, "household_size_mismatch"),
        _violations(scoped, pl.col("__heads") != 1, "relation_to_head", head_value, "head_count"),
    ])
    record("households", found)
    households = reject(households, found)
    if snapshot is None:
        return households, members
    elsewhere = counts.join(
        snapshot.households.select("household_id", "household_size"), on="household_id", how="inner"
    ).filter(~pl.col("household_id").is_in(households["household_id"].drop_nulls().implode()))
    in_members = members.filter(pl.col("_ok")).join(elsewhere, on="household_id", how="inner")
    member_found = pl.concat([
        _violations(in_members, size_bad, "household_size", size_value, "household_size_mismatch"),
        _violations(in_members, pl.col("__heads") != 1, "relation_to_head", head_value, "head_count"),
    ])
    record("members", member_found)
    return households, reject(members, member_found)


def empty_members() -> pl.DataFrame:
    """Placeholder for an import without member files."""
    return pl.DataFrame(schema={"_key": pl.Int64, "_ok": pl.Boolean})


def _combine(found: list[pl.DataFrame]) -> pl.DataFrame:
    if not found:
        return empty_violations().with_columns(pl.lit(None, dtype=pl.Utf8).alias("table"))
    return pl.concat(found, how="vertical")
