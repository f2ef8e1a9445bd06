"""The store itself: migrations from empty on SQLite and PostgreSQL, argon2 hashes, append-only audit tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_world import PASSWORD, World
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from entas.errors import OpsError
from entas.ops.accounts import authenticate
from entas.ops.database import current_revision, head_revision, open_engine, require_current, upgrade
from entas.ops.models import APPEND_ONLY_TABLES, Base
from entas.ops.passwords import hash_password, needs_rehash, verify_password


def test_migrations_create_every_model_table_and_column(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == set(table.columns.keys()), table.name
    assert upgrade(engine) == head_revision()  # a second upgrade changes nothing


def test_unmigrated_database_is_refused_with_the_fix(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with pytest.raises(OpsError, match="entas db upgrade"):
        require_current(engine)


def test_argon2_hash_verifies_only_the_right_password() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(stored)
    with pytest.raises(OpsError, match="too short"):
        hash_password("short")


def test_sign_in_failures_say_the_same_thing(world: World) -> None:
    with pytest.raises(OpsError) as wrong:
        authenticate(world.store, "district_officer", "wrong password!")
    with pytest.raises(OpsError) as unknown:
        authenticate(world.store, "nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "unknown user or wrong password"


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_database_refuses_update_and_delete_on_append_only_tables(world: World, table: str) -> None:
    officer = world.access["district_officer"]
    officer.household(world.home_ids[0])  # an audit row with a subject
    officer.set_household_status(world.home_ids[0], "verified")  # a history row
    engine = world.store.engine
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() > 0
    statements = [f"DELETE FROM {table}", f"UPDATE {table} SET household_id = 'x'" if table != "audit_log"
                  else "UPDATE audit_log SET actor = 'someone else'"]
    if engine.dialect.name == "postgresql":
        statements.append(f"TRUNCATE {table} CASCADE")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() > 0
