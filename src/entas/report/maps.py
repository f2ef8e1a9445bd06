"""Maps of the briefs: schematic (*skematik*) by default, real boundaries once ``entas areas import-geometry`` ran.

Schematic maps are not geography, and say so on the map:

- **districts** as tiles placed roughly where they lie in East Kalimantan (``TILES``; north up); a province
  without a tile layout gets its districts in code order on a grid;
- **villages** (or subdistricts) of one district as a grid: one row per subdistrict (code order), one cell
  per village in code order along the row.

With imported boundaries (``entas.areas.geometry``) every area that has a feature is drawn with its real
shape: the GeoJSON's polygons inline as filled shapes on plain axes, north up, longitude and latitude on one
scale (not a Plotly ``choropleth``: its geo subplot downloads a world base map from the CDN even when hidden);
areas without a feature are counted in the note. Colours: the estimate on one scale from 0, hover texts
with the estimate, its RMSE and the persons, formatted in the report's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]
import polars as pl

from entas.report.charts import base_layout
from entas.report.i18n import fmt_number, fmt_percent

Gettext = Callable[[str], str]
COLOURS = "YlOrRd"
TILES: dict[str, tuple[int, int]] = {
    "64.11": (0, 0), "64.03": (3, 0),
    "64.07": (0, 1), "64.02": (1, 1), "64.08": (2, 1),
    "64.72": (1, 2), "64.74": (2, 2),
    "64.09": (1, 3), "64.71": (2, 3),
    "64.01": (1, 4),
}
"""Kalimantan Timur district -> (column, row) of its tile, north at row 0 (a sketch, not geography)."""
__all__ = ["TILES", "area_map"]


def _hover(values: pl.DataFrame, lang: str, _: Gettext) -> list[str]:
    rmse = values["rmse"].to_list()
    rate, persons = _("Extreme poverty rate"), _("Persons")
    return [
        f"{name} ({code})<br>{rate}: {fmt_percent(est, lang)}"
        + (f" (RMSE {fmt_percent(r, lang)})" if r is not None else "")
        + f"<br>{persons}: {fmt_number(p, lang)}"
        for code, name, est, r, p in zip(values["code"].to_list(), values["name"].to_list(),
                                         values["estimate"].to_list(), rmse, values["persons"].to_list(),
                                         strict=True)
    ]


def _colorbar(_: Gettext) -> dict[str, Any]:
    return {"title": {"text": _("Extreme poverty rate")}, "tickformat": ".1%", "thickness": 12}


def _tiles(values: pl.DataFrame, lang: str, _: Gettext) -> dict[str, Any]:
    """Districts as labelled tiles (a heatmap with gaps), positioned by ``TILES`` or in code order."""
    codes = values["code"].to_list()
    placed = all(c in TILES for c in codes)
    positions = [TILES[c] if placed else (i % 4, i // 4) for i, c in enumerate(codes)]
    columns, rows = max(p[0] for p in positions) + 1, max(p[1] for p in positions) + 1
    z: list[list[float | None]] = [[None] * columns for _row in range(rows)]
    text: list[list[str]] = [[""] * columns for _row in range(rows)]
    notes: list[dict[str, Any]] = []
    for (col, row), estimate, hover, name in zip(positions, values["estimate"].to_list(), _hover(values, lang, _),
                                                 values["name"].to_list(), strict=True):
        z[row][col], text[row][col] = estimate, hover
        short = name.replace("Kabupaten ", "").replace("Kota ", "")
        notes.append({"x": col, "y": row, "text": f"{short}<br>{fmt_percent(estimate, lang)}", "showarrow": False,
                      "font": {"size": 10}, "bgcolor": "rgba(255,255,255,0.7)"})
    trace = go.Heatmap(z=z, text=text, hovertemplate="%{text}<extra></extra>", colorscale=COLOURS, zmin=0,
                       xgap=4, ygap=4, colorbar=_colorbar(_), hoverongaps=False)
    layout = base_layout(lang, height=90 * rows + 60, xaxis={"visible": False}, annotations=notes,
                         yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    return {"data": [trace], "layout": layout}


def _grid(values: pl.DataFrame, lang: str, _: Gettext, names: dict[str, str]) -> dict[str, Any]:
    """Villages of a district as a grid: one row per subdistrict (its name on the axis), cells in code order."""
    ranked = values.with_columns(column=pl.col("code").cum_count().over("parent") - 1).sort("parent", "code")
    parents = ranked["parent"].unique(maintain_order=True).to_list()
    row_of = {p: i for i, p in enumerate(parents)}
    columns = max(ranked["column"].to_list(), default=0) + 1
    z: list[list[float | None]] = [[None] * columns for _row in parents]
    text: list[list[str]] = [[""] * columns for _row in parents]
    for parent, col, estimate, hover in zip(ranked["parent"].to_list(), ranked["column"].to_list(),
                                            ranked["estimate"].to_list(), _hover(ranked, lang, _), strict=True):
        z[row_of[parent]][col], text[row_of[parent]][col] = estimate, hover
    trace = go.Heatmap(z=z, y=[names.get(p, p) for p in parents], text=text, hovertemplate="%{text}<extra></extra>",
                       colorscale=COLOURS, zmin=0, xgap=2, ygap=2, colorbar=_colorbar(_), hoverongaps=False)
    layout = base_layout(lang, height=max(22 * len(parents) + 80, 200), margin={"l": 170, "r": 20, "t": 10, "b": 20},
                         xaxis={"visible": False}, yaxis={"autorange": "reversed", "type": "category"})
    return {"data": [trace], "layout": layout}


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """The rings (outer and holes) of a GeoJSON Polygon or MultiPolygon."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _boundaries(values: pl.DataFrame, features: list[dict[str, Any]], lang: str, _: Gettext) -> dict[str, Any]:
    """The imported boundaries as filled polygons on plain axes (no geo subplot, so plotly.js fetches nothing).

    A Plotly ``choropleth`` would draw the same GeoJSON but makes plotly.js download its world base map
    (cdn.plot.ly) even when the base map is hidden; filled shapes keep the report offline.
    """
    from plotly.colors import sample_colorscale  # type: ignore[import-untyped]

    by_code = {f["properties"]["code"]: f["geometry"] for f in features}
    top = max((v for v in values["estimate"].to_list() if v is not None), default=0.0) or 1.0
    traces: list[Any] = []
    centres_x: list[float] = []
    centres_y: list[float] = []
    for code, estimate, hover in zip(values["code"].to_list(), values["estimate"].to_list(),
                                     _hover(values, lang, _), strict=True):
        x: list[float | None] = []
        y: list[float | None] = []
        for ring in _rings(by_code[code]):
            x += [point[0] for point in ring] + [None]
            y += [point[1] for point in ring] + [None]
        colour = sample_colorscale(COLOURS, [min(max(estimate or 0.0, 0.0) / top, 1.0)])[0]
        traces.append(go.Scatter(x=x, y=y, fill="toself", fillcolor=colour, mode="lines", hoveron="fills",
                                 line={"color": "white", "width": 0.8}, text=hover, hoverinfo="text",
                                 showlegend=False, name=code))
        outer = _rings(by_code[code])[0]
        centres_x.append(sum(p[0] for p in outer) / len(outer))
        centres_y.append(sum(p[1] for p in outer) / len(outer))
    traces.append(go.Scatter(  # carries the colour bar; invisible markers at the areas' centres
        x=centres_x, y=centres_y, mode="markers", hoverinfo="skip", showlegend=False,
        marker={"color": values["estimate"].to_list(), "colorscale": COLOURS, "cmin": 0, "cmax": top, "size": 0.1,
                "opacity": 0, "colorbar": _colorbar(_), "showscale": True}))
    layout = base_layout(lang, height=420, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x"})
    return {"data": traces, "layout": layout}


def area_map(values: pl.DataFrame, *, level: str, geometry: dict[str, Any] | None, names: dict[str, str],
             lang: str, _: Gettext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The map figure of ``values`` (``code, name, estimate, rmse, persons, parent``) and what it shows.

    The second value says ``kind`` (``schematic`` or ``boundaries``) and, for boundaries, how many areas had
    no feature (``without_boundaries``).
    """
    codes = set(values["code"].to_list())
    features = [f for f in (geometry or {}).get("features", []) if f.get("properties", {}).get("code") in codes]
    if features:
        drawn = {f["properties"]["code"] for f in features}
        figure = _boundaries(values.filter(pl.col("code").is_in(sorted(drawn))), features, lang, _)
        return figure, {"kind": "boundaries", "without_boundaries": len(codes - drawn)}
    figure = _tiles(values, lang, _) if level == "district" else _grid(values, lang, _, names)
    return figure, {"kind": "schematic", "without_boundaries": 0}
