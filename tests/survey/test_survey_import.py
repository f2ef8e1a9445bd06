"""Survey import: design fields checked, BPS district codes accepted, a round snapshotted as a whole."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from survey_builder import survey_round, write_round

from entas.registry.snapshots import SnapshotStore
from entas.survey.importer import import_survey


def _rules(paths: list[Path], home: Path, **kwargs: str) -> list[tuple[int, str, str]]:
    result = import_survey(paths, home=home, **kwargs)
    if result.rejects_path is None:
        return []
    rejects = pl.read_csv(result.rejects_path)
    return [(r["row"], r["column"], r["rule"]) for r in rejects.iter_rows(named=True)]


def test_bps_district_code_is_crosswalked_to_kemendagri(tmp_path: Path, home: Path) -> None:
    import_survey(write_round(tmp_path, *survey_round(district="6402")), home=home)
    households = SnapshotStore(home).read("survey", "households")
    assert set(households["district_code"]) == {"64.07"}


def test_kemendagri_district_code_is_accepted(tmp_path: Path, home: Path) -> None:
    assert _rules(write_round(tmp_path, *survey_round(district="64.07")), home) == []


def test_village_code_as_district_is_rejected(tmp_path: Path, home: Path) -> None:
    households, members = survey_round(district="64.07.05.2008")
    rules = _rules(write_round(tmp_path, households, members), home)
    assert {(column, rule) for _, column, rule in rules} == {
        ("district_code", "unknown_district"), ("household_id", "household_rejected"),
    }


def test_weight_must_be_positive(tmp_path: Path, home: Path) -> None:
    households, _ = survey_round()
    households = households.with_columns(
        pl.when(pl.col("household_id") == "S001").then(pl.lit("0")).otherwise(pl.col("weight")).alias("weight")
    )
    assert _rules(write_round(tmp_path, households), home) == [(2, "weight", "not_positive")]


def test_negative_consumption_is_rejected(tmp_path: Path, home: Path) -> None:
    households, _ = survey_round()
    households = households.with_columns(
        pl.when(pl.col("household_id") == "S002").then(pl.lit("-1")).otherwise(pl.col("consumption_pc_rp_month"))
        .alias("consumption_pc_rp_month")
    )
    assert _rules(write_round(tmp_path, households), home) == [(3, "consumption_pc_rp_month", "below_minimum")]


def test_empty_psu_is_rejected(tmp_path: Path, home: Path) -> None:
    households, _ = survey_round()
    households = households.with_columns(
        pl.when(pl.col("household_id") == "S003").then(pl.lit("")).otherwise(pl.col("psu")).alias("psu")
    )
    assert _rules(write_round(tmp_path, households), home) == [(4, "psu", "required")]


def test_single_psu_stratum_is_accepted_with_a_warning(tmp_path: Path, home: Path) -> None:
    households, members = survey_round()
    households = households.with_columns(pl.lit("BS0").alias("psu"))
    result = import_survey(write_round(tmp_path, households, members), home=home)
    assert result.counts["rejected"].sum() == 0
    assert any("single PSU" in w and "2024-03/ST0" in w for w in result.warnings)


def test_period_fills_a_missing_column(tmp_path: Path, home: Path) -> None:
    households, members = survey_round()
    import_survey(write_round(tmp_path, households.drop("survey_period"), members), home=home, period="2024-09")
    assert SnapshotStore(home).manifest("survey")["survey_periods"] == ["2024-09"]


def test_period_different_from_the_requested_one_is_rejected(tmp_path: Path, home: Path) -> None:
    households, members = survey_round(period="2023-03")
    rules = _rules(write_round(tmp_path, households, members), home, period="2024-03")
    assert {rule for _, _, rule in rules} == {"period_mismatch", "household_rejected"}
    assert len(rules) == 8 + 16


def test_household_size_must_match_members(tmp_path: Path, home: Path) -> None:
    households, members = survey_round()
    members = members.filter(~((pl.col("household_id") == "S004") & (pl.col("member_id") == "2")))
    rules = _rules(write_round(tmp_path, households, members), home)
    assert rules == [(5, "household_size", "household_size_mismatch"), (8, "household_id", "household_rejected")]


def test_each_import_is_a_whole_round(tmp_path: Path, home: Path) -> None:
    import_survey(write_round(tmp_path / "a", *survey_round(period="2024-03")), home=home)
    households, members = survey_round(period="2024-09")
    result = import_survey(write_round(tmp_path / "b", households.head(2), members.head(4)), home=home)
    store = SnapshotStore(home)
    assert store.read("survey", "households").height == 2
    assert store.manifest("survey")["survey_periods"] == ["2024-09"]
    assert result.snapshot_id.startswith("survey-0002-")


def test_same_survey_twice_creates_no_new_snapshot(tmp_path: Path, home: Path) -> None:
    paths = write_round(tmp_path, *survey_round())
    first = import_survey(paths, home=home)
    second = import_survey(paths, home=home)
    assert (second.created, second.snapshot_id) == (False, first.snapshot_id)


def test_survey_counts_add_up(tmp_path: Path, home: Path) -> None:
    households, members = survey_round()
    households = households.with_columns(pl.lit("x").alias("urban"))
    result = import_survey(write_round(tmp_path, households, members), home=home)
    counts = result.counts
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()
    assert counts["rejected"].to_list() == [8, 16]
