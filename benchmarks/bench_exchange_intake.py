"""Document exchange intake: end-to-end messages/s against a bare parse of the same files.

Baselines measured in the same run:
- A: a hardened lxml parse of the same XML bytes that pulls every leaf's text into a dict (what
  reading the files at all costs);
- B: a bare typed JSON decode of the same JSON bytes (msgspec when installed, else orjson, else
  the standard library).

Measured against them: ``ingest_message`` per message with its own unit of work (as ``cbec
ingest`` does: parse, validate, registry check, store with versions and idempotency, match, tax,
ledger, receipts, simulated customs) on a fresh SQLite file, XML and JSON; the same on
PostgreSQL; and the COPY bulk path (``bulk_ingest``) on PostgreSQL. A cProfile of the SQLite XML
intake says where the time goes. PostgreSQL comes from ``CBEC_BENCH_PG_URL`` or a throw-away
server started with ``scripts/pg.sh start``; without one, those measurements are skipped.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from _common import emit, timed
from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.intake import ingest_message
from cbec.exchange.jsoncodec import to_json
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.storage.bulk_intake import bulk_ingest
from cbec.storage.db import make_engine
from cbec.storage.migrate import upgrade
from cbec.testing.postgres import scratch_database

MESSAGES = int(os.environ.get("CBEC_BENCH_MESSAGES", "4000"))
PROFILED = 1000  # messages under cProfile (it roughly doubles the time)
PEAK_PARCELS = 10_000_000
PEAK_MESSAGES = 40_000_000  # order, payment, waybill and list per parcel
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2024, 11, 26, 2, 0, tzinfo=UTC)


# ---- baselines ----------------------------------------------------------------------------


def _bare_xml(files: list[bytes]) -> int:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    leaves = 0
    for data in files:
        root = etree.fromstring(data, parser)
        values = {el.tag: el.text for el in root.iter() if len(el) == 0}
        leaves += len(values)
    return leaves


def _json_decoder() -> tuple[str, Callable[[bytes], Any]]:
    try:
        import msgspec
    except ImportError:
        pass
    else:
        record = dict[str, str]
        units = list[dict[str, record | list[record]]] | None  # {"OrderHead": {...}, "OrderList": [...]}
        fields = [("type", str), ("guid", str), ("version", str)]
        envelope = msgspec.defstruct(
            "Envelope", [*fields, *((name, units, None) for name in ("Order", "Payment", "Logistics", "Inventory"))]
        )
        return "msgspec typed decode", msgspec.json.Decoder(envelope).decode
    try:
        import orjson
    except ImportError:
        return "stdlib json.loads (neither msgspec nor orjson installed)", json.loads
    return "orjson.loads (msgspec not installed)", orjson.loads


# ---- intake runs --------------------------------------------------------------------------


def _platform(url: str) -> Platform:
    upgrade(url)
    platform = Platform(Settings(database_url=url), make_engine(url), load_districts(), FixedClock(NOW))
    with platform.uow() as uow:  # the import channels' enterprises, as `cbec demo seed` registers them
        wanted = [e for c in channels(platform.districts) for e in channel_enterprises(c)]
        uow.enterprises.add_many(wanted, uow.clock.now())
        uow.commit()
    return platform


def _one_by_one(platform: Platform, files: list[bytes], source: str) -> tuple[float, int]:
    """``cbec ingest``: one unit of work and one ``ingest_message`` per message. (seconds, accepted)"""
    ctx = platform.intake_context()
    accepted = 0
    start = time.perf_counter()
    for data in files:
        with platform.uow() as uow:
            accepted += ingest_message(uow, SYSTEM, data, ctx, source=source).accepted
    return time.perf_counter() - start, accepted


def _sqlite(folder: Path, name: str) -> Platform:
    return _platform(f"sqlite:///{folder}/{name}.sqlite3")


def _profile(folder: Path, files: list[bytes]) -> tuple[list[list[Any]], list[list[Any]]]:
    platform = _sqlite(folder, "profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    _one_by_one(platform, files, "bench.xml")
    profiler.disable()
    platform.engine.dispose()
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def name(key: tuple[str, int, str]) -> str:
        file, line, func = key
        if file == "~":
            return func
        parts = Path(file).parts
        where = "/".join(parts[parts.index("cbec") :]) if "cbec" in parts else "/".join(parts[-2:])
        return f"{where}:{line}({func})"

    own = ("bench_exchange_intake.py", "{method 'disable'")
    rows = [(name(k), v[2], v[3]) for k, v in stats.items() if not any(o in name(k) for o in own)]
    cumulative = [[n, round(c, 3)] for n, _, c in sorted(rows, key=lambda r: -r[2])[:10]]
    self_time = [[n, round(s, 3)] for n, s, _ in sorted(rows, key=lambda r: -r[1])[:10]]
    return cumulative, self_time


# ---- PostgreSQL ---------------------------------------------------------------------------


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


def _pg_runs(base: str, xml: list[bytes]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with scratch_database(base, "bench") as url:
        platform = _platform(url)
        seconds, accepted = _one_by_one(platform, xml, "bench.xml")
        platform.engine.dispose()
        out |= {"pg_xml_intake_s": seconds, "pg_xml_accepted": accepted}
    with scratch_database(base, "bench") as url:
        platform = _platform(url)
        start = time.perf_counter()
        report = bulk_ingest(platform, xml, chunk=5000)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = bulk_ingest(platform, xml, chunk=5000)
        repeat_s = time.perf_counter() - start
        platform.engine.dispose()
        assert again.stored == 0, again.as_dict()
        out |= {
            "pg_bulk_s": seconds,
            "pg_bulk_accepted": report.accepted,
            "pg_bulk_one_by_one": report.one_by_one,
            "pg_bulk_rerun_s": repeat_s,
        }
    return out


# ---- main ---------------------------------------------------------------------------------


def _hours(rate: float | None) -> float | None:
    return None if not rate else round(PEAK_MESSAGES / rate / 3600, 1)


def main() -> None:
    messages = list(itertools.islice(import_stream(channels(load_districts()), size="small"), MESSAGES))
    xml = [to_xml(m) for m in messages]
    js = [to_json(m) for m in messages]
    n = len(messages)
    notes: list[str] = []

    bare_xml_s, leaves = timed(lambda: _bare_xml(xml))
    decoder_name, decode = _json_decoder()
    if not decoder_name.startswith("msgspec"):
        print(f"note: baseline B uses {decoder_name}", file=sys.stderr)
        notes.append(f"baseline B: {decoder_name}")
    bare_json_s, _ = timed(lambda: [decode(d) for d in js])

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        platform = _sqlite(folder, "xml")
        sqlite_xml_s, xml_accepted = _one_by_one(platform, xml, "bench.xml")
        platform.engine.dispose()
        platform = _sqlite(folder, "json")
        sqlite_json_s, json_accepted = _one_by_one(platform, js, "bench.json")
        platform.engine.dispose()
        cumulative, self_time = _profile(folder, xml[:PROFILED])
    assert xml_accepted == json_accepted, (xml_accepted, json_accepted)

    pg: dict[str, Any] = {}
    base = _pg_base(notes)
    if base is not None:
        pg = _pg_runs(base, xml)
        assert pg["pg_xml_accepted"] == pg["pg_bulk_accepted"] == xml_accepted, (pg, xml_accepted)
    else:
        print(notes[-1], file=sys.stderr)

    bare_xml_rate, bare_json_rate = n / bare_xml_s, n / bare_json_s
    rates = {
        "sqlite_xml": n / sqlite_xml_s,
        "sqlite_json": n / sqlite_json_s,
        "pg_xml": n / pg["pg_xml_intake_s"] if pg else None,
        "pg_bulk": n / pg["pg_bulk_s"] if pg else None,
    }
    peak = {k: _hours(v) for k, v in rates.items()}
    statement = (
        f"A peak day of {PEAK_PARCELS:,} parcels ≈ {PEAK_MESSAGES:,} messages would take "
        + ", ".join(f"{h} h ({k.replace('_', ' ')})" for k, h in peak.items() if h is not None)
        + " on one process of this machine."
    )

    def rnd(v: float | None, digits: int = 0) -> float | None:
        return None if v is None else round(v, digits) if digits else round(v)

    emit(
        "exchange_intake",
        {
            "messages": n,
            "accepted": xml_accepted,
            "xml_bytes": sum(map(len, xml)),
            "json_bytes": sum(map(len, js)),
            "baseline_a_bare_lxml_parse_extract_s": round(bare_xml_s, 3),
            "baseline_a_messages_per_s": round(bare_xml_rate),
            "baseline_a_leaves": leaves,
            "sqlite_xml_intake_s": round(sqlite_xml_s, 2),
            "sqlite_xml_messages_per_s": rnd(rates["sqlite_xml"]),
            "sqlite_xml_vs_baseline_a_ratio": round(rates["sqlite_xml"] / bare_xml_rate, 4),
            "baseline_b": decoder_name,
            "baseline_b_bare_json_decode_s": round(bare_json_s, 3),
            "baseline_b_messages_per_s": round(bare_json_rate),
            "sqlite_json_intake_s": round(sqlite_json_s, 2),
            "sqlite_json_messages_per_s": rnd(rates["sqlite_json"]),
            "sqlite_json_vs_baseline_b_ratio": round(rates["sqlite_json"] / bare_json_rate, 4),
            "pg_xml_intake_s": rnd(pg.get("pg_xml_intake_s"), 2),
            "pg_xml_messages_per_s": rnd(rates["pg_xml"]),
            "pg_xml_vs_baseline_a_ratio": rnd(rates["pg_xml"] and rates["pg_xml"] / bare_xml_rate, 4),
            "pg_bulk_copy_s": rnd(pg.get("pg_bulk_s"), 2),
            "pg_bulk_messages_per_s": rnd(rates["pg_bulk"]),
            "pg_bulk_vs_baseline_a_ratio": rnd(rates["pg_bulk"] and rates["pg_bulk"] / bare_xml_rate, 4),
            "pg_bulk_messages_through_ingest_message": pg.get("pg_bulk_one_by_one"),
            "pg_bulk_rerun_all_repeats_s": rnd(pg.get("pg_bulk_rerun_s"), 2),
            "goal_ratio": 0.5,
            "peak_day_hours": peak,
            "peak_day": statement,
            "profile_messages": min(PROFILED, n),
            "profile_top10_cumulative_s": cumulative,
            "profile_top10_self_s": self_time,
            "timing": "baselines best of 3; every intake run once, on a fresh database",
            "notes": notes,
        },
    )


if __name__ == "__main__":
    main()
