"""The web dashboard: server-rendered pages over the report content and the ledger, served by the API app.

``web_router()`` gives the pages (``entas.web.pages``) and their static files (``entas.web.assets``) for
``create_app`` to include; sign-in reuses the API's tokens in an HttpOnly cookie (``entas.web.session``);
templates render through the report module's Jinja environment and catalogs (``entas.web.render``); the
report inputs are read once per snapshot (``entas.web.data``). See docs/web.md.
"""

from entas.web.pages import web_router

__all__ = ["web_router"]
