"""`entas areas import-geometry`: boundaries of known areas stored, unknown codes reported, maps switched."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from entas.areas.geometry import GEOMETRY_FILE, load_geometry
from entas.cli import app
from entas.report.html import render_html
from entas.report.inputs import load_inputs
from entas.report.sections import area_report

runner = CliRunner()


def charts(html: str) -> dict[str, Any]:
    """The chart specifications the page hands to plotly.js (``var spec = {...};``)."""
    found = re.search(r"var spec = (\{.*?\});\n", html, flags=re.S)
    assert found is not None
    spec: dict[str, Any] = json.loads(found.group(1).replace("<\\/", "</"))
    return spec["charts"]


def _square(code: str, x: float, y: float, field: str = "code") -> dict[str, object]:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {"type": "Feature", "properties": {field: code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _write(path: Path, *features: dict[str, object]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), encoding="utf-8")
    return path


def test_import_stores_known_districts_reports_unmatched_and_switches_the_map(home_copy: Path, tmp_path: Path) -> None:
    # Paser by its Kemendagri code, Samarinda by its BPS code (6472), and a code of no area
    file = _write(tmp_path / "two.geojson", _square("64.01", 116, -2), _square("6472", 117, -1),
                  _square("99.99", 118, -1))
    result = runner.invoke(app, ["areas", "import-geometry", str(file), "--home", str(home_copy), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "district,2" in result.stdout and "99.99" in result.output and "not stored" in result.output
    stored = load_geometry(home_copy)
    assert stored is not None and (home_copy / GEOMETRY_FILE).is_file()
    assert sorted(f["properties"]["code"] for f in stored["features"]) == ["64.01", "64.72"]

    inputs = load_inputs(home_copy)
    province = render_html(area_report(inputs, "64"), "en")
    shapes = [trace for trace in charts(province)["map"]["data"] if trace.get("fill") == "toself"]
    assert sorted(trace["name"] for trace in shapes) == ["64.01", "64.72"]  # the real polygons, inline
    paser = next(trace for trace in shapes if trace["name"] == "64.01")
    assert paser["x"][:5] == [116, 117, 117, 116, 116] and paser["y"][:5] == [-2, -2, -1, -1, -2]
    assert "Schematic map" not in province and "Areas without a boundary (not drawn): 8." in province
    district = render_html(area_report(inputs, "64.01"), "en")  # no village boundaries: still schematic
    assert "Schematic map (skematik)" in district and charts(district)["map"]["data"][0]["type"] == "heatmap"


def test_areas_listing_still_works_beside_import_geometry() -> None:
    result = runner.invoke(app, ["areas", "64", "--level", "district", "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 11


def test_a_file_without_the_code_field_names_the_fields_it_has(tmp_path: Path) -> None:
    file = _write(tmp_path / "kode.geojson", _square("64.01", 116, -2, field="kode"))
    result = runner.invoke(app, ["areas", "import-geometry", str(file), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "no code field 'code'; fields: kode" in " ".join(result.output.split())
    ok = runner.invoke(app, ["areas", "import-geometry", str(file), "--code-field", "kode", "--home", str(tmp_path)])
    assert ok.exit_code == 0, ok.output


def test_duplicated_codes_and_files_without_any_known_area_are_refused(tmp_path: Path) -> None:
    twice = _write(tmp_path / "twice.geojson", _square("64.01", 116, -2), _square("6401.0", 117, -2),
                   _square("64.01", 118, -2))
    result = runner.invoke(app, ["areas", "import-geometry", str(twice), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "features 1 and 3 both have code 64.01" in " ".join(result.output.split())
    none = _write(tmp_path / "none.geojson", _square("12.01", 116, -2))
    result = runner.invoke(app, ["areas", "import-geometry", str(none), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "no feature's 'code' is an area of province 64" in " ".join(result.output.split())
    assert not (tmp_path / GEOMETRY_FILE).exists()
    assert runner.invoke(app, ["areas", "import-geometry", "--home", str(tmp_path)]).exit_code == 2
