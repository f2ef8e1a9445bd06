"""Administration: stakeholders (listed to every signed-in role), users and the audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from entas.api import schemas
from entas.api.deps import PREFIX, CallerAccess
from entas.api.routes.households import DENIED, NOT_FOUND
from entas.api.schemas import Responses, rows
from entas.ops.accounts import add_stakeholder, add_user, list_stakeholders, list_users, set_user_active

router = APIRouter(prefix=PREFIX, tags=["administration"])
CONFLICT: Responses = {409: {"model": schemas.Problem, "description": "Already exists."}}


@router.get("/stakeholders", response_model=schemas.StakeholderList, responses=DENIED)
def stakeholders(access: CallerAccess) -> schemas.StakeholderList:
    """Every stakeholder (organisations are not personal data)."""
    return schemas.StakeholderList.model_validate({"stakeholders": rows(list_stakeholders(access))})


@router.post("/stakeholders", response_model=schemas.StakeholderCreated, status_code=status.HTTP_201_CREATED,
             responses={**DENIED, **CONFLICT})
def create_stakeholder(access: CallerAccess, body: schemas.StakeholderCreate) -> schemas.StakeholderCreated:
    """Register an organisation shaped like IATI's (admins)."""
    created = add_stakeholder(access, body.identifier, body.name, body.kind, body.funder_type, reports=body.reports,
                              implements=body.implements, area_code=body.area_code, iati_type=body.iati_type)
    return schemas.StakeholderCreated.model_validate(created)


@router.get("/users", response_model=schemas.UserList, responses=DENIED)
def users(access: CallerAccess) -> schemas.UserList:
    """Every user: name, role, areas, stakeholder, active (admins; never a hash)."""
    return schemas.UserList.model_validate({"users": rows(list_users(access))})


@router.post("/users", response_model=schemas.UserCreated, status_code=status.HTTP_201_CREATED,
             responses={**DENIED, **CONFLICT, 400: {"model": schemas.Problem}})
def create_user(access: CallerAccess, body: schemas.UserCreate) -> schemas.UserCreated:
    """Add a user (admins); the password is stored as an argon2 hash."""
    created = add_user(access, body.name, body.password, body.role, areas=body.areas, stakeholder=body.stakeholder)
    return schemas.UserCreated.model_validate(created)


@router.patch("/users/{user_name}", response_model=schemas.User, responses={**DENIED, **NOT_FOUND})
def set_active(access: CallerAccess, user_name: Annotated[str, Path(min_length=1, max_length=120)],
               body: schemas.UserActive) -> schemas.User:
    """Disable (or enable again) a user; a disabled user's tokens are refused at once (admins)."""
    return schemas.User.model_validate(set_user_active(access, user_name, active=body.active))


@router.get("/audit", response_model=schemas.AuditLog, responses=DENIED)
def audit_log(access: CallerAccess,
              household_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> schemas.AuditLog:
    """The newest audit rows, optionally those about one household (admins)."""
    return schemas.AuditLog.model_validate({"rows": rows(access.audit_log(household_id=household_id, limit=limit))})
