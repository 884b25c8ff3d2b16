"""The fact table kept by the outbox on SQLite and PostgreSQL: every released list of the demo is
counted once, its CNY value equals the exchange's own tables, and sending every demo message
again (shuffled) leaves every metric of the catalog unchanged."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.demo.exports import export_stream
from cbec.demo.imports import channels, import_stream
from cbec.demo.rates import DEMO_RATES
from cbec.demo.traffic import record_demo_returns, seed_export_parties, seed_traffic
from cbec.exchange.intake import ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.refresh import open_lines, refresh
from cbec.stats.services import run
from cbec.storage import tables as t

SEED = 20241101


def _all_metrics(platform: Platform) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with open_lines(platform) as lines:
        for name, metric in CATALOG.items():
            found[name] = run(lines, SYSTEM, name, Scope(), None).rows
            extra = tuple(d for d in ("city", "code", "direction") if d in metric.allowed_by)
            if extra:
                found[f"{name}/{','.join(extra)}"] = run(lines, SYSTEM, name, Scope(), extra).rows
    return found


def _released_from_exchange(platform: Platform) -> tuple[int, Decimal]:
    """Released lists and their CNY value straight from the exchange tables (USD at the demo rate)."""
    rate = DEMO_RATES[0].cny_per_unit
    D, L, LI = t.documents.c, t.export_lists.c, t.export_list_items.c  # noqa: N806
    with platform.uow(read_only=True) as uow:
        conn = uow.stats.conn
        exports = conn.execute(
            select(LI.currency, func.sum(LI.total), func.count(func.distinct(L.document_id)))
            .join(t.export_lists, L.document_id == LI.document_id)
            .where(L.status.in_(("800", "899")), L.released_on.is_not(None))
            .group_by(LI.currency)
        ).all()
        imports = conn.execute(
            select(D.id, D.body).where(D.message_type == "CEB621", D.is_current, D.status.in_(("800", "899")))
        ).all()
    lists = sum(n for _, _, n in exports) + len(imports)
    total = sum(((v if c == "142" else v * rate) for c, v, _ in exports), Decimal(0))
    for _, body in imports:
        for rows in json.loads(body)["lists"].values():
            for row in rows:
                value = Decimal(row["totalPrice"])
                total += value if row.get("currency", "142") == "142" else value * rate
    return lists, total.quantize(Decimal("0.01"))


def test_demo_counted_once_and_resending_changes_no_metric(platform: Platform) -> None:
    ctx = platform.intake_context()
    seed_traffic(platform.uow, platform.districts, ctx, size="small", seed=SEED)
    with platform.uow() as uow:
        uow.stats.load_rates(DEMO_RATES, uow.clock.now())
        uow.commit()
    first = refresh(platform)
    assert first.lists > 0
    generation = platform.analytics.generation()
    assert refresh(platform).lists == 0  # nothing changed: nothing rebuilt, cached pages stay valid
    assert platform.analytics.generation() == generation

    lists, value = _released_from_exchange(platform)
    with open_lines(platform) as lines:
        totals = run(lines, SYSTEM, "trade_value", Scope(), ()).records()
        counted = run(lines, SYSTEM, "list_count", Scope(), ()).records()
    assert counted == [{"lists": lists}]
    assert totals[0]["value"] == value
    assert totals[0]["unconverted_lines"] == 0
    before = _all_metrics(platform)

    exporters, warehouses = seed_export_parties(platform.uow, platform.districts, SEED)
    messages = [to_xml(m) for m in import_stream(channels(platform.districts), size="small", seed=SEED)]
    messages += [to_xml(m) for m in export_stream(exporters, size="small", seed=SEED, warehouse_nos=warehouses)]
    random.Random(3).shuffle(messages)
    for data in messages:
        with platform.uow() as uow:
            result = ingest_message(uow, SYSTEM, data, ctx)
        # The demo injects faulty messages: refused the first time, refused again; all else repeats.
        assert result.repeat or not result.accepted
    record_demo_returns(platform.uow)
    refresh(platform)
    assert _all_metrics(platform) == before
    with platform.uow(read_only=True) as uow:
        assert uow.stats.backlog() == 0
