"""Intake is idempotent and arrival order is free: the demo traffic sent once into one database,
and every message twice in a shuffled order into another, leaves the same documents, receipts,
tax and buyer ledger; the second database's audit trail differs only by one ``document.repeat``
per repeated message (a waiting list's "still missing …" detail is derived, not audited, so it
does not depend on arrival order).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.intake import ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.testing.postgres import scratch_database

# Every demo message (the 24-month "small" stream of the five channels: 997 parcels, 3,988
# messages), with the fraud patterns, 8 orders with broken arithmetic (refused, so their lists
# wait forever) and the lists the simulated customs refuses (their charges go back).
MESSAGES = [to_xml(m) for m in import_stream(channels(load_districts()), size="small")]


def _second_database(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind beside the fixture's one."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twice.sqlite3'}"
        return
    with scratch_database(db_url, "t_twice") as url:
        yield url


@pytest.fixture
def twice(db_url: str, tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Platform]:
    for url in _second_database(db_url, tmp_path):
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            yield Platform(Settings(database_url=url), engine, load_districts(), fixed_clock)
        finally:
            engine.dispose()


def _feed(platform: Platform, messages: list[bytes]) -> Counter[str]:
    for chan in channels(platform.districts):
        for enterprise in channel_enterprises(chan):
            with platform.uow() as uow:
                create_enterprise(uow, SYSTEM, enterprise, platform.districts)
    ctx = platform.intake_context()
    outcome: Counter[str] = Counter()
    for data in messages:
        with platform.uow() as uow:
            result = ingest_message(uow, SYSTEM, data, ctx, source="stream")
        outcome["repeat" if result.repeat else "accepted" if result.accepted else "rejected"] += 1
    return outcome


def _state(platform: Platform) -> dict[str, Any]:
    """Everything intake decides, keyed by business keys (never by row ids or arrival order)."""
    d, r, x, e = t.documents.c, t.receipts.c, t.tax_assessments.c, t.ledger_entries.c
    with platform.engine.connect() as conn:
        key_of = {
            row.id: (row.message_type, row.business_key, row.version) for row in conn.execute(select(t.documents))
        }
        docs = {
            (row.message_type, row.business_key, row.version, row.status, row.is_current)
            for row in conn.execute(select(d.message_type, d.business_key, d.version, d.status, d.is_current))
        }
        receipts = Counter(
            (key_of[row.document_id], row.origin, row.return_status)
            for row in conn.execute(select(r.document_id, r.origin, r.return_status))
        )
        tax = {
            key_of[row.document_id]: (row.channel, row.dutiable_value, row.consumption_tax, row.vat, row.total_tax)
            for row in conn.execute(
                select(x.document_id, x.channel, x.dutiable_value, x.consumption_tax, x.vat, x.total_tax)
            )
        }
        ledger = {(row.buyer_key, row.year): row.used for row in conn.execute(select(t.buyer_ledger))}
        entries = Counter(
            (key_of[row.document_id], row.kind, row.amount)
            for row in conn.execute(select(e.document_id, e.kind, e.amount))
        )
        invt = {key_of[row.id]: row.invt_no for row in conn.execute(select(d.id, d.invt_no)) if row.invt_no}
    return {"documents": docs, "receipts": receipts, "tax": tax, "ledger": ledger, "entries": entries, "invt": invt}


def _events(platform: Platform) -> Counter[tuple[Any, ...]]:
    """Audit events as (action, subject document key, status after), ignoring order and ids."""
    a, d = t.audit_events.c, t.documents.c
    with platform.engine.connect() as conn:
        key_of = {
            str(row.id): (row.message_type, row.business_key, row.version)
            for row in conn.execute(select(d.id, d.message_type, d.business_key, d.version))
        }
        out: Counter[tuple[Any, ...]] = Counter()
        for row in conn.execute(select(a.action, a.subject_type, a.subject_id, a.after)):
            after = json.loads(row.after) if row.after else {}
            subject = key_of.get(row.subject_id) if row.subject_type == "document" else row.subject_type
            out[(row.action, subject, after.get("status"))] += 1
    return out


def test_the_stream_twice_shuffled_ends_like_the_stream_once(platform: Platform, twice: Platform) -> None:
    once = _feed(platform, MESSAGES)
    doubled = MESSAGES * 2
    random.Random(7).shuffle(doubled)
    shuffled = _feed(twice, doubled)

    assert once == Counter(accepted=3980, rejected=8)
    assert shuffled == Counter(accepted=3980, repeat=3980, rejected=16)
    a, b = _state(platform), _state(twice)
    for part in ("documents", "receipts", "tax", "ledger", "entries", "invt"):
        assert a[part] == b[part], part
    assert Counter(status for (kind, *_rest, status, _c) in a["documents"] if kind == "CEB621") == Counter(
        {"800": 972, "100": 17, "waiting": 8}
    )
    assert sum(total for *_, total in a["tax"].values()) == sum(total for *_, total in b["tax"].values())
    assert sum(a["ledger"].values()) == sum(b["ledger"].values())

    ea, eb = _events(platform), _events(twice)
    extra = eb - ea
    missing = ea - eb
    repeats = sum(n for (action, *_), n in extra.items() if action == "document.repeat")
    assert repeats == shuffled["repeat"] == 3980
    assert {k: n for k, n in extra.items() if k[0] != "document.repeat"} == {}
    assert missing == Counter()
