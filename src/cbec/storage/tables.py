"""The relational schema. Changes here ship with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect

FEN = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Yuan amounts stored as whole fen in a BIGINT: exact on SQLite (which has no decimal type and
    would otherwise round through floats) and on PostgreSQL alike. Python sees Decimal to 0.01."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        fen = Decimal(value) * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"{value} has more than two decimals; round it to the fen first")
        return int(fen)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else (Decimal(value) / 100).quantize(FEN)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("customs_code", String(10), nullable=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200), nullable=True),
    # Roles as ",ebc,logistics," so a role filter is an exact LIKE '%,ebc,%' on both databases.
    Column("roles", String(200), nullable=False),
    Column("city_code", String(16), nullable=False),
    Column("district_code", String(16), nullable=False),
    Column("park", String(100), nullable=True),
    Column("registered_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "city_code", "district_code"),
    Index(None, "name"),
    Index(None, "customs_code"),  # messages name enterprises by customs code
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),
    Column("city_code", String(16), nullable=True),
    Column("district_code", String(16), nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("hint", String(12), nullable=False),  # first characters, so a user can tell tokens apart
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index(None, "username", "at"),
    Index(None, "client", "at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("occurred_at", String(40), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(80), nullable=False),
    Column("subject_type", String(40), nullable=False),
    Column("subject_id", String(80), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("city_code", String(16), nullable=True),  # whose auditors may read it; hashed with the event
    Index(None, "subject_type", "subject_id"),
    Index(None, "city_code", "seq"),
)

# One row (id = 1): the newest event's seq and hash. Appending locks it, which serialises
# writers so the chain never forks, and it lets verification notice deleted tail events.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# ---- document exchange (import side) -------------------------------------------------------

# One row per version of one business document (an order, a payment, a waybill, a list …).
# Versions are never overwritten: appType 2 adds a version, appType 3 adds a withdrawal.
documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_type", String(8), nullable=False),
    Column("business_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("head_guid", String(80), nullable=False),
    Column("message_guid", String(80), nullable=False),
    Column("app_type", String(1), nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("sender_code", String(20), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),
    Column("city_code", String(16), nullable=True),
    Column("district_code", String(16), nullable=True),
    Column("order_no", String(60), nullable=True),
    Column("ebp_code", String(20), nullable=True),
    Column("ebc_code", String(20), nullable=True),
    Column("logistics_code", String(20), nullable=True),
    Column("logistics_no", String(60), nullable=True),
    Column("pay_code", String(20), nullable=True),
    Column("pay_transaction_id", String(60), nullable=True),
    Column("cop_no", String(60), nullable=True),
    Column("invt_no", String(60), nullable=True),
    Column("trade_mode", String(4), nullable=True),
    Column("buyer_key", String(64), nullable=True),  # blind index of the buyer ID (kernel/privacy.py)
    Column("status", String(16), nullable=False),
    Column("status_detail", Text, nullable=True),  # JSON: missing documents or reasons
    Column("body", Text, nullable=False),  # JSON of the unit with personal data masked, for display
    Column("sealed", Text, nullable=False),  # the exact unit as received, AES-GCM sealed
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index(None, "message_type", "business_key", "version", unique=True),
    Index(None, "message_type", "business_key", "head_guid", unique=True),
    Index(None, "order_no"),
    Index(None, "logistics_code", "logistics_no"),
    Index(None, "buyer_key"),
    Index(None, "enterprise_id", "message_type"),
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("origin", String(16), nullable=False),  # platform | customs
    Column("return_status", String(8), nullable=False),
    Column("return_info", Text, nullable=False),
    Column("return_time", String(14), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "document_id", "origin", "return_status", unique=True),
)

tax_assessments = Table(
    "tax_assessments",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True, autoincrement=False),
    Column("channel", String(20), nullable=False),
    Column("dutiable_value", Money(), nullable=False),
    Column("customs_duty", Money(), nullable=False),
    Column("consumption_tax", Money(), nullable=False),
    Column("vat", Money(), nullable=False),
    Column("total_tax", Money(), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: per-item rates with sources, trace
    Column("customs_bill", Text, nullable=True),  # JSON of CEB816 figures when they arrive
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# The per-buyer, per-calendar-year running total of retail imports (26,000 limit). One row per
# buyer and year, locked while a list is charged, so concurrent intake never passes the limit.
buyer_ledger = Table(
    "buyer_ledger",
    metadata,
    Column("buyer_key", String(64), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("used", Money(), nullable=False),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # charge | reversal
    Column("buyer_key", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "document_id", "kind", unique=True),
)

# ---- document exchange (export side) -------------------------------------------------------

# A projection of each current export list (CEB603) kept beside its document: the head fields
# the monthly summary groups by, the dates that drive the 9610 flow, and the summary state.
# Rebuilt from the document on every change, so it never disagrees with what was received.
export_lists = Table(
    "export_lists",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True, autoincrement=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),  # the shipper's
    Column("city_code", String(16), nullable=True),
    Column("district_code", String(16), nullable=True),
    Column("agent_code", String(20), nullable=False),
    Column("cop_no", String(60), nullable=False),
    Column("invt_no", String(60), nullable=True),
    Column("order_no", String(60), nullable=False),
    Column("logistics_code", String(20), nullable=False),
    Column("logistics_no", String(60), nullable=False),
    Column("ebc_code", String(20), nullable=False),  # 收发货人 (shipper)
    Column("ebc_name", String(100), nullable=False),
    Column("owner_code", String(20), nullable=False),  # 生产销售单位
    Column("trade_mode", String(4), nullable=False),
    Column("statistics_flag", String(1), nullable=False),  # A 汇总统计 | B 汇总申报
    Column("customs_code", String(4), nullable=False),
    Column("port_code", String(4), nullable=False),  # 出境关别
    Column("traf_mode", String(2), nullable=False),
    Column("country", String(3), nullable=False),  # 运抵国
    Column("currency", String(3), nullable=False),
    Column("value", Money(), nullable=False),  # sum of item totals, to the fen
    Column("ie_date", Date, nullable=True),
    Column("released_on", Date, nullable=True),  # customs 800
    Column("departed_on", Date, nullable=True),  # a CEB509 naming the waybill
    Column("warehouse_no", String(40), nullable=True),  # 9810: the filed overseas warehouse
    Column("status", String(16), nullable=False),
    Column("sum_no", String(40), nullable=True),  # the summary application that took it
    Index(None, "enterprise_id", "released_on"),
    Index(None, "city_code", "released_on"),
    Index(None, "logistics_code", "logistics_no"),
    Index(None, "order_no"),
    Index(None, "invt_no"),
)

export_list_items = Table(
    "export_list_items",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True, autoincrement=False),
    Column("gnum", Integer, primary_key=True, autoincrement=False),
    Column("gcode", String(10), nullable=False),
    Column("gname", String(250), nullable=False),
    Column("unit", String(3), nullable=False),
    Column("qty", String(24), nullable=False),  # exact decimal text as declared
    Column("price", String(24), nullable=False),
    Column("total", Money(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(3), nullable=False),  # final destination country
    # Filled when the CEB792 summary result names the item: the declaration and its item number.
    Column("entry_id", String(40), nullable=True),
    Column("decl_seq_no", String(40), nullable=True),
    Column("entry_gnum", Integer, nullable=True),
)

# One row per CEB701 summary application the platform emitted for an enterprise and month.
export_summaries = Table(
    "export_summaries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sum_no", String(40), nullable=False, unique=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True),
    Column("city_code", String(16), nullable=True),
    Column("district_code", String(16), nullable=True),
    Column("month", String(7), nullable=False),  # YYYY-MM of release
    Column("ebc_code", String(20), nullable=False),
    Column("agent_code", String(20), nullable=False),
    Column("state", String(16), nullable=False),  # applied | declared | mismatch
    Column("draft", Text, nullable=False),  # JSON: the declarations as grouped by the platform
    Column("result", Text, nullable=True),  # JSON: the CEB792 mapping and its reconciliation
    Column("application_document_id", Integer, ForeignKey("documents.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("declared_at", DateTime(timezone=True), nullable=True),
    Index(None, "enterprise_id", "month"),
    Index(None, "city_code", "month"),
)

# 海外仓备案: filed once by an enterprise, referable nationwide by 9810 lists.
overseas_warehouses = Table(
    "overseas_warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("filing_no", String(40), nullable=False, unique=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("city_code", String(16), nullable=False),  # the filing enterprise's city
    Column("name", String(200), nullable=False),
    Column("country", String(3), nullable=False),  # customs country code
    Column("overseas_city", String(100), nullable=False),
    Column("address", String(300), nullable=False),
    Column("area", String(24), nullable=False),  # square metres, exact decimal text
    Column("available_area", String(24), nullable=True),  # offered to other sellers
    Column("mode", String(16), nullable=False),  # own | leased | public
    Column("operator", String(200), nullable=False),
    Column("services", Text, nullable=True),
    Column("contact", String(200), nullable=True),
    Column("status", String(16), nullable=False),  # filed | withdrawn
    Column("version", Integer, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "country", "status"),
    Index(None, "enterprise_id"),
)

# Export returns (退运) linked to their original list, with the tax-free return check's verdict.
export_returns = Table(
    "export_returns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("return_no", String(60), nullable=False),  # the enterprise's own reference
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),  # the original list
    Column("invt_no", String(60), nullable=False),
    Column("returned_on", Date, nullable=False),
    Column("reason", String(16), nullable=False),  # unsold | refused
    Column("original_state", Boolean, nullable=False),
    Column("items", Text, nullable=False),  # JSON: gnum, qty, value
    Column("value", Money(), nullable=False),
    Column("eligible", String(8), nullable=False),  # yes | no | unknown
    Column("verdict", Text, nullable=False),  # JSON: reasons with their rule and source
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "enterprise_id", "return_no", unique=True),
    Index(None, "document_id"),
)

# Arrivals (CEB507) and departures (CEB509) list many waybills each; one row per waybill and kind
# lets a list find its arrival and departure whichever message came first.
parcel_events = Table(
    "parcel_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("logistics_code", String(20), nullable=False),
    Column("logistics_no", String(60), nullable=False),
    Column("kind", String(12), nullable=False),  # arrival | departure
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("on", Date, nullable=False),
    Index(None, "logistics_code", "logistics_no", "kind", unique=True),
)

# ---- statistics (统计监测) -------------------------------------------------------------------

# Lists whose fact lines must be rebuilt: written in the same transaction as the change, drained
# by stats refresh (stats/refresh.py) into the analytics store. Keyed by document id, so a list
# changed ten times before the next refresh is rebuilt once.
stats_outbox = Table(
    "stats_outbox",
    metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), primary_key=True, autoincrement=False),
    Column("queued_at", DateTime(timezone=True), nullable=False),
)

# Dated exchange rates to CNY for statistics (stats/fx.py). Exact decimal text, never float.
fx_rates = Table(
    "fx_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("cny_per_unit", String(24), nullable=False),
    Column("source", String(300), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# 统计直报: one monthly report per enterprise, form and month. ``figures`` is JSON: per field its
# value (decimal text), where it came from (prefilled from platform data, or entered) and when.
stat_reports = Table(
    "stat_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("city_code", String(16), nullable=False),
    Column("district_code", String(16), nullable=False),
    Column("form", String(40), nullable=False),
    Column("period", String(7), nullable=False),  # YYYY-MM reported on
    Column("status", String(16), nullable=False),  # draft | submitted | returned
    Column("figures", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("submitted_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "enterprise_id", "form", "period", unique=True),
    Index(None, "city_code", "period", "status"),
)

# Figures for targets the platform's data cannot measure (trained people, parks …), entered by a
# city administrator through a form; each value keeps who entered it and from which source.
target_inputs = Table(
    "target_inputs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_id", String(80), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("value", String(32), nullable=False),  # exact decimal text
    Column("source", String(300), nullable=False),
    Column("entered_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    Index(None, "target_id", "as_of", unique=True),
)

# ---- policy applications (政策兑现) ----------------------------------------------------------
# Owned by the benefit workflow (policy/workflow.py, policy/application_services.py). The
# application's ref ("PA-2025-000042") is derived from its id and year, so it is never stored.

policy_applications = Table(
    "policy_applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("benefit_id", String(80), nullable=False),
    Column("document_id", String(40), nullable=False),
    Column("clause", String(200), nullable=False),
    Column("title", String(300), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("city_code", String(16), nullable=False),
    Column("district_code", String(16), nullable=False),
    Column("year", Integer, nullable=False),  # the award year: caps per year count by it
    Column("on", Date, nullable=False),  # the application date: parameters are read on it
    Column("origin", String(16), nullable=False),  # application | proposed
    Column("status", String(20), nullable=False),
    Column("returned_from", String(20), nullable=True),  # the step a correction goes back to
    Column("facts", Text, nullable=False),  # JSON {name: decimal text}
    Column("evidence", Text, nullable=False),  # JSON {fact: where the platform took it from}
    Column("quote", Text, nullable=False),  # JSON Quote.as_dict() at the last (re)submission
    Column("amount_quoted", Money, nullable=True),
    Column("amount_reviewed", Money, nullable=True),
    Column("amount_awarded", Money, nullable=True),
    Column("capped_by", String(120), nullable=True),
    Column("split", Text, nullable=True),  # JSON {city, district} or {…, unknown}
    Column("pool_id", String(80), nullable=True),
    Column("due_on", Date, nullable=True),
    Column("notice_ends", Date, nullable=True),
    Column("voucher", String(100), nullable=True),
    Column("paid_on", Date, nullable=True),
    Column("gate", Text, nullable=True),  # JSON GateResult.as_dict() of the last approval attempt
    Column("client_ref", String(100), nullable=True),  # the applicant's idempotency key
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # NULL client_refs are distinct on both databases, so only keyed requests are deduplicated.
    Index(None, "enterprise_id", "client_ref", unique=True),
    Index(None, "city_code", "district_code", "status"),
    Index(None, "enterprise_id", "benefit_id", "year"),
)

# Every step of an application, visible to the applicant: who, in which role, from which status
# to which, and why.
policy_events = Table(
    "policy_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("policy_applications.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("role", String(20), nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_status", String(20), nullable=True),
    Column("to_status", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Index(None, "application_id"),
)

# Attachments live in the same transaction as their application (nothing half-stored); the
# size limit (policy/data/workflow.toml) keeps rows small enough for both databases.
policy_attachments = Table(
    "policy_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("policy_applications.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "application_id"),
)

# What each enterprise has been awarded against each cap in each period (the award year, or
# "life" for one-off and per-enterprise caps). Debited with a conditional UPDATE, never past the cap.
policy_cap_usage = Table(
    "policy_cap_usage",
    metadata,
    Column("cap_id", String(120), primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True, autoincrement=False),
    Column("period", String(8), primary_key=True),
    Column("cap_limit", Money, nullable=False),
    Column("used", Money, nullable=False),
)

# Fixed budgets shared by awards (e.g. hz-7-pool, 3000万元 运力券). Debited with a conditional
# UPDATE (committed + amount <= total), so concurrent approvals can never overspend one.
policy_pools = Table(
    "policy_pools",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("total", Money, nullable=False),
    Column("committed", Money, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
