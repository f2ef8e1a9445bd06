"""PDF briefs printed by headless Chromium, and the HTML drawn offline in the same browser (no request made)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from entas.cli import app
from entas.report.pdf import CHROMIUM_ARGS, chromium_path

runner = CliRunner()
pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Chromium is not installed (CI installs Debian's chromium in .ci/run)")


def test_pdf_is_a_real_pdf_with_the_briefs_text(full_home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--area", "64.08", "--format", "pdf", "--home", str(full_home),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pdf = tmp_path / "brief-64.08-id.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    for expected in ("Angka utama", "Kabupaten Kutai Timur", "Asumsi yang mendasari rencana ini", "Peta skematik"):
        assert expected in " ".join(text.split()), expected
    assert "Persentase penduduk miskin (P0)" in text  # the trend chart's axis title: charts drawn before printing


def _draw(page_url: str) -> tuple[list[str], list[str], dict[str, int]]:
    """Open the page in Chromium: the requests it made, console errors, and SVG layers drawn per chart."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(page_url)
            page.wait_for_function("document.body.dataset.chartsReady !== undefined", timeout=60_000)
            assert page.evaluate("document.body.dataset.chartsReady") == "1"
            drawn = json.loads(page.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('.chart')).map("
                "c => [c.id, c.querySelectorAll('svg.main-svg').length]))"))
        finally:
            browser.close()
    return requests, problems, dict(drawn)


def test_html_draws_every_chart_offline_without_any_request(full_home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--area", "64", "--lang", "en", "--home", str(full_home),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page_url = (tmp_path / "brief-64-en.html").resolve().as_uri()
    requests, problems, drawn = _draw(page_url)
    assert requests == [page_url] and problems == []
    assert {chart for chart, svgs in drawn.items() if svgs > 0} == {"chart-trend", "chart-map", "chart-plan",
                                                                    "chart-simulation"}


def test_imported_boundaries_are_drawn_offline_too(home_copy: Path, tmp_path: Path) -> None:
    ring = [[116, -2], [117, -2], [117, -1], [116, -1], [116, -2]]
    boundaries = tmp_path / "paser.geojson"
    boundaries.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "code": "64.01"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    assert runner.invoke(app, ["areas", "import-geometry", str(boundaries), "--home", str(home_copy)]).exit_code == 0
    result = runner.invoke(app, ["report", "--area", "64", "--home", str(home_copy), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page_url = (tmp_path / "brief-64-id.html").resolve().as_uri()
    requests, problems, drawn = _draw(page_url)
    assert requests == [page_url] and problems == [] and drawn["chart-map"] > 0


def test_briefs_printed_after_plotly_is_loaded_once_match_a_brief_printed_alone(full_home: Path,
                                                                                tmp_path: Path) -> None:
    """write_pdfs evaluates plotly.js once and loads each brief without its copy: the pages must not change."""
    from entas.report.html import plotly_js
    from entas.report.pdf import write_pdfs

    result = runner.invoke(app, ["report", "--area", "64", "--area", "64.08", "--home", str(full_home),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    province, district = tmp_path / "brief-64-id.html", tmp_path / "brief-64.08-id.html"
    library = plotly_js()
    alone = tmp_path / "alone.html"  # a changed comment in the bundle: write_pdfs must open this file as it is
    alone.write_text(district.read_text(encoding="utf-8").replace(
        library, library.replace("plotly.js v", "plotly.js  v", 1), 1), encoding="utf-8")
    assert library not in alone.read_text(encoding="utf-8")
    write_pdfs([(province, tmp_path / "province.pdf"), (district, tmp_path / "district.pdf"),
                (alone, tmp_path / "alone.pdf")])
    shared, own = PdfReader(tmp_path / "district.pdf"), PdfReader(tmp_path / "alone.pdf")
    assert len(shared.pages) == len(own.pages) >= 3
    for printed, reference in zip(shared.pages, own.pages, strict=True):
        assert printed.get_contents().get_data() == reference.get_contents().get_data()
    assert len(PdfReader(tmp_path / "province.pdf").pages) >= 3
