"""Bulk intake (COPY) against one-by-one intake: the same messages give the same stored state.

PostgreSQL only (COPY). Needs CBEC_TEST_DATABASE_URL, e.g. ``export
CBEC_TEST_DATABASE_URL=$(scripts/pg.sh url)`` after ``scripts/pg.sh start``.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.intake import ingest_message
from cbec.exchange.model import Message, Unit
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.bulk_intake import BulkIntakeUnsupported, bulk_ingest
from cbec.storage.db import make_engine

MESSAGES = 1000
BUSINESS_TABLES = ("documents", "receipts", "tax_assessments", "buyer_ledger", "ledger_entries")


@pytest.fixture
def new_platform(fixed_clock: FixedClock, pg_base_url: str) -> Iterator[Callable[[], Platform]]:
    """Make platforms over fresh, migrated PostgreSQL databases (dropped afterwards)."""
    base = make_url(pg_base_url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[tuple[str, Engine]] = []

    def make() -> Platform:
        name = f"t_{uuid.uuid4().hex}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        engine = make_engine(url)
        made.append((name, engine))
        platform = Platform(Settings(database_url=url), engine, load_districts(), fixed_clock)
        with platform.uow() as uow:
            wanted = [e for c in channels(platform.districts) for e in channel_enterprises(c)]
            uow.enterprises.add_many(wanted, uow.clock.now())
            uow.commit()
        return platform

    try:
        yield make
    finally:
        for name, engine in made:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _changed(message: Message, app_type: str) -> Message:
    """The same document again under new guids, as a first version again (1) or a change (2)."""
    unit = message.units[0]
    head = unit.head | {"guid": str(uuid.uuid4()).upper(), "appType": app_type}
    return replace(message, guid=str(uuid.uuid4()).upper(), units=[Unit(head, unit.lists)])


@pytest.fixture(scope="module")
def messages() -> list[bytes]:
    """~1,000 demo messages plus one of each path the bulk loader hands to intake or refuses."""
    stream = list(itertools.islice(import_stream(channels(load_districts()), size="small"), MESSAGES))
    extras = {
        499: to_xml(stream[40]),  # a repeat inside the stream
        699: to_xml(_changed(stream[601], "1")),  # a key already stored under another guid: refused
        799: to_xml(_changed(stream[2], "2")),  # a change of a waybill whose list was already matched
        961: to_xml(_changed(stream[961], "2")),  # a change of a payment (CEB411) before its list arrives
    }
    data: list[bytes] = []
    for index, message in enumerate(stream):
        data.append(to_xml(message))
        if index in extras:
            data.append(extras[index])
    data.append(b"<ceb:CEB311Message")  # broken XML
    return data


def _state(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What intake stored, without ids, times or ciphertexts (they differ between databases)."""
    d, r, x, e, b = t.documents.c, t.receipts.c, t.tax_assessments.c, t.ledger_entries.c, t.buyer_ledger.c
    key = (d.message_type, d.business_key, d.version)
    with engine.connect() as conn:

        def rows(stmt: Any) -> list[tuple[Any, ...]]:
            return sorted(tuple(row) for row in conn.execute(stmt))

        return {
            "documents": rows(select(*key, d.head_guid, d.status, d.is_current, d.withdrawn, d.invt_no, d.body)),
            "receipts": rows(
                select(*key, r.origin, r.return_status, r.return_info).join(t.documents, d.id == r.document_id)
            ),
            "tax": rows(
                select(*key, x.channel, x.dutiable_value, x.customs_duty, x.consumption_tax, x.vat, x.total_tax).join(
                    t.documents, d.id == x.document_id
                )
            ),
            "ledger": rows(select(b.buyer_key, b.year, b.used)),
            "ledger_entries": rows(
                select(*key, e.kind, e.buyer_key, e.year, e.amount).join(t.documents, d.id == e.document_id)
            ),
        }


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar_one())
            for name in (*BUSINESS_TABLES, "audit_events")
        }


def test_bulk_intake_stores_what_intake_stores_and_repeats_nothing(
    new_platform: Callable[[], Platform], messages: list[bytes]
) -> None:
    one_by_one, bulk = new_platform(), new_platform()
    ctx = one_by_one.intake_context()
    expected_rejects: dict[int, list[str]] = {}
    for index, data in enumerate(messages):
        with one_by_one.uow() as uow:
            result = ingest_message(uow, SYSTEM, data, ctx)
        if not result.accepted:
            expected_rejects[index] = [e.code for e in result.errors]

    report = bulk_ingest(bulk, messages, chunk=300)

    assert report.messages == len(messages)
    assert {r.index: [e.code for e in r.errors] for r in report.rejections} == expected_rejects
    codes = {code for found in expected_rejects.values() for code in found}
    assert "rule.already_declared" in codes
    assert len(messages) - 1 in expected_rejects
    assert report.one_by_one >= 3  # the two changes and the already-stored key went through intake
    assert report.accepted + report.rejected == len(messages)
    expected, got = _state(one_by_one.engine), _state(bulk.engine)
    assert len(expected["documents"]) > 900
    assert expected["tax"], "the demo traffic should tax lists"
    assert any(row[2] == 2 for row in expected["documents"]), "the payment change should be a second version"
    for part in expected:
        assert got[part] == expected[part], part

    before = _counts(bulk.engine)
    again = bulk_ingest(bulk, messages, chunk=300)
    after = _counts(bulk.engine)
    assert again.stored == 0
    assert again.repeats == again.accepted == report.accepted
    assert {r.index for r in again.rejections} == set(expected_rejects)
    assert {k: after[k] for k in BUSINESS_TABLES} == {k: before[k] for k in BUSINESS_TABLES}
    assert _state(bulk.engine) == got
    assert after["audit_events"] > before["audit_events"]  # repeats are audited, as in intake


def test_bulk_intake_refuses_sqlite(tmp_path: Path, fixed_clock: FixedClock) -> None:
    url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        platform = Platform(Settings(database_url=url), engine, load_districts(), fixed_clock)
        with pytest.raises(BulkIntakeUnsupported, match="PostgreSQL"):
            bulk_ingest(platform, [b"<x/>"])
    finally:
        engine.dispose()
