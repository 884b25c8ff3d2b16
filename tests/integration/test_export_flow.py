"""The 9610 export flow end to end on SQLite and PostgreSQL: order + waybill + list → 120 → 399 →
arrival → 800 → departure → 899, in any arrival order; refusals, cancellations, 9810 warehouse
checks and repeats. Customs is simulated without rejections or inspections here."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from cbec.bootstrap import Platform
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, IntakeResult, ingest_message
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.registry.services import create_enterprise
from cbec.testing.exports import Item, Shipment, arrival, departure, party_inputs

SHIP = date(2024, 5, 6)
ARRIVE = date(2024, 5, 7)
LEAVE = date(2024, 5, 8)

Send = Callable[[Message], IntakeResult]


@pytest.fixture
def send(platform: Platform) -> Send:
    with platform.uow() as uow:
        for data in party_inputs():
            create_enterprise(uow, SYSTEM, data, platform.districts)
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))

    def ingest(message: Message) -> IntakeResult:
        with platform.uow() as uow:
            return ingest_message(uow, SYSTEM, to_xml(message), ctx)

    return ingest


def _status(platform: Platform, shipment: Shipment) -> tuple[str, dict[str, object] | None]:
    with platform.uow(read_only=True) as uow:
        doc = uow.documents.current("CEB603", f"3301A00001|{shipment.cop_no}")
        assert doc is not None
        return doc.status, doc.status_detail


def _projection(platform: Platform, shipment: Shipment) -> tuple[str, date | None, date | None, Decimal]:
    with platform.uow(read_only=True) as uow:
        (found,) = uow.exports.lists(logistics=("3301L00001", shipment.logistics_no))
        return found.status, found.released_on, found.departed_on, found.value


def _messages(shipment: Shipment) -> dict[str, Message]:
    return {
        "order": shipment.order(),
        "waybill": shipment.waybill(),
        "list": shipment.inventory(),
        "arrival": arrival([shipment], ARRIVE, f"AR{shipment.number}"),
        "departure": departure([shipment], LEAVE, f"DP{shipment.number}"),
    }


def test_the_whole_flow_in_order(platform: Platform, send: Send) -> None:
    shipment = Shipment("0001", SHIP, items=[Item("8517130000", "智能手机", "3", "0.335")])
    messages = _messages(shipment)
    assert send(messages["order"]).accepted
    listed = send(messages["list"])
    assert listed.accepted, listed.errors
    assert listed.units[0].status == "waiting"
    assert _status(platform, shipment) == ("waiting", {"missing": ["waybill"]})
    waybill = send(messages["waybill"])
    assert waybill.accepted
    assert _status(platform, shipment) == ("399", None)
    assert _projection(platform, shipment) == ("399", None, None, Decimal("1.01"))
    assert send(messages["arrival"]).accepted
    assert _projection(platform, shipment) == ("800", ARRIVE, None, Decimal("1.01"))
    assert send(messages["departure"]).accepted
    assert _projection(platform, shipment) == ("899", ARRIVE, LEAVE, Decimal("1.01"))
    with platform.uow(read_only=True) as uow:
        doc = uow.documents.current("CEB603", f"3301A00001|{shipment.cop_no}")
        assert doc is not None
        assert doc.keys["invt_no"] == f"29912024E{doc.keys['invt_no'][-9:]}"
        trail = [(r.origin, r.return_status) for r in uow.documents.receipts_of(doc.id)]
        assert trail == [("platform", "120"), ("customs", "399"), ("customs", "800"), ("platform", "899")]
        order = uow.documents.current("CEB303", f"3301P00001|{shipment.order_no}")
        assert order is not None
        assert order.status == "matched"


# Every tenth of the 120 orders: each document comes first, last and in between at least once.
@pytest.mark.parametrize(
    "order", list(itertools.permutations(["order", "waybill", "list", "arrival", "departure"]))[::10]
)
def test_any_arrival_order_ends_the_same(platform: Platform, send: Send, order: tuple[str, ...]) -> None:
    shipment = Shipment("0002", SHIP)
    messages = _messages(shipment)
    for name in order:
        assert send(messages[name]).accepted, name
    assert _projection(platform, shipment) == ("899", ARRIVE, LEAVE, Decimal("300.00"))


def test_a_list_that_disagrees_with_its_order_is_refused(platform: Platform, send: Send) -> None:
    shipment = Shipment("0003", SHIP)
    send(shipment.order())
    send(shipment.waybill())
    other = Shipment("0003", SHIP, items=[Item("8517130000", "平板电脑", "2", "150.00")])
    result = send(other.inventory())
    assert result.accepted  # stored, then refused by the match (receipt 100), as customs would
    status, detail = _status(platform, shipment)
    assert status == "100"
    assert detail == {
        "reasons": [{"code": "match.item_name", "message": "item 1: list gname '平板电脑' ≠ order itemName '智能手机'"}]
    }


def test_cancellation_before_release_and_refusal_after(platform: Platform, send: Send) -> None:
    early, late = Shipment("0004", SHIP), Shipment("0005", SHIP)
    for shipment in (early, late):
        send(shipment.order())
        send(shipment.waybill())
        send(shipment.inventory())
    send(arrival([late], ARRIVE, "AR0005"))
    assert send(early.cancel()).accepted
    assert _projection(platform, early)[0] == "cancelled"
    refused = send(late.cancel())
    assert not refused.accepted
    assert [(e.path, e.code) for e in refused.errors] == [("InvtCancel[0]", "rule.already_released")]
    assert _projection(platform, late)[0] == "800"


def test_repeats_change_nothing(platform: Platform, send: Send, count_rows: Callable[[str], int]) -> None:
    shipment = Shipment("0006", SHIP)
    messages = [*list(_messages(shipment).values()), shipment.receipt_of_payment()]
    for message in messages:
        assert send(message).accepted
    tables = ("documents", "receipts", "export_lists", "export_list_items", "parcel_events")
    before = {name: count_rows(name) for name in tables}
    for message in messages:
        again = send(message)
        assert again.accepted
        assert again.repeat
    assert {name: count_rows(name) for name in tables} == before
    assert _projection(platform, shipment) == ("899", ARRIVE, LEAVE, Decimal("300.00"))


def test_a_9810_list_needs_a_filed_warehouse(platform: Platform, send: Send, count_rows: Callable[[str], int]) -> None:
    shipment = Shipment("0007", SHIP, trade_mode="9810", items=[Item("851713", "智能手机", "2", "150.00")])
    shipment.warehouse_no = "HWC330100202499999"
    before = count_rows("documents")
    refused = send(shipment.inventory())
    assert not refused.accepted
    assert [(e.path, e.code) for e in refused.errors] == [
        ("Inventory[0]/InventoryHead/warehouseFilingNo", "registry.unfiled_warehouse")
    ]
    assert count_rows("documents") == before
    missing = send(shipment.inventory(warehouseFilingNo=""))
    assert [(e.path, e.code) for e in missing.errors] == [
        ("Inventory[0]/InventoryHead/warehouseFilingNo", "rule.warehouse_required")
    ]
