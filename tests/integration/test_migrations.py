"""The Alembic migrations build exactly the schema in cbec.storage.tables, and undo it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from cbec.storage import migrate
from cbec.storage.db import make_engine
from cbec.storage.tables import metadata

EXPECTED_TABLES = {
    "enterprises",
    "users",
    "api_tokens",
    "web_sessions",
    "login_failures",
    "audit_events",
    "audit_head",
    "documents",
    "receipts",
    "tax_assessments",
    "buyer_ledger",
    "ledger_entries",
    "export_lists",
    "export_list_items",
    "export_summaries",
    "overseas_warehouses",
    "export_returns",
    "parcel_events",
    "stats_outbox",
    "fx_rates",
    "stat_reports",
    "target_inputs",
    "policy_applications",
    "policy_events",
    "policy_attachments",
    "policy_cap_usage",
    "policy_pools",
}


def _tables(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return {name: [c["name"] for c in inspector.get_columns(name)] for name in inspector.get_table_names()}
    finally:
        engine.dispose()


def _schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_metadata_lists_the_expected_tables() -> None:
    assert set(metadata.tables) == EXPECTED_TABLES


def test_upgrade_creates_every_table_with_its_columns(db_url: str) -> None:
    assert _tables(db_url) == {}
    migrate.upgrade(db_url)
    tables = _tables(db_url)
    assert set(tables) == EXPECTED_TABLES | {"alembic_version"}
    for name, table in metadata.tables.items():
        assert tables[name] == [c.name for c in table.columns], name


def test_migrated_schema_matches_the_metadata(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert _schema_diff(db_url) == []


def test_revision_is_head_after_upgrade(db_url: str) -> None:
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision(db_url) == "0005"
    finally:
        engine.dispose()


def test_downgrade_to_base_drops_every_table_and_upgrade_works_again(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    assert set(_tables(db_url)) == {"alembic_version"}
    engine = make_engine(db_url)
    try:
        assert migrate.current_revision(engine) is None
    finally:
        engine.dispose()

    migrate.upgrade(db_url)
    assert set(_tables(db_url)) == EXPECTED_TABLES | {"alembic_version"}
    assert _schema_diff(db_url) == []
