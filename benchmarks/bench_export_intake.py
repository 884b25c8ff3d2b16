"""Export (9610) intake: end-to-end messages/s against a bare parse of the same files.

The messages are whole parcels built with ``cbec.testing.exports``: per shipment an order
(CEB303), a waybill (CEB505), the export list (CEB603) and a receipt of payment (CEB403), then
arrival (CEB507) and departure (CEB509) messages that each name a batch of waybills, so every list
runs 120 → 399 → 800 → 899.

Baseline measured in the same run: a hardened lxml parse of the same XML bytes that pulls every
leaf's text into a dict (what reading the files at all costs). Measured against it:
``ingest_message`` per message with its own unit of work (as ``cbec ingest`` does) on a fresh
SQLite file, and the same on PostgreSQL when one is available (``CBEC_BENCH_PG_URL`` or a
throw-away server started with ``scripts/pg.sh start``, as the import-side benchmark does).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from _common import emit, timed
from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage.db import make_engine
from cbec.storage.migrate import upgrade
from cbec.testing.exports import Item, Shipment, arrival, departure, party_inputs
from cbec.testing.postgres import scratch_database

SHIPMENTS = int(os.environ.get("CBEC_BENCH_EXPORT_SHIPMENTS", "750"))
BATCH = 20  # waybills named by one arrival / departure message
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 11, 26, 2, 0, tzinfo=UTC)
FIRST_DAY = date(2024, 5, 6)
EBCS = ("3301E00001", "3301E00002", "3301E00003")
GOODS = (
    ("8517130000", "智能手机", "150.00"),
    ("8471300000", "平板电脑", "320.00"),
    ("6109100000", "棉制针织T恤", "12.50"),
    ("9503008900", "塑料玩具", "8.80"),
    ("8518300000", "蓝牙耳机", "45.00"),
)


# ---- messages -----------------------------------------------------------------------------


def _shipments(n: int) -> list[Shipment]:
    out = []
    for k in range(n):
        goods = [GOODS[(k + j) % len(GOODS)] for j in range(1 + k % 3)]
        items = [Item(code, name, str(1 + j), price) for j, (code, name, price) in enumerate(goods)]
        ebc = EBCS[k % len(EBCS)]
        out.append(Shipment(f"{k:06d}", FIRST_DAY + timedelta(days=k % 7), ebc=ebc, owner=ebc, items=items))
    return out


def _messages(shipments: list[Shipment]) -> list[Message]:
    """The parcels' documents in the order a day brings them: documents first, then the moves."""
    messages: list[Message] = []
    for start in range(0, len(shipments), BATCH):
        batch = shipments[start : start + BATCH]
        for s in batch:
            messages += [s.order(), s.waybill(), s.inventory(), s.receipt_of_payment()]
        day = batch[-1].ship_on + timedelta(days=1)
        messages.append(arrival(batch, day, f"AR{start:06d}"))
        messages.append(departure(batch, day + timedelta(days=1), f"DP{start:06d}"))
    return messages


# ---- baseline -----------------------------------------------------------------------------


def _bare_xml(files: list[bytes]) -> int:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    leaves = 0
    for data in files:
        root = etree.fromstring(data, parser)
        values = {el.tag: el.text for el in root.iter() if len(el) == 0}
        leaves += len(values)
    return leaves


# ---- intake runs --------------------------------------------------------------------------


def _platform(url: str) -> Platform:
    upgrade(url)
    platform = Platform(Settings(database_url=url), make_engine(url), load_districts(), FixedClock(NOW))
    with platform.uow() as uow:  # as tests/integration/test_export_flow.py registers them
        for data in party_inputs():
            create_enterprise(uow, SYSTEM, data, platform.districts)
    return platform


def _one_by_one(platform: Platform, files: list[bytes]) -> tuple[float, int]:
    """``cbec ingest``: one unit of work and one ``ingest_message`` per message. (seconds, accepted)"""
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))
    accepted = 0
    start = time.perf_counter()
    for data in files:
        with platform.uow() as uow:
            accepted += ingest_message(uow, SYSTEM, data, ctx, source="bench.xml").accepted
    return time.perf_counter() - start, accepted


def _statuses(platform: Platform) -> dict[str, int]:
    """Where the lists ended: every one should be 899 (departed)."""
    with platform.uow(read_only=True) as uow:
        return dict(Counter(export.status for export in uow.exports.lists()))


def _run(url: str, xml: list[bytes]) -> tuple[float, int, dict[str, int]]:
    platform = _platform(url)
    try:
        seconds, accepted = _one_by_one(platform, xml)
        return seconds, accepted, _statuses(platform)
    finally:
        platform.engine.dispose()


def _pg_base(notes: list[str]) -> str | None:
    url = os.environ.get("CBEC_BENCH_PG_URL")
    if url:
        return url
    script = str(ROOT / "scripts" / "pg.sh")
    try:
        subprocess.run([script, "start"], check=True, capture_output=True, text=True, timeout=300)
        return subprocess.run([script, "url"], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        notes.append(f"PostgreSQL could not be started (scripts/pg.sh start): {detail.strip()[:300]}; skipped")
        return None


# ---- main ---------------------------------------------------------------------------------


def main() -> None:
    shipments = _shipments(SHIPMENTS)
    messages = _messages(shipments)
    xml = [to_xml(m) for m in messages]
    n = len(xml)
    kinds = dict(sorted(Counter(m.type for m in messages).items()))
    notes: list[str] = []

    bare_s, leaves = timed(lambda: _bare_xml(xml))
    bare_rate = n / bare_s

    with tempfile.TemporaryDirectory() as tmp:
        sqlite_s, sqlite_accepted, sqlite_statuses = _run(f"sqlite:///{tmp}/export.sqlite3", xml)

    pg: dict[str, Any] = {}
    base = _pg_base(notes)
    if base is not None:
        with scratch_database(base, "bench") as url:
            pg_s, pg_accepted, pg_statuses = _run(url, xml)
        pg = {"seconds": pg_s, "accepted": pg_accepted, "statuses": pg_statuses}
    sqlite_rate = n / sqlite_s
    pg_rate = n / pg["seconds"] if pg else None

    emit(
        "export_intake",
        {
            "shipments": len(shipments),
            "messages": n,
            "messages_by_type": kinds,
            "waybills_per_arrival_or_departure": BATCH,
            "xml_bytes": sum(map(len, xml)),
            "baseline_bare_lxml_parse_extract_s": round(bare_s, 3),
            "baseline_messages_per_s": round(bare_rate),
            "baseline_leaves": leaves,
            "sqlite_intake_s": round(sqlite_s, 2),
            "sqlite_accepted": sqlite_accepted,
            "sqlite_messages_per_s": round(sqlite_rate),
            "sqlite_shipments_per_s": round(len(shipments) / sqlite_s, 1),
            "sqlite_vs_baseline_ratio": round(sqlite_rate / bare_rate, 4),
            "sqlite_list_statuses": sqlite_statuses,
            "pg_intake_s": round(pg["seconds"], 2) if pg else None,
            "pg_accepted": pg.get("accepted"),
            "pg_messages_per_s": round(pg_rate) if pg_rate else None,
            "pg_shipments_per_s": round(len(shipments) / pg["seconds"], 1) if pg else None,
            "pg_vs_baseline_ratio": round(pg_rate / bare_rate, 4) if pg_rate else None,
            "pg_list_statuses": pg.get("statuses"),
            "timing": "baseline best of 3; every intake run once, on a fresh database",
            "notes": notes,
        },
    )


if __name__ == "__main__":
    main()
