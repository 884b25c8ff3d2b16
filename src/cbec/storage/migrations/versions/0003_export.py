"""export side: lists projection, parcel events, summaries, overseas warehouses, returns

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overseas_warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_no", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("city_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("overseas_city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("area", sa.String(length=24), nullable=False),
        sa.Column("available_area", sa.String(length=24), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("operator", sa.String(length=200), nullable=False),
        sa.Column("services", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_overseas_warehouses_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overseas_warehouses")),
        sa.UniqueConstraint("filing_no", name=op.f("uq_overseas_warehouses_filing_no")),
    )
    with op.batch_alter_table("overseas_warehouses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overseas_warehouses_country_status"), ["country", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_overseas_warehouses_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "export_list_items",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gnum", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gcode", sa.String(length=10), nullable=False),
        sa.Column("gname", sa.String(length=250), nullable=False),
        sa.Column("unit", sa.String(length=3), nullable=False),
        sa.Column("qty", sa.String(length=24), nullable=False),
        sa.Column("price", sa.String(length=24), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=True),
        sa.Column("decl_seq_no", sa.String(length=40), nullable=True),
        sa.Column("entry_gnum", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_export_list_items_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", "gnum", name=op.f("pk_export_list_items")),
    )
    op.create_table(
        "export_lists",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("city_code", sa.String(length=16), nullable=True),
        sa.Column("district_code", sa.String(length=16), nullable=True),
        sa.Column("agent_code", sa.String(length=20), nullable=False),
        sa.Column("cop_no", sa.String(length=60), nullable=False),
        sa.Column("invt_no", sa.String(length=60), nullable=True),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("logistics_code", sa.String(length=20), nullable=False),
        sa.Column("logistics_no", sa.String(length=60), nullable=False),
        sa.Column("ebc_code", sa.String(length=20), nullable=False),
        sa.Column("ebc_name", sa.String(length=100), nullable=False),
        sa.Column("owner_code", sa.String(length=20), nullable=False),
        sa.Column("trade_mode", sa.String(length=4), nullable=False),
        sa.Column("statistics_flag", sa.String(length=1), nullable=False),
        sa.Column("customs_code", sa.String(length=4), nullable=False),
        sa.Column("port_code", sa.String(length=4), nullable=False),
        sa.Column("traf_mode", sa.String(length=2), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("ie_date", sa.Date(), nullable=True),
        sa.Column("released_on", sa.Date(), nullable=True),
        sa.Column("departed_on", sa.Date(), nullable=True),
        sa.Column("warehouse_no", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sum_no", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_export_lists_document_id_documents")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_export_lists_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_export_lists")),
    )
    with op.batch_alter_table("export_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_export_lists_city_code_released_on"), ["city_code", "released_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_export_lists_enterprise_id_released_on"), ["enterprise_id", "released_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_export_lists_invt_no"), ["invt_no"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_export_lists_logistics_code_logistics_no"), ["logistics_code", "logistics_no"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_export_lists_order_no"), ["order_no"], unique=False)

    op.create_table(
        "export_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("return_no", sa.String(length=60), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("invt_no", sa.String(length=60), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("original_state", sa.Boolean(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("eligible", sa.String(length=8), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_export_returns_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_export_returns_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_returns")),
    )
    with op.batch_alter_table("export_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_returns_document_id"), ["document_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_export_returns_enterprise_id_return_no"), ["enterprise_id", "return_no"], unique=True
        )

    op.create_table(
        "export_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sum_no", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("city_code", sa.String(length=16), nullable=True),
        sa.Column("district_code", sa.String(length=16), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("ebc_code", sa.String(length=20), nullable=False),
        sa.Column("agent_code", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("draft", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("application_document_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_document_id"],
            ["documents.id"],
            name=op.f("fk_export_summaries_application_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_export_summaries_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_summaries")),
        sa.UniqueConstraint("sum_no", name=op.f("uq_export_summaries_sum_no")),
    )
    with op.batch_alter_table("export_summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_export_summaries_city_code_month"), ["city_code", "month"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_export_summaries_enterprise_id_month"), ["enterprise_id", "month"], unique=False
        )

    op.create_table(
        "parcel_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("logistics_code", sa.String(length=20), nullable=False),
        sa.Column("logistics_no", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_parcel_events_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_events")),
    )
    with op.batch_alter_table("parcel_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parcel_events_logistics_code_logistics_no_kind"),
            ["logistics_code", "logistics_no", "kind"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("parcel_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcel_events_logistics_code_logistics_no_kind"))

    op.drop_table("parcel_events")
    with op.batch_alter_table("export_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_summaries_enterprise_id_month"))
        batch_op.drop_index(batch_op.f("ix_export_summaries_city_code_month"))

    op.drop_table("export_summaries")
    with op.batch_alter_table("export_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_returns_enterprise_id_return_no"))
        batch_op.drop_index(batch_op.f("ix_export_returns_document_id"))

    op.drop_table("export_returns")
    with op.batch_alter_table("export_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_lists_order_no"))
        batch_op.drop_index(batch_op.f("ix_export_lists_logistics_code_logistics_no"))
        batch_op.drop_index(batch_op.f("ix_export_lists_invt_no"))
        batch_op.drop_index(batch_op.f("ix_export_lists_enterprise_id_released_on"))
        batch_op.drop_index(batch_op.f("ix_export_lists_city_code_released_on"))

    op.drop_table("export_lists")
    op.drop_table("export_list_items")
    with op.batch_alter_table("overseas_warehouses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overseas_warehouses_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_overseas_warehouses_country_status"))

    op.drop_table("overseas_warehouses")
