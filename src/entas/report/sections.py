"""The content of one area's brief, section by section, from the report inputs (no formatting, no language).

``area_report(inputs, code)`` selects what the province (``64``) or one district (``64.08``) shows: headline
survey estimates with SE and 95% CI and the focus test; the published BPS series for the trend; the
small-area estimates for the map; the pocket list; the PMT's fit and the registry's expected counts; the
plan's spend by strategy and funder, the households it reaches and the assumptions it rests on; the simulated
path to 2026 with its 90% band. Every section that lacks its snapshot carries ``missing``: the command that
makes it. Selection and sums for display only: the statistics come from the snapshots and ``entas.measure``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import yaml

from entas.areas import normalize_area_code
from entas.errors import AreaCodeError
from entas.report.errors import ReportError
from entas.report.inputs import ReportInputs

TOP_POCKETS = 10
__all__ = ["AreaReport", "area_report", "report_areas"]


@dataclass(frozen=True)
class Section:
    """A part of the brief: its data, or ``missing`` (the command to run) and ``error`` (why it failed)."""

    data: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.missing is None and self.error is None


@dataclass(frozen=True)
class AreaReport:
    """One brief: the area, its sections and the snapshots it came from."""

    code: str
    name: str
    level: str
    sections: dict[str, Section]
    sources: dict[str, str]
    inputs: ReportInputs


def report_areas(inputs: ReportInputs) -> list[str]:
    """The province and its districts, in code order (``--all``)."""
    districts = inputs.areas.filter(pl.col("level") == "district")["code"].sort().to_list()
    return [inputs.province, *districts]


def _check_area(inputs: ReportInputs, area: str) -> str:
    try:
        code = normalize_area_code(area)
    except AreaCodeError as error:
        raise ReportError(f"--area {area!r}: {error}") from None
    if code not in report_areas(inputs):
        raise ReportError(f"--area {area!r}: reports exist for the province {inputs.province} and its districts "
                          f"({', '.join(report_areas(inputs)[1:])}), not for {code}")
    return code


def _headline(inputs: ReportInputs, code: str, level: str) -> Section:
    survey = inputs.survey
    if survey is None:
        return Section(missing="entas import survey FILE")
    if survey.poverty is None or survey.focus is None:
        return Section(error=survey.error)
    rows = survey.poverty.filter(pl.col("area") == code)
    wide = rows.pivot(on="measure", index="line", values=["estimate", "se", "ci_low", "ci_high", "n"])
    figures = {r["line"]: r for r in wide.iter_rows(named=True)}
    focus = survey.focus
    data: dict[str, Any] = {"snapshot_id": survey.snapshot_id, "year": survey.year, "figures": figures,
                            "lines": [line for line in ("national", "extreme") if line in figures]}
    if level == "district":
        hit = focus.filter(pl.col("area") == code).to_dicts()
        data["focus"] = hit[0] if hit else None
    else:
        data["focus_districts"] = [inputs.name(c) for c in focus.filter(pl.col("significant_above"))["area"]]
    return Section(data=data)


def _trend(inputs: ReportInputs, code: str, level: str, headline: Section) -> Section:
    """Published March (and September) P0 in percent, with the survey estimate of this run beside it."""
    if level == "province":
        published = inputs.published_province.select(
            period=pl.col("period"), p0_pct=pl.col("p0"), source=pl.col("source")).drop_nulls("p0_pct")
    else:
        row = inputs.published_districts.filter(pl.col("kemendagri_code") == code)
        columns = [c for c in row.columns if c.startswith("p0_")]
        published = row.unpivot(on=columns, index="source", variable_name="year", value_name="p0_pct").select(
            period=pl.col("year").str.replace("p0_", "") + "-03", p0_pct=pl.col("p0_pct").cast(pl.Float64),
            source="source").drop_nulls("p0_pct")
    survey = None
    if headline.available and "national" in headline.data["figures"]:
        national = headline.data["figures"]["national"]
        survey = {"year": headline.data["year"], "estimate": national["estimate_headcount_ratio"],
                  "ci_low": national["ci_low_headcount_ratio"], "ci_high": national["ci_high_headcount_ratio"]}
    sources = {s for s in published["source"].drop_nulls().to_list() if s != "same"}  # "same": as the row above
    return Section(data={"published": published, "survey": survey, "sources": sorted(sources)})


def _map(inputs: ReportInputs, code: str, level: str) -> Section:
    pockets = inputs.snapshots.get("pockets")
    if pockets is None:
        return Section(missing="entas pockets")
    small = pockets.tables["small_area"].filter(pl.col("line") == "extreme")
    small_level = str(small["level"][0]) if small.height else "village"
    areas = inputs.areas.select("code", "name", "parent_code", "district_code", "subdistrict_code")
    values = small.join(areas, left_on="area", right_on="code", how="left").with_columns(
        extreme_poor=pl.col("estimate") * pl.col("persons"))
    if level == "province":
        by_district = values.group_by("district_code").agg(
            extreme_poor=pl.col("extreme_poor").sum(), persons=pl.col("persons").sum())
        shown = by_district.with_columns(code=pl.col("district_code"), estimate=pl.col("extreme_poor")
                                         / pl.col("persons"), rmse=pl.lit(None, pl.Float64)).join(
            areas.select("code", "name"), on="code", how="left")
        map_level, unit = "district", "district"
    else:
        shown = values.filter(pl.col("district_code") == code).rename({"area": "code"})
        map_level, unit = small_level, small_level
    return Section(data={"level": map_level, "unit": unit, "source_level": small_level,
                         "values": shown.select("code", "name", "estimate", "rmse", "persons",
                                                parent=pl.col("subdistrict_code") if "subdistrict_code"
                                                in shown.columns else pl.lit(None, pl.Utf8)).sort("code"),
                         "snapshot_id": pockets.snapshot_id})


def _pockets(inputs: ReportInputs, code: str, level: str) -> Section:
    pockets = inputs.snapshots.get("pockets")
    if pockets is None:
        return Section(missing="entas pockets")
    table = pockets.tables["pockets"]
    if level == "district":
        table = table.filter(pl.col("district_code") == code)
    parameters = pockets.manifest.get("parameters", {})
    return Section(data={"top": table.sort("rank").head(TOP_POCKETS), "places": table.height,
                         "extreme_poor": table["extreme_poor"].sum(), "level": table["level"][0] if table.height
                         else parameters.get("level"), "parameters": parameters,
                         "hot_spots": table.filter(pl.col("hot_spot") == "hot spot").height,
                         "snapshot_id": pockets.snapshot_id})


def _targeting(inputs: ReportInputs, code: str, level: str) -> Section:
    model, scores = inputs.snapshots.get("target-model"), inputs.snapshots.get("target-scores")
    if model is None:
        return Section(missing="entas target fit")
    fit = model.tables["fit"].filter(pl.col("district_code") == (code if level == "district" else "all")).to_dicts()
    data: dict[str, Any] = {"fit": fit[0] if fit else None, "model_snapshot": model.snapshot_id,
                            "terms": len(model.manifest.get("model", {}).get("terms", [])), "scores": None}
    if scores is not None:
        summary = scores.tables["summary"]
        if level == "district":
            summary = summary.filter(pl.col("district_code") == code)
        totals = summary.drop("district_code").sum().to_dicts()
        data.update(scores=totals[0] if summary.height else None, scores_snapshot=scores.snapshot_id,
                    extreme_basis=scores.manifest.get("extreme_basis"))
    evaluation = inputs.snapshots.get("target-evaluation")
    data["errors"] = None
    if evaluation is not None:
        errors = evaluation.tables["errors"].filter(
            (pl.col("score") == "predicted_log_welfare") & (pl.col("area") == (code if level == "district" else "all")))
        data.update(errors=errors.sort("line", "cutoff_share").to_dicts(), evaluation_snapshot=evaluation.snapshot_id,
                    test_share=evaluation.manifest.get("test_share"))
    return Section(data=data)


def _plan(inputs: ReportInputs, code: str, level: str) -> Section:
    plan = inputs.snapshots.get("plan")
    if plan is None:
        return Section(missing="entas plan")
    assignments = plan.tables["assignments"]
    if level == "district":
        assignments = assignments.filter(pl.col("district_code") == code)

    def by(column: str) -> pl.DataFrame:
        return assignments.group_by(column).agg(spend_rp=pl.col("cost_rp").sum(),
                                                households=pl.col("household_id").n_unique()).sort(
            "spend_rp", descending=True)

    manifest = plan.manifest
    programs = set(assignments["program"].unique().to_list())
    catalog = {p: v for p, v in sorted(manifest.get("assumptions", {}).items()) if p in programs}
    budget = [p for p in manifest.get("budget_assumptions", []) if p in programs]
    data = {"by_strategy": by("strategy"), "by_funder": by("funder_type"), "by_program": by("program"),
            "households": assignments["household_id"].n_unique(), "spend_rp": assignments["cost_rp"].sum(),
            "catalog_assumptions": catalog, "budget_assumptions": budget, "snapshot_id": plan.snapshot_id,
            "objective": manifest.get("objective"), "method": manifest.get("method"), "year": manifest.get("year"),
            "budget_file": str(manifest.get("budget_file", {}).get("path", "")).rsplit("/", 1)[-1],
            "before": manifest.get("before") if level == "province" else None,
            "after": manifest.get("after") if level == "province" else None}
    return Section(data=data)


def _assumed(node: Any, path: str = "") -> list[str]:
    """Paths of the entries of a scenario file whose ``status`` is ``assumption``."""
    if isinstance(node, dict):
        found = [path] if node.get("status") == "assumption" and path else []
        for key, value in node.items():
            found += _assumed(value, f"{path}.{key}" if path else str(key))
        return found
    return []


def _simulation(inputs: ReportInputs, code: str, level: str) -> Section:
    simulation = inputs.snapshots.get("simulation")
    if simulation is None:
        return Section(missing="entas simulate")
    path = simulation.tables["path"].filter((pl.col("level") == level) & (pl.col("area") == code))
    zero = simulation.tables["zero_year"].filter((pl.col("level") == level) & (pl.col("area") == code))
    runs = simulation.manifest.get("runs", [])
    assumptions = {}
    for run in runs:
        scenario = run.get("scenario", {})
        try:
            content = yaml.safe_load(scenario.get("content") or "") or {}
        except yaml.YAMLError:
            content = {}
        assumptions[str(scenario.get("name"))] = _assumed(content)
    draws = sorted({int(r["draws"]) for r in runs if "draws" in r})
    return Section(data={"path": path.sort("scenario", "year"), "zero_year": zero.sort("scenario"),
                         "assumptions": assumptions, "draws": draws, "snapshot_id": simulation.snapshot_id,
                         "plan_snapshot": simulation.manifest.get("plan_snapshot")})


def area_report(inputs: ReportInputs, area: str) -> AreaReport:
    """The brief of ``area`` (the province code or a district code, Kemendagri or BPS)."""
    code = _check_area(inputs, area)
    level = "province" if code == inputs.province else "district"
    headline = _headline(inputs, code, level)
    sections = {
        "headline": headline, "trend": _trend(inputs, code, level, headline), "map": _map(inputs, code, level),
        "pockets": _pockets(inputs, code, level), "targeting": _targeting(inputs, code, level),
        "plan": _plan(inputs, code, level), "simulation": _simulation(inputs, code, level),
    }
    sources = {kind: snapshot.snapshot_id for kind, snapshot in inputs.snapshots.items()}
    if inputs.survey is not None:
        sources = {"survey": inputs.survey.snapshot_id, **sources}
    return AreaReport(code=code, name=inputs.name(code), level=level, sections=sections, sources=sources,
                      inputs=inputs)
