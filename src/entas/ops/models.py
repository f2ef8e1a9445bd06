"""The operations store's tables (SQLAlchemy 2 declarative, typed): who may do what, and what was done.

Households are not stored here: they live in the registry snapshots (Parquet). Every table that an area
scope must filter carries the household's ``village_code`` (Kemendagri, dotted), so a district officer's
scope ``64.02`` is a ``village_code LIKE '64.02.%'`` in the query itself.

- ``users`` (argon2 hash, one role, areas in ``user_areas``, a partner's ``stakeholder_id``);
- ``stakeholders`` shaped like IATI organisations (identifier, name, kind, IATI organisation type, funder
  type, whether it reports and/or implements);
- ``plans`` and ``plan_items`` (one row per planned household x program, from the planning output; the
  item's ``stakeholder_id`` is its assignment);
- ``interventions`` (what a stakeholder delivered to a household: status planned -> delivered -> verified,
  or cancelled; ``idempotency_key`` unique);
- ``household_status`` (current) and ``household_status_history`` (append-only);
- ``audit_log`` and ``audit_subjects`` (append-only: who read which household's personal data, who
  changed what, when). The database refuses UPDATE and DELETE on the append-only tables (triggers, see
  the first migration), so the rule holds for every client, not only for entas.

The column lists here and the migrations in ``entas/ops/migrations/versions`` must agree; a test compares
the migrated schema with these models.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "province_analyst", "district_officer", "village_officer", "partner", "public")
STAKEHOLDER_KINDS = ("government_agency", "village", "company", "ngo", "community_group")
FUNDER_TYPES = ("state_budget", "provincial_budget", "district_budget", "village_fund", "csr", "other")
"""The funder types of the program catalog (``entas.programs.catalog.Funder``)."""
INTERVENTION_STATUSES = ("planned", "delivered", "verified", "cancelled")
HOUSEHOLD_STATUSES = ("verified", "graduated", "moved", "deceased", "not_found")
APPEND_ONLY_TABLES = ("audit_log", "audit_subjects", "household_status_history")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utc_now() -> dt.datetime:
    """The current time in UTC (stored with its zone on PostgreSQL, as UTC text on SQLite)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Stakeholder(Base):
    """An organisation that funds, reports or delivers (OPD, village government, CSR company, NGO, group).

    Shaped like an IATI organisation: ``identifier`` (e.g. ``ID-KMD-64.02-DINSOS`` or an IATI org id),
    ``iati_type`` (IATI OrganisationType code: 10 government, 11 local government, 22 national NGO,
    70 private sector, 90 other), ``reports`` (a reporting organisation) and ``implements`` (an implementing
    organisation, pelaksana).
    """

    __tablename__ = "stakeholders"
    __table_args__ = (
        CheckConstraint(_one_of("kind", STAKEHOLDER_KINDS), name="kind"),
        CheckConstraint(_one_of("funder_type", FUNDER_TYPES), name="funder_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    funder_type: Mapped[str] = mapped_column(String(40))
    iati_type: Mapped[int] = mapped_column(Integer)
    reports: Mapped[bool] = mapped_column(Boolean, default=True)
    implements: Mapped[bool] = mapped_column(Boolean, default=True)
    area_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class User(Base):
    """A person who signs in: one role, area scopes, and (partners) the stakeholder they act for."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    stakeholder_id: Mapped[int | None] = mapped_column(ForeignKey("stakeholders.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    areas: Mapped[list[UserArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    stakeholder: Mapped[Stakeholder | None] = relationship(lazy="joined")


class UserArea(Base):
    """One area code a user is scoped to (a district ``64.02``, a village ``64.02.01.2001``)."""

    __tablename__ = "user_areas"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(20), primary_key=True)


class Plan(Base):
    """One imported planning output (``plan_id``), its source file and who imported it."""

    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    items: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class PlanItem(Base):
    """A planned program for one household (rencana aksi per keluarga); ``stakeholder_id`` is its assignment."""

    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("plan_id", "household_id", "program"),
        Index(None, "village_code"),
        Index(None, "household_id"),
        Index(None, "stakeholder_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.plan_id"))
    household_id: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str] = mapped_column(String(10))
    program: Mapped[str] = mapped_column(String(80))
    strategy: Mapped[str] = mapped_column(String(40))
    funder: Mapped[str | None] = mapped_column(String(80))
    cost_rp: Mapped[float | None] = mapped_column(Float)
    effect_rp_pc_month: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    stakeholder_id: Mapped[int | None] = mapped_column(ForeignKey("stakeholders.id"))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Intervention(Base):
    """What a stakeholder did or will do for one household under one program (intervensi).

    ``status`` moves planned -> delivered -> verified, or to cancelled from planned or delivered
    (``entas.ops.access.TRANSITIONS``). ``idempotency_key`` is unique: a retried request finds its row.
    ``content_hash`` digests the creating request, so a retry with other content is told from a true retry.
    """

    __tablename__ = "interventions"
    __table_args__ = (
        CheckConstraint(_one_of("status", INTERVENTION_STATUSES), name="status"),
        CheckConstraint("amount_rp IS NULL OR amount_rp >= 0", name="amount_rp"),
        Index(None, "village_code"),
        Index(None, "household_id", "program"),
        Index(None, "stakeholder_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    household_id: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(20))
    program: Mapped[str] = mapped_column(String(80))
    strategy: Mapped[str] = mapped_column(String(40))
    stakeholder_id: Mapped[int] = mapped_column(ForeignKey("stakeholders.id"))
    reporting_stakeholder_id: Mapped[int | None] = mapped_column(ForeignKey("stakeholders.id"))
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"))
    status: Mapped[str] = mapped_column(String(20))
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    amount_rp: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class HouseholdStatus(Base):
    """The current status of a household as the field found it (verified, graduated, moved, ...)."""

    __tablename__ = "household_status"
    __table_args__ = (
        CheckConstraint(_one_of("status", HOUSEHOLD_STATUSES), name="status"),
        Index(None, "village_code"),
    )

    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    village_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    since: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class HouseholdStatusChange(Base):
    """One change of a household's status (append-only history)."""

    __tablename__ = "household_status_history"
    __table_args__ = (
        CheckConstraint(_one_of("status", HOUSEHOLD_STATUSES), name="status"),
        Index(None, "household_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64))
    village_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    previous_status: Mapped[str | None] = mapped_column(String(20))
    since: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class AuditEntry(Base):
    """One audited action: who (user name and role), what (``action``, object), when, and a JSON detail.

    ``detail`` never holds a NIK, a name or an address: filters, counts, ids and old/new statuses only.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "actor"), Index(None, "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class AuditSubject(Base):
    """A household whose personal data an audited read returned (one row per household per read)."""

    __tablename__ = "audit_subjects"
    __table_args__ = (Index(None, "household_id"),)

    audit_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
