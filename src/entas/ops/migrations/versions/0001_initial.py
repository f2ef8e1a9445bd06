"""Initial operations store: users, stakeholders, plans, interventions, household status, audit log.

The append-only tables (``audit_log``, ``audit_subjects``, ``household_status_history``) get triggers that
refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) for every client, not only for entas.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY = ("audit_log", "audit_subjects", "household_status_history")
HOUSEHOLD_STATUSES = "'verified', 'graduated', 'moved', 'deceased', 'not_found'"


def _when() -> sa.Column[object]:
    return sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "stakeholders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("funder_type", sa.String(40), nullable=False),
        sa.Column("iati_type", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Boolean(), nullable=False),
        sa.Column("implements", sa.Boolean(), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('government_agency', 'village', 'company', 'ngo', 'community_group')",
                           name=op.f("ck_stakeholders_kind")),
        sa.CheckConstraint("funder_type IN ('state_budget', 'provincial_budget', 'district_budget', "
                           "'village_fund', 'csr', 'other')", name=op.f("ck_stakeholders_funder_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholders")),
        sa.UniqueConstraint("identifier", name=op.f("uq_stakeholders_identifier")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'province_analyst', 'district_officer', 'village_officer', "
                           "'partner', 'public')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholders.id"],
                                name=op.f("fk_users_stakeholder_id_stakeholders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "user_areas",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_areas_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "area_code", name=op.f("pk_user_areas")),
    )
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(120), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(120), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plans")),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(120), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(20), nullable=False),
        sa.Column("district_code", sa.String(10), nullable=False),
        sa.Column("program", sa.String(80), nullable=False),
        sa.Column("strategy", sa.String(40), nullable=False),
        sa.Column("funder", sa.String(80), nullable=True),
        sa.Column("cost_rp", sa.Float(), nullable=True),
        sa.Column("effect_rp_pc_month", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name=op.f("fk_plan_items_plan_id_plans")),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholders.id"],
                                name=op.f("fk_plan_items_stakeholder_id_stakeholders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
        sa.UniqueConstraint("plan_id", "household_id", "program",
                            name=op.f("uq_plan_items_plan_id_household_id_program")),
    )
    for column in ("household_id", "stakeholder_id", "village_code"):
        op.create_index(op.f(f"ix_plan_items_{column}"), "plan_items", [column])
    op.create_table(
        "interventions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(20), nullable=False),
        sa.Column("program", sa.String(80), nullable=False),
        sa.Column("strategy", sa.String(40), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("reporting_stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("amount_rp", sa.BigInteger(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('planned', 'delivered', 'verified', 'cancelled')",
                           name=op.f("ck_interventions_status")),
        sa.CheckConstraint("amount_rp IS NULL OR amount_rp >= 0", name=op.f("ck_interventions_amount_rp")),
        sa.ForeignKeyConstraint(["plan_item_id"], ["plan_items.id"],
                                name=op.f("fk_interventions_plan_item_id_plan_items")),
        sa.ForeignKeyConstraint(["reporting_stakeholder_id"], ["stakeholders.id"],
                                name=op.f("fk_interventions_reporting_stakeholder_id_stakeholders")),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholders.id"],
                                name=op.f("fk_interventions_stakeholder_id_stakeholders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interventions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_interventions_idempotency_key")),
    )
    op.create_index(op.f("ix_interventions_household_id_program"), "interventions", ["household_id", "program"])
    op.create_index(op.f("ix_interventions_stakeholder_id"), "interventions", ["stakeholder_id"])
    op.create_index(op.f("ix_interventions_village_code"), "interventions", ["village_code"])
    op.create_table(
        "household_status",
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(120), nullable=False),
        _when(),
        sa.CheckConstraint(f"status IN ({HOUSEHOLD_STATUSES})", name=op.f("ck_household_status_status")),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_status")),
    )
    op.create_index(op.f("ix_household_status_village_code"), "household_status", ["village_code"])
    op.create_table(
        "household_status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("previous_status", sa.String(20), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(120), nullable=False),
        _when(),
        sa.CheckConstraint(f"status IN ({HOUSEHOLD_STATUSES})", name=op.f("ck_household_status_history_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_status_history")),
    )
    op.create_index(op.f("ix_household_status_history_household_id"), "household_status_history", ["household_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "audit_subjects",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_log.id"], name=op.f("fk_audit_subjects_audit_id_audit_log")),
        sa.PrimaryKeyConstraint("audit_id", "household_id", name=op.f("pk_audit_subjects")),
    )
    op.create_index(op.f("ix_audit_subjects_household_id"), "audit_subjects", ["household_id"])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Refuse UPDATE and DELETE (and TRUNCATE) on the append-only tables, in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION entas_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'entas: % on % refused: the table is append-only', TG_OP, TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION entas_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION entas_refuse_change()")
        return
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, 'entas: {verb} on {table} refused: the table is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS entas_refuse_change()")
    for table in ("audit_subjects", "audit_log", "household_status_history", "household_status", "interventions",
                  "plan_items", "plans", "user_areas", "users", "stakeholders"):
        op.drop_table(table)
