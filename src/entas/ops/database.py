"""Where the operations store lives and how to open and migrate it.

The URL is ``ENTAS_DATABASE_URL`` when set (``postgresql+psycopg://user@host:5432/entas`` for a multi-user
server), else a SQLite file ``<ENTAS_HOME>/ops.sqlite`` (the embedded default, one machine). Migrations are
Alembic scripts shipped inside the package (``entas/ops/migrations``) and run programmatically, so
``entas db upgrade`` works from an installed wheel without an ``alembic.ini``.

SQLite: foreign keys on, WAL journal, a 30 s busy timeout, and every transaction begun ``IMMEDIATE`` so two
writers queue instead of failing on a lock upgrade. PostgreSQL: a connection pool sized for a server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from entas.errors import OpsError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "ops.sqlite"


def database_url(home: Path, url: str | None = None) -> str:
    """The URL to use: ``url``, else ``$ENTAS_DATABASE_URL``, else the SQLite file under ``home``."""
    chosen = url or os.environ.get("ENTAS_DATABASE_URL")
    if chosen:
        return chosen
    return f"sqlite:///{Path(home).resolve() / SQLITE_FILE}"


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable database URL>"


def open_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for ``url``; ``schema`` (PostgreSQL) sets the search path, e.g. a test's private schema."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OpsError(f"database URL {url!r} is not a SQLAlchemy URL (e.g. postgresql+psycopg://...)") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise OpsError(f"database {describe_url(url)}: only SQLite and PostgreSQL are supported")
    connect_args: dict[str, Any] = {}
    if schema is not None:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(parsed, pool_size=10, max_overflow=40, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # entas begins transactions itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (results outlive their transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate the database to ``revision`` (default: the newest); return the revision it is at."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), revision)
    except OperationalError as error:
        raise OpsError(f"database {describe_url(str(engine.url))}: cannot migrate ({error.orig})") from None
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of entas."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def require_current(engine: Engine) -> None:
    """Raise ``OpsError`` unless the database is migrated to the newest revision (say how to fix it)."""
    if not inspect(engine).has_table("alembic_version") or current_revision(engine) != head_revision():
        raise OpsError(f"database {describe_url(str(engine.url))} is not up to date: run `entas db upgrade`")
