"""Import a Susenas-like survey round: validate, write rejects, snapshot the round as a whole.

A survey round is a whole sample, so every import makes a snapshot of exactly the imported rows (no
upsert); the manifest records the ``survey_period`` values it holds. The rules are the registry's row rules
for the survey tables (``entas.registry.validation``), plus:

- ``weight`` must be > 0 (``not_positive``), ``consumption_pc_rp_month`` >= 0 (``below_minimum``), ``psu``
  and ``stratum`` non-empty (``required``);
- ``district_code`` must be a district of the province; a 4-digit code is read as BPS (``6402`` = Kutai
  Barat = ``64.07``) and crosswalked (``unknown_district`` otherwise);
- ``survey_period`` is ``YYYY-MM`` (``bad_period``); when ``period`` is given, empty periods take it and a
  different one is rejected (``period_mismatch``);
- duplicated household ids, members of households not in the import, household size and head rules as for
  the registry (see ``entas.registry.consistency``); there is no NIK in a survey.

A stratum with a single PSU is accepted here but named in the warnings: the estimator decides the policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace as with_changes
from pathlib import Path

import polars as pl

from entas.progress import ProgressReporter, report
from entas.registry.consistency import reject
from entas.registry.importer import (
    PROVINCE,
    CheckedTable,
    ImportResult,
    accepted_rows,
    count_rows,
    read_inputs,
    rule_count,
    run_checks,
    typed_schema,
)
from entas.registry.reading import RawTable
from entas.registry.rejects import REJECT_COLUMNS, reject_lines, write_rejects
from entas.registry.schema import TableName
from entas.registry.snapshots import SnapshotStore
from entas.registry.validation import AreaSets

_SHOWN_STRATA = 10


def import_survey(
    paths: Sequence[Path],
    *,
    home: Path,
    period: str | None = None,
    progress: ProgressReporter | None = None,
    province: str = PROVINCE,
) -> ImportResult:
    """Import survey household (and member) files as a new survey snapshot; see the module docstring."""
    today = dt.datetime.now(dt.UTC).date()
    optional = ("survey_period",) if period is not None else ()
    raws, warnings = read_inputs(paths, "survey", progress, optional=optional)
    if period is not None:
        raws = [_fill_period(raw, period) for raw in raws]
    report(progress, "validate", 0, 1)
    checked, rejects = run_checks(
        raws, "survey", snapshot=None, areas=AreaSets.of_province(province), today=today, check_nik=False
    )
    if period is not None and "survey_households" in checked:
        checked, rejects = _period_rule(checked, rejects, period)
    report(progress, "validate", 1, 1)
    tables: dict[str, pl.DataFrame] = {
        table: accepted_rows(checked[table]) for table in ("survey_households", "survey_members") if table in checked
    }
    if "survey_members" not in tables:
        tables["survey_members"] = pl.DataFrame(schema=typed_schema("survey_members"))
    households = tables.get("survey_households")
    periods: list[str] = []
    if households is not None:
        periods = sorted(households["survey_period"].drop_nulls().unique().to_list())
        warnings.extend(_single_psu_warnings(households))
    rejects_path = write_rejects(rejects, Path(home), "survey")
    counts = count_rows(raws, checked)
    report(progress, "snapshot", 0, 1)
    snapshot_id, created = SnapshotStore(home).commit(
        "survey",
        tables,
        manifest_extra={
            "mode": "replace",
            "survey_periods": periods,
            "sources": [
                {"file": r.path.name, "path": str(r.path), "sha256": r.sha256, "table": r.table} for r in raws
            ],
            "rejects_file": rejects_path.name if rejects_path else None,
        },
    )
    report(progress, "snapshot", 1, 1)
    return ImportResult(
        kind="survey",
        snapshot_id=snapshot_id,
        created=created,
        counts=counts,
        rejects_path=rejects_path,
        duplicate_household_ids=rule_count(rejects, "duplicate_household_id"),
        duplicate_niks=0,
        warnings=tuple(warnings),
    )


def _fill_period(raw: RawTable, period: str) -> RawTable:
    if raw.table != "survey_households":
        return raw
    if "survey_period" not in raw.frame.columns:
        frame = raw.frame.with_columns(pl.lit(period).alias("survey_period"))
    else:
        text = pl.col("survey_period").str.strip_chars()
        frame = raw.frame.with_columns(
            pl.when(text.is_null() | (text == "")).then(pl.lit(period)).otherwise(pl.col("survey_period"))
            .alias("survey_period")
        )
    return with_changes(raw, frame=frame)


def _period_rule(
    checked: dict[TableName, CheckedTable], rejects: pl.DataFrame, period: str
) -> tuple[dict[TableName, CheckedTable], pl.DataFrame]:
    """Reject households whose period differs from the one asked for, and cascade to their members."""
    item = checked["survey_households"]
    frame = item.frame
    wrong = frame.filter(pl.col("_ok") & (pl.col("survey_period") != period)).select(
        "_key", pl.lit("survey_period").alias("column"), pl.col("survey_period").alias("value"),
        pl.lit("period_mismatch").alias("rule"),
    )
    if wrong.height == 0:
        return checked, rejects
    frame = reject(frame, wrong)
    new_lines = [reject_lines(frame, wrong, "survey_households").drop("_key")]
    out = dict(checked)
    out["survey_households"] = CheckedTable("survey_households", frame, item.violations)
    if "survey_members" in checked:
        members = checked["survey_members"].frame
        dropped = frame.filter(~pl.col("_ok"))["household_id"]
        kept = frame.filter(pl.col("_ok"))["household_id"]
        cascade = members.filter(
            pl.col("_ok")
            & pl.col("household_id").is_in(dropped.implode())
            & ~pl.col("household_id").is_in(kept.implode())
        ).select(
            "_key", pl.lit("household_id").alias("column"), pl.col("household_id").alias("value"),
            pl.lit("household_rejected").alias("rule"),
        )
        members = reject(members, cascade)
        out["survey_members"] = CheckedTable("survey_members", members, checked["survey_members"].violations)
        new_lines.append(reject_lines(members, cascade, "survey_members").drop("_key"))
    merged = pl.concat([rejects, *new_lines]).select(REJECT_COLUMNS).sort(["file", "table", "row"], maintain_order=True)
    return out, merged


def _single_psu_warnings(households: pl.DataFrame) -> list[str]:
    single = (
        households.group_by("survey_period", "stratum")
        .agg(pl.col("psu").n_unique().alias("psus"))
        .filter(pl.col("psus") == 1)
        .sort("survey_period", "stratum")
    )
    if single.height == 0:
        return []
    names = ", ".join(f"{p}/{s}" for p, s in single.select("survey_period", "stratum").head(_SHOWN_STRATA).iter_rows())
    more = f" and {single.height - _SHOWN_STRATA} more" if single.height > _SHOWN_STRATA else ""
    return [
        f"{single.height} stratum(s) with a single PSU (period/stratum: {names}{more}): accepted; the estimator "
        "needs a policy for them (adjust, certainty or remove)"
    ]
