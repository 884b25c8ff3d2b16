"""1,000 lists of one buyer taken in concurrently never push the buyer's year past 26,000
(PostgreSQL: the ledger row lock is what makes this hold across connections)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from itertools import islice

import pytest
from sqlalchemy import create_engine, func, select
from stdnum.cn import ric

from cbec.bootstrap import Platform
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.model import Message, Unit
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import tables as t

PARCELS = 1_000
THREADS = 24
CHANNEL = channels(load_districts())[0]
TEMPLATE = list(islice(import_stream([CHANNEL], size="small", months=1), 4))
BUYER_BODY = "33010619900101123"
BUYER = BUYER_BODY + ric.calc_check_digit(BUYER_BODY)
SPACE = uuid.UUID("0d6c3c1e-8a52-4f0e-9b43-5b7f1d2c9e11")


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(SPACE, "|".join(map(str, parts)))).upper()


def _parcel(n: int) -> list[bytes]:
    """Order, payment, waybill and list of parcel ``n``: one 100.00 item, no freight, same buyer."""
    order, payment, waybill, listing = (m.units[0].head for m in TEMPLATE)
    numbers = {"orderNo": f"OC{n:08d}", "payTransactionId": f"PC{n:010d}", "logisticsNo": f"LC{n:08d}"}
    person = {"buyerIdNumber": BUYER, "buyerName": "并发买家", "buyerTelephone": "13900000000"}
    place = {"consignee": "并发买家", "consigneeTelephone": "13900000000", "consigneeAddress": "并发收 示例路3号"}
    item = {"gnum": "1", "itemNo": "SKU210690", "itemName": "复合维生素片 120粒", "gmodel": "1|零售包装"}
    money = {"qty": "1", "price": "100.00", "totalPrice": "100.00", "currency": "142", "country": "609"}
    heads = [
        order
        | {k: numbers[k] for k in ("orderNo", "payTransactionId")}
        | {"goodsValue": "100.00", "freight": "0", "taxTotal": "0", "discount": "0", "acturalPaid": "100.00"}
        | person
        | place,
        payment
        | {k: numbers[k] for k in ("orderNo", "payTransactionId")}
        | {"amountPaid": "100.00", "payerIdNumber": BUYER, "payerName": "并发买家"},
        waybill | {k: numbers[k] for k in ("orderNo", "logisticsNo")} | {"freight": "0"} | place,
        listing
        | {k: numbers[k] for k in ("orderNo", "logisticsNo")}
        | {"copNo": f"CC{n:08d}", "freight": "0", "insuredFee": "0", "declTime": "20240610"}
        | {"appTime": "20240610120000", "consigneeAddress": place["consigneeAddress"]}
        | person,
    ]
    lists: list[dict[str, list[dict[str, str]]]] = [
        {"OrderList": [item | {"unit": "140"} | money]},
        {},
        {},
        {"InventoryList": [item | {"gcode": "2106909090", "gname": item["itemName"], "unit": "140"} | money
                           | {"qty1": "1", "unit1": "140"}]},
    ]  # fmt: skip
    return [
        to_xml(
            Message(tpl.type, _guid(n, tpl.type), tpl.version, [Unit(head | {"guid": _guid(n, "h", tpl.type)}, rows)])
        )
        for tpl, head, rows in zip(TEMPLATE, heads, lists, strict=True)
    ]


@pytest.fixture
def pooled(platform: Platform) -> Iterator[Platform]:
    """The same database through an engine with a connection per thread."""
    engine = create_engine(platform.settings.database_url, pool_size=THREADS, max_overflow=0)
    try:
        yield Platform(platform.settings, engine, platform.districts, platform.clock)
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_concurrent_lists_of_one_buyer_never_pass_the_annual_limit(pooled: Platform) -> None:
    for enterprise in channel_enterprises(CHANNEL):
        with pooled.uow() as uow:
            create_enterprise(uow, SYSTEM, enterprise, pooled.districts)
    base = pooled.intake_context()
    ctx = IntakeContext(base.protector, SimulatedCustoms(SimulationRates(0, 0)), base.tolerance)
    parcels = [_parcel(n) for n in range(PARCELS)]
    for order, payment, waybill, _ in parcels:
        for data in (order, payment, waybill):
            with pooled.uow() as uow:
                assert ingest_message(uow, SYSTEM, data, ctx).accepted

    def take(data: bytes) -> bool:
        with pooled.uow() as uow:
            return ingest_message(uow, SYSTEM, data, ctx).accepted

    with ThreadPoolExecutor(THREADS) as pool:
        accepted = list(pool.map(take, [p[3] for p in parcels]))
    assert accepted == [True] * PARCELS

    d, e = t.documents.c, t.ledger_entries.c
    with pooled.engine.connect() as conn:
        lists = list(conn.execute(select(d.status, d.status_detail).where(d.message_type == "CEB621")))
        used = conn.execute(select(t.buyer_ledger.c.used)).scalars().all()
        entries = conn.execute(select(e.kind, func.count(), func.sum(e.amount)).group_by(e.kind)).all()
        taxed = conn.execute(select(func.count()).select_from(t.tax_assessments)).scalar_one()
    assert used == [Decimal("26000.00")]
    assert Counter(status for status, _ in lists) == Counter({"800": 260, "100": 740})
    refused = [detail for status, detail in lists if status == "100"]
    assert all('"code": "tax.general_trade"' in detail for detail in refused)
    assert [(kind, n, total) for kind, n, total in entries] == [("charge", 260, Decimal("26000.00"))]
    assert taxed == 260
