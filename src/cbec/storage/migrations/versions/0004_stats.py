"""statistics: outbox of lists to refresh, exchange rates, direct reports, target inputs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_outbox",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_stats_outbox_document_id_documents")),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_stats_outbox")),
    )
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("cny_per_unit", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("currency", "valid_from", name=op.f("pk_fx_rates")),
    )
    op.create_table(
        "stat_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=16), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_stat_reports_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"], name=op.f("fk_stat_reports_submitted_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_reports")),
    )
    op.create_index(
        op.f("ix_stat_reports_enterprise_id_form_period"),
        "stat_reports",
        ["enterprise_id", "form", "period"],
        unique=True,
    )
    op.create_index(op.f("ix_stat_reports_city_code_period_status"), "stat_reports", ["city_code", "period", "status"])
    op.create_table(
        "target_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entered_by"], ["users.id"], name=op.f("fk_target_inputs_entered_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_inputs")),
    )
    op.create_index(op.f("ix_target_inputs_target_id_as_of"), "target_inputs", ["target_id", "as_of"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_target_inputs_target_id_as_of"), table_name="target_inputs")
    op.drop_table("target_inputs")
    op.drop_index(op.f("ix_stat_reports_city_code_period_status"), table_name="stat_reports")
    op.drop_index(op.f("ix_stat_reports_enterprise_id_form_period"), table_name="stat_reports")
    op.drop_table("stat_reports")
    op.drop_table("fx_rates")
    op.drop_table("stats_outbox")
