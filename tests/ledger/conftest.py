"""Fixtures of the ledger tests: the operations world of tests/ops (see ops_world.py there)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))

from ops_world import engine, password_hash, registry_home, store, world

__all__ = ["engine", "password_hash", "registry_home", "store", "world"]
