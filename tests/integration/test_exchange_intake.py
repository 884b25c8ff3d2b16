"""Message intake end to end on real SQLite and PostgreSQL: versions, repeats, registry checks,
the three-document match in any arrival order, tax to the fen and the buyer's annual ledger.

Parcels are built from the demo import traffic (the first channel's first parcel is the
template); each test changes only what it is about. Customs is simulated without rejections or
inspections here, so a list that passes the platform's checks always ends 399 → 800.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from cbec.bootstrap import Platform
from cbec.demo.imports import ImportChannel, channel_enterprises, channels, import_stream
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, IntakeResult, ingest_message
from cbec.exchange.model import Message, Unit
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import tables as t

D = t.documents.c
ALL_TABLES = ("documents", "receipts", "tax_assessments", "buyer_ledger", "ledger_entries", "audit_events")
NAMES = ("order", "payment", "waybill", "list")
GUID_SPACE = uuid.UUID("6f1b2f7e-3c1d-4c55-9d2e-1f0a7d6b9c01")
# 精华液 (13 % VAT + 15 % CT) and 麦卢卡蜂蜜 (9 % VAT): both rates are in exchange/data/hs_rates.csv.
SERUM = ("精华液 30ml", "3304990099", 1, Decimal("500.00"))
HONEY = ("麦卢卡蜂蜜 250g", "0409000000", 1, Decimal("200.00"))
MILK = ("婴幼儿配方奶粉 900g", "1901101000", 1, Decimal("5000.00"))


def _buyer_id(n: int) -> str:
    body = f"330106199001{n % 100:02d}{n % 1000:03d}"[:17]
    return body + ric.calc_check_digit(body)


CHANNEL: ImportChannel = channels(load_districts())[0]
TEMPLATE: list[Message] = list(islice(import_stream([CHANNEL], size="small", months=1), 4))


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(GUID_SPACE, "|".join(map(str, parts)))).upper()


@dataclass
class Parcel:
    """The four messages of one parcel, keyed by name, plus what identifies them."""

    n: int
    messages: dict[str, Message]

    @property
    def order_no(self) -> str:
        return self.messages["order"].units[0].head["orderNo"]

    @property
    def list_key(self) -> str:
        head = self.messages["list"].units[0].head
        return f"{head['agentCode']}|{head['copNo']}"

    def xml(self, name: str) -> bytes:
        return to_xml(self.messages[name])


def _rows(items: list[tuple[str, str, int, Decimal]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    ordered, listed = [], []
    for i, (name, gcode, qty, price) in enumerate(items):
        total = str((price * qty).quantize(Decimal("0.01")))
        common = {"gnum": str(i + 1), "itemNo": f"SKU{gcode[:6]}", "itemName": name, "gmodel": "1|零售包装"}
        ordered.append(
            common | {"unit": "122", "qty": str(qty), "price": str(price), "totalPrice": total}
            | {"currency": "142", "country": "609"}
        )  # fmt: skip
        listed.append(
            common
            | {"gcode": gcode, "gname": name, "country": "609", "currency": "142", "qty": str(qty), "unit": "122"}
            | {"qty1": str(qty), "unit1": "122", "price": str(price), "totalPrice": total}
        )
    return ordered, listed


def make_parcel(
    n: int,
    *,
    items: list[tuple[str, str, int, Decimal]] | None = None,
    freight: str = "10.00",
    buyer: int = 1,
    waybill_address: str | None = None,
    decl_date: str = "20240315",
) -> Parcel:
    """Parcel ``n`` (unique numbers and guids) for buyer ``buyer``, with the given items."""
    items = items or [SERUM, HONEY]
    order, payment, waybill, listing = (m.units[0].head for m in TEMPLATE)
    ordered, listed = _rows(items)
    goods = sum((price * qty for _, _, qty, price in items), Decimal(0))
    paid = str((goods + Decimal(freight)).quantize(Decimal("0.01")))
    numbers = {
        "orderNo": f"OT{n:08d}",
        "payTransactionId": f"PT{n:010d}",
        "logisticsNo": f"LT{n:08d}",
    }
    person = {"id": _buyer_id(buyer), "name": "测试买家", "phone": "13800000000", "address": "测试收 示例路1号"}
    heads = {
        "order": order
        | {k: numbers[k] for k in ("orderNo", "payTransactionId")}
        | {"goodsValue": str(goods), "freight": freight, "acturalPaid": paid, "taxTotal": "0", "discount": "0"}
        | {"buyerIdNumber": person["id"], "buyerName": person["name"], "buyerTelephone": person["phone"]}
        | {"consignee": person["name"], "consigneeTelephone": person["phone"], "consigneeAddress": person["address"]},
        "payment": payment
        | {k: numbers[k] for k in ("orderNo", "payTransactionId")}
        | {"amountPaid": paid, "payerIdNumber": person["id"], "payerName": person["name"]},
        "waybill": waybill
        | {k: numbers[k] for k in ("orderNo", "logisticsNo")}
        | {"freight": freight, "consignee": person["name"], "consigneeTelephone": person["phone"]}
        | {"consigneeAddress": waybill_address or person["address"]},
        "list": listing
        | {k: numbers[k] for k in ("orderNo", "logisticsNo")}
        | {"copNo": f"CT{n:08d}", "freight": freight, "insuredFee": "0", "declTime": decl_date}
        | {"buyerIdNumber": person["id"], "buyerName": person["name"], "buyerTelephone": person["phone"]}
        | {"consigneeAddress": person["address"], "appTime": decl_date + "100000"},
    }
    lists = {"order": {"OrderList": ordered}, "payment": {}, "waybill": {}, "list": {"InventoryList": listed}}
    messages = {}
    for name, template in zip(NAMES, TEMPLATE, strict=True):
        head = heads[name] | {"guid": _guid(n, name, "head")}
        messages[name] = Message(template.type, _guid(n, name), template.version, [Unit(head, lists[name])])
    return Parcel(n, messages)


def variant(message: Message, tag: str, **changes: str) -> Message:
    """The same document with a fresh head guid and message guid, and ``changes`` in its head."""
    unit = message.units[0]
    head = unit.head | {"guid": _guid(message.guid, tag, "head")} | changes
    return Message(message.type, _guid(message.guid, tag), message.version, [Unit(head, unit.lists)])


def cancellation(parcel: Parcel, invt_no: str) -> Message:
    """CEB623 for the parcel's list, naming the list number customs assigned."""
    lh = parcel.messages["list"].units[0].head
    names = ("orderNo", "ebpCode", "ebpName", "ebcCode", "ebcName", "logisticsNo", "logisticsCode", "logisticsName")
    head = {
        "guid": _guid(parcel.n, "cancel", "head"),
        "appType": "1",
        "appTime": lh["appTime"],
        "appStatus": "2",
        "customsCode": lh["customsCode"],
        **{k: lh[k] for k in names},
        "copNo": lh["copNo"],
        "invtNo": invt_no,
        **{k: lh[k] for k in ("buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone")},
        "agentCode": lh["agentCode"],
        "agentName": lh["agentName"],
        "reason": "买家取消订单",
    }
    return Message("CEB623", _guid(parcel.n, "cancel"), "1.0", [Unit(head)])


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def ctx(platform: Platform) -> IntakeContext:
    """The platform's intake context with a customs that releases every list (399, 800)."""
    base = platform.intake_context()
    return IntakeContext(base.protector, SimulatedCustoms(SimulationRates(0, 0)), base.tolerance)


@pytest.fixture
def registered(platform: Platform) -> Platform:
    """The first demo channel's platform, payment, logistics and agent enterprises, registered."""
    for data in channel_enterprises(CHANNEL):
        with platform.uow() as uow:
            create_enterprise(uow, SYSTEM, data, platform.districts)
    return platform


Send = Callable[[Message | bytes], IntakeResult]


@pytest.fixture
def send(registered: Platform, ctx: IntakeContext) -> Send:
    def go(message: Message | bytes) -> IntakeResult:
        data = message if isinstance(message, bytes) else to_xml(message)
        with registered.uow() as uow:
            return ingest_message(uow, SYSTEM, data, ctx, source="test")

    return go


def snapshot(platform: Platform) -> dict[str, int]:
    with platform.engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar_one())
            for name in ALL_TABLES
        }


def documents(platform: Platform, message_type: str, key: str | None = None) -> list[Any]:
    query = select(t.documents).where(D.message_type == message_type).order_by(D.version)
    if key is not None:
        query = query.where(D.business_key == key)
    with platform.engine.connect() as conn:
        return list(conn.execute(query))


def list_row(platform: Platform, parcel: Parcel) -> Any:
    rows = [r for r in documents(platform, "CEB621", parcel.list_key) if r.is_current]
    assert len(rows) == 1
    return rows[0]


def detail(row: Any) -> Any:
    return json.loads(row.status_detail) if row.status_detail else None


def tax_row(platform: Platform, document_id: int) -> Any:
    with platform.engine.connect() as conn:
        return conn.execute(select(t.tax_assessments).where(t.tax_assessments.c.document_id == document_id)).one()


def ledger(platform: Platform) -> list[tuple[int, Decimal]]:
    with platform.engine.connect() as conn:
        return [(r.year, r.used) for r in conn.execute(select(t.buyer_ledger).order_by(t.buyer_ledger.c.year))]


def receipts(platform: Platform, document_id: int) -> list[tuple[str, str]]:
    r = t.receipts.c
    with platform.engine.connect() as conn:
        rows = conn.execute(select(r.origin, r.return_status).where(r.document_id == document_id).order_by(r.id))
        return [(row.origin, row.return_status) for row in rows]


def events(platform: Platform, action: str) -> int:
    a = t.audit_events.c
    with platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(a.action == action)).scalar_one())


def errors_of(result: IntakeResult) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in result.errors]


# Hand-computed tax of the SERUM + HONEY parcel with freight 10 (DOMAIN §4; each item on its value
# plus its share of the freight by value, each tax rounded to the fen after the 70 % factor):
#   serum: share 10 × 500/700 = 7.14 → value 507.14; CT = 507.14 / 0.85 × 0.15 × 0.7 = 62.6467… → 62.65;
#          VAT = (507.14 + 89.49529…) × 0.13 × 0.7 = 54.2938… → 54.29
#   honey: share 2.86 → value 202.86; VAT = 202.86 × 0.09 × 0.7 = 12.7801… → 12.78
EXPECTED_CT, EXPECTED_VAT, EXPECTED_TAX = Decimal("62.65"), Decimal("67.07"), Decimal("129.72")


# ---- arrival order ---------------------------------------------------------------------------


def test_every_arrival_order_ends_the_same(platform: Platform, send: Send) -> None:
    """All 24 permutations of (order, payment, waybill, list), one parcel each, same buyer."""
    outcomes = set()
    for n, order in enumerate(itertools.permutations(NAMES), start=1):
        parcel = make_parcel(n)
        arrived: list[str] = []
        for name in order:
            result = send(parcel.messages[name])
            assert result.accepted, result.errors
            arrived.append(name)
            if "list" in arrived and len(arrived) < 4:
                row = list_row(platform, parcel)
                assert row.status == "waiting"
                assert detail(row) == {"missing": [m for m in NAMES[:3] if m not in arrived]}
        row = list_row(platform, parcel)
        tax = tax_row(platform, row.id)
        outcomes.add((row.status, tax.channel, tax.dutiable_value, tax.consumption_tax, tax.vat, tax.total_tax))
        assert receipts(platform, row.id) == [("platform", "120"), ("customs", "399"), ("customs", "800")]
        for name in NAMES[:3]:
            (partner,) = [r for r in documents(platform, parcel.messages[name].type) if r.order_no == parcel.order_no]
            assert (partner.status, detail(partner)) == ("matched", {"list": row.id})
    assert outcomes == {("800", "retail", Decimal("710.00"), EXPECTED_CT, EXPECTED_VAT, EXPECTED_TAX)}
    assert ledger(platform) == [(2024, Decimal("710.00") * 24)]
    assert snapshot(platform)["documents"] == 96
    assert snapshot(platform)["tax_assessments"] == 24


# ---- repeats and versions --------------------------------------------------------------------


def test_the_same_message_twice_is_a_repeat(platform: Platform, send: Send) -> None:
    parcel = make_parcel(1)
    first = send(parcel.messages["order"])
    assert first.accepted
    assert [(u.action, u.version, u.status) for u in first.units] == [("stored", 1, "received")]
    before, repeats = snapshot(platform), events(platform, "document.repeat")
    second = send(parcel.messages["order"])
    assert second.accepted
    assert second.repeat
    assert [(u.action, u.document_id, u.version) for u in second.units] == [("repeat", first.units[0].document_id, 1)]
    after = snapshot(platform)
    assert after == before | {"audit_events": before["audit_events"] + 1}
    assert events(platform, "document.repeat") == repeats + 1


def test_change_and_withdrawal_keep_every_version(platform: Platform, send: Send) -> None:
    parcel = make_parcel(1)
    order = parcel.messages["order"]
    key = f"{order.units[0].head['ebpCode']}|{parcel.order_no}"
    assert send(order).accepted
    changed = send(variant(order, "v2", appType="2", consigneeAddress="测试收 示例路2号"))
    assert changed.accepted
    assert [(u.action, u.version, u.business_key) for u in changed.units] == [("changed", 2, key)]
    rows = documents(platform, "CEB311", key)
    assert [(r.version, r.app_type, r.is_current, r.withdrawn) for r in rows] == [
        (1, "1", False, False),
        (2, "2", True, False),
    ]
    assert json.loads(rows[0].body)["head"]["consigneeAddress"] == "测试收 示例路1号"
    assert json.loads(rows[1].body)["head"]["consigneeAddress"] == "测试收 示例路2号"
    withdrawn = send(variant(order, "v3", appType="3"))
    assert withdrawn.accepted
    assert [(u.action, u.version, u.status) for u in withdrawn.units] == [("withdrawn", 3, "withdrawn")]
    rows = documents(platform, "CEB311", key)
    assert [(r.version, r.app_type, r.is_current, r.withdrawn, r.status) for r in rows] == [
        (1, "1", False, False, "received"),
        (2, "2", False, False, "received"),
        (3, "3", True, True, "withdrawn"),
    ]


def test_declaring_an_existing_key_again_is_refused(platform: Platform, send: Send) -> None:
    order = make_parcel(1).messages["order"]
    assert send(order).accepted
    before = snapshot(platform)
    again = send(variant(order, "again"))
    assert not again.accepted
    assert errors_of(again) == [("Order[0]/appType", "rule.already_declared")]
    assert again.units == []
    assert snapshot(platform) == before


def test_unknown_sender_is_refused_and_nothing_is_stored(platform: Platform, send: Send) -> None:
    order = make_parcel(1).messages["order"]
    before = snapshot(platform)
    result = send(variant(order, "stranger", ebcCode="9999EC0001"))
    assert not result.accepted
    assert errors_of(result) == [("Order[0]/OrderHead/ebcCode", "registry.unknown_sender")]
    assert snapshot(platform) == before


def test_a_party_in_the_wrong_role_is_refused(platform: Platform, send: Send) -> None:
    waybill = make_parcel(1).messages["waybill"]
    before = snapshot(platform)
    result = send(variant(waybill, "payer-as-carrier", logisticsCode=CHANNEL.payment.code))
    assert not result.accepted
    assert errors_of(result) == [("Logistics[0]/LogisticsHead/logisticsCode", "registry.wrong_role")]
    assert snapshot(platform) == before


# ---- match, tax and the ledger ---------------------------------------------------------------


def test_a_consignee_address_mismatch_refuses_the_list(platform: Platform, send: Send) -> None:
    parcel = make_parcel(1, waybill_address="别人收 另一路9号")
    for name in NAMES:
        assert send(parcel.messages[name]).accepted
    row = list_row(platform, parcel)
    assert row.status == "100"
    assert [r["code"] for r in detail(row)["reasons"]] == ["match.consignee_address"]
    assert receipts(platform, row.id) == [("platform", "100")]
    assert snapshot(platform)["tax_assessments"] == 0
    assert ledger(platform) == []


def test_tax_of_a_passed_list_to_the_fen_and_the_ledger_charge(platform: Platform, send: Send) -> None:
    parcel = make_parcel(1)
    for name in NAMES:
        assert send(parcel.messages[name]).accepted
    row = list_row(platform, parcel)
    assert row.status == "800"
    tax = tax_row(platform, row.id)
    assert (tax.channel, tax.dutiable_value, tax.customs_duty) == ("retail", Decimal("710.00"), Decimal("0.00"))
    assert (tax.consumption_tax, tax.vat, tax.total_tax) == (EXPECTED_CT, EXPECTED_VAT, EXPECTED_TAX)
    items = json.loads(tax.detail)["items"]
    assert [(i["gcode"], i["share_of_freight"]) for i in items] == [("3304990099", "7.14"), ("0409000000", "2.86")]
    assert ledger(platform) == [(2024, tax.dutiable_value)]
    e = t.ledger_entries.c
    with platform.engine.connect() as conn:
        entries = [(r.kind, r.amount) for r in conn.execute(select(e.kind, e.amount).where(e.document_id == row.id))]
    assert entries == [("charge", Decimal("710.00"))]


def test_cancelling_a_passed_list_gives_the_charge_back(platform: Platform, send: Send) -> None:
    parcel = make_parcel(1)
    for name in NAMES:
        assert send(parcel.messages[name]).accepted
    row = list_row(platform, parcel)
    assert row.status == "800"
    assert row.invt_no
    assert ledger(platform) == [(2024, Decimal("710.00"))]
    result = send(cancellation(parcel, row.invt_no))
    assert result.accepted, result.errors
    row = list_row(platform, parcel)
    assert (row.status, detail(row)) == ("cancelled", {"by": "CEB623"})
    assert ledger(platform) == [(2024, Decimal("0.00"))]
    e = t.ledger_entries.c
    with platform.engine.connect() as conn:
        entries = [(r.kind, r.amount) for r in conn.execute(select(e.kind, e.amount).order_by(e.id))]
    assert entries == [("charge", Decimal("710.00")), ("reversal", Decimal("-710.00"))]
    # the cancellation sent again changes nothing
    assert send(cancellation(parcel, row.invt_no)).repeat
    assert ledger(platform) == [(2024, Decimal("0.00"))]


def test_over_the_annual_limit_is_general_trade(platform: Platform, send: Send) -> None:
    for n in range(1, 6):  # 5 × 5,000.00 = 25,000.00 used
        parcel = make_parcel(n, items=[MILK], freight="0")
        for name in NAMES:
            assert send(parcel.messages[name]).accepted
        assert list_row(platform, parcel).status == "800"
    assert ledger(platform) == [(2024, Decimal("25000.00"))]
    before = snapshot(platform)
    parcel = make_parcel(6, items=[("婴幼儿配方奶粉 900g", "1901101000", 3, Decimal("500.00"))], freight="0")
    for name in NAMES:
        assert send(parcel.messages[name]).accepted
    row = list_row(platform, parcel)
    assert row.status == "100"
    assert [r["code"] for r in detail(row)["reasons"]] == ["tax.general_trade"]
    assert receipts(platform, row.id) == [("platform", "100")]
    assert ledger(platform) == [(2024, Decimal("25000.00"))]
    after = snapshot(platform)
    assert (after["tax_assessments"], after["ledger_entries"]) == (before["tax_assessments"], 5)


def test_a_cancellation_naming_no_declared_list_is_refused(platform: Platform, send: Send) -> None:
    parcel = make_parcel(7, items=[SERUM])
    before = snapshot(platform)
    result = send(cancellation(parcel, "29002024I000000001"))
    assert not result.accepted
    assert errors_of(result) == [("InvtCancel[0]", "rule.no_such_list")]
    assert snapshot(platform) == before


def test_an_enterprise_user_may_send_only_what_its_enterprise_sends(platform: Platform, send: Send) -> None:
    parcel = make_parcel(8, items=[SERUM])
    with platform.uow(read_only=True) as uow:
        platform_firm = uow.enterprises.by_customs_codes([CHANNEL.platform.code])[CHANNEL.platform.code]
    clerk = Principal(99, "clerk", Role.ENTERPRISE, enterprise_id=platform_firm.id)
    with platform.uow() as uow:  # the platform files its own order …
        assert ingest_message(uow, clerk, to_xml(parcel.messages["order"]), platform.intake_context()).accepted
    with platform.uow() as uow:  # … but not the payment company's payment, which merely names it
        refused = ingest_message(uow, clerk, to_xml(parcel.messages["payment"]), platform.intake_context())
    assert errors_of(refused) == [("message", "permission.sender")]


def test_customs_receipts_come_only_from_the_gateway(platform: Platform, send: Send) -> None:
    parcel = make_parcel(9, items=[SERUM])
    lh = parcel.messages["list"].units[0].head
    receipt = Message(
        "CEB622",
        _guid(9, "r"),
        "1.0",
        [
            Unit(
                {
                    "guid": _guid(9, "r", "head"),
                    "ebpCode": lh["ebpCode"],
                    "ebcCode": lh["ebcCode"],
                    "agentCode": lh["agentCode"],
                    "copNo": lh["copNo"],
                    "returnStatus": "800",
                    "returnTime": "20240315120000000",
                    "returnInfo": "放行",
                }
            )
        ],
    )
    officer = Principal(7, "officer", Role.CITY_ADMIN, city_code=CHANNEL.city_code)
    before = snapshot(platform)
    with platform.uow() as uow:
        result = ingest_message(uow, officer, to_xml(receipt), platform.intake_context())
    assert errors_of(result) == [("message", "permission.receipt")]
    assert snapshot(platform) == before
