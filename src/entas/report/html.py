"""A brief as ONE self-contained HTML file: CSS and plotly.js inline, charts as JSON, nothing to fetch.

``render_html(report, lang)`` fills ``templates/report.html.j2`` through Jinja2 with the i18n extension (the
gettext translations of ``entas.report.i18n``) and filters that format numbers in the language (``pct``,
``num``, ``rp``, ``label``). Charts and the map are Plotly figure dicts, drawn in the page by the plotly.js
bundle that ships with the ``plotly`` package (embedded once, about 4.8 MB); when they are drawn the page sets
``document.body.dataset.chartsReady``, which the PDF printer waits for.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import polars as pl
from plotly.io.json import to_json_plotly  # type: ignore[import-untyped]
from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

from entas.report.charts import plan_chart, simulation_chart, trend_chart
from entas.report.i18n import check_language, fmt_date, fmt_number, fmt_percent, fmt_rupiah, translator
from entas.report.labels import label, labels
from entas.report.maps import area_map
from entas.report.sections import AreaReport

__all__ = ["environment", "line_label", "render_html"]


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle of the ``plotly`` package, as the briefs embed it."""
    return str(get_plotlyjs())


@lru_cache(maxsize=1)
def _css() -> str:
    return (resources.files("entas.report") / "templates" / "report.css").read_text(encoding="utf-8")


def line_label(line: str, gettext: Any) -> str:
    """``national`` -> the national-line name; ``extreme (USD 2.15 PPP 2017)`` keeps its basis in brackets."""
    kind, _, basis = line.partition(" (")
    name = label("line", kind, gettext)
    return f"{name} ({basis}" if basis else name


@lru_cache(maxsize=4)
def environment(lang: str) -> jinja2.Environment:
    """The Jinja2 environment of ``lang``: package templates, gettext installed, locale filters."""
    lang = check_language(lang)
    env = jinja2.Environment(loader=jinja2.PackageLoader("entas.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    translations = translator(lang)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    gettext = translations.gettext
    env.filters.update(
        pct=lambda v, digits=2: fmt_percent(v, lang, digits=digits),
        num=lambda v, digits=0: fmt_number(v, lang, digits=digits),
        rp=lambda v, compact=True: fmt_rupiah(v, lang, compact=compact),
        label=lambda code, kind: label(kind, code, gettext),
        labels=lambda codes, kind, sep=",": labels(kind, codes, gettext, sep=sep),
        line=lambda line: line_label(line, gettext),
        clip0=lambda v: None if v is None else max(v, 0.0),
    )
    env.globals["lang"] = lang
    return env


def _figures(report: AreaReport, lang: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Figure dicts by chart name, and what the map shows (schematic or boundaries)."""
    gettext = translator(lang).gettext
    sections = report.sections
    figures: dict[str, Any] = {}
    trend = sections["trend"].data
    figures["trend"] = trend_chart(trend["published"], trend["survey"], lang, gettext)
    map_info: dict[str, Any] = {}
    if sections["map"].available:
        data = sections["map"].data
        names = dict(report.inputs.areas.select("code", "name").iter_rows())
        figures["map"], map_info = area_map(data["values"], level=data["level"], geometry=report.inputs.geometry,
                                            names=names, lang=lang, _=gettext)
    if sections["plan"].available and sections["plan"].data["households"]:
        figures["plan"] = plan_chart(sections["plan"].data["by_strategy"], sections["plan"].data["by_funder"],
                                     lang, gettext)
    if sections["simulation"].available and sections["simulation"].data["path"].height:
        figures["simulation"] = simulation_chart(sections["simulation"].data["path"], lang, gettext)
    return figures, map_info


def render_html(report: AreaReport, lang: str = "id") -> str:
    """The brief of ``report`` in ``lang`` as one HTML document (no external files, no network)."""
    from entas import __version__

    env = environment(lang)
    figures, map_info = _figures(report, lang)
    charts = to_json_plotly({"charts": figures, "config": {"displaylogo": False, "responsive": True}})
    return env.get_template("report.html.j2").render(
        report=report, s=report.sections, map_info=map_info, charts_json=charts.replace("</", "<\\/"),
        plotly_js=plotly_js(), css=_css(), version=__version__, made_on=fmt_date(report.inputs.made_on, lang),
        rows=lambda frame: frame.to_dicts() if isinstance(frame, pl.DataFrame) else [],
        has_chart=lambda name: name in figures)
