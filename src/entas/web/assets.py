"""The dashboard's static files, served by the app itself: its stylesheet and script, and plotly.js.

plotly.js is the bundle inside the ``plotly`` Python package (the one the briefs embed), served at
``/static/plotly.min.js``; browsers keep it for a day (about 4.8 MB once). ``web.js`` draws the charts whose
figures a page carries as JSON and then sets ``document.body.dataset.chartsReady`` (``1``, or ``error``).
Only the names in ``ASSETS`` are served: no path from the request reaches the file system.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ASSETS", "asset", "asset_version"]


def _packaged(name: str) -> Callable[[], str]:
    return lambda: (resources.files("entas.web") / "static" / name).read_text(encoding="utf-8")


ASSETS: dict[str, tuple[str, Callable[[], str]]] = {
    "web.css": ("text/css; charset=utf-8", _packaged("web.css")),
    "web.js": ("text/javascript; charset=utf-8", _packaged("web.js")),
    "plotly.min.js": ("text/javascript; charset=utf-8", lambda: str(get_plotlyjs())),
}
"""name -> (content type, reader)."""


@lru_cache(maxsize=len(ASSETS))
def _content(name: str) -> tuple[bytes, str]:
    body = ASSETS[name][1]().encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:16]


def asset_version(name: str) -> str:
    """A short digest of the asset, put in its URL (``?v=``) so a new version is fetched at once."""
    return _content(name)[1]


def asset(request: Request) -> Response:
    """``GET /static/{name}``: one of ``ASSETS``, with an ETag; anything else is 404."""
    name = str(request.path_params["name"])
    if name not in ASSETS:
        return Response("not found", status_code=404, media_type="text/plain")
    body, digest = _content(name)
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ASSETS[name][0], headers=headers)
