"""Plotly charts of the briefs, as figure dicts that the bundled plotly.js draws (no CDN, works offline).

Numbers follow the language: axis separators (``layout.separators``: decimal sign then grouping sign,
``",."`` in Indonesian) and hover texts formatted with ``entas.report.i18n``. Time axes show years only, so
no month names need a plotly.js locale. Rupiah axes are in billions (*miliar*), named in the axis title.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]
import polars as pl

from entas.report.i18n import fmt_number, fmt_percent, fmt_rupiah
from entas.report.labels import label

Gettext = Callable[[str], str]
PALETTE = ("#1f5f8b", "#d9822b", "#2f8f5b", "#8b2f5f", "#6b6b6b")
__all__ = ["base_layout", "plan_chart", "simulation_chart", "trend_chart"]


def base_layout(lang: str, **extra: Any) -> dict[str, Any]:
    """Layout shared by every chart: locale separators, compact margins, readable fonts, no title."""
    layout: dict[str, Any] = {
        "separators": ",." if lang == "id" else ".,", "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        "font": {"family": "DejaVu Sans, Arial, sans-serif", "size": 12}, "height": 320,
        "legend": {"orientation": "h", "y": -0.2}, "plot_bgcolor": "white",
    }
    layout.update(extra)
    return layout


def _figure(traces: list[Any], layout: dict[str, Any]) -> dict[str, Any]:
    figure: dict[str, Any] = go.Figure(data=traces, layout=layout).to_plotly_json()
    return figure


def trend_chart(published: pl.DataFrame, survey: dict[str, Any] | None, lang: str, _: Gettext) -> dict[str, Any]:
    """Published BPS P0 by survey round, and this run's survey estimate with its 95% CI (one point)."""
    x = [f"{p[:7]}-01" for p in published["period"].to_list()]
    y = [v / 100 for v in published["p0_pct"].to_list()]
    traces: list[Any] = [go.Scatter(
        x=x, y=y, mode="lines+markers", name=_("Published by BPS (national line)"), line={"color": PALETTE[0]},
        text=[fmt_percent(v, lang) for v in y], hovertemplate="%{x|%Y-%m}: %{text}<extra></extra>")]
    if survey is not None:
        low = max(survey["ci_low"], 0.0)
        traces.append(go.Scatter(
            x=[f"{survey['year']}-03-01"], y=[survey["estimate"]], mode="markers",
            name=_("Survey estimate in entas (95% CI)"), marker={"color": PALETTE[1], "size": 10},
            error_y={"type": "data", "array": [survey["ci_high"] - survey["estimate"]],
                     "arrayminus": [survey["estimate"] - low], "visible": True},
            text=[f"{fmt_percent(survey['estimate'], lang)} [{fmt_percent(low, lang)}; "
                  f"{fmt_percent(survey['ci_high'], lang)}]"], hovertemplate="%{text}<extra></extra>"))
    layout = base_layout(lang, yaxis={"tickformat": ".1%", "title": {"text": _("Poverty rate (P0)")},
                                      "rangemode": "tozero", "gridcolor": "#ddd"},
                         xaxis={"tickformat": "%Y", "dtick": "M12", "gridcolor": "#eee"})
    return _figure(traces, layout)


def plan_chart(by_strategy: pl.DataFrame, by_funder: pl.DataFrame, lang: str, _: Gettext) -> dict[str, Any]:
    """Planned spend by strategy and by funder, horizontal bars in Rp billion, households in the hover text."""
    traces: list[Any] = []
    for frame, column, kind, axis, color in ((by_strategy, "strategy", "strategy", "", PALETTE[0]),
                                             (by_funder, "funder_type", "funder", "2", PALETTE[1])):
        names = [label(kind, c, _) for c in frame[column].to_list()]
        spend = frame["spend_rp"].to_list()
        households = _("households")
        hover = [f"{n}: {fmt_rupiah(s, lang, compact=True)}, {fmt_number(h, lang)} {households}"
                 for n, s, h in zip(names, spend, frame["households"].to_list(), strict=True)]
        traces.append(go.Bar(x=[s / 1e9 for s in spend], y=names, orientation="h", marker={"color": color},
                             text=hover, hovertemplate="%{text}<extra></extra>", textposition="none",
                             xaxis=f"x{axis}", yaxis=f"y{axis}", showlegend=False))
    rows = max(by_strategy.height + by_funder.height, 2)
    layout = base_layout(
        lang, height=120 + 28 * rows, margin={"l": 230, "r": 20, "t": 30, "b": 50},
        xaxis={"domain": [0, 1], "anchor": "y", "title": {"text": _("Rp billion")}, "gridcolor": "#ddd"},
        yaxis={"domain": [0.55, 1], "autorange": "reversed"},
        xaxis2={"domain": [0, 1], "anchor": "y2", "title": {"text": _("Rp billion")}, "gridcolor": "#ddd"},
        yaxis2={"domain": [0, 0.4], "autorange": "reversed"},
        annotations=[{"text": _("By strategy"), "xref": "paper", "yref": "paper", "x": 0, "y": 1.06,
                      "showarrow": False, "xanchor": "left"},
                     {"text": _("By funder"), "xref": "paper", "yref": "paper", "x": 0, "y": 0.46,
                      "showarrow": False, "xanchor": "left"}])
    return _figure(traces, layout)


def _translucent(colour: str, alpha: float = 0.18) -> str:
    """``#1f5f8b`` as ``rgba(31,95,139,0.18)``: the band's fill, lines and markers untouched."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def simulation_chart(path: pl.DataFrame, lang: str, _: Gettext) -> dict[str, Any]:
    """Expected extremely poor persons per year and scenario, with the 5th-95th percentile band of the draws."""
    traces: list[Any] = []
    for number, scenario in enumerate(path["scenario"].unique(maintain_order=True).to_list()):
        rows = path.filter(pl.col("scenario") == scenario).sort("year")
        color = PALETTE[number % len(PALETTE)]
        years = rows["year"].to_list()
        name = label("scenario", scenario, _)
        traces.append(go.Scatter(
            x=years + years[::-1], y=rows["poor_persons_p95"].to_list() + rows["poor_persons_p05"].to_list()[::-1],
            fill="toself", fillcolor=_translucent(color), mode="lines", line={"width": 0}, hoverinfo="skip",
            legendgroup=name,
            showlegend=False, name=name))
        hover = [f"{name} {y}: {fmt_number(v, lang, digits=1)} [{fmt_number(lo, lang, digits=1)}; "
                 f"{fmt_number(hi, lang, digits=1)}]" for y, v, lo, hi in zip(
                     years, rows["poor_persons"].to_list(), rows["poor_persons_p05"].to_list(),
                     rows["poor_persons_p95"].to_list(), strict=True)]
        traces.append(go.Scatter(x=years, y=rows["poor_persons"].to_list(), mode="lines+markers", name=name,
                                 line={"color": color}, legendgroup=name, text=hover,
                                 hovertemplate="%{text}<extra></extra>"))
    layout = base_layout(lang, xaxis={"dtick": 1, "gridcolor": "#eee"},
                         yaxis={"title": {"text": _("Extremely poor persons")}, "rangemode": "tozero",
                                "gridcolor": "#ddd"})
    return _figure(traces, layout)
