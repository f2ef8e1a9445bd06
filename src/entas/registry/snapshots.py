"""Immutable, versioned snapshots of the registry and survey tables, written atomically.

Layout under the entas home folder::

    snapshots/<kind>/CURRENT                       the id of the current snapshot (one line)
    snapshots/<kind>/<snapshot_id>/households.parquet   (survey: survey_households.parquet)
    snapshots/<kind>/<snapshot_id>/members.parquet      (survey: survey_members.parquet)
    snapshots/<kind>/<snapshot_id>/manifest.json

A snapshot id is ``<kind>-<sequence, 4 digits>-<first 8 hex of the content hash>``, so ids sort in the order
they were made. The content hash is a SHA-256 over the table names, column names and types, and the rows of
each (sorted) table written as CSV: it depends on the data only, not on when or from which files it came.

Writing is atomic: the files go to a temporary folder inside ``snapshots/<kind>/``, are flushed to disk
(fsync), the folder is renamed to its id, and only then ``CURRENT`` is replaced (write a temporary file,
fsync, ``os.replace``). A process killed at any point leaves the previous current snapshot untouched and
readable; at worst a ``.tmp-*`` folder, or a complete snapshot that never became current, stays behind and
is ignored (``list`` shows the latter with ``current`` false). One importer at a time: there is no lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, Literal

import polars as pl

from entas.errors import SnapshotError
from entas.registry.schema import SCHEMA_VERSION

SnapshotKind = Literal["registry", "survey", "target-model", "target-scores", "target-evaluation", "pockets", "plan",
                       "simulation"]
TABLE_FILES: dict[str, tuple[str, ...]] = {
    "registry": ("households", "members"),
    "survey": ("survey_households", "survey_members"),
    # results of the analytics, each naming in its manifest the model and data snapshots it came from
    "target-model": ("coefficients", "fit", "residuals"),
    "target-scores": ("scores",),
    "target-evaluation": ("errors", "curve"),
    "pockets": ("pockets", "small_area", "deprivation", "hot_spots", "public_works"),
    "plan": ("assignments", "spend", "least_budget"),
    "simulation": ("path", "zero_year", "survey_path"),
}
_ID = re.compile(r"^(registry|survey|target-model|target-scores|target-evaluation|pockets|plan|simulation)-(\d{4,})-"
                 r"([0-9a-f]{8})$")


def content_hash(tables: dict[str, pl.DataFrame]) -> str:
    """SHA-256 of the tables' names, schemas and rows (in their given order), independent of file layout.

    Rows enter as Polars' 64-bit row hashes (fixed seed), about ten times faster than formatting them as
    text. Those hashes are only stable within one Polars version, so the version is part of the digest: after
    an upgrade, importing unchanged data makes a new snapshot instead of reusing the current one.
    """
    digest = hashlib.sha256(f"polars {pl.__version__}\n".encode())
    for name in sorted(tables):
        frame = tables[name]
        schema = ",".join(f"{col}:{dtype}" for col, dtype in frame.schema.items())
        digest.update(f"table {name} rows {frame.height} schema {schema}\n".encode())
        if frame.width and frame.height:
            digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SnapshotStore:
    """The snapshots of one entas home folder: list, read, and (for importers) commit."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)

    def folder(self, kind: str) -> Path:
        """``home/snapshots/<kind>``; ``kind`` is one of ``TABLE_FILES`` (data: registry, survey; results)."""
        if kind not in TABLE_FILES:
            raise SnapshotError(f"unknown snapshot kind {kind!r}; use one of {', '.join(TABLE_FILES)}")
        return self.home / "snapshots" / kind

    def _ids(self, kind: str) -> list[str]:
        folder = self.folder(kind)
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_dir() and _ID.match(p.name) and (p / "manifest.json").is_file()
        )

    def current(self, kind: str) -> str | None:
        """Id of the current snapshot, or None before the first import."""
        pointer = self.folder(kind) / "CURRENT"
        if not pointer.is_file():
            return None
        snapshot_id = pointer.read_text(encoding="utf-8").strip()
        if not (self.folder(kind) / snapshot_id / "manifest.json").is_file():
            raise SnapshotError(f"CURRENT of {kind} names {snapshot_id!r}, which has no manifest")
        return snapshot_id

    def _resolve(self, kind: str, snapshot_id: str | None) -> str:
        chosen = snapshot_id or self.current(kind)
        if chosen is None:
            raise SnapshotError(f"no {kind} snapshot yet: import one first")
        if not (self.folder(kind) / chosen / "manifest.json").is_file():
            raise SnapshotError(f"no {kind} snapshot {chosen!r}")
        return chosen

    def manifest(self, kind: str, snapshot_id: str | None = None) -> dict[str, Any]:
        """The manifest of a snapshot (the current one by default)."""
        chosen = self._resolve(kind, snapshot_id)
        data: dict[str, Any] = json.loads((self.folder(kind) / chosen / "manifest.json").read_text(encoding="utf-8"))
        return data

    def _table_path(self, kind: str, table: str, snapshot_id: str | None) -> Path:
        chosen = self._resolve(kind, snapshot_id)
        names = TABLE_FILES[kind]
        name = table if table in names else f"survey_{table}" if kind == "survey" else table
        if name not in names:
            raise SnapshotError(f"{kind} snapshots have no table {table!r}; use one of {', '.join(names)}")
        path = self.folder(kind) / chosen / f"{name}.parquet"
        if not path.is_file():
            raise SnapshotError(f"{kind} snapshot {chosen} is missing {path.name}")
        return path

    def scan(self, kind: str, table: str, snapshot_id: str | None = None) -> pl.LazyFrame:
        """Lazy scan of one table of a snapshot (the current one by default)."""
        return pl.scan_parquet(self._table_path(kind, table, snapshot_id))

    def read(self, kind: str, table: str, snapshot_id: str | None = None) -> pl.DataFrame:
        """One table of a snapshot (the current one by default)."""
        return pl.read_parquet(self._table_path(kind, table, snapshot_id))

    def list(self, kind: str) -> pl.DataFrame:
        """One row per snapshot, oldest first: id, created time, parent, content hash, rows, current.

        ``households`` and ``members`` are the rows of the first and second table of the kind (for results:
        the main table and the second one, null when the kind has one table).
        """
        current = self.current(kind)
        rows = []
        for snapshot_id in self._ids(kind):
            manifest = self.manifest(kind, snapshot_id)
            tables = manifest["tables"]
            household_table, *others = TABLE_FILES[kind]
            member_rows = tables[others[0]]["rows"] if others and others[0] in tables else None
            rows.append({
                "snapshot_id": snapshot_id,
                "created_utc": manifest["created_utc"],
                "parent": manifest["parent"],
                "mode": manifest["mode"],
                "content_hash": manifest["content_hash"],
                "households": tables[household_table]["rows"],
                "members": member_rows,
                "current": snapshot_id == current,
            })
        schema = {
            "snapshot_id": pl.Utf8, "created_utc": pl.Utf8, "parent": pl.Utf8, "mode": pl.Utf8,
            "content_hash": pl.Utf8, "households": pl.Int64, "members": pl.Int64, "current": pl.Boolean,
        }
        return pl.DataFrame(rows, schema=schema)

    def commit(
        self,
        kind: str,
        tables: dict[str, pl.DataFrame],
        *,
        manifest_extra: dict[str, Any],
    ) -> tuple[str, bool]:
        """Write ``tables`` as a new current snapshot unless equal to the current one; return (id, created).

        Result kinds may leave out tables of ``TABLE_FILES`` they did not compute; unknown names are refused.
        """
        unknown = sorted(set(tables) - set(TABLE_FILES[kind])) if kind in TABLE_FILES else []
        if unknown:
            raise SnapshotError(f"{kind} snapshots have no tables {unknown}; use {', '.join(TABLE_FILES[kind])}")
        digest = content_hash(tables)
        parent = self.current(kind)
        if parent is not None and self.manifest(kind, parent)["content_hash"] == digest:
            return parent, False
        ids = self._ids(kind)
        sequence = max((int(m.group(2)) for i in ids if (m := _ID.match(i))), default=0) + 1
        snapshot_id = f"{kind}-{sequence:04d}-{digest[:8]}"
        folder = self.folder(kind)
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".tmp-{uuid.uuid4().hex}"
        temporary.mkdir()
        try:
            self._write(temporary, kind, snapshot_id, tables, digest, parent, manifest_extra)
            _publish(temporary, folder / snapshot_id)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        _switch_current(folder, snapshot_id)
        return snapshot_id, True

    def _write(
        self,
        temporary: Path,
        kind: str,
        snapshot_id: str,
        tables: dict[str, pl.DataFrame],
        digest: str,
        parent: str | None,
        manifest_extra: dict[str, Any],
    ) -> None:
        from entas import __version__

        for name, frame in tables.items():
            path = temporary / f"{name}.parquet"
            frame.write_parquet(path, compression="zstd", statistics=True)
            _fsync_path(path)
        manifest = {
            "snapshot_id": snapshot_id,
            "kind": kind,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "content_hash": digest,
            "parent": parent,
            "schema_version": SCHEMA_VERSION,
            "entas_version": __version__,
            "tables": {name: {"file": f"{name}.parquet", "rows": frame.height} for name, frame in tables.items()},
            **manifest_extra,
        }
        path = temporary / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _fsync_path(path)
        _fsync_path(temporary)


def _publish(temporary: Path, final: Path) -> None:
    """Rename the finished temporary folder to its snapshot id, durably."""
    os.rename(temporary, final)
    _fsync_path(final.parent)


def _switch_current(folder: Path, snapshot_id: str) -> None:
    """Point ``CURRENT`` at ``snapshot_id``: write a temporary file, fsync, then ``os.replace``."""
    temporary = folder / f".CURRENT.{uuid.uuid4().hex}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(snapshot_id + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / "CURRENT")
    _fsync_path(folder)
