"""Monthly summary (汇总申报) of a large city: one million released B lists in one month.

Two timings:

(a) the pure grouping, ``draft_declarations(lists, load_keys(), month="2024-05")`` over
    ``ExportList`` objects built in memory;
(b) the same from the database: the lists and their items are bulk-inserted (plain ``sqlite3``
    ``executemany``, foreign keys off, so no document rows are needed) into ``export_lists`` and
    ``export_list_items`` of a freshly migrated SQLite file; then ``SqlExportRepository.lists``
    for the month's released lists, then ``draft_declarations``.

Baseline measured in the same run on the same file: a hand-written SQL ``GROUP BY`` that yields
the declaration header groups (shipper, transport mode, producer, country of arrival, exit
customs, supervision code) with their list counts; the ratio baseline / ours shows what the
Python load-and-group costs over letting the database group. A second query groups the items
(header + destination, HS code, currency, unit) for comparison, and both are checked against the
draft's group counts.

The size is ``CBEC_BENCH_SUMMARY_LISTS`` (default 1,000,000); with fewer, the ``*_at_1m_*``
fields extrapolate linearly and say so.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from _common import emit
from cbec.export.model import B_FLAG, ExportList, ListItem, to_fen
from cbec.export.summary import SummaryDraft, draft_declarations, load_keys
from cbec.storage.db import make_engine
from cbec.storage.export_repo import SqlExportRepository
from cbec.storage.migrate import upgrade

LISTS = int(os.environ.get("CBEC_BENCH_SUMMARY_LISTS", "1000000"))
FULL = 1_000_000
SHIPPERS = 50
COUNTRIES = 20
HS_CODES = 200
HS_PER_SHIPPER = 10  # a shipper sells a few lines of goods, all shippers together ~200 codes
CURRENCIES = ("142", "502")  # CNY, USD
PORTS = ("2991", "2992")
MAY = date(2024, 5, 1)
INSERT_CHUNK = 50_000
T = TypeVar("T")


def _clock(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# ---- the month's lists --------------------------------------------------------------------


def _country(k: int) -> str:
    return f"{100 + k:03d}"


def _hs(k: int) -> str:
    return f"{8400000000 + k * 1013:010d}"


def _build(n: int) -> list[ExportList]:
    """``n`` released B lists of May 2024 with 1–3 items each; shared values are shared objects."""
    shippers = [(f"3301E{s:05d}", f"杭州出口企业{s:02d}有限公司") for s in range(SHIPPERS)]
    countries = [_country(c) for c in range(COUNTRIES)]
    codes = [_hs(h) for h in range(HS_CODES)]
    days = [MAY + timedelta(days=d) for d in range(31)]
    qtys = [Decimal(q) for q in range(1, 6)]
    prices = [Decimal(p) / 100 for p in range(500, 50_000, 997)]
    lists: list[ExportList] = []
    for k in range(n):
        ebc, ebc_name = shippers[k % SHIPPERS]
        country = countries[(k // SHIPPERS) % COUNTRIES]
        currency = CURRENCIES[(k // 7) % len(CURRENCIES)]
        base = (k % SHIPPERS) * HS_PER_SHIPPER
        items = []
        for g in range(1, 2 + k % 3):
            qty, price = qtys[(k + g) % len(qtys)], prices[(k * 3 + g) % len(prices)]
            items.append(
                ListItem(
                    gnum=g,
                    gcode=codes[(base + (k // 3 + g) % HS_PER_SHIPPER) % HS_CODES],
                    gname="商品",
                    unit="007",
                    qty=qty,
                    price=price,
                    total=to_fen(qty * price),
                    currency=currency,
                    country=country,
                )
            )
        day = days[k % len(days)]
        lists.append(
            ExportList(
                document_id=k + 1,
                agent_code="3301A00001",
                cop_no=f"EC{k:09d}",
                invt_no=f"29912024E{k:09d}",
                enterprise_id=None,
                city_code="330100",
                district_code="330108",
                order_no=f"EO{k:09d}",
                logistics_code="3301L00001",
                logistics_no=f"EL{k:09d}",
                ebc_code=ebc,
                ebc_name=ebc_name,
                owner_code=ebc,
                trade_mode="9610",
                statistics_flag=B_FLAG,
                customs_code="2991",
                port_code=PORTS[(k // 11) % len(PORTS)],
                traf_mode="5",
                country=country,
                currency=currency,
                ie_date=day,
                released_on=day,
                departed_on=None,
                status="800",
                items=tuple(items),
            )
        )
    return lists


# ---- the scratch database -----------------------------------------------------------------

HEAD_COLUMNS = [
    *("document_id", "agent_code", "cop_no", "invt_no", "city_code", "district_code", "order_no"),
    *("logistics_code", "logistics_no", "ebc_code", "ebc_name", "owner_code", "trade_mode", "statistics_flag"),
    *("customs_code", "port_code", "traf_mode", "country", "currency", "value", "ie_date", "released_on", "status"),
]
ITEM_COLUMNS = ["document_id", "gnum", "gcode", "gname", "unit", "qty", "price", "total", "currency", "country"]


def _fen(amount: Decimal) -> int:
    return int(amount * 100)  # amounts are already to the fen; Money stores whole fen


def _insert(path: Path, lists: list[ExportList]) -> int:
    """Bulk rows through plain sqlite3: foreign keys are off on this connection (the project's
    engine turns them on), so no documents rows are needed. Returns the item rows written."""
    heads = f"INSERT INTO export_lists ({', '.join(HEAD_COLUMNS)}) VALUES ({', '.join('?' * len(HEAD_COLUMNS))})"
    lines = f"INSERT INTO export_list_items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    written = 0
    try:
        db.execute("BEGIN")
        for start in range(0, len(lists), INSERT_CHUNK):
            chunk = lists[start : start + INSERT_CHUNK]
            db.executemany(
                heads,
                (
                    (
                        e.document_id,
                        e.agent_code,
                        e.cop_no,
                        e.invt_no,
                        e.city_code,
                        e.district_code,
                        e.order_no,
                        e.logistics_code,
                        e.logistics_no,
                        e.ebc_code,
                        e.ebc_name,
                        e.owner_code,
                        e.trade_mode,
                        e.statistics_flag,
                        e.customs_code,
                        e.port_code,
                        e.traf_mode,
                        e.country,
                        e.currency,
                        _fen(e.value),
                        e.ie_date.isoformat() if e.ie_date else None,
                        e.released_on.isoformat() if e.released_on else None,
                        e.status,
                    )
                    for e in chunk
                ),
            )
            rows = [
                (
                    e.document_id,
                    i.gnum,
                    i.gcode,
                    i.gname,
                    i.unit,
                    str(i.qty),
                    str(i.price),
                    _fen(i.total),
                    i.currency,
                    i.country,
                )
                for e in chunk
                for i in e.items
            ]
            db.executemany(lines, rows)
            written += len(rows)
        db.execute("COMMIT")
    finally:
        db.close()
    return written


HEADER_SQL = """
SELECT ebc_code, traf_mode, owner_code, country, port_code, trade_mode, count(*) AS lists
FROM export_lists
WHERE statistics_flag = 'B' AND status IN ('800', '899') AND sum_no IS NULL AND invt_no IS NOT NULL
  AND released_on >= :start AND released_on < :end
GROUP BY ebc_code, traf_mode, owner_code, country, port_code, trade_mode
ORDER BY ebc_code, traf_mode, owner_code, country, port_code, trade_mode
"""

ITEM_SQL = """
SELECT l.ebc_code, l.traf_mode, l.owner_code, l.country, l.port_code, l.trade_mode,
       i.country, i.gcode, i.currency, i.unit, count(*) AS items, sum(i.total) AS fen
FROM export_lists AS l JOIN export_list_items AS i ON i.document_id = l.document_id
WHERE l.statistics_flag = 'B' AND l.status IN ('800', '899') AND l.sum_no IS NULL AND l.invt_no IS NOT NULL
  AND l.released_on >= :start AND l.released_on < :end
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
"""


def _sql_groups(path: Path, sql: str) -> list[Any]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, {"start": "2024-05-01", "end": "2024-06-01"}).fetchall()
    finally:
        db.close()


def _from_db(url: str) -> tuple[float, float, SummaryDraft]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            repo = SqlExportRepository(conn)
            load_s, lists = _clock(
                lambda: repo.lists(
                    released_from=date(2024, 5, 1), released_before=date(2024, 6, 1), statuses=("800", "899")
                )
            )
            draft_s, draft = _clock(lambda: draft_declarations(lists, load_keys(), month="2024-05"))
    finally:
        engine.dispose()
    return load_s, draft_s, draft


# ---- main ---------------------------------------------------------------------------------


def _item_groups(draft: SummaryDraft) -> int:
    return sum(len(d.items) for d in draft.declarations)


def main() -> None:
    scale = FULL / LISTS
    gc.disable()  # building the inputs is not measured; the measured phases run with gc on
    build_s, lists = _clock(lambda: _build(LISTS))
    gc.enable()
    gc.collect()
    items = sum(len(e.items) for e in lists)

    memory_s, memory_draft = _clock(lambda: draft_declarations(lists, load_keys(), month="2024-05"))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        insert_s, item_rows = _clock(lambda: _insert(path, lists))
        lists.clear()  # the database phase builds its own objects
        gc.collect()
        db_bytes = path.stat().st_size
        header_sql_s, header_rows = _clock(lambda: _sql_groups(path, HEADER_SQL))
        item_sql_s, item_rows_grouped = _clock(lambda: _sql_groups(path, ITEM_SQL))
        load_s, db_draft_s, db_draft = _from_db(url)

    declarations = len(memory_draft.declarations)
    assert len(db_draft.declarations) == declarations == len(header_rows), (declarations, len(header_rows))
    assert _item_groups(db_draft) == _item_groups(memory_draft) == len(item_rows_grouped)
    assert sum(r[-1] for r in header_rows) == len(memory_draft.invt_nos) == LISTS
    db_total_s = load_s + db_draft_s

    def at_1m(seconds: float) -> float:
        return round(seconds * scale, 1)

    emit(
        "export_summary",
        {
            "lists": LISTS,
            "list_items": items,
            "month": "2024-05",
            "shape": {
                "shippers": SHIPPERS,
                "countries": COUNTRIES,
                "hs_codes": HS_CODES,
                "hs_codes_per_shipper": HS_PER_SHIPPER,
                "currencies": len(CURRENCIES),
                "exit_ports": len(PORTS),
                "flag": B_FLAG,
                "status": "800",
            },
            "declarations": declarations,
            "declaration_items": _item_groups(memory_draft),
            "build_objects_s": round(build_s, 1),
            "a_draft_in_memory_s": round(memory_s, 2),
            "a_lists_per_s": round(LISTS / memory_s),
            "b_insert_sqlite3_executemany_s": round(insert_s, 1),
            "b_item_rows": item_rows,
            "b_sqlite_file_mb": round(db_bytes / 2**20),
            "b_repo_lists_load_s": round(load_s, 2),
            "b_draft_s": round(db_draft_s, 2),
            "b_load_plus_draft_s": round(db_total_s, 2),
            "b_lists_per_s": round(LISTS / db_total_s),
            "baseline_sql_header_group_by_s": round(header_sql_s, 3),
            "baseline_sql_item_group_by_s": round(item_sql_s, 3),
            "b_vs_header_baseline_ratio": round(header_sql_s / db_total_s, 4),
            "b_vs_item_baseline_ratio": round(item_sql_s / db_total_s, 4),
            "a_vs_header_baseline_ratio": round(header_sql_s / memory_s, 4),
            "extrapolated_linearly": LISTS != FULL,
            "a_draft_in_memory_at_1m_s": at_1m(memory_s),
            "b_load_plus_draft_at_1m_s": at_1m(db_total_s),
            "timing": "every phase once; ratio = baseline seconds / our seconds (1.0 would be as fast as SQL)",
        },
    )


if __name__ == "__main__":
    main()
