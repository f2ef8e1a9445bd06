"""Pages as HTML: the report module's Jinja environment (gettext, locale filters) plus the dashboard's templates.

``environment(lang)`` is an overlay of ``entas.report.html.environment(lang)``: the same translations and the
same filters (``pct``, ``num``, ``rp``, ``label``, ``line``), with ``entas/web/templates`` searched first.
Charts are Plotly figure dicts from ``entas.report.charts`` and ``entas.report.maps``, sent as JSON inside the
page (``<script type="application/json">``, never executed) and drawn by the plotly.js bundle and
``web.js``, both served by the app itself: no CDN, no inline script.

Every page carries a Content-Security-Policy that allows scripts, styles, images and requests from this
server only, so a page cannot load anything from elsewhere even by mistake; pages for a signed-in user are
not cached (``no-store``), as the household page holds personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jinja2
import polars as pl
from plotly.io.json import to_json_plotly  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import HTMLResponse

from entas.ops.principal import Principal
from entas.report.html import environment as report_environment
from entas.report.i18n import LANGUAGES, fmt_date, fmt_number, translator
from entas.report.labels import label
from entas.web.assets import asset_version
from entas.web.labels import web_label
from entas.web.session import remember_language

CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
"""Only this server: ``'unsafe-inline'`` styles because plotly.js styles its SVG with style attributes."""
__all__ = ["charts_json", "environment", "page"]


@lru_cache(maxsize=len(LANGUAGES))
def environment(lang: str) -> jinja2.Environment:
    """The report environment of ``lang`` with the dashboard's templates first and a few more filters."""
    base = report_environment(lang)
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("entas.web", "templates")]
    if base.loader is not None:
        loaders.append(base.loader)
    env = base.overlay(loader=jinja2.ChoiceLoader(loaders))
    env.filters = dict(base.filters)  # the overlay would otherwise share (and change) the report's dict
    env.globals = dict(base.globals)
    gettext = translator(lang).gettext
    env.filters.update(web_label=lambda code, kind: web_label(kind, code, gettext),
                       count=lambda v: fmt_number(v, lang), date=lambda v: fmt_date(v, lang))
    env.globals["code_label"] = lambda kind, code: label(kind, code, gettext)
    env.globals["asset_version"] = asset_version
    return env


def charts_json(figures: Mapping[str, Any]) -> str:
    """The figures as JSON safe inside a ``<script type="application/json">`` (every ``<`` escaped)."""
    text: str = to_json_plotly({"charts": dict(figures), "config": {"displaylogo": False, "responsive": True}})
    return text.replace("<", "\\u003c")


def rows(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    return frame.to_dicts() if isinstance(frame, pl.DataFrame) else []


def _switch_urls(request: Request) -> dict[str, str]:
    """This page in each language (the other query parameters kept)."""
    urls = {lang: request.url.include_query_params(lang=lang) for lang in LANGUAGES}
    return {lang: f"{url.path}?{url.query}" for lang, url in urls.items()}


def page(request: Request, template: str, *, lang: str, remember: bool, who: Principal | None,
         status_code: int = 200, figures: Mapping[str, Any] | None = None, **context: Any) -> HTMLResponse:
    """Render ``template`` for ``who`` in ``lang`` as a response with the dashboard's security headers."""
    from entas import __version__

    env = environment(lang)
    html = env.get_template(template).render(
        who=who, path=request.url.path, switch=_switch_urls(request), version=__version__, rows=rows,
        charts=charts_json(figures) if figures else None,
        has_chart=lambda name: bool(figures) and name in (figures or {}), **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store" if who is not None else "no-cache"
    if remember:
        remember_language(response, lang, request)
    return response
