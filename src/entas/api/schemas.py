"""Request and response bodies of the HTTP API (pydantic), one model per shape, as the OpenAPI spec shows them.

The models mirror what ``entas.ops.access.Access`` and ``entas.ledger`` return (polars frames), so a route
only converts: ``rows(frame)`` turns a frame into plain records (NaN to null) for a model's ``list`` field.
Personal fields (``head_name``, ``head_nik``, a member's ``name`` and ``nik``, the ``address``) arrive
already masked by the access layer as the caller's role requires; the API never unmasks anything.
Strings are bounded and numbers kept inside the database's column types, so a bad request is a 422, not a
database error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

INT32_MAX = 2**31 - 1
AMOUNT_MAX = 10**15  # rupiah: far above any program, inside BIGINT
Responses = dict[int | str, dict[str, Any]]
"""The ``responses`` of a route: status -> OpenAPI description and model."""
Level = Literal["province", "district", "subdistrict", "village"]
Period = Literal["month", "quarter", "year"]
AreaCode = Field(default=None, min_length=2, max_length=20, pattern=r"^[0-9]{2}(\.[0-9]{2}){0,2}(\.[0-9]{4})?$",
                 description="Kemendagri area code with dots (64, 64.02, 64.02.01, 64.02.01.2001).")


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The frame as records, with float NaN as null (JSON has no NaN)."""
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if floats:
        frame = frame.with_columns(pl.col(floats).fill_nan(None))
    return frame.to_dicts()


class Problem(BaseModel):
    """An error: ``detail`` says what was wrong (never with personal data)."""

    detail: str | list[dict[str, Any]]


class Token(BaseModel):
    """An OAuth2 bearer token: send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class Me(BaseModel):
    """Who the token belongs to: role, area codes, stakeholder."""

    name: str
    role: str
    areas: list[str]
    stakeholder_id: int | None


# -- households -------------------------------------------------------------------------------------------------

class HouseholdSummary(BaseModel):
    """A household of a search: ids, decile, size, the head's name and NIK (masked as the role requires)."""

    household_id: str
    village_code: str
    welfare_decile: int | None = None
    household_size: int | None = None
    head_name: str | None = None
    head_nik: str | None = None
    status: str | None = None


class HouseholdSearch(BaseModel):
    households: list[HouseholdSummary]


class Member(BaseModel):
    """A household member as the role may see them (NIK and name masked unless allowed)."""

    model_config = ConfigDict(extra="allow")
    member_id: str
    nik: str | None = None
    name: str | None = None
    sex: str | None = None
    birth_date: dt.date | None = None
    relation_to_head: str | None = None


class HouseholdRecord(BaseModel):
    """The registry row of a household (every registry column; the address redacted unless allowed)."""

    model_config = ConfigDict(extra="allow")
    household_id: str
    village_code: str
    address: str | None = None
    welfare_decile: int | None = None
    household_size: int | None = None


class StatusNow(BaseModel):
    status: str
    since: dt.date
    note: str | None = None


class StatusChange(BaseModel):
    status: str
    previous_status: str | None = None
    since: dt.date
    note: str | None = None
    changed_by: str
    changed_at: dt.datetime


class Intervention(BaseModel):
    """An intervention (intervensi) of the ledger: what a stakeholder planned or delivered to a household."""

    id: int
    idempotency_key: str
    household_id: str
    village_code: str
    program: str
    strategy: str
    stakeholder: str
    status: str
    delivered_on: dt.date | None = None
    amount_rp: int | None = None
    evidence: str | None = None
    plan_item_id: int | None = None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime | None = None


class PlanItemOfHousehold(BaseModel):
    id: int
    plan_id: str
    program: str
    strategy: str
    funder: str | None = None
    cost_rp: float | None = None
    stakeholder: str | None = None


class HouseholdDetail(BaseModel):
    household: HouseholdRecord
    members: list[Member]
    status: StatusNow | None
    history: list[StatusChange]
    interventions: list[Intervention]
    plan_items: list[PlanItemOfHousehold]


class HouseholdStatusUpdate(BaseModel):
    """What the field found: verified, graduated, moved, deceased or not_found (history kept)."""

    status: Literal["verified", "graduated", "moved", "deceased", "not_found"]
    since: dt.date | None = Field(default=None, description="Default: today. Not in the future.")
    note: str | None = Field(default=None, max_length=2000)


class HouseholdStatusSet(BaseModel):
    household_id: str
    status: str
    previous_status: str | None
    since: dt.date


class ByNameRow(BaseModel):
    """One plan item in scope with the head of the household: who to serve with which program."""

    plan_item_id: int
    plan_id: str
    household_id: str
    village_code: str
    program: str
    strategy: str
    stakeholder: str | None = None
    head_name: str | None = None
    head_nik: str | None = None


class ByNameList(BaseModel):
    rows: list[ByNameRow]


# -- plans --------------------------------------------------------------------------------------------------------

class PlanImported(BaseModel):
    plan_id: str
    items: int
    created: bool


class PlanImport(BaseModel):
    """What a plan import did: one row per plan id (``created`` false: already stored, unchanged)."""

    plans: list[PlanImported]
    items: int


class PlanFromSnapshot(BaseModel):
    """Import the planning module's output: a ``plan`` snapshot under ENTAS_HOME (default: the current one)."""

    snapshot: str | None = Field(default=None, pattern=r"^plan-[0-9]{4,12}-[0-9a-f]{8}$",
                                 description="A plan snapshot id (plan-0001-1a2b3c4d); default: the current one.")


class Assignment(BaseModel):
    """Give the matching plan items in the caller's scope to a stakeholder (unassigned ones, unless reassign)."""

    stakeholder: str = Field(min_length=1, max_length=120)
    program: str | None = Field(default=None, min_length=1, max_length=80)
    area: str | None = AreaCode
    plan_id: str | None = Field(default=None, min_length=1, max_length=120)
    reassign: bool = False


class Assigned(BaseModel):
    assigned: int


# -- interventions ------------------------------------------------------------------------------------------------

class InterventionCreate(BaseModel):
    """A report of one intervention; the same ``idempotency_key`` with the same content is stored once."""

    idempotency_key: str = Field(min_length=1, max_length=200)
    household_id: str = Field(min_length=1, max_length=64)
    program: str = Field(min_length=1, max_length=80)
    stakeholder: str | None = Field(default=None, min_length=1, max_length=120,
                                    description="Identifier of the implementing stakeholder (a partner: its own).")
    status: Literal["planned", "delivered"] = "delivered"
    delivered_on: dt.date | None = None
    amount_rp: int | None = Field(default=None, ge=0, le=AMOUNT_MAX)
    evidence: str | None = Field(default=None, max_length=2000)
    plan_item_id: int | None = Field(default=None, ge=1, le=INT32_MAX)


class InterventionStatusUpdate(BaseModel):
    """planned -> delivered -> verified; planned or delivered -> cancelled."""

    status: Literal["delivered", "verified", "cancelled"]
    delivered_on: dt.date | None = None
    evidence: str | None = Field(default=None, max_length=2000)


class InterventionList(BaseModel):
    interventions: list[Intervention]


class RejectLine(BaseModel):
    """One broken rule of one report row: the value is masked when personal (NIK)."""

    file: str
    row: int
    table: str
    column: str
    value: str | None = None
    rule: str


class DeliveryImportResult(BaseModel):
    """``read == stored + unchanged + rejected``; ``duplicate`` = rows found already stored (re-sent)."""

    file: str
    read: int
    stored: int
    duplicate: int
    rejected: int
    rejects: list[RejectLine]


# -- monitoring ---------------------------------------------------------------------------------------------------

class CoverageRow(BaseModel):
    area: str
    strategy: str
    extreme_poor: int
    reached: int
    coverage: float | None


class Coverage(BaseModel):
    basis: str = Field(description="Where the extreme-poor households came from.")
    rows: list[CoverageRow]


class UntouchedRow(BaseModel):
    household_id: str
    village_code: str


class Untouched(BaseModel):
    basis: str
    rows: list[UntouchedRow]


class DuplicateRow(BaseModel):
    household_id: str
    village_code: str
    program: str
    period: str
    stakeholders: int
    stakeholder_list: str
    interventions: int


class Duplicates(BaseModel):
    rows: list[DuplicateRow]


class GraduationRow(BaseModel):
    area: str
    extreme_poor: int
    verified: int
    graduated: int
    moved: int
    deceased: int
    not_found: int
    graduation_rate: float | None


class Graduation(BaseModel):
    basis: str
    rows: list[GraduationRow]


class ProgressRow(BaseModel):
    area: str
    extreme_poor: int
    reached_any: int | None
    graduated: int
    exited: int
    remaining: int
    share_remaining: float | None
    months_left: int
    needed_per_month: float | None
    target_year: int


class Progress(BaseModel):
    basis: str
    rows: list[ProgressRow]


class HouseholdStatusRow(BaseModel):
    household_id: str
    village_code: str
    status: str
    since: dt.date


class HouseholdStatuses(BaseModel):
    rows: list[HouseholdStatusRow]


class PublicRow(BaseModel):
    """Household counts of one area; a suppressed (small) cell is null, and so is a share built on it."""

    area: str
    extreme_poor: int | None
    reached_any: int | None
    reached_expenditure_burden: int | None
    reached_income: int | None
    reached_pockets: int | None
    graduated: int | None
    reached_any_share: float | None
    reached_expenditure_burden_share: float | None
    reached_income_share: float | None
    reached_pockets_share: float | None
    graduated_share: float | None
    suppressed: int = Field(description="How many cells of the row are suppressed.")
    k: int


class PublicAggregates(BaseModel):
    basis: str
    k: int = Field(description="Cells from 1 to k-1 (and their complements) are suppressed.")
    rows: list[PublicRow]


# -- administration -----------------------------------------------------------------------------------------------

class Stakeholder(BaseModel):
    id: int
    identifier: str
    name: str
    kind: str
    funder_type: str
    iati_type: int
    reports: bool
    implements: bool
    area_code: str | None = None


class StakeholderList(BaseModel):
    stakeholders: list[Stakeholder]


class StakeholderCreate(BaseModel):
    identifier: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["government_agency", "village", "company", "ngo", "community_group"]
    funder_type: Literal["state_budget", "provincial_budget", "district_budget", "village_fund", "csr", "other"]
    reports: bool = True
    implements: bool = True
    area_code: str | None = AreaCode
    iati_type: int | None = Field(default=None, ge=1, le=999)


class StakeholderCreated(BaseModel):
    id: int
    identifier: str
    name: str
    kind: str
    funder_type: str


class User(BaseModel):
    id: int
    name: str
    role: str
    areas: str
    stakeholder: str | None = None
    active: bool


class UserList(BaseModel):
    users: list[User]


class UserCreate(BaseModel):
    """A new user; the password is stored as an argon2 hash and never returned."""

    name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=200)
    role: Literal["admin", "province_analyst", "district_officer", "village_officer", "partner", "public"]
    areas: list[str] = Field(default_factory=list, max_length=200)
    stakeholder: str | None = Field(default=None, min_length=1, max_length=120)


class UserCreated(BaseModel):
    id: int
    name: str
    role: str
    areas: str
    stakeholder: str | None = None


class UserActive(BaseModel):
    active: bool


class AuditRow(BaseModel):
    id: int
    at: str
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str | None = None
    detail: str


class AuditLog(BaseModel):
    rows: list[AuditRow]


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    revision: str | None
