"""The analytics engine: the one place in entas that knows which backend runs the expressions.

Analytics are written once against Ibis table expressions. ``connect`` starts a backend: DuckDB in memory by
default (embedded, no server), PySpark for clusters (the optional extra ``pip install entas[spark]``, with
Java 17; a local session here, the ``SparkSession.builder`` settings of your cluster otherwise). ``register``
puts a Polars/pandas/Arrow frame or a Parquet file into a backend and returns an Ibis table (a temporary
view on Spark); ``to_polars`` runs an expression and returns a Polars frame. Nothing outside this module
imports a backend.
"""

from __future__ import annotations

import contextlib
import importlib.util
import tempfile
from pathlib import Path
from typing import Any, Literal

import ibis  # type: ignore[import-untyped]
import ibis.expr.types as ir  # type: ignore[import-untyped]
import polars as pl
from ibis.backends import BaseBackend  # type: ignore[import-untyped]

from entas.errors import EngineError

EngineName = Literal["duckdb", "pyspark"]
SPARK_SHUFFLE_PARTITIONS = 4
"""Shuffle partitions of a local Spark session; set spark.sql.shuffle.partitions yourself on a cluster."""
ENGINES: tuple[EngineName, ...] = ("duckdb", "pyspark")


def connect(name: EngineName = "duckdb") -> BaseBackend:
    """A new backend: ``"duckdb"`` (in memory, the default) or ``"pyspark"`` (local session; optional extra)."""
    if name == "duckdb":
        return ibis.duckdb.connect()
    if name == "pyspark":
        if importlib.util.find_spec("pyspark") is None:
            raise EngineError(
                "engine 'pyspark' needs the optional extra: pip install 'entas[spark]' (pyspark and Java 17)"
            )
        from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

        session = (
            SparkSession.builder.master("local[*]")
            .appName("entas")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="entas-spark-"))
            # entas reduces rows to small partial-sum tables early: few shuffle partitions suit local mode
            .config("spark.sql.shuffle.partitions", str(SPARK_SHUFFLE_PARTITIONS))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return ibis.pyspark.connect(session)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


def register(backend: BaseBackend, source: Any, name: str) -> ir.Table:
    """Put ``source`` (a Polars/pandas/Arrow frame, or the path of a Parquet file) into ``backend`` as ``name``.

    On DuckDB a Polars frame becomes a view over its Arrow data (nothing copied); other frames are copied into
    a table of the backend (replacing any table or view of that name); a Parquet path is read by the backend
    itself, without passing through Python.
    """
    if backend.name == "duckdb" and not isinstance(source, ir.Table):
        _forget_duckdb_name(backend.con, name)  # a view left under this name would hide a new table
        if isinstance(source, pl.DataFrame):
            # a view over the frame's Arrow data: no copy into DuckDB (1.1M households and 4M members: 0.7 s
            # instead of 3.8 s), and DuckDB scans it as fast
            backend.con.register(name, source.to_arrow())
            return backend.table(name)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise EngineError(f"no such Parquet file: {path}")
        if path.suffix.lower() != ".parquet" and not path.is_dir():
            raise EngineError(f"not a Parquet file: {path} (expected a .parquet file or a directory of them)")
        return backend.read_parquet(path, table_name=name)
    if isinstance(source, ir.Table):
        return backend.create_table(name, source, overwrite=True)
    if backend.name == "pyspark":
        return _spark_view(backend, source, name)
    try:
        return backend.create_table(name, source, overwrite=True)
    except (TypeError, NotImplementedError) as error:
        raise EngineError(f"cannot register a {type(source).__name__} as table {name!r}: {error}") from error


def _forget_duckdb_name(connection: Any, name: str) -> None:
    """Drop whatever DuckDB holds under ``name``: a registered frame, a view or a table."""
    import duckdb

    connection.unregister(name)
    quoted = name.replace('"', '""')
    for kind in ("TABLE", "VIEW"):
        with contextlib.suppress(duckdb.CatalogException):  # the name is of the other kind
            connection.execute(f'DROP {kind} IF EXISTS "{quoted}"')


def _spark_view(backend: BaseBackend, source: Any, name: str) -> ir.Table:
    """A frame as a Spark temporary view (no managed table written to a warehouse folder)."""
    frame = source if isinstance(source, pl.DataFrame) else pl.DataFrame(source)
    spark_frame = backend._session.createDataFrame(frame.to_arrow())
    spark_frame.createOrReplaceTempView(name)
    return backend.table(name)


def as_table(source: Any, backend: BaseBackend | None = None, name: str = "entas_input") -> ir.Table:
    """An Ibis table for ``source``: itself if already one, else registered in ``backend`` (a new DuckDB)."""
    if isinstance(source, ir.Table):
        return source
    return register(backend if backend is not None else connect(), source, name)


def to_polars(expr: ir.Expr) -> pl.DataFrame:
    """Execute ``expr`` on its backend and return the result as a Polars frame."""
    result = expr.to_polars()
    if isinstance(result, pl.Series):
        return result.to_frame()
    if not isinstance(result, pl.DataFrame):
        return pl.DataFrame({"value": [result]})
    return result


__all__ = ["ENGINES", "EngineName", "as_table", "connect", "register", "to_polars"]
