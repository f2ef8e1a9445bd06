"""Plans from the planning module: import (an uploaded file or the current ``plan`` snapshot), assignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from entas.api import schemas
from entas.api.deps import PREFIX, CallerAccess, State
from entas.api.routes.households import DENIED
from entas.api.schemas import Responses, rows
from entas.api.uploads import saved_upload
from entas.ledger.plans import PlanImport, assign, import_plan, import_plan_snapshot

router = APIRouter(prefix=f"{PREFIX}/plans", tags=["plans"])
ERRORS: Responses = {**DENIED, 400: {"model": schemas.Problem, "description": "A bad plan file (names row and field)."},
          409: {"model": schemas.Problem, "description": "The plan id is stored with other content."}}


def _imported(result: PlanImport) -> schemas.PlanImport:
    return schemas.PlanImport.model_validate({"plans": rows(result.plans), "items": result.items})


@router.post("/import", response_model=schemas.PlanImport, responses=ERRORS)
def import_plan_file(access: CallerAccess, state: State,
                     file: Annotated[UploadFile, File(description="CSV or Parquet with the plan columns.")],
                     ) -> schemas.PlanImport:
    """Import a plan file (columns of ``entas.ledger.plans.PLAN_COLUMNS``): whole or not at all."""
    with saved_upload(file, state.scratch, suffixes=(".csv", ".parquet"), limit=state.max_upload_bytes,
                      default="plan.csv") as path:
        return _imported(import_plan(access, path))


@router.post("/import-snapshot", response_model=schemas.PlanImport,
             responses=ERRORS)
def import_from_snapshot(access: CallerAccess, body: schemas.PlanFromSnapshot) -> schemas.PlanImport:
    """Import the planning output stored under ENTAS_HOME (``plan`` snapshot; default the current one)."""
    return _imported(import_plan_snapshot(access, body.snapshot))


@router.post("/assign", response_model=schemas.Assigned, responses={**DENIED, 404: {"model": schemas.Problem}})
def assign_items(access: CallerAccess, body: schemas.Assignment) -> schemas.Assigned:
    """Assign the matching plan items in the caller's scope to a stakeholder; returns how many."""
    count = assign(access, body.stakeholder, program=body.program, area=body.area, plan_id=body.plan_id,
                   reassign=body.reassign)
    return schemas.Assigned(assigned=count)
