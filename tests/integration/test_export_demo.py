"""The export demo traffic on SQLite and PostgreSQL: sending every message twice (the second time
shuffled) changes nothing, and the receipts-of-payment reconciliation flags exactly the injected
exporters (no receipts of payment, no departures) — DOMAIN §8."""

from __future__ import annotations

import random
from collections.abc import Callable

from cbec.bootstrap import Platform
from cbec.demo.exports import NO_DEPARTURES, NO_RECEIPTS, export_anomalies, export_stream
from cbec.demo.traffic import record_demo_returns, seed_export_parties
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.reports import reconcile
from cbec.identity.model import SYSTEM

TABLES = (
    "documents",
    "receipts",
    "export_lists",
    "export_list_items",
    "parcel_events",
    "export_returns",
    "overseas_warehouses",
)


def test_export_demo_twice_changes_nothing_and_reconciles(platform: Platform, count_rows: Callable[[str], int]) -> None:
    channels, warehouses = seed_export_parties(platform.uow, platform.districts, seed=7)
    messages = [to_xml(m) for m in export_stream(channels, size="small", seed=7, warehouse_nos=warehouses)]
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))

    def send_all(batch: list[bytes]) -> tuple[int, int]:
        accepted = repeats = 0
        for data in batch:
            with platform.uow() as uow:
                result = ingest_message(uow, SYSTEM, data, ctx)
            accepted += result.accepted
            repeats += result.repeat
        return accepted, repeats

    assert send_all(messages) == (len(messages), 0)
    record_demo_returns(platform.uow)
    first = {name: count_rows(name) for name in TABLES}
    assert first["export_returns"] > 0
    with platform.uow(read_only=True) as uow:
        before = reconcile(
            uow, SYSTEM, since="2023-01", until="2025-01", threshold=platform.settings.reconcile_threshold
        )
    shuffled = list(messages)
    random.Random(1).shuffle(shuffled)
    assert send_all(shuffled) == (len(messages), len(messages))
    seed_export_parties(platform.uow, platform.districts, seed=7)
    record_demo_returns(platform.uow)
    assert {name: count_rows(name) for name in TABLES} == first
    with platform.uow(read_only=True) as uow:
        after = reconcile(
            uow, SYSTEM, since="2023-01", until="2025-01", threshold=platform.settings.reconcile_threshold
        )
    assert after == before
    flagged = {(m.ebc_code, f.code) for m in after.months for f in m.flags}
    injected = export_anomalies(channels)
    assert {code for code, kind in flagged if kind == "unreceived_share"} == set(injected[NO_RECEIPTS])
    assert {code for code, kind in flagged if kind == "undeparted_share"} == set(injected[NO_DEPARTURES])
