"""entas.engine: connect, register, to_polars on the embedded DuckDB backend."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

from entas.engine import connect, register, to_polars
from entas.errors import EngineError

FRAME = pl.DataFrame({"district": ["64.01", "64.01", "64.02"], "persons": [4, 3, 5]})


def test_a_registered_frame_round_trips_through_duckdb() -> None:
    table = register(connect(), FRAME, "households")
    totals = to_polars(table.group_by("district").aggregate(persons=table.persons.sum())).sort("district")
    assert totals.to_dict(as_series=False) == {"district": ["64.01", "64.02"], "persons": [7, 5]}


def test_registering_again_under_a_name_always_shows_the_new_data(tmp_path: Path) -> None:
    """Polars frames are views over their Arrow data; no earlier view or table may hide a newer one."""
    backend = connect()
    path = tmp_path / "three.parquet"
    FRAME.write_parquet(path)
    sources = [FRAME.head(1), FRAME.head(2).to_pandas(), FRAME.head(2), path, FRAME.head(1).to_arrow(), FRAME]
    for source in sources:
        expected = len(source) if not isinstance(source, Path) else FRAME.height
        assert to_polars(register(backend, source, "households").count()).item() == expected, type(source)
        assert to_polars(backend.table("households").count()).item() == expected, type(source)


def test_a_parquet_file_is_read_by_the_backend(tmp_path: Path) -> None:
    path = tmp_path / "households.parquet"
    FRAME.write_parquet(path)
    table = register(connect("duckdb"), path, "households")
    assert to_polars(table).sort("district").equals(FRAME.sort("district"))


def test_a_missing_parquet_file_is_an_engine_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no such Parquet file"):
        register(connect(), tmp_path / "missing.parquet", "x")


def test_pyspark_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else
                        real_find_spec(name, *a))
    with pytest.raises(EngineError, match=r"entas\[spark\]"):
        connect("pyspark")


def test_an_unknown_engine_is_an_error() -> None:
    with pytest.raises(EngineError, match="unknown engine"):
        connect("oracle")  # type: ignore[arg-type]
