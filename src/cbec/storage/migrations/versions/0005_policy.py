"""policy applications (政策兑现): applications, their events and attachments, cap usage, pools

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("benefit_id", sa.String(length=80), nullable=False),
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column("clause", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("returned_from", sa.String(length=20), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("amount_quoted", sa.BigInteger(), nullable=True),
        sa.Column("amount_reviewed", sa.BigInteger(), nullable=True),
        sa.Column("amount_awarded", sa.BigInteger(), nullable=True),
        sa.Column("capped_by", sa.String(length=120), nullable=True),
        sa.Column("split", sa.Text(), nullable=True),
        sa.Column("pool_id", sa.String(length=80), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("notice_ends", sa.Date(), nullable=True),
        sa.Column("voucher", sa.String(length=100), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("gate", sa.Text(), nullable=True),
        sa.Column("client_ref", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_policy_applications_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_applications")),
    )
    op.create_index(
        op.f("ix_policy_applications_enterprise_id_client_ref"),
        "policy_applications",
        ["enterprise_id", "client_ref"],
        unique=True,
    )
    op.create_index(
        op.f("ix_policy_applications_city_code_district_code_status"),
        "policy_applications",
        ["city_code", "district_code", "status"],
    )
    op.create_index(
        op.f("ix_policy_applications_enterprise_id_benefit_id_year"),
        "policy_applications",
        ["enterprise_id", "benefit_id", "year"],
    )
    op.create_table(
        "policy_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["policy_applications.id"],
            name=op.f("fk_policy_events_application_id_policy_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_events")),
    )
    op.create_index(op.f("ix_policy_events_application_id"), "policy_events", ["application_id"])
    op.create_table(
        "policy_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["policy_applications.id"],
            name=op.f("fk_policy_attachments_application_id_policy_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_attachments")),
    )
    op.create_index(op.f("ix_policy_attachments_application_id"), "policy_attachments", ["application_id"])
    op.create_table(
        "policy_cap_usage",
        sa.Column("cap_id", sa.String(length=120), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("cap_limit", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_policy_cap_usage_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("cap_id", "enterprise_id", "period", name=op.f("pk_policy_cap_usage")),
    )
    op.create_table(
        "policy_pools",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_pools")),
    )


def downgrade() -> None:
    op.drop_table("policy_pools")
    op.drop_table("policy_cap_usage")
    op.drop_index(op.f("ix_policy_attachments_application_id"), table_name="policy_attachments")
    op.drop_table("policy_attachments")
    op.drop_index(op.f("ix_policy_events_application_id"), table_name="policy_events")
    op.drop_table("policy_events")
    op.drop_index(op.f("ix_policy_applications_enterprise_id_benefit_id_year"), table_name="policy_applications")
    op.drop_index(op.f("ix_policy_applications_city_code_district_code_status"), table_name="policy_applications")
    op.drop_index(op.f("ix_policy_applications_enterprise_id_client_ref"), table_name="policy_applications")
    op.drop_table("policy_applications")
