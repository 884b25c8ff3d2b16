"""The audit trail: appending hash-chained events and verifying the chain.

Baselines measured in the same run: inserting the same number of plain rows with one
executemany (what an unchained log would cost), and hashing the same payloads with SHA-256
alone (the floor for verification).
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from _common import emit, timed
from cbec.audit.model import EventDraft, canonical_json
from cbec.audit.services import verify
from cbec.kernel.clock import FixedClock
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.storage.migrate import upgrade
from cbec.storage.uow import SqlUnitOfWork

EVENTS = 20_000
SNAPSHOT = {"uscc": "91330106MA2CFY4K3X", "name": "杭州示例跨境电子商务有限公司", "roles": ["ebc"], "version": 1}


def _drafts() -> list[EventDraft]:
    return [
        EventDraft("user:1:demo.admin", "enterprise.update", "enterprise", str(i), SNAPSHOT, SNAPSHOT)
        for i in range(EVENTS)
    ]


def _fresh(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder}/{name}.sqlite3"
    upgrade(url)
    return url


def _chained(url: str, drafts: list[EventDraft]) -> None:
    clock = FixedClock(datetime(2024, 11, 26, tzinfo=UTC))
    engine = make_engine(url)
    with SqlUnitOfWork(engine, clock) as uow:
        for draft in drafts:
            uow.audit.append(draft, clock.now())
        uow.commit()
    engine.dispose()


def _batched(url: str, drafts: list[EventDraft]) -> None:
    clock = FixedClock(datetime(2024, 11, 26, tzinfo=UTC))
    engine = make_engine(url)
    with SqlUnitOfWork(engine, clock) as uow:
        uow.audit.append_many(drafts, clock.now())
        uow.commit()
    engine.dispose()


def _plain(url: str, drafts: list[EventDraft]) -> None:
    engine = make_engine(url)
    payload = canonical_json(SNAPSHOT)
    rows = [
        {
            "seq": i + 1,
            "occurred_at": "2024-11-26T00:00:00.000000+00:00",
            "actor": d.actor,
            "action": d.action,
            "subject_type": d.subject_type,
            "subject_id": d.subject_id,
            "before": payload,
            "after": payload,
            "prev_hash": "0" * 64,
            "hash": "0" * 64,
        }
        for i, d in enumerate(drafts)
    ]
    with engine.begin() as conn:
        conn.execute(insert(t.audit_events), rows)
    engine.dispose()


def main() -> None:
    drafts = _drafts()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = iter(range(100))
        plain_s, _ = timed(lambda: _plain(_fresh(folder, f"p{next(runs)}"), drafts), repeat=2)
        chained_s, _ = timed(lambda: _chained(_fresh(folder, f"c{next(runs)}"), drafts), repeat=1)
        chained_url = _fresh(folder, "batched")
        batched_s, _ = timed(lambda: _batched(chained_url, drafts), repeat=1)
        engine = make_engine(chained_url)
        with SqlUnitOfWork(engine, read_only=True) as uow:
            verify_s, report = timed(lambda: verify(uow.audit), repeat=3)
        engine.dispose()
    assert report.ok, report
    assert report.checked == EVENTS
    blob = canonical_json(SNAPSHOT) or ""
    hash_s, _ = timed(lambda: [hashlib.sha256(f"{i}{blob}{blob}".encode()).hexdigest() for i in range(EVENTS)])
    emit(
        "audit_chain",
        {
            "events": EVENTS,
            "baseline_plain_executemany_s": round(plain_s, 3),
            "chained_append_one_by_one_s": round(chained_s, 3),
            "chained_append_one_by_one_events_per_s": round(EVENTS / chained_s),
            "one_by_one_vs_plain_ratio": round(chained_s / plain_s, 1),
            "chained_append_batch_s": round(batched_s, 3),
            "chained_append_batch_events_per_s": round(EVENTS / batched_s),
            "batch_vs_plain_ratio": round(batched_s / plain_s, 1),
            "baseline_bare_sha256_s": round(hash_s, 3),
            "verify_s": round(verify_s, 3),
            "verify_events_per_s": round(EVENTS / verify_s),
            "verify_vs_bare_hash_ratio": round(verify_s / hash_s, 1),
        },
    )


if __name__ == "__main__":
    main()
