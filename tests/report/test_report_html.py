"""`entas report --format html`: one self-contained file per area and language, every section or its advice."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from entas.cli import app
from entas.registry.snapshots import SnapshotStore
from entas.report import write_reports
from entas.report.html import render_html
from entas.report.i18n import fmt_percent
from entas.report.inputs import load_inputs
from entas.report.sections import area_report

runner = CliRunner()
PLOTLY_HEADER = re.compile(r"\* plotly\.js v\d+\.\d+\.\d+")


class _Loads(HTMLParser):
    """Collects every attribute that makes a browser load something (src, link href, srcset, url() in styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for key in ("src", "srcset", "data", "poster"):
            if named.get(key):
                self.loads.append(f"{tag} {key}={named[key]}")
        if tag == "link" and named.get("href"):
            self.loads.append(f"link href={named['href']}")


def charts(html: str) -> dict[str, Any]:
    """The chart specifications the page hands to plotly.js (``var spec = {...};``)."""
    found = re.search(r"var spec = (\{.*?\});\n", html, flags=re.S)
    assert found is not None
    spec: dict[str, Any] = json.loads(found.group(1).replace("<\\/", "</"))
    return spec["charts"]


def _loads(html: str) -> list[str]:
    parser = _Loads()
    parser.feed(html)
    return parser.loads


@pytest.fixture(scope="module")
def written(full_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    out = tmp_path_factory.mktemp("briefs")
    files = write_reports(full_home, ["64", "64.08"], langs=["id", "en"], formats=["html"], out=out)
    return {(f.area, f.lang): f.path.read_text(encoding="utf-8") for f in files}


def test_province_and_district_render_in_both_languages(written: dict[tuple[str, str], str]) -> None:
    assert set(written) == {("64", "id"), ("64", "en"), ("64.08", "id"), ("64.08", "en")}
    assert "Angka utama" in written[("64", "id")] and "Kabupaten Kutai Timur" in written[("64.08", "id")]
    assert "Headline figures" in written[("64.08", "en")] and "Angka utama" not in written[("64.08", "en")]
    for html in written.values():
        for section in ("headline", "trend", "map", "pockets", "targeting", "plan", "simulation"):
            assert f'<section id="{section}">' in html
        assert "Not available yet" not in html and "Belum tersedia" not in html


def test_html_is_one_self_contained_file_with_the_plotly_bundle_once(written: dict[tuple[str, str], str]) -> None:
    for html in written.values():
        assert _loads(html) == []  # nothing to fetch: no src, no stylesheet link, no image file
        assert len(PLOTLY_HEADER.findall(html)) == 1
        assert "cdn.plot.ly/plotly" not in html.split("<script>", 1)[0]


def test_numbers_follow_the_language(written: dict[tuple[str, str], str]) -> None:
    # BPS March 2024 province P0 5.78% (kaltim_province_series.csv): the trend chart's hover text
    assert "5,78%" in written[("64", "id")] and "5.78%" not in written[("64", "id")].replace("5.78%,", "")
    assert "5.78%" in written[("64", "en")]
    # separators handed to plotly.js: decimal comma and dot grouping in Indonesian
    assert charts(written[("64", "id")])["trend"]["layout"]["separators"] == ",."
    assert charts(written[("64", "en")])["trend"]["layout"]["separators"] == ".,"


def test_headline_shows_the_survey_estimate_with_its_interval(full_home: Path,
                                                             written: dict[tuple[str, str], str]) -> None:
    inputs = load_inputs(full_home)
    assert inputs.survey is not None and inputs.survey.poverty is not None
    row = inputs.survey.poverty.filter((pl.col("area") == "64") & (pl.col("line") == "national")
                                       & (pl.col("measure") == "headcount_ratio")).row(0, named=True)
    for lang in ("id", "en"):
        html = written[("64", lang)]
        assert f">{fmt_percent(row['estimate'], lang)}</td>" in html
        assert f"{fmt_percent(max(row['ci_low'], 0.0), lang)} – {fmt_percent(row['ci_high'], lang)}" in html
        assert inputs.survey.snapshot_id in html


def test_plan_section_names_the_assumptions_it_uses(full_home: Path, written: dict[tuple[str, str], str]) -> None:
    manifest = SnapshotStore(full_home).manifest("plan")
    html = written[("64", "en")]
    assert "Assumptions this plan rests on" in html and "kaltim_2025.csv" in html
    assert manifest["budget_assumptions"] and "take_up" in html
    assert "Asumsi yang mendasari rencana ini" in written[("64", "id")]


def test_maps_are_schematic_and_say_so_without_boundaries(written: dict[tuple[str, str], str]) -> None:
    assert "Schematic map (skematik)" in written[("64", "en")] and "Peta skematik" in written[("64.08", "id")]
    for area in ("64", "64.08"):
        assert [trace["type"] for trace in charts(written[(area, "en")])["map"]["data"]] == ["heatmap"]


def test_reports_hold_no_nik(full_home: Path, written: dict[tuple[str, str], str]) -> None:
    niks = set(SnapshotStore(full_home).read("registry", "members")["nik"].drop_nulls().to_list())
    for html in written.values():
        assert not niks & set(re.findall(r"\d{16}", html))


def test_missing_snapshots_leave_advice_and_the_report_still_renders(home_copy: Path) -> None:
    for kind in ("pockets", "plan", "simulation", "target-model", "target-scores"):
        shutil.rmtree(home_copy / "snapshots" / kind)
    html = render_html(area_report(load_inputs(home_copy), "64.08"), "en")
    for command in ("entas pockets", "entas plan", "entas simulate", "entas target fit"):
        assert f"Run {command} to produce it" in html
    assert "Headline figures" in html and html.count("Not available yet") == 5  # map, pockets, targeting, plan, path
    shutil.rmtree(home_copy / "snapshots" / "survey")
    html = render_html(area_report(load_inputs(home_copy), "64"), "id")
    assert "Jalankan entas import survey FILE" in html and '"chart-trend"' in html  # published series still drawn


def test_report_command_writes_files_and_refuses_unknown_areas(full_home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--area", "6404", "--lang", "en", "--home", str(full_home),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "brief-64.08-en.html").stat().st_size > 1_000_000
    bad = runner.invoke(app, ["report", "--area", "64.99", "--home", str(full_home), "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "64.99" in bad.output
    village = runner.invoke(app, ["report", "--area", "64.08.01.2001", "--home", str(full_home)])
    assert village.exit_code == 2 and "not for 64.08.01.2001" in " ".join(village.output.split())
    assert runner.invoke(app, ["report", "--home", str(full_home)]).exit_code == 2


def test_targeting_section_shows_held_out_errors_from_the_evaluation_snapshot(
        full_home: Path, written: dict[tuple[str, str], str]) -> None:
    store = SnapshotStore(full_home)
    snapshot = store.current("target-evaluation")
    assert snapshot is not None
    errors = store.read("target-evaluation", "errors").filter(
        (pl.col("score") == "predicted_log_welfare") & (pl.col("area") == "all"))
    province = written[("64", "id")]
    assert snapshot in province and "Kesalahan inklusi" in province and "Cakupan penduduk miskin" in province
    assert "Inclusion error" in written[("64", "en")]
    rows = re.findall(r"<tr><td>line_(?:extreme|national)</td>", province)
    assert len(rows) == errors.height
