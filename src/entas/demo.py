"""The main job on the embedded default (``make demo``): generate the synthetic province, import it, measure
poverty from the survey with its uncertainty, then (``analyses=True``, what ``entas demo`` runs) fit the PMT
and score the registry, find the pockets, plan the catalog's programs under the default budget file with
by-name lists, simulate 2024-2026 under the named scenarios, and write the province and district briefs (HTML
and PDF, Bahasa Indonesia); summarise and say where everything is.

Each analysis step is the same run the corresponding command makes (``entas.target.runs``,
``entas.pockets.runs``, ``entas.plan.runs``), so its snapshot is what ``entas target score``, ``entas
pockets``, ``entas plan`` and ``entas simulate`` would have stored.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from entas.errors import EntasError
from entas.measure.survey_measures import compare_survey_to_parent, measure_survey
from entas.progress import ProgressReporter, report
from entas.registry.importer import import_registry
from entas.registry.snapshots import SnapshotStore
from entas.registry.summary import district_summary
from entas.survey.importer import import_survey
from entas.synth import calibration_report, generate, write_synth

DEMO_BOOTSTRAP = 20
"""Bootstrap replicates of the small-area MSE in the demo (``entas pockets`` defaults to 50)."""
DEMO_DRAWS = 50
"""PMT draws per scenario in the demo (the scenario files say 100; ``entas simulate`` uses them)."""


@dataclass(frozen=True)
class DemoSummary:
    """What the demo made: import counts, the district table, and where every output is."""

    counts: pl.DataFrame
    districts: pl.DataFrame
    calibration: pl.DataFrame
    poverty: pl.DataFrame
    focus: pl.DataFrame
    outputs: dict[str, Path]
    plan: pl.DataFrame | None = None
    least_budget: pl.DataFrame | None = None
    zero_year: pl.DataFrame | None = None
    path: pl.DataFrame | None = None
    timings: dict[str, float] | None = None


def run_demo(
    home: Path,
    *,
    province: str = "64",
    scale: float = 1.0,
    year: int = 2024,
    seed: int = 1,
    analyses: bool = False,
    list_format: str = "xlsx",
    progress: ProgressReporter | None = None,
) -> DemoSummary:
    """Generate ``province`` for ``year``, import registry and survey into snapshots under ``home``, measure,
    and with ``analyses`` target, find pockets, plan (lists in ``list_format``) and simulate; summarise."""
    synth_dir = home / "synth" / f"{province}-{year}"
    province_data = generate(province, year, scale=scale, seed=seed, progress=progress)
    files = write_synth(province_data, synth_dir, fmt="parquet")
    calibration = calibration_report(province_data)
    del province_data

    registry = import_registry(
        [files["registry_households"], files["registry_members"]], home=home, replace=True, progress=progress
    )
    survey = import_survey([files["survey_households"], files["survey_members"]], home=home, progress=progress)
    counts = pl.concat(
        [
            registry.counts.with_columns(pl.lit(registry.snapshot_id).alias("snapshot")),
            survey.counts.with_columns(pl.lit(survey.snapshot_id).alias("snapshot")),
        ],
        how="diagonal_relaxed",
    )
    store = SnapshotStore(home)
    p0 = calibration.filter(pl.col("target") == "district_p0").select(
        district_code="area_code", p0_published="target_value", p0_synthetic="achieved"
    )
    districts = district_summary(store.read("registry", "households"), province=province).join(
        p0, on="district_code", how="left"
    )

    survey_households = store.read("survey", "households")
    poverty = measure_survey(
        survey_households, lines=["national", "extreme"], by=["province", "district"],
        measures=["headcount_ratio", "poverty_gap", "poverty_severity", "number_poor", "mean_consumption"],
        snapshot_id=survey.snapshot_id,
    )

    focus = compare_survey_to_parent(
        survey_households, lines=["national"], level="district", parent="province",
        measures=["headcount_ratio"], snapshot_id=survey.snapshot_id,
    )

    outputs_dir = home / "outputs"
    outputs_dir.mkdir(parents=True, exist_ok=True)
    districts_path = outputs_dir / f"registry-districts-{province}-{year}.csv"
    districts.write_csv(districts_path)
    calibration_path = outputs_dir / f"synth-calibration-{province}-{year}.csv"
    calibration.write_csv(calibration_path)
    poverty_path = outputs_dir / f"poverty-{province}-{year}.csv"
    poverty.write_csv(poverty_path)
    focus_path = outputs_dir / f"focus-districts-{province}-{year}.csv"
    focus.write_csv(focus_path)
    outputs: dict[str, Path] = {
        "poverty estimates (SE, CI, CV, deff)": poverty_path,
        "districts vs province (focus test)": focus_path,
        "synthetic files": synth_dir,
        "registry snapshot": home / "snapshots" / "registry" / registry.snapshot_id,
        "survey snapshot": home / "snapshots" / "survey" / survey.snapshot_id,
        "district table": districts_path,
        "calibration table": calibration_path,
    }
    for name, result in (("registry rejects", registry), ("survey rejects", survey)):
        if result.rejects_path is not None:
            outputs[name] = result.rejects_path
    summary = DemoSummary(
        counts=counts, districts=districts, calibration=calibration, poverty=poverty, focus=focus,
        outputs=outputs
    )
    if analyses:
        summary = _analyses(summary, store, outputs_dir, province=province, year=year, seed=seed,
                            list_format=list_format, progress=progress)
    return summary


def _analyses(summary: DemoSummary, store: SnapshotStore, outputs_dir: Path, *, province: str, year: int, seed: int,
              list_format: str, progress: ProgressReporter | None) -> DemoSummary:
    """Target, pockets, plan with lists, simulation: each stored as its command would store it.

    The pockets run in a second process (``_BackgroundPockets``) while this one targets, plans and simulates.
    """
    from entas.plan.runs import run_plan, run_simulation, write_plan_lists
    from entas.target.runs import run_evaluate, run_fit, run_score

    timings: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started

    pockets = _BackgroundPockets(store.home, seed=seed, bootstrap=DEMO_BOOTSTRAP, progress=progress)
    try:
        started = time.perf_counter()
        step = "target: fit, score, held-out errors"
        report(progress, step, 0, 3)
        run_fit(store, seed=seed)
        report(progress, step, 1, 3)
        score = run_score(store)
        report(progress, step, 2, 3)
        run_evaluate(store, seed=seed)
        report(progress, step, 3, 3)
        timed("target: fit, score and held-out errors", started)
        started = time.perf_counter()
        plan = run_plan(store, progress=progress)
        timed("plan", started)
        started = time.perf_counter()
        lists_dir = outputs_dir / f"lists-{province}-{year + 1}"
        report(progress, "by-name lists", 0, 1)
        written = write_plan_lists(store, lists_dir, plan_id=plan.snapshot_id, fmt=list_format)
        report(progress, "by-name lists", 1, 1)
        timed(f"by-name lists ({written.height} files)", started)
        started = time.perf_counter()
        simulation = run_simulation(store, plan_id=plan.snapshot_id, draws=DEMO_DRAWS, progress=progress)
        timed(f"simulate (3 scenarios, {DEMO_DRAWS} draws)", started)
        pockets_id, pockets_seconds = pockets.result()
    finally:
        pockets.close()
    timings[f"pockets (bootstrap {DEMO_BOOTSTRAP}, in a second process beside the above)"] = pockets_seconds
    started = time.perf_counter()
    from entas.report import write_reports

    reports_dir = store.home / "reports"
    reports = write_reports(store.home, None, langs=("id",), formats=("html", "pdf"), out=reports_dir,
                            province=province, progress=progress)
    timed(f"reports ({len(reports)} files)", started)
    least_path = outputs_dir / f"least-budget-{province}-{year + 1}.csv"
    plan.least_budget.write_csv(least_path)
    path_csv = outputs_dir / f"path-{province}-{year}-{year + 2}.csv"
    simulation.path.write_csv(path_csv)
    outputs = dict(summary.outputs)
    outputs.update({
        "PMT scores snapshot": store.folder("target-scores") / score.snapshot_id,
        "pockets snapshot": store.folder("pockets") / pockets_id,
        "plan snapshot (run record in manifest.json)": store.folder("plan") / plan.snapshot_id,
        "least budget by district": least_path,
        "by-name lists per stakeholder and district": lists_dir,
        "simulation snapshot": store.folder("simulation") / simulation.snapshot_id,
        "simulated path by year": path_csv,
        "province and district briefs (HTML, PDF; `entas report --lang en` for English)": reports_dir,
    })
    return dataclasses.replace(summary, outputs=outputs, plan=plan.spend, least_budget=plan.least_budget,
                               zero_year=simulation.zero_year, path=simulation.path, timings=timings)


class _BackgroundPockets:
    """``run_pockets`` in a second process, beside the target, plan and simulation steps of this one.

    The pockets need only the imported registry and survey, and the steps of both processes leave a core idle
    much of the time. The child reports progress through a queue that a thread of this process passes on to
    ``progress``; an error in the child is raised here by ``result()``; ``close()`` stops the child if it is
    still running (this process failed first).
    """

    def __init__(self, home: Path, *, seed: int, bootstrap: int, progress: ProgressReporter | None) -> None:
        import multiprocessing
        import threading

        context = multiprocessing.get_context("spawn")  # never fork a process that runs DuckDB and Polars threads
        self._events: Any = context.Queue()
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_pockets_worker, args=(str(home), seed, bootstrap, self._events,
                                                                      sender), name="entas-pockets")
        self._process.start()
        self._answered = False
        sender.close()
        self._listener = threading.Thread(target=self._relay, args=(progress,), daemon=True)
        self._listener.start()

    def _relay(self, progress: ProgressReporter | None) -> None:
        while (event := self._events.get()) is not None:
            if progress is not None:
                progress(*event)

    def result(self) -> tuple[str, float]:
        """Wait for the child: (pockets snapshot id, seconds it took); its error is raised here."""
        try:
            outcome = self._receiver.recv()
            self._answered = True
        except EOFError:
            raise EntasError(f"the pockets process ended without a result (exit code {self._process.exitcode})"
                             ) from None
        self._listener.join()
        if outcome[0] == "error":
            _, kind, message = outcome
            raise EntasError(f"pockets: {message}" if kind == "EntasError" else f"pockets failed: {kind}: {message}")
        return str(outcome[1]), float(outcome[2])

    def close(self) -> None:
        """Let a child that has answered exit; stop one that has not (this process failed first)."""
        self._process.join(timeout=10 if self._answered else 0)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        if self._listener.is_alive():  # the child was stopped before it could end the relay
            self._events.put(None)
            self._listener.join(timeout=5)
        self._receiver.close()


def _pockets_worker(home: str, seed: int, bootstrap: int, events: Any, sender: Any) -> None:
    """The child of ``_BackgroundPockets``: run the pockets, send (\"ok\", id, seconds) or (\"error\", kind, text)."""
    started = time.perf_counter()
    try:
        from entas.pockets.runs import run_pockets

        _, snapshot_id = run_pockets(SnapshotStore(Path(home)), seed=seed, bootstrap=bootstrap,
                                     progress=lambda step, done, total: events.put((step, done, total)))
        sender.send(("ok", snapshot_id, time.perf_counter() - started))
    except BaseException as error:
        kind = "EntasError" if isinstance(error, EntasError) else type(error).__name__
        sender.send(("error", kind, str(error)))
    finally:
        events.put(None)
        sender.close()
