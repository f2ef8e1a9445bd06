"""Fixtures of the operations tests (see ops_world.py)."""

from ops_world import engine, password_hash, registry_home, store, world

__all__ = ["engine", "password_hash", "registry_home", "store", "world"]
