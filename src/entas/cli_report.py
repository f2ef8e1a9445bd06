"""``entas report`` (briefs in HTML and PDF) and ``entas areas import-geometry`` (boundaries for the maps).

A face: it parses, calls ``entas.report`` and ``entas.areas.geometry``, and prints what it wrote.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from entas.cli_support import HomeOption, OutputFormat, entas_home, progress_bar, render, run_guarded, stderr


class ReportLanguage(StrEnum):
    id = "id"
    en = "en"
    both = "both"


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    both = "both"


def report(
    area: Annotated[list[str] | None, typer.Option(
        "--area", help="Province (64) or district code (64.08 or BPS 6404); repeat for several.")] = None,
    all_areas: Annotated[bool, typer.Option("--all", help="The province and each of its districts.")] = False,
    lang: Annotated[ReportLanguage, typer.Option(
        "--lang", help="Bahasa Indonesia (default), English, or both.")] = ReportLanguage.id,
    report_format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="HTML (one self-contained file), PDF (printed by Chromium), or both.")] = (
        ReportFormat.html),
    out: Annotated[Path | None, typer.Option(help="Output folder. Default: HOME/reports.")] = None,
    province: Annotated[str, typer.Option(help="Province of the briefs.")] = "64",
    home: HomeOption = None,
) -> None:
    """Briefs of the province and its districts: poverty with CIs, trend, map, pockets, targeting, plan, path to 2026.

    Every section names its snapshot; a section whose snapshot is missing says which command makes it.
    """
    from entas.report import write_reports

    if not area and not all_areas:
        stderr.print("[bold red]error:[/] give --area CODE (repeatable) or --all")
        raise typer.Exit(code=2)
    folder = entas_home(home)
    langs = ["id", "en"] if lang is ReportLanguage.both else [lang.value]
    formats = ["html", "pdf"] if report_format is ReportFormat.both else [report_format.value]
    target = out or folder / "reports"
    with progress_bar() as progress:
        written = run_guarded(lambda: write_reports(folder, None if all_areas else area, langs=langs,
                                                    formats=formats, out=target, province=province,
                                                    progress=progress))
    table = pl.DataFrame({"area": [w.area for w in written], "lang": [w.lang for w in written],
                          "format": [w.fmt for w in written], "path": [str(w.path) for w in written],
                          "kb": [round(w.path.stat().st_size / 1024) for w in written]})
    render(table, OutputFormat.table, title=f"Briefs written to {target}")


def import_geometry_command(file: Path, *, code_field: str, province: str, home: Path | None,
                            fmt: OutputFormat) -> None:
    """``entas areas import-geometry FILE``: store boundaries for the maps; print matched levels and unmatched codes."""
    from entas.areas.geometry import import_geometry

    result = run_guarded(lambda: import_geometry(file, entas_home(home), code_field=code_field, province=province))
    render(result.matched.group_by("level").len("features").sort("level"), fmt,
           title=f"Boundaries stored in {result.path}; maps now draw them")
    if result.unmatched:
        shown = ", ".join(result.unmatched[:20]) + (" ..." if len(result.unmatched) > 20 else "")
        stderr.print(f"[yellow]warning:[/] {len(result.unmatched)} feature(s) not stored: their {code_field!r} is "
                     f"not an area of province {province}: {shown}")


__all__ = ["import_geometry_command", "report"]
