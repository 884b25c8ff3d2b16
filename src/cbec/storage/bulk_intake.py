"""Bulk intake into PostgreSQL with COPY, for initial loads and backfills.

Each message is checked exactly as ``ingest_message`` checks it (parse, validate, registry check)
and a rejected message is reported with its errors and never stored. First versions (appType 1
declarations) are then stored a batch at a time: the document rows, built by the intake's own
helpers, are COPYed into a temporary staging table and inserted into ``documents`` with
``ON CONFLICT DO NOTHING`` on (message_type, business_key, head_guid), so a message sent again is
a repeat, as in normal intake. Audit events are written with one ``record_many``, the platform
receipts with one COPY, and ``listflow.after_intake`` then matches, taxes, charges the buyer
ledger and hands lists to customs through the same code as normal intake.

Everything else goes through ``ingest_message`` one message at a time, in stream order:
changes and withdrawals (appType 2/3), cancellations and returns (CEB623/CEB625), customs
receipts, and a first version whose business key is already stored under another guid or
repeats a key earlier in the same batch (intake refuses it, or stores a new version after a
withdrawal; the bulk path leaves that decision to intake). A batch is one transaction.

Differences from one-by-one intake, by design: audit events of a batch are grouped (every
``document.stored`` of the batch, then the status changes), and a list that arrives before its
partners in the same batch is evaluated in list order rather than in partner arrival order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from psycopg import sql

from cbec.audit.model import EventDraft
from cbec.audit.services import record_many
from cbec.exchange import listflow
from cbec.exchange.intake import MATCHED_TYPES, IntakeContext, _new_document, ingest_message
from cbec.exchange.jsoncodec import parse_any
from cbec.exchange.model import Message
from cbec.exchange.records import NewDocument
from cbec.exchange.senders import SenderCheck, check_senders
from cbec.exchange.spec import MessageSpec, spec_for
from cbec.exchange.validation import validate
from cbec.identity.model import SYSTEM, Principal
from cbec.kernel.errors import CbecError, FieldError
from cbec.storage.exchange_repo import KEY_COLUMNS
from cbec.storage.stats_repo import STATS_TYPES, enqueue

if TYPE_CHECKING:
    import psycopg

    from cbec.bootstrap import Platform
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["BulkIntakeUnsupported", "BulkRejection", "BulkReport", "bulk_ingest"]

_STAGING = sql.Identifier("cbec_bulk_documents")
# Staging columns in COPY order; every text column is ``text`` (COPY wants no char(n) games).
STAGED = (
    "seq",
    "message_type",
    "business_key",
    "head_guid",
    "message_guid",
    "app_type",
    "withdrawn",
    "sender_code",
    "enterprise_id",
    "city_code",
    "district_code",
    *KEY_COLUMNS,
    "buyer_key",
    "status",
    "body",
    "sealed",
)
_STAGING_TYPES = {"seq": "integer", "withdrawn": "boolean", "enterprise_id": "integer"}
_INSERTED = [c for c in STAGED if c != "seq"]


def _names(columns: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)


class BulkIntakeUnsupported(CbecError):
    code = "bulk.unsupported"


@dataclass(frozen=True)
class BulkRejection:
    index: int  # position of the message in the input, from 0
    message_type: str | None
    guid: str | None
    errors: list[FieldError]

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "type": self.message_type,
            "guid": self.guid,
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass
class BulkReport:
    messages: int = 0
    accepted: int = 0  # stored, repeated or processed (bulk and one-by-one alike)
    repeats: int = 0  # messages whose every unit was already stored
    stored: int = 0  # documents inserted by COPY
    one_by_one: int = 0  # messages that went through ingest_message
    batches: int = 0
    rejections: list[BulkRejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def as_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "repeats": self.repeats,
            "stored": self.stored,
            "one_by_one": self.one_by_one,
            "batches": self.batches,
            "rejections": [r.as_dict() for r in self.rejections],
        }


@dataclass
class _Item:
    index: int
    data: bytes
    message: Message
    spec: MessageSpec
    senders: SenderCheck | None = None

    @property
    def bulk(self) -> bool:
        """A first-version declaration that needs nothing but storing and matching."""
        return (
            self.spec.kind == "declaration"
            and self.message.type not in ("CEB623", "CEB625")
            and all(u.head.get("appType", "1") == "1" for u in self.message.units)
        )


@dataclass
class _Row:
    seq: int
    item: _Item
    doc: NewDocument

    def values(self) -> tuple[Any, ...]:
        d = self.doc
        keys = tuple(d.keys.get(k) or None for k in KEY_COLUMNS)  # as SqlDocumentRepository.add
        return (
            self.seq,
            d.message_type,
            d.business_key,
            d.head_guid,
            d.message_guid,
            d.app_type,
            d.withdrawn,
            d.sender_code,
            d.enterprise_id,
            d.city_code,
            d.district_code,
            *keys,
            d.buyer_key,
            d.status,
            json.dumps(d.body, ensure_ascii=False, sort_keys=True),
            d.sealed,
        )


def _chunks(messages: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    it = iter(messages)
    while batch := list(islice(it, size)):
        yield batch


def _check(index: int, data: bytes, ctx: IntakeContext, report: BulkReport) -> _Item | None:
    """Parse and validate as ``ingest_message`` does; a failure is a rejection, never stored."""
    parsed = parse_any(data)
    if parsed.message is None or parsed.errors:
        report.rejections.append(BulkRejection(index, None, None, list(parsed.errors)))
        return None
    message = parsed.message
    found = validate(message, tolerance=ctx.tolerance)
    if found.errors:
        report.rejections.append(BulkRejection(index, message.type, message.guid, list(found.errors)))
        return None
    return _Item(index, data, message, spec_for(message.type))


def _raw(uow: SqlUnitOfWork) -> psycopg.Connection[Any]:
    return cast("psycopg.Connection[Any]", uow.documents.conn.connection.driver_connection)


def _stage(cur: psycopg.Cursor[Any], rows: list[_Row]) -> None:
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_STAGING_TYPES.get(c, "text"))) for c in STAGED
    )
    cur.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(_STAGING, columns))
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(_STAGING, _names(STAGED))) as copy:
        for row in rows:
            copy.write_row(row.values())


def _stored_before(cur: psycopg.Cursor[Any]) -> dict[int, list[tuple[int, str, str | None]]]:
    """Per staged row: (id, head_guid, city_code) of every stored version with its type and key."""
    cur.execute(
        sql.SQL(
            "SELECT s.seq, d.id, d.head_guid, d.city_code FROM {} s JOIN documents d"
            " ON d.message_type = s.message_type AND d.business_key = s.business_key ORDER BY s.seq, d.version"
        ).format(_STAGING)
    )
    found: dict[int, list[tuple[int, str, str | None]]] = {}
    for seq, doc_id, guid, city in cur.fetchall():
        found.setdefault(seq, []).append((doc_id, guid, city))
    return found


def _insert(cur: psycopg.Cursor[Any], now: datetime) -> dict[tuple[str, str], tuple[int, str, str | None]]:
    cur.execute(
        sql.SQL(
            "INSERT INTO documents ({names}, version, is_current, status_detail, received_at)"
            " SELECT {names}, 1, true, NULL, %s FROM {staging} ORDER BY seq"
            " ON CONFLICT (message_type, business_key, head_guid) DO NOTHING"
            " RETURNING id, message_type, business_key, status, city_code"
        ).format(names=_names(_INSERTED), staging=_STAGING),
        (now,),
    )
    return {(t, k): (i, s, c) for i, t, k, s, c in cur.fetchall()}


def _store_batch(
    platform: Platform, principal: Principal, items: list[_Item], ctx: IntakeContext, report: BulkReport
) -> list[_Item]:
    """Store one batch of first versions in one transaction; return the items left to intake."""
    deferred: dict[int, _Item] = {}
    rows: list[_Row] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        assert item.senders is not None
        mine = [
            _Row(0, item, _new_document(item.message, item.spec, unit, item.senders, ctx))
            for unit in item.message.units
        ]
        keys = [(r.doc.message_type, r.doc.business_key) for r in mine]
        if len(set(keys)) < len(keys) or seen.intersection(keys):
            deferred[item.index] = item  # the key is new in this batch already: intake decides
            continue
        seen.update(keys)
        for row in mine:
            row.seq = len(rows)
            rows.append(row)
    report.batches += 1
    with platform.uow() as uow:
        uow.audit.lock()  # as intake: the audit head first, so every writer takes locks in one order
        now = uow.clock.now()
        with _raw(uow).cursor() as cur:
            _stage(cur, rows)
            before = _stored_before(cur)
            repeats: dict[int, tuple[int, str | None]] = {}  # seq → (stored id, city)
            for row in rows:
                known = before.get(row.seq)
                if not known:
                    continue
                same = [(i, c) for i, g, c in known if g == row.doc.head_guid]
                if same:
                    repeats[row.seq] = same[0]
                else:  # stored under another guid: refused, or a new version after a withdrawal
                    deferred[row.item.index] = row.item
            gone = [r.seq for r in rows if r.seq in repeats or r.item.index in deferred]
            if gone:
                cur.execute(sql.SQL("DELETE FROM {} WHERE seq = ANY(%s)").format(_STAGING), (gone,))
            inserted = _insert(cur, now)
            enqueue(uow.documents.conn, [i for (mt, _), (i, _, _) in inserted.items() if mt in STATS_TYPES])
            drafts: list[EventDraft] = []
            stored: list[tuple[_Row, int]] = []
            for row in rows:
                if row.item.index in deferred:
                    continue
                d = row.doc
                hit = inserted.get((d.message_type, d.business_key))
                if hit is None and row.seq not in repeats:  # a concurrent intake stored it meanwhile
                    cur.execute(
                        "SELECT id, city_code FROM documents"
                        " WHERE message_type = %s AND business_key = %s AND head_guid = %s",
                        (d.message_type, d.business_key, d.head_guid),
                    )
                    found = cur.fetchone()
                    assert found is not None, f"{d.message_type} {d.business_key} neither stored nor found"
                    repeats[row.seq] = (found[0], found[1])
                if row.seq in repeats:
                    known_id, city = repeats[row.seq]
                    after: dict[str, Any] = {"type": d.message_type, "key": d.business_key, "guid": d.head_guid}
                    action, subject = "document.repeat", known_id
                else:
                    assert hit is not None
                    subject, status, city = hit
                    after = {"type": d.message_type, "key": d.business_key, "version": 1, "status": status}
                    action = "document.stored"
                    stored.append((row, subject))
                city = city or principal.city_code
                drafts.append(EventDraft(principal.actor, action, "document", str(subject), None, after, city))
            record_many(uow, drafts)
            stamp = now.strftime("%Y%m%d%H%M%S")
            with cur.copy(
                "COPY receipts (document_id, origin, return_status, return_info, return_time, created_at) FROM STDIN"
            ) as copy:
                for row, doc_id in stored:
                    if row.doc.message_type != "CEB621":  # as intake: lists are answered by matching
                        copy.write_row((doc_id, "platform", "120", "入库", stamp, now))
        report.stored += len(stored)
        matched = [doc_id for row, doc_id in stored if row.doc.message_type in MATCHED_TYPES]
        if matched:
            listflow.after_intake(uow, principal, matched, ctx)
        uow.commit()
    fresh = {row.item.index for row, _ in stored}
    for item in items:
        if item.index not in deferred:
            report.accepted += 1
            report.repeats += item.index not in fresh
    return [item for item in items if item.index in deferred]


def _one_by_one(platform: Platform, principal: Principal, item: _Item, ctx: IntakeContext, report: BulkReport) -> None:
    with platform.uow() as uow:
        result = ingest_message(uow, principal, item.data, ctx)
    report.one_by_one += 1
    if result.accepted:
        report.accepted += 1
        report.repeats += result.repeat
    else:
        report.rejections.append(BulkRejection(item.index, result.message_type, result.guid, result.errors))


def bulk_ingest(
    platform: Platform, messages: Iterable[bytes], *, principal: Principal = SYSTEM, chunk: int = 5000
) -> BulkReport:
    """Ingest messages (XML or JSON bytes) in chunks; PostgreSQL only. Safe to re-run: a second
    run of the same messages stores nothing new (every message is a repeat)."""
    if platform.engine.dialect.name != "postgresql":
        raise BulkIntakeUnsupported(
            f"bulk intake needs PostgreSQL (it loads with COPY); this database is {platform.engine.dialect.name}: "
            "use `cbec ingest` (one transaction per message) instead",
        )
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    ctx = platform.intake_context()
    report = BulkReport()
    start = 0
    for datas in _chunks(messages, chunk):
        report.messages += len(datas)
        checked = [_check(start + n, data, ctx, report) for n, data in enumerate(datas)]
        start += len(datas)
        items = [i for i in checked if i is not None]
        with platform.uow(read_only=True) as uow:  # one unit of work for the chunk's registry checks
            for item in items:
                if item.bulk:
                    item.senders = check_senders(uow, principal, item.message, item.spec)
        pending: list[_Item] = []
        for item in items:
            if item.senders is not None and item.senders.errors:
                report.rejections.append(
                    BulkRejection(item.index, item.message.type, item.message.guid, item.senders.errors)
                )
            elif item.bulk:
                pending.append(item)
            else:  # keep stream order: what came before is stored before this one is taken
                for later in _store_batch(platform, principal, pending, ctx, report) if pending else []:
                    _one_by_one(platform, principal, later, ctx, report)
                pending = []
                _one_by_one(platform, principal, item, ctx, report)
        if pending:
            for later in _store_batch(platform, principal, pending, ctx, report):
                _one_by_one(platform, principal, later, ctx, report)
    report.rejections.sort(key=lambda r: r.index)
    return report
