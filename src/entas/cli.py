"""The ``entas`` command: parse, call the library, render. No statistics are computed here.

Every verb takes ``--format table|csv|json`` where it prints a table; long work shows a progress bar on
stderr; bad input exits with code 2 and a message naming the file, row and field.
"""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from entas.cli_ops import db_app, export_app, ledger_app, users_app
from entas.cli_plan import plan, simulate
from entas.cli_pockets import pockets
from entas.cli_programs import programs_app
from entas.cli_report import import_geometry_command, report
from entas.cli_serve import serve
from entas.cli_support import (
    AreaLevelOption,
    EngineChoice,
    FileFormat,
    FormatOption,
    HomeOption,
    OutputFormat,
    ProvinceOption,
    engine_backend,
    entas_home,
    progress_bar,
    render,
    run_guarded,
    stderr,
    stdout,
)
from entas.cli_target import target_app
from entas.errors import EntasError

app = typer.Typer(help="entas: shared decision support for zero extreme poverty.", no_args_is_help=True)
import_app = typer.Typer(help="Import registry or survey files into a new snapshot.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.command()(pockets)
app.command()(plan)
app.command()(simulate)
app.command()(serve)
app.command()(report)
app.add_typer(target_app, name="target")
app.add_typer(programs_app, name="programs")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(ledger_app, name="ledger")
app.add_typer(export_app, name="export")


@app.command()
def areas(
    code: Annotated[str, typer.Argument(help="Province, district, subdistrict code (Kemendagri 64.07 or BPS 6402), "
                                             "or import-geometry to store boundaries for the maps.")],
    file: Annotated[Path | None, typer.Argument(help="With import-geometry: a GeoJSON (or GeoPackage) file.")] = None,
    level: Annotated[AreaLevelOption | None, typer.Option(help="Only this level below CODE.")] = None,
    code_field: Annotated[str, typer.Option(help="With import-geometry: the property holding the area code.")] = "code",
    province: ProvinceOption = "64",
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List official areas (Kemendagri code list) under CODE; `areas import-geometry FILE` stores boundaries."""
    from entas.areas import area_tree

    if code == "import-geometry":
        if file is None:
            stderr.print("[bold red]error:[/] import-geometry needs a boundary FILE (GeoJSON)")
            raise typer.Exit(code=2)
        import_geometry_command(file, code_field=code_field, province=province, home=home, fmt=fmt)
        return

    tree = run_guarded(lambda: area_tree(code, level=level.value if level else None))
    columns = ["code", "name", "level", "kind", "parent_code", "bps_district_code", "urban"]
    render(tree.select(columns), fmt, title=f"Areas under {code}: {tree.height:,}")


@app.command()
def synth(
    province: Annotated[str, typer.Option(help="Province code.")] = "64",
    year: Annotated[int, typer.Option(help="Survey year to calibrate to (March round).")] = 2024,
    scale: Annotated[float, typer.Option(help="Share of the real population (1.0 = every household).")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same province.")] = 1,
    out: Annotated[Path | None, typer.Option(help="Output folder. Default: HOME/synth/<province>-<year>.")] = None,
    file_format: Annotated[FileFormat, typer.Option("--file-format", help="Files to write.")] = FileFormat.parquet,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Generate a synthetic province: registry, survey sample and the truth file, calibrated to BPS figures."""
    from entas.synth import calibration_report, generate, write_synth

    target = out or entas_home(home) / "synth" / f"{province}-{year}"
    with progress_bar() as progress:
        result = run_guarded(lambda: generate(province, year, scale=scale, seed=seed, progress=progress))
        files = run_guarded(lambda: write_synth(result, target, fmt=file_format.value))
    render(calibration_report(result), fmt, title="Calibration against published figures")
    for name, path in files.items():
        stderr.print(f"{name}: {path}")


def _print_import(result: Any, fmt: OutputFormat) -> None:
    render(result.counts, fmt, title=f"Import into {result.snapshot_id}")
    verb = "created" if result.created else "unchanged (same content as the current snapshot)"
    stderr.print(f"snapshot {result.snapshot_id}: {verb}")
    if result.duplicate_household_ids or result.duplicate_niks:
        stderr.print(
            f"duplicates rejected: {result.duplicate_household_ids:,} household ids, {result.duplicate_niks:,} NIKs"
        )
    if result.rejects_path is not None:
        stderr.print(f"rejected rows with reasons: {result.rejects_path}")
    for warning in result.warnings:
        stderr.print(f"[yellow]warning:[/] {warning}")


@import_app.command("registry")
def import_registry_command(
    files: Annotated[list[Path], typer.Argument(help="Household and member files (CSV, XLSX, Parquet).")],
    replace: Annotated[bool, typer.Option(help="Snapshot holds only these files (default: update).")] = False,
    province: ProvinceOption = "64",
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate and import registry files (DTSEN/P3KE exports or entas files) into a new snapshot."""
    from entas.registry.importer import import_registry

    with progress_bar() as progress:
        result = run_guarded(
            lambda: import_registry(
                files, home=entas_home(home), replace=replace, province=province, progress=progress
            )
        )
    _print_import(result, fmt)


@import_app.command("survey")
def import_survey_command(
    files: Annotated[list[Path], typer.Argument(help="Survey household (and member) files.")],
    period: Annotated[str | None, typer.Option(help="Survey round YYYY-MM when the files lack it.")] = None,
    province: ProvinceOption = "64",
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate and import a survey round into a new survey snapshot."""
    from entas.survey.importer import import_survey

    with progress_bar() as progress:
        result = run_guarded(
            lambda: import_survey(files, home=entas_home(home), period=period, province=province, progress=progress)
        )
    _print_import(result, fmt)


@app.command()
def snapshots(
    kind: Annotated[str, typer.Argument(
        help="registry, survey, target-model, target-scores, target-evaluation, pockets, plan or simulation.")] = (
        "registry"),
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List the snapshots of a dataset, newest last; the current one is marked."""
    from entas.registry.snapshots import SnapshotStore

    store = SnapshotStore(entas_home(home))
    render(run_guarded(lambda: store.list(kind)), fmt, title=f"{kind} snapshots")


class LonelyOption(StrEnum):
    fail = "fail"
    remove = "remove"
    certainty = "certainty"
    adjust = "adjust"
    average = "average"


@app.command()
def measure(
    survey: Annotated[
        str | None, typer.Option(help="Survey snapshot id, or a survey file to validate and measure. Default: current.")
    ] = None,
    line: Annotated[
        list[str] | None, typer.Option(help="national, extreme or a rupiah amount; repeat for several.")
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help="province, district, subdistrict, village, all or a column; repeat; a+b crosses."),
    ] = None,
    measures: Annotated[str | None, typer.Option(help="Comma-separated measures (default: all).")] = None,
    lonely_psu: Annotated[LonelyOption, typer.Option(help="Policy for strata with one PSU.")] = LonelyOption.fail,
    engine: EngineChoice = None,
    compare: Annotated[
        str | None, typer.Option(help="Another survey snapshot or file (the earlier round): test the change.")
    ] = None,
    focus: Annotated[
        bool, typer.Option(help="Test each area of the --by levels against the province (focus areas).")
    ] = False,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Survey-weighted poverty (FGT0-2, Watts, number poor, mean) with SE, 95% CI, CV and design effect.

    --compare tests the change from an earlier round (independent samples); --focus tests every area against
    the province on the same sample (covariance accounted for, one-sided, Benjamini-Hochberg adjusted).
    """
    from entas.measure import MEASURES
    from entas.measure.survey_measures import measure_survey

    households, snapshot_id = run_guarded(lambda: _survey_households(survey, entas_home(home)))
    chosen = [m.strip() for m in measures.split(",")] if measures else list(MEASURES)
    unknown = sorted(set(chosen) - set(MEASURES))
    if unknown:
        stderr.print(f"[bold red]error:[/] unknown measures {unknown}; choose from {', '.join(MEASURES)}")
        raise typer.Exit(code=2)
    levels = [tuple(b.split("+")) if "+" in b else b for b in (by or ["province", "district"])]
    backend = engine_backend(engine)
    lines = line or ["national", "extreme"]

    def measured(frame: pl.DataFrame, snapshot: str) -> pl.DataFrame:
        return measure_survey(frame, lines=lines, by=levels, measures=chosen, lonely_psu=lonely_psu.value,
                              snapshot_id=snapshot, backend=backend)

    if focus:
        from entas.measure.poverty import RATIO_MEASURES
        from entas.measure.survey_measures import compare_survey_to_parent

        ratio = [m for m in chosen if m in (*RATIO_MEASURES, "mean_consumption")]
        for level in [lv for lv in levels if lv not in ("province", "all")]:
            comparison = run_guarded(lambda lv=level: compare_survey_to_parent(  # type: ignore[misc]
                households, lines=lines, level=lv, parent="province", measures=ratio,
                lonely_psu=lonely_psu.value, snapshot_id=snapshot_id, backend=backend))
            shown = comparison if fmt is not OutputFormat.table else comparison.select(
                "area", "measure", "line", "estimate", "parent_estimate", "difference", "se", "p_value",
                "p_adjusted", "significant_above")
            render(shown, fmt, title=f"{level} vs province, snapshot {snapshot_id} (one-sided, BH-adjusted)")
        return
    result = run_guarded(lambda: measured(households, snapshot_id))
    if compare is not None:
        from entas.measure.compare import compare_rounds

        earlier, earlier_id = run_guarded(lambda: _survey_households(compare, entas_home(home)))
        before = run_guarded(lambda: measured(earlier, earlier_id))
        change = run_guarded(lambda: compare_rounds(before, result))
        render(change, fmt, title=f"Change from {earlier_id} to {snapshot_id} (independent samples, two-sided)")
        return
    if fmt is OutputFormat.table:
        result = _readable_measures(result)
    render(result, fmt, title=f"Poverty, survey snapshot {snapshot_id} (poor: y < z; ratios in %)")


def _survey_households(survey: str | None, home: Path) -> tuple[pl.DataFrame, str]:
    """The households of a survey snapshot (by id, or the current one), or of a file imported on the fly."""
    from entas.registry.snapshots import SnapshotStore

    if survey is not None and Path(survey).exists():
        import tempfile

        from entas.survey.importer import import_survey

        scratch = Path(tempfile.mkdtemp(prefix="entas-measure-"))
        result = import_survey([Path(survey)], home=scratch)
        if result.rejects_path is not None:
            stderr.print(f"[yellow]warning:[/] rows rejected from {survey}: see {result.rejects_path}")
        return SnapshotStore(scratch).read("survey", "households"), result.snapshot_id
    store = SnapshotStore(home)
    snapshot_id = survey or store.current("survey")
    if snapshot_id is None:
        raise EntasError(f"no survey snapshot under {home}: run `entas import survey FILE` or `entas demo` first")
    return store.read("survey", "households", snapshot_id), snapshot_id


def _readable_measures(result: pl.DataFrame) -> pl.DataFrame:
    """The columns a reader needs, with ratio measures (and SST, on the poverty gap's scale) in percent."""
    from entas.measure.poverty import RATIO_MEASURES, SST

    pct = pl.col("measure").is_in([*RATIO_MEASURES, SST])
    columns = ("estimate", "se", "ci_low", "ci_high")
    scaled = [pl.when(pct).then(pl.col(c) * 100).otherwise(pl.col(c)).alias(c) for c in columns]
    return result.select("level", "area", "measure", "line", *scaled, "cv", "deff", "n")


def _demo_plan(summary: Any) -> None:
    """The plan, the least budget and the zero years, as the demo prints them."""
    spend = summary.plan.filter(pl.col("level") == "funder").select("key", "spend_rp", "households")
    render(spend, OutputFormat.table, title="Plan under the illustrative budget file: spend by funder type "
                                            "(rupiah a year; amounts are assumptions, see docs/planning.md)")
    least = summary.least_budget.select("district_code", "before", "floor", "budget_near_floor_rp", "reached",
                                        "budget_rp", "expenditure_burden_rp", "income_rp", "pockets_rp")
    render(least, OutputFormat.table, title="Least budget by district (rupiah a year): expected extremely poor "
                                            "persons before, the floor the catalog can reach and what buys 99% of "
                                            "the way there; budget_rp reaches 0.5 persons when the catalog can")
    path = summary.path.filter(pl.col("level") == "province").select(
        "scenario", "year", "poor_persons", "poor_persons_p05", "poor_persons_p95", "deterministic_poor_persons")
    render(path, OutputFormat.table, title="Expected extremely poor persons in the registry, 2024-2026, by scenario "
                                           "(90% band over PMT draws)")
    zero = summary.zero_year.filter(pl.col("level") == "province")
    render(zero, OutputFormat.table, title="Year the province reaches zero (expected, 95th percentile, no-draw)")


@app.command()
def dictionary(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of printing.")] = None,
) -> None:
    """Print the data dictionary (fields, P3KE columns, code lists) as Markdown."""
    from entas.dictionary import data_dictionary_markdown

    text = data_dictionary_markdown()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        stderr.print(f"written: {out}")


@app.command()
def demo(
    scale: Annotated[float, typer.Option(help="Share of the real population to generate.")] = 1.0,
    year: Annotated[int, typer.Option(help="Survey year.")] = 2024,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    analyses: Annotated[bool, typer.Option(help="Also target, find pockets, plan with lists and simulate "
                                                "(--no-analyses: import and measure only).")] = True,
    list_format: Annotated[str, typer.Option(help="Format of the by-name lists: xlsx, csv or parquet.")] = "xlsx",
    home: HomeOption = None,
) -> None:
    """The main job on the embedded default: generate East Kalimantan, import, measure, target, find pockets,
    plan, simulate; summarise and say where everything is."""
    from entas.demo import run_demo

    started = time.perf_counter()
    with progress_bar() as progress:
        summary = run_guarded(
            lambda: run_demo(entas_home(home), scale=scale, year=year, seed=seed, analyses=analyses,
                             list_format=list_format, progress=progress)
        )
    render(
        summary.counts.with_columns(pl.col("file").str.replace(r"\.parquet$", "")).drop("snapshot"),
        OutputFormat.table,
        title="Imported (read = accepted + rejected)",
    )
    compact = summary.districts.select(
        code="district_code",
        district=pl.col("district").str.replace(r"^(Kabupaten|Kota) ", ""),
        villages="villages",
        households="households",
        persons="persons",
        desil_1_pct=pl.col("desil_1_share") * 100,
        p0_bps_pct="p0_published",
        p0_synth_pct="p0_synthetic",
    )
    render(compact, OutputFormat.table, title="Registry by district (P0: BPS March 2024 vs the synthetic truth)")
    render(_headline_poverty(summary.poverty, summary.focus), OutputFormat.table,
           title="Poverty headcount from the survey, % of persons (95% CI, lower ends below 0 shown as 0); "
                 "poor means y < z")
    focus = summary.focus.filter(pl.col("significant_above"))["area"].to_list()
    stdout.print(
        "Focus districts (national-line headcount significantly above the province, one-sided, BH-adjusted "
        f"p <= 0.05): {', '.join(focus) if focus else 'none at this sample size'}"
    )
    if summary.least_budget is not None and summary.plan is not None and summary.zero_year is not None:
        _demo_plan(summary)
    if summary.timings:
        stdout.print("Analysis steps: " + ", ".join(f"{k} {v:,.0f} s" for k, v in summary.timings.items()))
    stdout.print(f"Done in {time.perf_counter() - started:,.0f} s. Outputs:")
    for name, path in summary.outputs.items():
        stdout.print(f"  {name}: {path}")


def _headline_poverty(poverty: pl.DataFrame, focus: pl.DataFrame) -> pl.DataFrame:
    """One row per area: headcount under each line as 'estimate [low, high]' in percent, and the focus flag."""
    headcount = poverty.filter(pl.col("measure") == "headcount_ratio").with_columns(
        cell=pl.format(
            "{} [{}, {}]",
            # a rate is not negative: a t interval's lower end below 0 is shown as 0 (the CSV keeps it as computed)
            *((pl.col(c).clip(lower_bound=0.0) * 100).round(2).cast(pl.Utf8)
              for c in ("estimate", "ci_low", "ci_high")),
        )
    )
    from entas.areas import area_tree

    names = area_tree("64").select(area="code", name=pl.col("name").str.replace(r"^(Kabupaten|Kota) ", ""))
    table = headcount.pivot(on="line", index=["level", "area"], values="cell")
    flags = focus.select("area", pl.when(pl.col("significant_above")).then(pl.lit("FOCUS")).otherwise(pl.lit(""))
                         .alias("focus"), pl.col("p_adjusted").round(3).alias("p_above_province"))
    return (
        table.join(names, on="area", how="left", maintain_order="left")
        .join(flags, on="area", how="left", maintain_order="left")
        .select("level", pl.col("area").alias("code"), "name", pl.exclude("level", "area", "name"))
    )


def main() -> None:
    """Entry point of the ``entas`` console script."""
    app()
