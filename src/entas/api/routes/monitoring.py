"""Monitoring within the caller's scope (coverage, untouched, duplicates, graduation, progress, statuses) and the
public aggregates (no sign-in; small cells suppressed with the server's ``k`` or a larger one).

Each table says its ``basis``: where the extreme-poor households came from (target scores or desil 1).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from entas.api import schemas
from entas.api.deps import PREFIX, CallerAccess, PublicAccess, State
from entas.api.routes.households import DENIED
from entas.api.schemas import Level, Period, rows
from entas.ledger import coverage, duplicates, extreme_poor, graduation, progress, public_aggregates, untouched
from entas.ledger.monitor import TARGET_YEAR

router = APIRouter(prefix=f"{PREFIX}/monitoring", tags=["monitoring"])
public_router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"])
LevelQuery = Annotated[Level, Query(description="Area level of the rows.")]


@router.get("/coverage", response_model=schemas.Coverage, responses=DENIED)
def coverage_table(access: CallerAccess, level: LevelQuery = "district") -> schemas.Coverage:
    """Share of extreme-poor households reached by at least one program of each strategy, per area."""
    poor = extreme_poor(access.store)
    table = coverage(access, level=level, extreme=poor.households)
    return schemas.Coverage.model_validate({"basis": poor.basis, "rows": rows(table)})


@router.get("/untouched", response_model=schemas.Untouched, responses=DENIED)
def untouched_households(access: CallerAccess) -> schemas.Untouched:
    """Extreme-poor households in scope that no program reached yet and that are still to serve (audited)."""
    poor = extreme_poor(access.store)
    table = untouched(access, extreme=poor.households)
    return schemas.Untouched.model_validate({"basis": poor.basis, "rows": rows(table)})


@router.get("/duplicates", response_model=schemas.Duplicates, responses=DENIED)
def duplicate_deliveries(access: CallerAccess,
                         period: Annotated[Period, Query(description="Length of the period.")] = "quarter",
                         ) -> schemas.Duplicates:
    """The same household and program delivered by two or more stakeholders in one period."""
    return schemas.Duplicates.model_validate({"rows": rows(duplicates(access, period=period))})


@router.get("/graduation", response_model=schemas.Graduation, responses=DENIED)
def graduation_table(access: CallerAccess, level: LevelQuery = "district") -> schemas.Graduation:
    """Per area: extreme-poor households verified, graduated, moved, deceased, not found."""
    poor = extreme_poor(access.store)
    table = graduation(access, level=level, extreme=poor.households)
    return schemas.Graduation.model_validate({"basis": poor.basis, "rows": rows(table)})


@router.get("/progress", response_model=schemas.Progress, responses=DENIED)
def progress_table(access: CallerAccess, level: LevelQuery = "province",
                   target_year: Annotated[int, Query(ge=2024, le=2045)] = TARGET_YEAR) -> schemas.Progress:
    """Progress against the target year: baseline, reached, graduated, exited, remaining, needed per month."""
    poor = extreme_poor(access.store)
    table = progress(access, level=level, target_year=target_year, extreme=poor.households)
    return schemas.Progress.model_validate({"basis": poor.basis, "rows": rows(table)})


@router.get("/household-statuses", response_model=schemas.HouseholdStatuses, responses=DENIED)
def household_statuses(access: CallerAccess,
                       area: Annotated[str | None, Query(min_length=2, max_length=20)] = None,
                       ) -> schemas.HouseholdStatuses:
    """Current household statuses in scope (ids, villages, statuses; no personal data)."""
    return schemas.HouseholdStatuses.model_validate({"rows": rows(access.household_statuses(area=area))})


@public_router.get("/aggregates", response_model=schemas.PublicAggregates,
                   responses={400: {"model": schemas.Problem}})
def aggregates(access: PublicAccess, state: State, level: LevelQuery = "district",
               k: Annotated[int | None, Query(ge=1, le=1000, description="Suppression threshold; at least the "
                                              "server's (ENTAS_PUBLIC_K, default 10).")] = None,
               ) -> schemas.PublicAggregates:
    """Household counts per area with small-cell suppression; no sign-in, never a household."""
    chosen = state.public_k if k is None else k
    if chosen < state.public_k:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            detail=f"k may not be below the server's threshold {state.public_k}")
    poor = extreme_poor(access.store)
    table = public_aggregates(access, level=level, k=chosen, extreme=poor.households)
    return schemas.PublicAggregates.model_validate({"basis": poor.basis, "k": chosen, "rows": rows(table)})
