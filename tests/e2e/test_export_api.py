"""The export monthly summary (汇总申报) and the shipment flow over HTTP, through the real ASGI
app on a fresh SQLite file: demo accounts, the synthetic export parties, one month of lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.seed import seed_demo
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import parse_xml, to_xml
from cbec.identity.model import SYSTEM
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.testing.exports import Item, Shipment, arrival, party_inputs

PHONE = Item("8517130000", "智能手机", "2", "150.00")
CASE = Item("4202920000", "手机壳", "10", "3.50", unit="011")
SHOES = Item("6404110000", "运动鞋", "1", "40.00", currency="502", country="502")
SHIP_ON, ARRIVED = date(2024, 11, 5), date(2024, 11, 6)  # the fixed clock reads 2024-11-26
MONTH = "2024-11"
# (number, shipper, flag, items, arrives): 201–203 and 204 are released in November; 205 never arrives.
PLAN = [
    ("201", "3301E00001", "B", [PHONE, CASE], True),
    ("202", "3301E00001", "B", [PHONE], True),
    ("203", "3301E00001", "A", [PHONE], True),
    ("204", "3301E00002", "B", [SHOES], True),
    ("205", "3301E00001", "B", [PHONE], False),
]
STORED = ("documents", "export_summaries", "receipts", "audit_events")


@pytest.fixture
def platform(tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Platform]:
    url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    engine = make_engine(url)
    built = Platform(settings, engine, load_districts(), fixed_clock)
    seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=20)
    ids: dict[str, int] = {}
    with built.uow() as uow:
        for data in party_inputs():
            ids[data.customs_code or ""] = create_enterprise(uow, SYSTEM, data, built.districts).id
    with built.uow() as uow:
        user = NewUser("e2.user", "乙公司用户", "enterprise", "exporter-pass-2024", enterprise_id=ids["3301E00002"])
        create_user(uow, user, built.districts)
    ctx = IntakeContext(built.protector, SimulatedCustoms(SimulationRates(0, 0)))

    def ingest(message: Message) -> None:
        with built.uow() as uow:
            result = ingest_message(uow, SYSTEM, to_xml(message), ctx)
        assert result.accepted, result.as_dict()

    arriving = []
    for number, ebc, flag, items, arrives in PLAN:
        currency = items[0].currency if len({i.currency for i in items}) == 1 else "142"
        shipment = Shipment(number, SHIP_ON, ebc=ebc, owner=ebc, flag=flag, items=items, currency=currency)
        for message in (shipment.order(), shipment.waybill(), shipment.inventory()):
            ingest(message)
        if arrives:
            arriving.append(shipment)
    ingest(arrival(arriving, ARRIVED, "AR-NOV"))
    try:
        yield built
    finally:
        engine.dispose()


@pytest.fixture
def counts(platform: Platform) -> Callable[[], dict[str, int]]:
    def now() -> dict[str, int]:
        with platform.engine.connect() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar_one())
                for name in STORED
            }

    return now


def _rows(overview: dict) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    return [
        (
            e["ebc_code"],
            e["released_lists"],
            e["a_lists"],
            e["pending_b_lists"],
            e["summarised_b_lists"],
            len(e["draft"]["declarations"]) if e["draft"] else 0,
            [s["state"] for s in e["summaries"]],
        )
        for e in overview["enterprises"]
    ]


def test_the_overview_counts_the_month(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/export/summary", params={"month": MONTH}, headers=bearer("demo.admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    # The 15th of December 2024 is a Sunday: due the next working day.
    assert body["deadline"] == {"nominal": "2024-12-15", "due": "2024-12-16"}
    assert (body["pending_b_lists"], body["reminder"], body["overdue"]) == (3, True, False)
    assert _rows(body) == [
        ("3301E00001", 3, 1, 2, 0, 1, []),  # 201 and 202 share every header key: one declaration
        ("3301E00002", 1, 0, 1, 0, 1, []),
    ]
    (declaration,) = body["enterprises"][0]["draft"]["declarations"]
    assert [(i["keys"]["gcode"], i["qty"], i["value"]) for i in declaration["items"]] == [
        ("4202920000", "10", "35.00"),
        ("8517130000", "4", "600.00"),
    ]
    other = client.get("/api/v1/export/summary", params={"month": "2024-10"}, headers=bearer("demo.admin")).json()
    assert (other["pending_b_lists"], other["enterprises"], other["reminder"]) == (0, [], False)
    assert (
        client.get("/api/v1/export/summary", params={"month": "May"}, headers=bearer("demo.admin")).status_code == 422
    )


def test_an_enterprise_user_sees_only_its_own_shipper(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    own = bearer("e2.user")
    body = client.get("/api/v1/export/summary", params={"month": MONTH}, headers=own).json()
    assert _rows(body) == [("3301E00002", 1, 0, 1, 0, 1, [])]
    assert body["pending_b_lists"] == 1
    listed = client.get("/api/v1/export/shipments", headers=own).json()
    assert (listed["total"], [s["cop_no"] for s in listed["items"]]) == (1, ["EC204"])
    others = client.get("/api/v1/export/shipments", params={"q": "EC201"}, headers=bearer("demo.admin")).json()
    (first,) = others["items"]
    assert client.get(f"/api/v1/export/shipments/{first['document_id']}", headers=own).status_code == 403
    refused = client.post("/api/v1/export/summary/apply", json={"month": MONTH}, headers=own)
    assert refused.status_code == 403


def test_the_city_admin_applies_and_the_lists_are_declared(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    response = client.post("/api/v1/export/summary/apply", json={"month": MONTH}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(a["ebc_code"], a["lists"], a["accepted"], a["repeat"], a["errors"]) for a in body["applications"]] == [
        ("3301E00001", 2, True, False, []),
        ("3301E00002", 1, True, False, []),
    ]
    assert body["overview"]["pending_b_lists"] == 0
    assert (body["overview"]["reminder"], body["overview"]["overdue"]) == (False, False)
    assert _rows(body["overview"]) == [
        ("3301E00001", 3, 1, 0, 2, 0, ["declared"]),
        ("3301E00002", 1, 0, 0, 1, 0, ["declared"]),
    ]
    stored = counts()
    again = client.post("/api/v1/export/summary/apply", json={"month": MONTH}, headers=admin).json()
    assert again["applications"] == []  # nothing left to summarise
    assert counts()["export_summaries"] == stored["export_summaries"] == 2

    listed = client.get("/api/v1/export/shipments", params={"q": "EC201"}, headers=admin).json()
    (row,) = listed["items"]
    assert row["missing"] == ["departure", "receipt"]
    detail = client.get(f"/api/v1/export/shipments/{row['document_id']}", headers=admin).json()
    assert [i["gnum"] for i in detail["items"]] == [1, 2]
    assert all(i["entry_id"] and i["entry_id"].startswith("29912024") for i in detail["items"])


def test_read_only_roles_and_district_officers_may_not_apply(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    tokens = {username: bearer(username) for username in ("demo.auditor", "demo.partner", "demo.officer")}
    before = counts()  # issuing the tokens is audited; refusing the applications stores nothing
    for username, headers in tokens.items():
        response = client.post("/api/v1/export/summary/apply", json={"month": MONTH}, headers=headers)
        assert response.status_code == 403, (username, response.text)
    assert counts() == before
    assert counts()["export_summaries"] == 0
    seen = client.get("/api/v1/export/summary", params={"month": MONTH}, headers=tokens["demo.auditor"]).json()
    assert seen["pending_b_lists"] == 3  # the auditor reads the city's summary


def test_shipments_show_the_missing_steps(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    listed = client.get("/api/v1/export/shipments", headers=admin).json()
    assert listed["total"] == 5
    missing = {s["cop_no"]: s["missing"] for s in listed["items"]}
    assert missing == {
        "EC201": ["departure", "receipt", "summary"],
        "EC202": ["departure", "receipt", "summary"],
        "EC203": ["departure", "receipt"],  # an A list is never summarised
        "EC204": ["departure", "receipt", "summary"],
        "EC205": ["arrival", "release", "departure", "receipt", "summary"],
    }
    waiting = client.get("/api/v1/export/shipments", params={"status": "399"}, headers=admin).json()
    assert [s["cop_no"] for s in waiting["items"]] == ["EC205"]
    assert client.get("/api/v1/export/shipments/999999", headers=admin).status_code == 404
    assert client.get("/api/v1/export/shipments", params={"limit": 0}, headers=admin).status_code == 422
    assert client.get("/api/v1/export/shipments").status_code == 401


def test_each_export_document_is_answered_by_its_receipt_message(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    listed = client.get("/api/v1/export/shipments", params={"q": "EC201"}, headers=admin).json()
    (row,) = listed["items"]
    receipt = client.get(f"/api/v1/documents/{row['document_id']}/receipt", headers=admin)
    assert (receipt.status_code, receipt.headers["content-type"]) == (200, "application/xml")
    parsed = parse_xml(receipt.content)
    assert parsed.errors == []
    assert parsed.message is not None
    assert parsed.message.type == "CEB604"
    heads = [u.head for u in parsed.message.units]
    assert [(h["returnStatus"], h["copNo"], h["agentCode"]) for h in heads] == [
        ("120", "EC201", "3301A00001"),
        ("399", "EC201", "3301A00001"),
        ("800", "EC201", "3301A00001"),
    ]
    assert heads[-1]["invtNo"] == row["invt_no"]
