"""``entas target fit|score|evaluate|verify-list``: the proxy-means test as planners run it.

A face: it reads snapshots, calls ``entas.target`` and stores results as snapshots (``target-model`` with the
survey snapshot it was fitted on; ``target-scores`` with the model and registry snapshots), then renders.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from entas.cli_support import (
    EngineChoice,
    FormatOption,
    HomeOption,
    OutputFormat,
    engine_backend,
    entas_home,
    render,
    run_guarded,
    stderr,
)
from entas.errors import EntasError

target_app = typer.Typer(help="Proxy-means test: fit on the survey, score the registry, evaluate, verify.",
                         no_args_is_help=True)


class DistrictEffectsOption(StrEnum):
    district = "district"
    province = "province"
    separate = "separate"


class SelectionOption(StrEnum):
    backward = "backward"
    none = "none"


class VerifyLevel(StrEnum):
    district = "district"
    subdistrict = "subdistrict"
    village = "village"


EFFECTS: dict[str, Any] = {"district": True, "province": False, "separate": "separate"}


def _store(home: Path | None) -> Any:
    from entas.registry.snapshots import SnapshotStore

    return SnapshotStore(entas_home(home))


def _current(store: Any, kind: str, advice: str) -> str:
    snapshot = store.current(kind)
    if snapshot is None:
        raise EntasError(f"no {kind} snapshot under {store.home}: {advice}")
    return str(snapshot)


def _survey(store: Any, snapshot: str | None) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    chosen = snapshot or _current(store, "survey", "run `entas import survey FILE` or `entas demo` first")
    return store.read("survey", "households", chosen), store.read("survey", "members", chosen), chosen


@target_app.command("fit")
def fit(
    survey: Annotated[str | None, typer.Option(help="Survey snapshot id (default: the current one).")] = None,
    district_effects: Annotated[DistrictEffectsOption, typer.Option(
        help="District intercepts, one provincial model, or a model per district.")] = DistrictEffectsOption.district,
    selection: Annotated[SelectionOption, typer.Option(help="Backward selection by CV, or keep all.")] = (
        SelectionOption.backward),
    folds: Annotated[int, typer.Option(help="Cross-validation folds (whole PSUs).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the folds.")] = 0,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fit the PMT on a survey snapshot and store it as the current target-model snapshot."""
    from entas.target.runs import run_fit

    store = _store(home)
    model, snapshot = run_guarded(lambda: run_fit(store, survey=survey,
                                                  district_effects=EFFECTS[district_effects.value],
                                                  selection=selection.value, folds=folds, seed=seed))
    render(model.fit, fmt, title=f"PMT fit by district ({len(model.terms)} terms, R² {model.r2:.3f}): "
                                 f"snapshot {snapshot}")


@target_app.command("score")
def score(
    extreme_basis: Annotated[str | None, typer.Option(help="Basis of the extreme line (default: published).")] = None,
    engine: EngineChoice = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Score the current registry with the current model: predicted welfare, P(extreme), P(poor), deciles."""
    from entas.target.evaluate import district_summary
    from entas.target.runs import run_score

    store = _store(home)
    backend = engine_backend(engine)
    result = run_guarded(lambda: run_score(store, extreme_basis=extreme_basis, backend=backend))
    render(district_summary(result.scores), fmt, title=f"Registry scored by the PMT: snapshot {result.snapshot_id}")


@target_app.command("evaluate")
def evaluate(
    test_share: Annotated[float, typer.Option(help="Share of PSUs held out of the fit.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the split and the folds.")] = 0,
    curve: Annotated[Path | None, typer.Option(help="Write the targeting curve (CSV) here.")] = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Targeting errors on held-out survey households (whole PSUs): inclusion, exclusion, coverage by district.

    When the survey is linked to the registry (a ``welfare_decile`` column), the registry's own desil is
    evaluated beside the PMT on the same households.
    """
    from entas.target.runs import run_evaluate

    store = _store(home)

    def run() -> pl.DataFrame:
        result, snapshot = run_evaluate(store, test_share=test_share, seed=seed)
        stderr.print(f"stored: {store.folder('target-evaluation') / snapshot}")
        if curve is not None:
            result.curve.write_csv(curve)
        errors: pl.DataFrame = result.errors
        return errors

    errors = run_guarded(run)
    if fmt is OutputFormat.table:  # the columns a reader compares; csv and json keep them all
        errors = errors.select("score", "level", "area", "line", "cutoff_share", "share_targeted", "eligible_persons",
                               "inclusion_error", "exclusion_error", "coverage", "households")
    render(errors, fmt, title=f"Targeting errors on held-out PSUs ({test_share:.0%} of the survey; eligible: "
                              "welfare below the line)")
    if curve is not None:
        stderr.print(f"targeting curve: {curve}")


@target_app.command("verify-list")
def verify_list(
    level: Annotated[VerifyLevel, typer.Option(help="Areas the visits are planned in.")] = VerifyLevel.district,
    visits: Annotated[str, typer.Option(help="Numbers of visits to report, comma-separated.")] = "10,50,100,500,1000",
    out: Annotated[Path | None, typer.Option(help="Write the ordered visit list (CSV) here.")] = None,
    home: HomeOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Households to verify first (by probability of extreme poverty) and the expected finds per N visits."""
    from entas.engine import connect, register, to_polars
    from entas.target.verification import verification_list

    store = _store(home)

    def run() -> tuple[pl.DataFrame, pl.DataFrame | None]:
        snapshot = _current(store, "target-scores", "run `entas target score` first")
        try:
            steps = [int(v) for v in visits.split(",") if v.strip()]
        except ValueError:
            raise EntasError(f"--visits must be whole numbers separated by commas, got {visits!r}") from None
        scored = register(connect(), store.read("target-scores", "scores", snapshot), "scores")
        result = verification_list(scored, area_level=level.value, visits=steps, keep=["village_code"])
        ordered = to_polars(result.households) if out is not None else None
        return result.yields, ordered

    yields, ordered = run_guarded(run)
    render(yields, fmt, title=f"Expected extremely poor households found per N visits, by {level.value}")
    if ordered is not None and out is not None:
        ordered.write_csv(out)
        stderr.print(f"visit list ({ordered.height:,} households, no names or NIK): {out}")
