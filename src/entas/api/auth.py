"""Who is calling: short-lived signed bearer tokens (OAuth2 password flow) and the principal behind them.

``POST /api/v1/auth/token`` checks the password (argon2, ``entas.ops.accounts.authenticate``) and issues a
JSON Web Token signed with HMAC-SHA256 under ``ENTAS_SECRET_KEY``, valid ``ENTAS_TOKEN_MINUTES`` (default
15). Every request then checks the signature and the expiry against ``TokenService.clock`` (so tests move
time instead of sleeping) and reloads the user from the database: a user disabled, deleted (or deleted and
re-created under the same name) after the token was issued is refused, and a changed role or area takes
effect at once. The token carries the user's name and id, never personal data of households.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from entas.errors import OpsError
from entas.ops.accounts import principal_of
from entas.ops.principal import Principal
from entas.ops.store import OpsStore

ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32
Clock = Callable[[], dt.datetime]


class TokenError(OpsError):
    """A bearer token that is missing, malformed, tampered with, expired, or whose user is gone."""


def utc_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ephemeral_secret() -> str:
    """A random secret for ``entas serve --dev``: tokens die with the server."""
    return secrets.token_urlsafe(48)


def check_secret(secret: str | None) -> str:
    """The secret key, or ``OpsError`` saying how to set one (HS256 wants at least 32 characters)."""
    if not secret or len(secret) < MIN_SECRET_CHARS:
        raise OpsError(f"set ENTAS_SECRET_KEY to a random string of at least {MIN_SECRET_CHARS} characters "
                       "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), "
                       "or run `entas serve --dev` for an ephemeral one")
    return secret


@dataclass(frozen=True)
class TokenService:
    """Issues and checks tokens; ``minutes`` may be fractional (tests use seconds)."""

    secret: str
    minutes: float = 15.0
    clock: Clock = field(default=utc_clock)

    def issue(self, principal: Principal) -> tuple[str, int]:
        """A signed token for a registered user, and its lifetime in seconds."""
        if principal.user_id is None:
            raise OpsError("only registered users get tokens")
        now = self.clock()
        lifetime = dt.timedelta(minutes=self.minutes)
        claims = {"sub": principal.name, "uid": principal.user_id, "iat": int(now.timestamp()),
                  "exp": int((now + lifetime).timestamp()), "jti": secrets.token_hex(8)}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), int(lifetime.total_seconds())

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims: signature, shape and expiry checked (``TokenError`` otherwise)."""
        try:
            claims: dict[str, Any] = jwt.decode(token, self.secret, algorithms=[ALGORITHM],
                                                options={"verify_exp": False, "require": ["sub", "uid", "exp"]})
        except jwt.PyJWTError:
            raise TokenError("invalid token") from None
        if not isinstance(claims["exp"], int) or not isinstance(claims["uid"], int):
            raise TokenError("invalid token")
        if claims["exp"] <= self.clock().timestamp():
            raise TokenError("token expired: sign in again")
        return claims

    def principal(self, store: OpsStore, token: str) -> Principal:
        """The current principal of the token's user (active, same id), or ``TokenError``."""
        claims = self.claims(token)
        try:
            principal = principal_of(store, str(claims["sub"]))
        except OpsError:
            raise TokenError("user no longer active: sign in again") from None
        if principal.user_id != claims["uid"]:
            raise TokenError("user no longer active: sign in again")
        return principal
