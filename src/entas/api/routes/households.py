"""Households: search, detail, status, and the by-name lists (daftar by name by address) per area and program.

The search text ``q`` may be a NIK or a name: it is matched by the access layer (a NIK only for roles that
see NIKs, a name only for roles that see names), audited by its kind, and never logged (the access log names
the route template only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from entas.api import schemas
from entas.api.deps import PREFIX, CallerAccess
from entas.api.schemas import Responses, rows

router = APIRouter(prefix=PREFIX, tags=["households"])
AreaQuery = Annotated[str | None, Query(min_length=2, max_length=20, description="Area code (prefix, dotted).")]
HouseholdId = Annotated[str, Path(min_length=1, max_length=64)]
NOT_FOUND: Responses = {404: {"model": schemas.Problem, "description": "Missing, or outside the caller's scope."}}
DENIED: Responses = {403: {"model": schemas.Problem, "description": "The role may not do this."}}


@router.get("/households", response_model=schemas.HouseholdSearch, responses=DENIED)
def search_households(
    access: CallerAccess,
    area: AreaQuery = None,
    q: Annotated[str | None, Query(max_length=100, description="Household id, NIK (16 digits) or name part.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    max_decile: Annotated[int | None, Query(ge=1, le=10)] = None,
) -> schemas.HouseholdSearch:
    """Households in the caller's scope; NIK and name masked unless the role sees them."""
    found = access.search_households(area=area, query=q, limit=limit, max_decile=max_decile)
    return schemas.HouseholdSearch.model_validate({"households": rows(found)})


@router.get("/households/{household_id}", response_model=schemas.HouseholdDetail, responses={**NOT_FOUND, **DENIED})
def household(access: CallerAccess, household_id: HouseholdId) -> schemas.HouseholdDetail:
    """One household with members, status and its history, interventions and plan items (audited)."""
    detail = access.household(household_id)
    return schemas.HouseholdDetail.model_validate({
        "household": detail.household, "members": rows(detail.members), "status": detail.status,
        "history": rows(detail.history), "interventions": rows(detail.interventions),
        "plan_items": rows(detail.plan_items)})


@router.put("/households/{household_id}/status", response_model=schemas.HouseholdStatusSet,
            responses={**NOT_FOUND, **DENIED})
def set_household_status(access: CallerAccess, household_id: HouseholdId,
                         body: schemas.HouseholdStatusUpdate) -> schemas.HouseholdStatusSet:
    """Record what the field found about a household in scope (verified, graduated, moved, ...)."""
    result = access.set_household_status(household_id, body.status, since=body.since, note=body.note)
    return schemas.HouseholdStatusSet.model_validate(result)


@router.get("/by-name-lists", response_model=schemas.ByNameList, responses=DENIED)
def by_name_list(
    access: CallerAccess,
    area: AreaQuery = None,
    program: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    plan_id: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
) -> schemas.ByNameList:
    """Plan items in scope with the head of household: who to serve with which program (audited)."""
    listed = access.by_name_list(area=area, program=program, plan_id=plan_id)
    return schemas.ByNameList.model_validate({"rows": rows(listed)})

