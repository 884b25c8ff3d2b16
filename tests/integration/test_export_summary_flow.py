"""汇总申报 end to end on SQLite and PostgreSQL: a month of released lists → CEB701 applications
→ simulated CEB792 → every B list item carries its declaration; A lists never summarised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from cbec.bootstrap import Platform
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, IntakeResult, ingest_message
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.services import summary_applications, summary_overview
from cbec.identity.model import SYSTEM
from cbec.registry.services import create_enterprise
from cbec.testing.exports import Item, Shipment, arrival, party_inputs

PHONE = Item("8517130000", "智能手机", "2", "150.00")
CASE = Item("4202920000", "手机壳", "10", "3.50", unit="011")
SHOES = Item("6404110000", "运动鞋", "1", "40.00", currency="502", country="303")

# (number, shipper, destination, flag, items): two shippers, two destinations, A and B, CNY and USD.
PLAN = [
    ("101", "3301E00001", "502", "B", [PHONE, CASE]),
    ("102", "3301E00001", "502", "B", [PHONE]),
    ("103", "3301E00001", "303", "B", [PHONE]),
    ("104", "3301E00001", "502", "A", [PHONE]),
    ("105", "3301E00002", "502", "B", [SHOES]),
    ("106", "3301E00002", "502", "B", [PHONE, SHOES]),
]
MAY = date(2024, 5, 10)

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

    shipments = []
    for number, ebc, country, flag, items in PLAN:
        currencies = {i.currency for i in items}
        currency = currencies.pop() if len(currencies) == 1 else "142"  # a mixed order is kept in CNY
        shipment = Shipment(number, MAY, ebc=ebc, owner=ebc, country=country, flag=flag, items=items, currency=currency)
        shipments.append(shipment)
        for message in (shipment.order(), shipment.waybill(), shipment.inventory()):
            assert ingest(message).accepted
    assert ingest(arrival(shipments, date(2024, 5, 11), "AR-MAY")).accepted
    return ingest


def _overview(platform: Platform) -> dict[str, object]:
    with platform.uow(read_only=True) as uow:
        return summary_overview(
            uow, SYSTEM, "2024-05", keys=platform.summary_keys, calendar=platform.calendar, today=date(2024, 6, 1)
        )


def test_a_month_summarises_and_maps_back(platform: Platform, send: Send) -> None:
    before = _overview(platform)
    assert before["deadline"] == {"nominal": "2024-06-15", "due": "2024-06-17"}  # 15 June 2024 was a Saturday
    assert (before["pending_b_lists"], before["reminder"], before["overdue"]) == (5, True, False)
    with platform.uow(read_only=True) as uow:
        applications = summary_applications(uow, SYSTEM, "2024-05")
    # One application per shipper (both use the same agent and customs).
    assert [(m.units[0].head["ebcCode"], len(m.units[0].lists["SummaryApplyList"])) for m in applications] == [
        ("3301E00001", 3),
        ("3301E00002", 2),
    ]
    for message in applications:
        assert send(message).accepted
        assert send(message).repeat
    after = _overview(platform)
    assert after["pending_b_lists"] == 0
    first, second = after["enterprises"]  # type: ignore[misc]
    assert [s["state"] for s in first["summaries"]] == ["declared"]
    assert first["summaries"][0]["declarations"] == 2  # to 502 and to 303
    assert second["summaries"][0]["declarations"] == 1  # one destination; items split by HS and currency
    with platform.uow(read_only=True) as uow:
        lists = uow.exports.lists(statuses=("800",))
        b_items = [(x.invt_no, i.gnum, i.entry_id) for x in lists if x.statistics_flag == "B" for i in x.items]
        a_items = [i.entry_id for x in lists if x.statistics_flag == "A" for i in x.items]
        assert len(b_items) == 7
        assert all(entry for _, _, entry in b_items)
        assert a_items == [None]
        by_list = {x.cop_no: {i.entry_id for i in x.items} for x in lists if x.statistics_flag == "B"}
        assert by_list["EC101"] == by_list["EC102"]  # same header keys: one declaration
        assert by_list["EC101"] != by_list["EC103"]  # another destination: another declaration


def test_an_application_naming_an_a_list_is_refused(platform: Platform, send: Send) -> None:
    with platform.uow(read_only=True) as uow:
        (a_list,) = [x for x in uow.exports.lists() if x.statistics_flag == "A"]
        applications = summary_applications(uow, SYSTEM, "2024-05")
    message = applications[0]
    message.units[0].lists["SummaryApplyList"].append({"gnum": "4", "invtNo": a_list.invt_no or ""})
    refused = send(message)
    assert not refused.accepted
    assert [(e.path, e.code) for e in refused.errors] == [
        ("SummaryApply[0]/SummaryApplyList[3]/invtNo", "rule.summary_list")
    ]
    with platform.uow(read_only=True) as uow:
        assert uow.exports.summaries() == []
        assert all(x.sum_no is None for x in uow.exports.lists())
