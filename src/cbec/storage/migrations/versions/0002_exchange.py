"""document exchange: documents, receipts, tax, buyer ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_customs_code"), ["customs_code"], unique=False)
    op.create_table(
        "buyer_ledger",
        sa.Column("buyer_key", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("buyer_key", "year", name=op.f("pk_buyer_ledger")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_type", sa.String(length=8), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head_guid", sa.String(length=80), nullable=False),
        sa.Column("message_guid", sa.String(length=80), nullable=False),
        sa.Column("app_type", sa.String(length=1), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("sender_code", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("city_code", sa.String(length=16), nullable=True),
        sa.Column("district_code", sa.String(length=16), nullable=True),
        sa.Column("order_no", sa.String(length=60), nullable=True),
        sa.Column("ebp_code", sa.String(length=20), nullable=True),
        sa.Column("ebc_code", sa.String(length=20), nullable=True),
        sa.Column("logistics_code", sa.String(length=20), nullable=True),
        sa.Column("logistics_no", sa.String(length=60), nullable=True),
        sa.Column("pay_code", sa.String(length=20), nullable=True),
        sa.Column("pay_transaction_id", sa.String(length=60), nullable=True),
        sa.Column("cop_no", sa.String(length=60), nullable=True),
        sa.Column("invt_no", sa.String(length=60), nullable=True),
        sa.Column("trade_mode", sa.String(length=4), nullable=True),
        sa.Column("buyer_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_detail", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_documents_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_buyer_key"), ["buyer_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_documents_enterprise_id_message_type"), ["enterprise_id", "message_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_documents_logistics_code_logistics_no"), ["logistics_code", "logistics_no"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_documents_message_type_business_key_head_guid"),
            ["message_type", "business_key", "head_guid"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_documents_message_type_business_key_version"),
            ["message_type", "business_key", "version"],
            unique=True,
        )
        batch_op.create_index(batch_op.f("ix_documents_order_no"), ["order_no"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("buyer_key", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_ledger_entries_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_document_id_kind"), ["document_id", "kind"], unique=True)

    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("return_status", sa.String(length=8), nullable=False),
        sa.Column("return_info", sa.Text(), nullable=False),
        sa.Column("return_time", sa.String(length=14), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_receipts_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipts_document_id_origin_return_status"),
            ["document_id", "origin", "return_status"],
            unique=True,
        )

    op.create_table(
        "tax_assessments",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("dutiable_value", sa.BigInteger(), nullable=False),
        sa.Column("customs_duty", sa.BigInteger(), nullable=False),
        sa.Column("consumption_tax", sa.BigInteger(), nullable=False),
        sa.Column("vat", sa.BigInteger(), nullable=False),
        sa.Column("total_tax", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("customs_bill", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_tax_assessments_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_tax_assessments")),
    )


def downgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_customs_code"))
    op.drop_table("tax_assessments")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_document_id_origin_return_status"))

    op.drop_table("receipts")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_document_id_kind"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_order_no"))
        batch_op.drop_index(batch_op.f("ix_documents_message_type_business_key_version"))
        batch_op.drop_index(batch_op.f("ix_documents_message_type_business_key_head_guid"))
        batch_op.drop_index(batch_op.f("ix_documents_logistics_code_logistics_no"))
        batch_op.drop_index(batch_op.f("ix_documents_enterprise_id_message_type"))
        batch_op.drop_index(batch_op.f("ix_documents_buyer_key"))

    op.drop_table("documents")
    op.drop_table("buyer_ledger")
