"""The operations store of one entas home: the SQL database plus the registry snapshots it refers to.

``OpsStore`` is shared by every request (it holds the engine and a cached household -> village index of the
current registry snapshot); ``OpsStore.access(principal)`` gives the one door through which a principal
reads and writes (``entas.ops.access.Access``). The index is reloaded when the registry's ``CURRENT``
snapshot changes, so a new import is seen without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from entas.errors import NotFoundError
from entas.ops.database import database_url, open_engine, require_current, session_factory
from entas.registry.snapshots import SnapshotStore

if TYPE_CHECKING:
    from entas.ops.access import Access
    from entas.ops.principal import Principal


@lru_cache(maxsize=1)
def program_strategies() -> dict[str, str]:
    """Program code -> strategy (``expenditure_burden``, ``income``, ``pockets``) from the packaged catalog."""
    from entas.programs.catalog import load_catalog

    return {program.code: program.strategy for program in load_catalog()}


class OpsStore:
    """The database engine, the snapshot store and the registry index shared by all principals."""

    def __init__(self, engine: Engine, home: Path, *, strategies: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.home = Path(home)
        self.snapshots = SnapshotStore(self.home)
        self._sessions = session_factory(engine)
        self._strategies = strategies
        self._index: tuple[str, pl.DataFrame] | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, home: Path, url: str | None = None) -> OpsStore:
        """Open the store of ``home`` (URL: ``url``, ``$ENTAS_DATABASE_URL`` or the SQLite file); must be migrated."""
        engine = open_engine(database_url(home, url))
        require_current(engine)
        return cls(engine, home)

    def access(self, principal: Principal) -> Access:
        """The data-access layer for ``principal``: every read and write of a face goes through it."""
        from entas.ops.access import Access

        return Access(self, principal)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @property
    def strategies(self) -> dict[str, str]:
        return self._strategies if self._strategies is not None else program_strategies()

    def registry_snapshot(self) -> str | None:
        return self.snapshots.current("registry")

    def household_index(self) -> pl.DataFrame:
        """``household_id, village_code`` of the current registry snapshot (empty before the first import)."""
        current = self.registry_snapshot()
        if current is None:
            return pl.DataFrame(schema={"household_id": pl.Utf8, "village_code": pl.Utf8})
        with self._lock:
            if self._index is None or self._index[0] != current:
                frame = self.snapshots.scan("registry", "households", current).select(
                    "household_id", "village_code").collect()
                self._index = (current, frame)
            return self._index[1]

    def village_of(self, household_id: str) -> str:
        """The village code of a registry household; ``NotFoundError`` when the registry lacks it."""
        found = self.household_index().filter(pl.col("household_id") == household_id)
        if found.height == 0:
            raise NotFoundError(f"household {household_id!r} not found")
        return str(found["village_code"][0])
