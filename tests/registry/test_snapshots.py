"""Snapshots: typed output, manifest, idempotence, update versus replace, and atomic switching."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from household_builder import valid_registry, write_csv_pair

from entas.errors import SnapshotError
from entas.registry import snapshots
from entas.registry.importer import import_registry, typed_schema
from entas.registry.schema import SCHEMA_VERSION
from entas.registry.snapshots import SnapshotStore


@pytest.fixture
def first_files(tmp_path: Path, valid: tuple[pl.DataFrame, pl.DataFrame]) -> list[Path]:
    return write_csv_pair(tmp_path / "first", *valid)


def test_snapshot_tables_are_typed_in_schema_order(first_files: list[Path], home: Path) -> None:
    import_registry(first_files, home=home)
    store = SnapshotStore(home)
    assert dict(store.read("registry", "households").schema) == typed_schema("households")
    assert dict(store.read("registry", "members").schema) == typed_schema("members")


def test_snapshot_rows_are_sorted_and_codes_english(first_files: list[Path], home: Path) -> None:
    import_registry(first_files, home=home)
    members = SnapshotStore(home).read("registry", "members")
    keys = members.select("household_id", "member_id").rows()
    assert keys == sorted(keys)
    assert set(members["relation_to_head"]) == {"head", "spouse", "child"}
    assert set(members["education"]) == {"primary"}


def test_manifest_records_sources_counts_and_versions(first_files: list[Path], home: Path) -> None:
    result = import_registry(first_files, home=home)
    manifest = SnapshotStore(home).manifest("registry")
    assert manifest["snapshot_id"] == result.snapshot_id
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["tables"] == {
        "households": {"file": "households.parquet", "rows": 4}, "members": {"file": "members.parquet", "rows": 12},
    }
    assert [s["file"] for s in manifest["sources"]] == ["households.csv", "members.csv"]
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"])
    assert manifest["parent"] is None and manifest["created_utc"].endswith("+00:00")


def test_snapshot_id_is_sortable_and_names_the_hash(first_files: list[Path], home: Path) -> None:
    result = import_registry(first_files, home=home)
    manifest = SnapshotStore(home).manifest("registry")
    assert result.snapshot_id == f"registry-0001-{manifest['content_hash'][:8]}"


def test_importing_the_same_files_twice_creates_no_new_snapshot(first_files: list[Path], home: Path) -> None:
    first = import_registry(first_files, home=home)
    second = import_registry(first_files, home=home)
    assert (second.created, second.snapshot_id) == (False, first.snapshot_id)
    assert SnapshotStore(home).list("registry").height == 1


def test_same_content_from_another_format_is_the_same_snapshot(
    first_files: list[Path], valid: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path, home: Path
) -> None:
    first = import_registry(first_files, home=home)
    households, members = valid
    paths = [tmp_path / "h.parquet", tmp_path / "m.parquet"]
    households.reverse().write_parquet(paths[0])
    members.reverse().write_parquet(paths[1])
    assert import_registry(paths, home=home, replace=True).snapshot_id == first.snapshot_id


def test_update_upserts_households_and_replaces_their_members(
    first_files: list[Path], tmp_path: Path, home: Path
) -> None:
    first = import_registry(first_files, home=home)
    households, members = valid_registry(2, prefix="H")  # H0001, H0002 again
    households = households.with_columns(pl.lit("9").alias("welfare_decile"))
    members = members.filter(pl.col("member_id") != "3")
    households = households.with_columns(pl.lit("2").alias("household_size"))
    new, more = valid_registry(1, prefix="N", serial_offset=500)
    files = write_csv_pair(tmp_path / "second", pl.concat([households, new]), pl.concat([members, more]))
    result = import_registry(files, home=home)
    store = SnapshotStore(home)
    got_h = store.read("registry", "households")
    got_m = store.read("registry", "members")
    assert got_h["household_id"].to_list() == ["H0001", "H0002", "H0003", "H0004", "N0001"]
    assert got_h.filter(pl.col("household_id") <= "H0002")["welfare_decile"].to_list() == [9, 9]
    assert got_m.filter(pl.col("household_id") == "H0001").height == 2
    assert got_m.filter(pl.col("household_id") == "H0003").height == 3
    assert store.manifest("registry")["parent"] == first.snapshot_id
    assert result.snapshot_id.startswith("registry-0002-")


def test_replace_keeps_only_the_imported_rows(first_files: list[Path], tmp_path: Path, home: Path) -> None:
    import_registry(first_files, home=home)
    files = write_csv_pair(tmp_path / "second", *valid_registry(1, prefix="N", serial_offset=500))
    import_registry(files, home=home, replace=True)
    assert SnapshotStore(home).read("registry", "households")["household_id"].to_list() == ["N0001"]


def test_households_alone_keep_their_old_members(first_files: list[Path], tmp_path: Path, home: Path) -> None:
    import_registry(first_files, home=home)
    households, _ = valid_registry(1)
    path = tmp_path / "only_households.csv"
    households.with_columns(pl.lit("7").alias("welfare_decile")).write_csv(path)
    import_registry([path], home=home)
    assert SnapshotStore(home).read("registry", "members").height == 12


def test_members_may_join_a_household_of_the_current_snapshot(
    first_files: list[Path], tmp_path: Path, home: Path
) -> None:
    import_registry(first_files, home=home)
    _, members = valid_registry(1)
    path = tmp_path / "members.csv"
    members.write_csv(path)
    result = import_registry([path], home=home)
    assert result.counts["rejected"].to_list() == [0]


def test_member_of_unknown_household_is_rejected_in_replace_mode(
    first_files: list[Path], tmp_path: Path, home: Path
) -> None:
    import_registry(first_files, home=home)
    _, members = valid_registry(1)
    path = tmp_path / "members.csv"
    members.write_csv(path)
    result = import_registry([path], home=home, replace=True)
    assert result.rejects_path is not None
    assert set(pl.read_csv(result.rejects_path)["rule"]) == {"unknown_household"}


def test_nik_of_another_snapshot_household_is_a_duplicate(first_files: list[Path], tmp_path: Path, home: Path) -> None:
    import_registry(first_files, home=home)
    households, members = valid_registry(1, prefix="N", serial_offset=500)
    _, old = valid_registry(4)
    moved = old.filter(pl.col("household_id") == "H0003").head(1)["nik"].item()
    members = members.with_columns(
        pl.when(pl.col("member_id") == "1").then(pl.lit(moved)).otherwise(pl.col("nik")).alias("nik")
    )
    # the moved person keeps their birth date and sex, so only the duplicate rule can fail
    members = members.with_columns(
        pl.when(pl.col("member_id") == "1").then(pl.lit(old.filter(pl.col("nik") == moved)["birth_date"].item()))
        .otherwise(pl.col("birth_date")).alias("birth_date")
    )
    files = write_csv_pair(tmp_path / "second", households, members)
    result = import_registry(files, home=home)
    assert result.duplicate_niks == 1
    assert result.rejects_path is not None
    line = pl.read_csv(result.rejects_path).filter(pl.col("rule") == "duplicate_nik").row(0, named=True)
    assert line["value"].endswith("(in household H0003 of the current snapshot)")


def test_failure_before_current_switch_leaves_previous_snapshot_current(
    first_files: list[Path], tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = import_registry(first_files, home=home)

    def crash(folder: Path, snapshot_id: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(snapshots, "_switch_current", crash)
    files = write_csv_pair(tmp_path / "second", *valid_registry(1, prefix="N", serial_offset=500))
    with pytest.raises(OSError, match="disk gone"):
        import_registry(files, home=home, replace=True)
    store = SnapshotStore(home)
    assert store.current("registry") == first.snapshot_id
    assert store.read("registry", "households").height == 4


def test_failure_while_writing_leaves_no_partial_snapshot(
    first_files: list[Path], tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = import_registry(first_files, home=home)

    def crash(temporary: Path, final: Path) -> None:
        raise OSError("killed")

    monkeypatch.setattr(snapshots, "_publish", crash)
    files = write_csv_pair(tmp_path / "second", *valid_registry(1, prefix="N", serial_offset=500))
    with pytest.raises(OSError):
        import_registry(files, home=home, replace=True)
    folder = home / "snapshots" / "registry"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [first.snapshot_id]
    assert SnapshotStore(home).current("registry") == first.snapshot_id


def test_killed_import_process_leaves_the_store_readable(first_files: list[Path], tmp_path: Path, home: Path) -> None:
    first = import_registry(first_files, home=home)
    files = write_csv_pair(tmp_path / "second", *valid_registry(1, prefix="N", serial_offset=500))
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from entas.registry import snapshots
        from entas.registry.importer import import_registry

        def die(folder, snapshot_id):
            os.kill(os.getpid(), signal.SIGKILL)

        snapshots._switch_current = die
        import_registry([Path({str(files[0])!r}), Path({str(files[1])!r})], home=Path({str(home)!r}), replace=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False, env=dict(os.environ))
    assert done.returncode == -9
    store = SnapshotStore(home)
    assert store.current("registry") == first.snapshot_id
    assert store.read("registry", "households").height == 4
    listing = store.list("registry")
    assert listing.filter(pl.col("current"))["snapshot_id"].to_list() == [first.snapshot_id]
    again = import_registry(files, home=home, replace=True)
    assert again.created and again.snapshot_id.startswith("registry-0003-")


def test_current_pointing_nowhere_is_a_snapshot_error(first_files: list[Path], home: Path) -> None:
    import_registry(first_files, home=home)
    (home / "snapshots" / "registry" / "CURRENT").write_text("registry-0099-deadbeef\n")
    with pytest.raises(SnapshotError, match="no manifest"):
        SnapshotStore(home).current("registry")


def test_reading_before_any_import_is_a_snapshot_error(home: Path) -> None:
    with pytest.raises(SnapshotError, match="no registry snapshot yet"):
        SnapshotStore(home).read("registry", "households")


def test_manifest_is_valid_json_on_disk(first_files: list[Path], home: Path) -> None:
    result = import_registry(first_files, home=home)
    path = home / "snapshots" / "registry" / result.snapshot_id / "manifest.json"
    assert json.loads(path.read_text(encoding="utf-8"))["kind"] == "registry"


def test_content_hash_follows_values_order_nulls_and_schema_not_chunking() -> None:
    from entas.registry.snapshots import content_hash

    frame = pl.DataFrame({"household_id": ["a", "b", "c"], "persons": [3, None, 5], "rp": [1.5, 2.0, -0.5]})
    chunked = pl.concat([frame.slice(0, 1), frame.slice(1, 2)], rechunk=False)
    assert content_hash({"households": frame}) == content_hash({"households": chunked})
    changed = [
        frame.with_columns(persons=pl.Series([3, 4, 5])),  # a null filled
        frame.with_columns(rp=pl.Series([1.5, 2.0, -0.25])),  # one value
        frame.reverse(),  # row order
        frame.with_columns(pl.col("persons").cast(pl.Int32)),  # schema
        frame.rename({"rp": "rupiah"}),  # a column's name
        frame.head(2),
    ]
    digests = {content_hash({"households": other}) for other in changed}
    assert len(digests) == len(changed) and content_hash({"households": frame}) not in digests
    assert content_hash({"households": frame}) != content_hash({"members": frame})
