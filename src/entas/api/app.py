"""The FastAPI application: ``create_app`` builds it from arguments or the environment.

Settings (arguments win over the environment):

- ``ENTAS_HOME``: the data folder (registry snapshots, plan snapshots, rejects); default ``./entas-data``;
- ``ENTAS_DATABASE_URL``: the operations store (default the SQLite file ``<home>/ops.sqlite``); it must be
  migrated (``entas db upgrade``) or the app refuses to start;
- ``ENTAS_SECRET_KEY``: signs the tokens (at least 32 characters; ``entas serve --dev`` makes one up);
- ``ENTAS_TOKEN_MINUTES``: token lifetime, default 15;
- ``ENTAS_PUBLIC_K``: the small-cell threshold of the public aggregates, default 10 (a caller may ask for a
  larger k, never a smaller one);
- ``ENTAS_MAX_UPLOAD_MB``: largest plan or delivery-report upload, default 50.

Everything lives under ``/api/v1``; the OpenAPI spec is at ``/openapi.json`` and its pages at ``/docs``.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from entas.api import errors, schemas
from entas.api.access_log import AccessLog
from entas.api.auth import Clock, TokenService, check_secret, utc_clock
from entas.api.deps import PREFIX, ApiState, State
from entas.api.routes import admin, auth, households, interventions, monitoring, plans
from entas.errors import OpsError
from entas.ledger.public import DEFAULT_K
from entas.ops.database import current_revision
from entas.ops.store import OpsStore

DESCRIPTION = """The ledger of the East Kalimantan extreme-poverty programme (entas): households, plans,
interventions, delivery reports, monitoring and public aggregates. Sign in at `/api/v1/auth/token` (OAuth2
password flow) and send `Authorization: Bearer <token>`. Every read and write is scoped to the caller's role
and areas by the data-access layer; ids outside the scope answer 404 like missing ones."""


def _number(name: str, given: float | None, default: float) -> float:
    if given is not None:
        return given
    text = os.environ.get(name)
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise OpsError(f"{name}={text!r} is not a number") from None


def create_app(database_url: str | None = None, home: Path | str | None = None, *, secret_key: str | None = None,
               token_minutes: float | None = None, public_k: int | None = None, max_upload_mb: float | None = None,
               store: OpsStore | None = None, clock: Clock | None = None) -> FastAPI:
    """The HTTP API over the operations store of ``home`` (or an open ``store``); see the module docstring."""
    folder = Path(home or os.environ.get("ENTAS_HOME") or "entas-data").resolve()
    minutes = _number("ENTAS_TOKEN_MINUTES", token_minutes, 15.0)
    k = int(_number("ENTAS_PUBLIC_K", public_k, DEFAULT_K))
    upload_mb = _number("ENTAS_MAX_UPLOAD_MB", max_upload_mb, 50.0)
    if minutes <= 0 or k < 1 or upload_mb <= 0:
        raise OpsError("ENTAS_TOKEN_MINUTES and ENTAS_MAX_UPLOAD_MB must be positive and ENTAS_PUBLIC_K at least 1")
    tokens = TokenService(check_secret(secret_key or os.environ.get("ENTAS_SECRET_KEY")), minutes, clock or utc_clock)
    opened = store if store is not None else OpsStore.open(folder, database_url)
    _ = opened.strategies  # parse the program catalog once now, not in every worker thread of the first burst
    app = FastAPI(title="entas ledger API", version="1", description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url="/docs", redoc_url=None)
    app.state.entas = ApiState(store=opened, tokens=tokens, public_k=k, max_upload_bytes=int(upload_mb * (1 << 20)),
                               scratch=opened.home / "tmp" / "uploads")
    errors.install(app)
    app.add_middleware(AccessLog)
    for router in (auth.router, households.router, plans.router, interventions.router, monitoring.router,
                   monitoring.public_router, admin.router):
        app.include_router(router)
    app.add_api_route(f"{PREFIX}/health", health, methods=["GET"], response_model=schemas.Health, tags=["health"])
    from entas.web import web_router  # the dashboard at / (entas.web imports entas.api: imported here)

    app.include_router(web_router())
    return app


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app`` with its full path, through included routers (for probes and docs)."""
    found: list[APIRoute] = []

    def walk(routes: list[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            included = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps included routers whole
            if included is not None:
                walk(included.routes)

    walk(app.routes)
    return found


def health(state: State) -> schemas.Health:
    """The server answers and its database is reachable (no sign-in)."""
    engine = state.store.engine
    return schemas.Health(status="ok", database=engine.dialect.name, revision=current_revision(engine))


def app_from_env() -> FastAPI:
    """The app as ``entas serve`` (and each uvicorn worker) builds it: settings from the environment only."""
    return create_app()
