"""Fixtures of the HTTP API tests: the operations world of tests/ops (SQLite, and PostgreSQL when
``ENTAS_TEST_DATABASE_URL`` is set), an app over its store with a clock the tests move, and a token per role."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))
sys.path.insert(0, str(Path(__file__).parent))

from api_world import Api, api, clock
from ops_world import engine, password_hash, registry_home, store, world

__all__ = ["Api", "api", "clock", "engine", "password_hash", "registry_home", "store", "world"]
