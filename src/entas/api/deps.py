"""What every route receives: the shared store, the caller's ``Access`` and the API's settings.

Routes never build queries: they ask for ``CallerAccess`` (the signed-in principal bound to the store,
``entas.ops.access.Access``) and call it, so role, scope, masking and audit are the access layer's job.
The public aggregates take ``PublicAccess`` (an anonymous principal with the ``public`` role).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from entas.api.auth import TokenError, TokenService
from entas.ops.access import Access
from entas.ops.principal import Principal
from entas.ops.roles import Role
from entas.ops.store import OpsStore

PREFIX = "/api/v1"
TOKEN_URL = f"{PREFIX}/auth/token"
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
ANONYMOUS = Principal(name="anonymous", role=Role.public)


@dataclass(frozen=True)
class ApiState:
    """What the app shares between requests (``app.state.entas``)."""

    store: OpsStore
    tokens: TokenService
    public_k: int
    max_upload_bytes: int
    scratch: Path


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.entas
    return state


State = Annotated[ApiState, Depends(api_state)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


def caller(state: State, token: Annotated[str | None, Depends(bearer)]) -> Principal:
    """The principal of a valid bearer token (401 otherwise)."""
    if not token:
        raise _unauthorized("not signed in: send Authorization: Bearer <token> from /api/v1/auth/token")
    try:
        return state.tokens.principal(state.store, token)
    except TokenError as error:
        raise _unauthorized(str(error)) from None


def caller_access(state: State, principal: Annotated[Principal, Depends(caller)]) -> Access:
    return state.store.access(principal)


def public_access(state: State) -> Access:
    return state.store.access(ANONYMOUS)


Caller = Annotated[Principal, Depends(caller)]
CallerAccess = Annotated[Access, Depends(caller_access)]
PublicAccess = Annotated[Access, Depends(public_access)]
