"""Interventions (intervensi): create (idempotent on the key), change status, list; bulk delivery reports.

``POST /interventions`` answers 201 with the stored row when it created it, 200 with the stored row when the
same key came with the same content before (a retry), and 409 when the key was used for other content.
``POST /deliveries/import`` stores a whole CSV/Excel report in one transaction and answers the counts and
the rejected rows (with reasons; a NIK masked).
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status

from entas.api import schemas
from entas.api.deps import PREFIX, CallerAccess, State
from entas.api.routes.households import DENIED, NOT_FOUND
from entas.api.schemas import INT32_MAX, Responses, rows
from entas.api.uploads import saved_upload
from entas.ledger.deliveries import import_deliveries
from entas.ops.access import InterventionRequest

router = APIRouter(prefix=PREFIX, tags=["interventions"])
CONFLICT: Responses = {409: {"model": schemas.Problem,
                             "description": "Key used for other content, or a status not allowed."}}
BAD: Responses = {400: {"model": schemas.Problem, "description": "The request breaks a rule (names the field)."}}


@router.post("/interventions", response_model=schemas.Intervention, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": schemas.Intervention, "description": "Already stored with this key."},
                        **NOT_FOUND, **DENIED, **CONFLICT, **BAD})
def create_intervention(access: CallerAccess, body: schemas.InterventionCreate,
                        response: Response) -> schemas.Intervention:
    """Record an intervention for a household in scope; safe to retry with the same idempotency key."""
    recorded = access.record_intervention(InterventionRequest(**body.model_dump()))
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
    return schemas.Intervention.model_validate(recorded.intervention)


@router.patch("/interventions/{intervention_id}", response_model=schemas.Intervention,
              responses={**NOT_FOUND, **DENIED, **CONFLICT, **BAD})
def update_intervention(access: CallerAccess, intervention_id: Annotated[int, Path(ge=1, le=INT32_MAX)],
                        body: schemas.InterventionStatusUpdate) -> schemas.Intervention:
    """Move an intervention in scope along planned -> delivered -> verified (or cancelled)."""
    row = access.set_intervention_status(intervention_id, body.status, delivered_on=body.delivered_on,
                                         evidence=body.evidence)
    return schemas.Intervention.model_validate(row)


@router.get("/interventions", response_model=schemas.InterventionList, responses=DENIED)
def list_interventions(
    access: CallerAccess,
    area: Annotated[str | None, Query(min_length=2, max_length=20)] = None,
    household_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    program: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(planned|delivered|verified|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> schemas.InterventionList:
    """Interventions in scope, oldest first (no personal data)."""
    found = access.interventions(area=area, household_id=household_id, program=program, status=status_, limit=limit)
    return schemas.InterventionList.model_validate({"interventions": rows(found)})


@router.post("/deliveries/import", response_model=schemas.DeliveryImportResult, responses={**DENIED, **BAD})
def import_delivery_report(
    access: CallerAccess, state: State,
    file: Annotated[UploadFile, File(description="CSV or Excel (.xlsx) delivery report.")],
    stakeholder: Annotated[str | None, Form(min_length=1, max_length=120,
                                            description="Stakeholder of rows without one.")] = None,
) -> schemas.DeliveryImportResult:
    """Validate and store a delivery report in one transaction; rejected rows come back with their rule."""
    with saved_upload(file, state.scratch, suffixes=(".csv", ".txt", ".xlsx"), limit=state.max_upload_bytes,
                      default="report.csv") as path:
        result = import_deliveries(access, path, stakeholder=stakeholder)
    rejects: list[dict[str, object]] = []
    if result.rejects_path is not None:
        rejects = rows(pl.read_csv(result.rejects_path, infer_schema=False).with_columns(pl.col("row").cast(pl.Int64)))
    return schemas.DeliveryImportResult.model_validate({
        "file": result.file, "read": result.read, "stored": result.stored, "duplicate": result.unchanged,
        "rejected": result.rejected, "rejects": rejects})

