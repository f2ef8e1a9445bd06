"""Alembic environment: run the revisions on the engine that ``entas.ops.database.upgrade`` passes in.

Only online runs through a given engine are supported (no ``alembic.ini``, no offline SQL scripts): the
package is the single source of the migrations, and ``entas db upgrade`` the single way to run them.
"""

from __future__ import annotations

from alembic import context

from entas.ops.models import Base


def run_migrations() -> None:
    """Run the pending revisions in one transaction (PostgreSQL and SQLite both have transactional DDL)."""
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run the entas migrations through entas.ops.database.upgrade (or `entas db upgrade`)")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
