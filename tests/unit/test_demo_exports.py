"""The export demo stream: reproducible, valid message by message, and carrying exactly the
anomalies it documents (no receipts, no departures, one December spike)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from cbec.demo.exports import (
    NO_DEPARTURES,
    NO_RECEIPTS,
    SIZES,
    VOLUME_SPIKE,
    ExportChannel,
    export_anomalies,
    export_channel_enterprises,
    export_channels,
    export_stream,
    spike_month,
)
from cbec.demo.imports import channel_enterprises, channels
from cbec.exchange.export_rules import B2B_LIST_LIMIT
from cbec.exchange.model import Message
from cbec.exchange.senders import ROLE_OF_FIELD
from cbec.exchange.spec import spec_for
from cbec.exchange.validation import validate
from cbec.kernel.ids import customs_code_problem, uscc_problem
from cbec.registry.districts import load_districts
from cbec.registry.model import validate_enterprise

WAREHOUSES = ("HWC330100202400001", "HWC440100202400002")
SEED = 2024


@pytest.fixture(scope="module")
def chans() -> list[ExportChannel]:
    return export_channels(load_districts())


@pytest.fixture(scope="module")
def stream(chans: list[ExportChannel]) -> list[Message]:
    return list(export_stream(chans, size="small", seed=SEED, warehouse_nos=WAREHOUSES))


@pytest.fixture(scope="module")
def plain(chans: list[ExportChannel]) -> list[Message]:
    return list(export_stream(chans, size="small", seed=SEED))


def heads(messages: list[Message], message_type: str) -> list[dict[str, str]]:
    return [m.units[0].head for m in messages if m.type == message_type]


def waybills_in(messages: list[Message], message_type: str, list_name: str) -> Counter[str]:
    return Counter(r["logisticsNo"] for m in messages if m.type == message_type for r in m.units[0].lists[list_name])


def test_same_seed_gives_the_same_stream(chans: list[ExportChannel], stream: list[Message]) -> None:
    assert list(export_stream(chans, size="small", seed=SEED, warehouse_nos=WAREHOUSES)) == stream
    assert list(export_stream(chans, size="small", seed=SEED + 1, warehouse_nos=WAREHOUSES)) != stream


def test_every_message_validates(stream: list[Message]) -> None:
    problems = [(m.type, e.path, e.code) for m in stream for e in validate(m).errors]
    assert problems == []


def test_message_counts_of_the_small_stream(stream: list[Message]) -> None:
    assert len(stream) == 1273
    assert Counter(m.type for m in stream) == {
        "CEB303": 258,
        "CEB505": 258,
        "CEB603": 258,
        "CEB403": 207,
        "CEB507": 120,
        "CEB509": 172,
    }


def test_supervision_codes_and_statistics_flags(stream: list[Message]) -> None:
    lists = heads(stream, "CEB603")
    assert Counter((h["tradeMode"], h["statisticsFlag"]) for h in lists) == {
        ("9610", "A"): 67,
        ("9610", "B"): 108,
        ("9710", "B"): 50,
        ("9810", "B"): 33,
    }
    assert {h["ieFlag"] for h in lists} == {"E"}
    assert Counter(h["fCurrency"] for h in lists if h["tradeMode"] == "9610") == {"142": 145, "502": 30}
    assert len({h["country"] for h in lists}) == 11
    assert {h["trafMode"] for h in lists} == {"2", "3", "4", "5"}


def test_hs_precision_follows_the_supervision_code(stream: list[Message]) -> None:
    digits = Counter(
        (m.units[0].head["tradeMode"], m.units[0].head["statisticsFlag"], len(item["gcode"]))
        for m in stream
        if m.type == "CEB603"
        for item in m.units[0].lists["InventoryList"]
    )
    assert digits == {
        ("9610", "B", 10): 174,
        ("9610", "A", 10): 52,
        ("9610", "A", 4): 63,
        ("9710", "B", 10): 45,
        ("9710", "B", 6): 32,
        ("9810", "B", 10): 21,
        ("9810", "B", 6): 23,
    }


def test_b2b_lists_stay_under_the_list_limit_in_cny(stream: list[Message]) -> None:
    b2b = [m.units[0] for m in stream if m.type == "CEB603" and m.units[0].head["tradeMode"] != "9610"]
    totals = [sum(Decimal(r["totalPrice"]) for r in unit.lists["InventoryList"]) for unit in b2b]
    assert max(totals) <= B2B_LIST_LIMIT
    assert {r["currency"] for unit in b2b for r in unit.lists["InventoryList"]} == {"142"}


def test_9810_lists_name_the_given_warehouses(stream: list[Message]) -> None:
    lists = heads(stream, "CEB603")
    assert Counter(h["warehouseFilingNo"] for h in lists if h["tradeMode"] == "9810") == {
        WAREHOUSES[0]: 17,
        WAREHOUSES[1]: 16,
    }
    assert all("warehouseFilingNo" not in h for h in lists if h["tradeMode"] != "9810")


def test_without_warehouses_there_is_no_9810_and_nothing_else_changes(
    stream: list[Message], plain: list[Message]
) -> None:
    modes = Counter(h["tradeMode"] for h in heads(plain, "CEB603"))
    assert modes == {"9610": 175, "9710": 83}
    assert Counter(m.type for m in plain) == Counter(m.type for m in stream)
    assert [m.guid for m in plain] == [m.guid for m in stream]


def test_orders_waybills_lists_and_receipts_agree(stream: list[Message]) -> None:
    orders = {h["orderNo"]: m for m in stream if m.type == "CEB303" for h in [m.units[0].head]}
    waybills = {h["logisticsNo"] for h in heads(stream, "CEB505")}
    for m in stream:
        if m.type != "CEB603":
            continue
        head, items = m.units[0].head, m.units[0].lists["InventoryList"]
        order = orders[head["orderNo"]].units[0]
        assert order.head["ebcCode"] == head["ebcCode"]
        assert head["logisticsNo"] in waybills
        assert [r["gname"] for r in items] == [r["itemName"] for r in order.lists["OrderList"]]
        assert Decimal(order.head["goodsValue"]) == sum(Decimal(r["totalPrice"]) for r in items)
        assert {r["country"] for r in items} == {head["country"]}
    for receipt in heads(stream, "CEB403"):
        order_head = orders[receipt["orderNo"]].units[0].head
        assert (receipt["charge"], receipt["currency"]) == (order_head["goodsValue"], order_head["currency"])
        assert receipt["accountingDate"][:8] > order_head["appTime"][:8]


def test_business_keys_and_guids_are_unique(stream: list[Message]) -> None:
    keys = Counter((m.type, *(m.units[0].head[k] for k in spec_for(m.type).business_key)) for m in stream)
    assert [key for key, count in keys.items() if count > 1] == []
    assert len({m.guid for m in stream}) == len(stream)


def test_each_channel_is_in_time_order_over_the_import_months(stream: list[Message]) -> None:
    last: dict[str, str] = {}
    for m in stream:
        head = m.units[0].head
        city = (head.get("ebcCode") or head["logisticsCode"])[:4]
        assert head["appTime"] >= last.get(city, "")
        last[city] = head["appTime"]
    ie_dates = sorted(h["ieDate"] for h in heads(stream, "CEB603"))
    assert (ie_dates[0][:6], ie_dates[-1][:6]) == ("202301", "202412")


def test_one_arrival_a_day_and_departures_the_next_day(stream: list[Message]) -> None:
    arrivals = heads(stream, "CEB507")
    assert len({(h["operatorCode"], h["copNo"][6:14]) for h in arrivals}) == len(arrivals)
    ship_days = {h["copNo"][6:14] for h in arrivals}
    for h in heads(stream, "CEB509"):
        assert h["leaveTime"][:8] > h["copNo"][6:14]
        assert h["copNo"][6:14] in ship_days


def test_anomaly_data(chans: list[ExportChannel]) -> None:
    assert export_anomalies(chans) == {
        NO_RECEIPTS: ["4420XC0004", "4401XC0004", "3301XC0004", "5000XC0004", "3701XC0004"],
        NO_DEPARTURES: ["4420XC0005", "4401XC0005", "3301XC0005", "5000XC0005", "3701XC0005"],
        VOLUME_SPIKE: ["3301XC0002"],
    }
    assert spike_month(date(2023, 1, 1)) == date(2023, 12, 1)
    assert spike_month(date(2023, 2, 1)) == date(2024, 12, 1)


def test_the_unpaid_exporters_get_no_receipts_and_everyone_else_one_per_order(
    chans: list[ExportChannel], stream: list[Message]
) -> None:
    unpaid = set(export_anomalies(chans)[NO_RECEIPTS])
    paid = Counter(h["orderNo"] for h in heads(stream, "CEB403"))
    orders = heads(stream, "CEB303")
    assert {h["ebcCode"] for h in orders if h["orderNo"] not in paid} == unpaid
    assert all(paid[h["orderNo"]] == 1 for h in orders if h["ebcCode"] not in unpaid)
    assert Counter(h["ebcCode"] for h in heads(stream, "CEB603") if h["ebcCode"] in unpaid).total() == 51


def test_the_undeparted_exporters_arrive_but_never_leave(chans: list[ExportChannel], stream: list[Message]) -> None:
    stuck = set(export_anomalies(chans)[NO_DEPARTURES])
    arrived = waybills_in(stream, "CEB507", "ArrivalList")
    departed = waybills_in(stream, "CEB509", "DepartureList")
    for h in heads(stream, "CEB603"):
        assert arrived[h["logisticsNo"]] == 1
        assert departed[h["logisticsNo"]] == (0 if h["ebcCode"] in stuck else 1)
    assert sum(1 for h in heads(stream, "CEB603") if h["ebcCode"] in stuck) == 40


def test_the_spike_exporter_ships_about_eight_months_in_december(
    chans: list[ExportChannel], stream: list[Message]
) -> None:
    (spiker,) = export_anomalies(chans)[VOLUME_SPIKE]
    per_month = Counter(h["ieDate"][:6] for h in heads(stream, "CEB603") if h["ebcCode"] == spiker)
    december = per_month.pop("202312")
    assert december == 4
    assert december >= 6 * per_month.total() / 23  # 6.6 × its average over the other 23 months
    others = Counter(h["ebcCode"] for h in heads(stream, "CEB603") if h["ieDate"].startswith("202312"))
    assert others[spiker] == max(others.values())


def test_several_shippers_in_different_districts_per_city(chans: list[ExportChannel], stream: list[Message]) -> None:
    shippers = {h["ebcCode"] for h in heads(stream, "CEB603") if h["statisticsFlag"] == "B"}
    for channel in chans:
        assert len({e.district_code for e in channel.exporters}) == 5
        assert {e.party.code for e in channel.exporters} <= shippers


def test_the_enterprises_cover_every_code_with_its_role(chans: list[ExportChannel], stream: list[Message]) -> None:
    registered = {e.customs_code: e for c in chans for e in export_channel_enterprises(c)}
    named = {(h[f], ROLE_OF_FIELD[f]) for m in stream for h in [m.units[0].head] for f in ROLE_OF_FIELD if f in h}
    assert {code for code, _ in named} == set(registered)
    assert all(role in registered[code].roles for code, role in named)


def test_the_enterprises_are_valid_and_apart_from_the_import_channels(chans: list[ExportChannel]) -> None:
    districts = load_districts()
    exporting = [e for c in chans for e in export_channel_enterprises(c)]
    assert len(exporting) == 50
    for e in exporting:
        assert validate_enterprise(e, districts, today=date(2024, 11, 26)) == []
        assert uscc_problem(e.uscc) is None
        assert e.customs_code is not None
        assert customs_code_problem(e.customs_code) is None
    everyone = [*exporting, *(e for c in channels(districts) for e in channel_enterprises(c))]
    assert len({e.uscc for e in everyone}) == len({e.customs_code for e in everyone}) == len(everyone)


def test_unknown_size_is_refused(chans: list[ExportChannel]) -> None:
    assert set(SIZES) == {"small", "city", "peak"}
    with pytest.raises(ValueError, match="size must be one of small, city, peak"):
        next(export_stream(chans, size="huge"))
