"""The API over the ops world: a ``TestClient``, a controllable clock, and bearer headers for every role.

Tokens are minted by the app's own ``TokenService`` for the world's users (signing in costs an argon2 hash,
~0.5 s; ``test_api_auth`` signs in through ``/api/v1/auth/token`` itself). ``admin`` is a registered admin
user (the world's admin is the CLI's local administrator, who has no token).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ops_world import World, _add_users_quickly

from entas.api import create_app
from entas.ops.accounts import principal_of

SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
ROLES = ("admin", "province_analyst", "district_officer", "village_officer", "partner", "public")


@dataclass
class Clock:
    """A clock the tests move (tokens expire without sleeping)."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    world: World
    headers: dict[str, dict[str, str]]  # role -> Authorization header
    clock: Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(world: World, password_hash: str, clock: Clock) -> Iterator[Api]:
    _add_users_quickly(world.store, {"admin": {"role": "admin"}}, password_hash)
    app = create_app(store=world.store, secret_key=SECRET, clock=clock)
    tokens = app.state.entas.tokens
    headers = {role: {"Authorization": f"Bearer {tokens.issue(principal_of(world.store, role))[0]}"}
               for role in ROLES}
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(app=app, client=client, world=world, headers=headers, clock=clock)
