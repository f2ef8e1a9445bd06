"""What every ``entas`` command shares: output formats and rendering, the data folder, progress bars, errors.

Kept apart from ``entas.cli`` so that the command groups of later layers (``entas.cli_target``,
``entas.cli_pockets``) use the same rendering and error handling without importing the main app.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from entas.errors import EntasError
from entas.progress import ProgressReporter

stdout = Console(width=None if sys.stdout.isatty() else 160)  # piped output: wide tables, not wrapped
stderr = Console(stderr=True)
T = TypeVar("T")


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class FileFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


class AreaLevelOption(StrEnum):
    province = "province"
    district = "district"
    subdistrict = "subdistrict"
    village = "village"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="How to print the result.")]
HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (snapshots, rejects, outputs). Default: $ENTAS_HOME or ./entas-data."),
]

ProvinceOption = Annotated[str, typer.Option(help="Province the village and district codes must belong to.")]


def entas_home(home: Path | None) -> Path:
    """The data folder: the option, else $ENTAS_HOME, else ./entas-data."""
    return (home or Path(os.environ.get("ENTAS_HOME", "entas-data"))).resolve()


def render(frame: pl.DataFrame, fmt: OutputFormat, *, title: str | None = None) -> None:
    """Print a table as a Rich table, CSV or JSON records."""
    if fmt is OutputFormat.csv:
        sys.stdout.write(frame.write_csv())
    elif fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), ensure_ascii=False, default=str, indent=1) + "\n")
    else:
        table = Table(title=title, header_style="bold")
        for name, dtype in frame.schema.items():
            table.add_column(name, justify="right" if dtype.is_numeric() else "left")
        for row in frame.iter_rows():
            table.add_row(*(_cell(value) for value in row))
        stdout.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return "NaN"
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.2f}" if magnitude >= 1 or value == 0 else f"{value:.3g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@contextmanager
def progress_bar() -> Iterator[ProgressReporter]:
    """A Rich progress bar on stderr that library code drives through the ProgressReporter protocol."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
        console=stderr, transient=False,
    ) as bar:

        def reporter(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        yield reporter


def run_guarded(action: Callable[[], T]) -> T:
    """Run ``action``; an EntasError becomes a one-line message and exit code 2 (no traceback)."""
    try:
        return action()
    except EntasError as error:
        stderr.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(code=2) from None


class EngineOption(StrEnum):
    duckdb = "duckdb"
    pyspark = "pyspark"


EngineChoice = Annotated[
    EngineOption | None, typer.Option(help="Analytics engine (default: $ENTAS_ENGINE or duckdb).")
]


def engine_backend(engine: EngineOption | None) -> Any:
    """A backend of the chosen engine (the option, else $ENTAS_ENGINE, else DuckDB); exit 2 on a bad name."""
    from entas.engine import connect

    name = (engine.value if engine else None) or os.environ.get("ENTAS_ENGINE", "duckdb")
    return run_guarded(lambda: connect(name))  # type: ignore[arg-type]
