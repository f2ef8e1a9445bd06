"""The main job on the embedded default (``make demo``): generate the synthetic province, import it, measure
poverty from the survey with its uncertainty, summarise.

Later stages (target, pockets, plan, reports) add their steps here as they land.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from entas.measure.survey_measures import compare_survey_to_parent, measure_survey
from entas.progress import ProgressReporter
from entas.registry.importer import import_registry
from entas.registry.snapshots import SnapshotStore
from entas.registry.summary import district_summary
from entas.survey.importer import import_survey
from entas.synth import calibration_report, generate, write_synth


@dataclass(frozen=True)
class DemoSummary:
    """What the demo made: import counts, the district table, and where every output is."""

    counts: pl.DataFrame
    districts: pl.DataFrame
    calibration: pl.DataFrame
    poverty: pl.DataFrame
    focus: pl.DataFrame
    outputs: dict[str, Path]


def run_demo(
    home: Path,
    *,
    province: str = "64",
    scale: float = 1.0,
    year: int = 2024,
    seed: int = 1,
    progress: ProgressReporter | None = None,
) -> DemoSummary:
    """Generate ``province`` for ``year``, import registry and survey into snapshots under ``home``, summarise."""
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
    return DemoSummary(
        counts=counts, districts=districts, calibration=calibration, poverty=poverty, focus=focus,
        outputs=outputs
    )
