"""``entas programs``: list the program catalog, check a catalog folder, explain one household's eligibility.

A face over ``entas.programs``: ``list`` prints the catalog (strategy, funder, unit, rule, assumptions);
``check [FOLDER]`` validates every YAML file and runs its test situations (exit 2 naming the file, the field and
the rule position on an error, exit 1 when a situation fails); ``explain HOUSEHOLD_ID`` reads the current
registry snapshot and prints, for every program, each clause of its rule for that household.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from entas.cli_support import FormatOption, HomeOption, OutputFormat, entas_home, render, run_guarded, stderr
from entas.errors import EntasError

programs_app = typer.Typer(help="The program catalog: list, check, explain eligibility.", no_args_is_help=True)
FolderArgument = Annotated[Path | None, typer.Argument(help="Catalog folder of *.yaml programs (default: packaged).")]


@programs_app.command("list")
def list_programs(folder: FolderArgument = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Print the catalog: one row per program, with the values that are assumptions."""
    from entas.programs.catalog import load_catalog

    catalog = run_guarded(lambda: load_catalog(folder))
    frame = pl.DataFrame([{
        "code": p.code, "name": p.name_en, "strategy": p.strategy, "funder": p.funder_type, "unit": p.unit,
        "eligibility": p.eligibility.text, "assumptions": ", ".join(p.assumptions()),
    } for p in catalog])
    render(frame, fmt, title=f"{len(catalog)} programs")


@programs_app.command("check")
def check(folder: FolderArgument = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Validate every program file and run its test situations."""
    from entas.programs.catalog import load_catalog
    from entas.programs.situations import run_situations

    def run() -> pl.DataFrame:
        return pl.concat([run_situations(p) for p in load_catalog(folder)])

    result = run_guarded(run)
    render(result, fmt, title="Program test situations")
    failed = result.filter(~pl.col("passed"))
    if failed.height:
        stderr.print(f"[bold red]{failed.height} of {result.height} situations failed[/]")
        raise typer.Exit(code=1)
    stderr.print(f"all {result.height} situations passed")


@programs_app.command("explain")
def explain(
    household_id: Annotated[str, typer.Argument(help="Household (family) identifier in the registry.")],
    program: Annotated[str | None, typer.Option(help="Only this program code.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Date ages are taken at, YYYY-MM-DD (default: today).")] = None,
    folder: Annotated[Path | None, typer.Option(help="Catalog folder (default: packaged).")] = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Which clauses of each program's rule pass or fail for one household of the current registry, and why."""
    from entas.programs.catalog import load_catalog
    from entas.programs.eligibility import explain as explain_rule
    from entas.registry.snapshots import SnapshotStore

    def run() -> pl.DataFrame:
        try:
            when = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError as error:
            raise EntasError(f"--as-of: {error}") from None
        catalog = [p for p in load_catalog(folder) if program is None or p.code == program]
        if not catalog:
            raise EntasError(f"no program {program!r} in the catalog")
        store = SnapshotStore(entas_home(home))
        if store.current("registry") is None:
            raise EntasError(f"no registry snapshot under {store.home}: import one or run `entas demo` first")
        households = store.scan("registry", "households").filter(pl.col("household_id") == household_id).collect()
        members = store.scan("registry", "members").filter(pl.col("household_id") == household_id).collect()
        frames = [explain_rule(households, members, p, household_id, as_of=when).select(
            pl.lit(p.code).alias("program"), pl.all()) for p in catalog]
        return pl.concat(frames)

    render(run_guarded(run), fmt, title=f"Eligibility of household {household_id}")
