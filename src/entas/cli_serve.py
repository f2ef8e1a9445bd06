"""``entas serve``: run the HTTP API (``entas.api``) with uvicorn.

Before it listens it checks the database schema: a database that is not at the newest migration is refused
with the advice to run ``entas db upgrade`` (``--upgrade`` migrates first; ``--dev`` implies it). Tokens are
signed with ``ENTAS_SECRET_KEY``; ``--dev`` makes up an ephemeral key when none is set (tokens then die with
the server). Settings travel to the workers through the environment (``ENTAS_HOME``, ``ENTAS_DATABASE_URL``,
``ENTAS_SECRET_KEY``), so ``--workers N`` runs N processes of the same app. uvicorn's access log is off: it
prints raw query strings (a NIK search); the API's own access log (``entas.api.access``) names route
templates only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from entas.cli_support import HomeOption, entas_home, run_guarded, stderr


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="SQLAlchemy URL (default: $ENTAS_DATABASE_URL or HOME/ops.sqlite).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    dev: Annotated[bool, typer.Option(
        "--dev", help="Development: ephemeral secret key if none, migrate first.")] = False,
    upgrade: Annotated[bool, typer.Option(
        "--upgrade", help="Migrate the database to the newest schema first.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API under /api/v1 (OpenAPI pages at /docs)."""
    folder = entas_home(home)

    def prepare() -> None:
        from entas.api.auth import check_secret, ephemeral_secret
        from entas.ops.database import database_url as resolve
        from entas.ops.database import describe_url, open_engine, require_current
        from entas.ops.database import upgrade as migrate

        url = resolve(folder, database_url)
        secret = os.environ.get("ENTAS_SECRET_KEY")
        if not secret and dev:
            secret = ephemeral_secret()
            stderr.print("note: --dev made up an ephemeral ENTAS_SECRET_KEY; tokens end with this server")
        check_secret(secret)
        engine = open_engine(url)
        try:
            if dev or upgrade:
                revision = migrate(engine)
                stderr.print(f"database {describe_url(url)} at revision {revision}")
            require_current(engine)
        finally:
            engine.dispose()
        os.environ.update({"ENTAS_HOME": str(folder), "ENTAS_DATABASE_URL": url, "ENTAS_SECRET_KEY": str(secret)})

    run_guarded(prepare)
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["entas.api"] = {"handlers": ["default"], "level": log_level.upper(), "propagate": False}
    stderr.print(f"entas dashboard on http://{host}:{port}/ and API on /api/v1 (docs: /docs), home {Path(folder)}")
    uvicorn.run("entas.api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level=log_level, log_config=log_config, server_header=False)
