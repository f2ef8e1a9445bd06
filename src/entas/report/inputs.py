"""What a report reads: the current snapshots of an entas home, the published BPS figures, the area names.

``load_inputs(home)`` reads everything once (reports for the province and its ten districts share it): the
current ``survey`` snapshot measured with ``entas.measure`` (headcount ratio and number of poor under the
national and extreme lines by province and district, each with SE and 95% CI; districts tested against the
province for the focus status), and the current ``target-model``, ``target-scores``, ``pockets``, ``plan`` and
``simulation`` snapshots with their manifests. A snapshot that does not exist yet is simply absent: the report
section that needs it says which command makes it. An estimate that cannot be computed (e.g. a stratum with
one PSU) is kept as its error message, shown in the section instead of a number.

Only the columns the report shows are read; the household-level plan and scores are summarised by district
here (spend, households reached), never listed: reports carry no personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from entas.areas import area_tree
from entas.areas.geometry import load_geometry
from entas.errors import EntasError
from entas.registry.snapshots import SnapshotStore

__all__ = ["ReportInputs", "Snapshot", "SurveyFigures", "load_inputs"]


@dataclass(frozen=True)
class Snapshot:
    """One current snapshot: its id, its manifest and the tables (or summaries of them) a report uses."""

    kind: str
    snapshot_id: str
    manifest: dict[str, Any]
    tables: dict[str, pl.DataFrame]


@dataclass(frozen=True)
class SurveyFigures:
    """Survey estimates of the current survey snapshot, or the error that prevented them (``error``)."""

    snapshot_id: str
    year: int | None
    poverty: pl.DataFrame | None
    focus: pl.DataFrame | None
    error: str | None = None


@dataclass(frozen=True)
class ReportInputs:
    """Everything the reports of one home show; ``snapshots`` holds only the kinds that exist."""

    home: Path
    province: str
    areas: pl.DataFrame
    published_province: pl.DataFrame
    published_districts: pl.DataFrame
    survey: SurveyFigures | None
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None
    made_on: dt.date = field(default_factory=dt.date.today)

    def name(self, code: str) -> str:
        """The official name of an area code (the code itself when unknown)."""
        hit = self.areas.filter(pl.col("code") == code)["name"]
        return str(hit[0]) if hit.len() else code


def _published(name: str) -> pl.DataFrame:
    """A CSV of published figures shipped in ``entas/data`` (every row names its source)."""
    with (resources.files("entas") / "data" / name).open("rb") as handle:
        return pl.read_csv(handle, infer_schema_length=None, schema_overrides={"kemendagri_code": pl.Utf8,
                                                                               "period": pl.Utf8})


def _survey(store: SnapshotStore) -> SurveyFigures | None:
    from entas.measure.survey_measures import compare_survey_to_parent, measure_survey, survey_year

    snapshot_id = store.current("survey")
    if snapshot_id is None:
        return None
    households = store.read("survey", "households", snapshot_id)
    try:
        year = survey_year(households)
        poverty = measure_survey(households, lines=["national", "extreme"], by=["province", "district"],
                                 measures=["headcount_ratio", "number_poor"], snapshot_id=snapshot_id)
        focus = compare_survey_to_parent(households, lines=["national"], level="district", parent="province",
                                         measures=["headcount_ratio"], snapshot_id=snapshot_id)
    except EntasError as error:
        return SurveyFigures(snapshot_id=snapshot_id, year=None, poverty=None, focus=None, error=str(error))
    return SurveyFigures(snapshot_id=snapshot_id, year=year, poverty=poverty, focus=focus)


_PLAN_COLUMNS = ["household_id", "district_code", "program", "strategy", "funder_type", "cost_rp"]
_SCORE_COLUMNS = ["district_code", "prob_below_extreme", "prob_below_national", "welfare_decile"]


def _tables(store: SnapshotStore, kind: str, snapshot_id: str) -> dict[str, pl.DataFrame]:
    """The tables of ``kind`` a report needs; household-level tables are summarised by district here."""
    if kind == "target-scores":
        scan = store.scan(kind, "scores", snapshot_id)
        extra = ["registry_desil"] if "registry_desil" in scan.collect_schema().names() else []
        scores = scan.select(*_SCORE_COLUMNS, *extra)
        desil = {"registry_desil_1_households": (pl.col("registry_desil") == 1).sum()} if extra else {}
        summary = scores.group_by("district_code").agg(
            households=pl.len(), expected_extreme_poor_households=pl.col("prob_below_extreme").sum(),
            expected_poor_households=pl.col("prob_below_national").sum(),
            pmt_decile_1_households=(pl.col("welfare_decile") == 1).sum(), **desil).collect()
        return {"summary": summary.sort("district_code")}
    if kind == "plan":
        assignments = store.scan(kind, "assignments", snapshot_id).select(_PLAN_COLUMNS).collect()
        return {"assignments": assignments, "spend": store.read(kind, "spend", snapshot_id)}
    if kind == "target-model":
        return {"fit": store.read(kind, "fit", snapshot_id)}
    if kind == "target-evaluation":
        return {"errors": store.read(kind, "errors", snapshot_id)}
    if kind == "pockets":
        small_area = store.scan(kind, "small_area", snapshot_id).filter(
            pl.col("measure") == "headcount_ratio").collect()
        return {"pockets": store.read(kind, "pockets", snapshot_id), "small_area": small_area}
    if kind == "simulation":
        return {"path": store.read(kind, "path", snapshot_id), "zero_year": store.read(kind, "zero_year", snapshot_id)}
    return {}


REPORT_KINDS = ("target-model", "target-scores", "target-evaluation", "pockets", "plan", "simulation")


def load_inputs(home: Path, *, province: str = "64") -> ReportInputs:
    """Read the current snapshots of ``home`` and the published figures for the reports of ``province``."""
    store = SnapshotStore(home)
    snapshots: dict[str, Snapshot] = {}
    for kind in REPORT_KINDS:
        snapshot_id = store.current(kind)
        if snapshot_id is not None:
            snapshots[kind] = Snapshot(kind, snapshot_id, store.manifest(kind, snapshot_id),
                                       _tables(store, kind, snapshot_id))
    return ReportInputs(
        home=home, province=province, areas=area_tree(province), survey=_survey(store),
        published_province=_published("kaltim_province_series.csv"),
        published_districts=_published("kaltim_districts.csv"), snapshots=snapshots,
        geometry=load_geometry(home))
