"""The relational schema. Changes here ship with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

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
