"""Sign-in (OAuth2 password flow) and who the token belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from entas.api import schemas
from entas.api.deps import PREFIX, Caller, State
from entas.errors import OpsError
from entas.ops.accounts import authenticate

router = APIRouter(prefix=f"{PREFIX}/auth", tags=["auth"])


@router.post("/token", response_model=schemas.Token, responses={401: {"model": schemas.Problem}})
def token(state: State, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> schemas.Token:
    """Sign in with a user name and password; one answer for an unknown user and a wrong password."""
    try:
        principal = authenticate(state.store, form.username, form.password)
    except OpsError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="unknown user or wrong password",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    access_token, seconds = state.tokens.issue(principal)
    return schemas.Token(access_token=access_token, expires_in=seconds)


@router.get("/me", response_model=schemas.Me, responses={401: {"model": schemas.Problem}})
def me(principal: Caller) -> schemas.Me:
    """The signed-in user's role, areas and stakeholder."""
    return schemas.Me(name=principal.name, role=principal.role.value, areas=list(principal.areas),
                      stakeholder_id=principal.stakeholder_id)
