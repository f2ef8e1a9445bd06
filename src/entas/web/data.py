"""What the dashboard shows, read once per snapshot: the report inputs, area briefs and the least budget.

The pages show the same content as the briefs (``entas.report``): ``load_inputs`` reads the current snapshots
and measures the survey (a few seconds), so ``Dashboard`` keeps one copy per entas home and reads again only
when a snapshot kind's ``CURRENT`` changes or boundaries are imported. Below the district level (subdistrict,
village: *kecamatan*, *desa/kelurahan*) the pages select from the district's small-area estimates; a
subdistrict's rate is the sum of its village estimates of extremely poor persons over their registry persons,
as the province map sums districts (additive counts; no RMSE because village errors are correlated).
Selection and sums for display only: every statistic comes from a snapshot or ``entas.measure``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from entas.areas import normalize_area_code
from entas.areas.geometry import GEOMETRY_FILE
from entas.errors import AreaCodeError, EntasError, NotFoundError
from entas.registry.snapshots import SnapshotStore
from entas.report.inputs import REPORT_KINDS, ReportInputs, load_inputs
from entas.report.sections import AreaReport, area_report

__all__ = ["AreaPlace", "Dashboard", "children", "find_area"]


@dataclass(frozen=True)
class AreaPlace:
    """An area of the province: code, official name, level and the codes of its parents (province first)."""

    code: str
    name: str
    level: str
    district: str | None
    parents: tuple[str, ...]


@dataclass(frozen=True)
class _Loaded:
    key: tuple[str | None, ...]
    inputs: ReportInputs
    least_budget: pl.DataFrame | None


class Dashboard:
    """Report inputs of each home, cached on the current snapshot ids (thread-safe; one load at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path, _Loaded] = {}
        self._reports: dict[tuple[Path, str], tuple[tuple[str | None, ...], AreaReport]] = {}

    @staticmethod
    def _key(home: Path) -> tuple[str | None, ...]:
        store = SnapshotStore(home)
        boundaries = home / GEOMETRY_FILE
        stamp = str(boundaries.stat().st_mtime_ns) if boundaries.is_file() else None
        return (*(store.current(kind) for kind in ("survey", *REPORT_KINDS)), stamp)

    def _load(self, home: Path) -> _Loaded:
        key = self._key(home)
        with self._lock:
            cached = self._loaded.get(home)
            if cached is None or cached.key != key:
                inputs = load_inputs(home)
                plan = inputs.snapshots.get("plan")
                least = None
                if plan is not None:
                    try:
                        least = SnapshotStore(home).read("plan", "least_budget", plan.snapshot_id)
                    except (EntasError, OSError):
                        least = None  # an older plan snapshot without the table: the page says so
                cached = _Loaded(key, inputs, least)
                self._loaded[home] = cached
            return cached

    def inputs(self, home: Path) -> ReportInputs:
        """The report inputs of ``home`` (``entas.report.inputs.load_inputs``), read again after a new snapshot."""
        return self._load(home).inputs

    def least_budget(self, home: Path) -> pl.DataFrame | None:
        """The least-budget table of the current plan snapshot (by district and the province), if any."""
        return self._load(home).least_budget

    def report(self, home: Path, code: str) -> AreaReport:
        """The brief content of the province or a district (``entas.report.sections.area_report``)."""
        loaded = self._load(home)
        with self._lock:
            hit = self._reports.get((home, code))
            if hit is None or hit[0] != loaded.key:
                hit = (loaded.key, area_report(loaded.inputs, code))
                self._reports[(home, code)] = hit
            return hit[1]


def find_area(inputs: ReportInputs, code: str) -> AreaPlace:
    """The area of a code (dotted Kemendagri, or BPS digits); ``NotFoundError`` for one outside the province."""
    try:
        dotted = normalize_area_code(code)
    except AreaCodeError:
        raise NotFoundError(f"area {code!r} not found") from None
    hit = inputs.areas.filter(pl.col("code") == dotted).to_dicts()
    if not hit:
        raise NotFoundError(f"area {dotted!r} not found")
    row = hit[0]
    parents = [inputs.province]
    for parent in (row.get("district_code"), row.get("subdistrict_code")):
        if parent and parent != dotted and parent not in parents:
            parents.append(parent)
    if row["level"] == "province":
        parents = []
    return AreaPlace(code=dotted, name=str(row["name"]), level=str(row["level"]),
                     district=row.get("district_code"), parents=tuple(parents))


def children(villages: pl.DataFrame, place: AreaPlace) -> pl.DataFrame:
    """Rows of the areas one level below ``place`` (district: subdistricts; subdistrict: villages).

    ``villages`` is the district brief's map table (``code, name, estimate, rmse, persons, parent``, one row per
    village). A subdistrict's ``estimate`` is its villages' extremely poor persons over their persons, without
    an RMSE; ``villages`` counts the villages with an estimate.
    """
    if place.level == "subdistrict":
        return villages.filter(pl.col("parent") == place.code).with_columns(villages=pl.lit(1, pl.Int64)).sort("code")
    return (villages.with_columns(poor=pl.col("estimate") * pl.col("persons"))
            .group_by("parent").agg(poor=pl.col("poor").sum(), persons=pl.col("persons").sum(),
                                    villages=pl.len().cast(pl.Int64))
            .select(code=pl.col("parent"), estimate=pl.col("poor") / pl.col("persons"),
                    rmse=pl.lit(None, pl.Float64), persons="persons", villages="villages")
            .sort("code"))
