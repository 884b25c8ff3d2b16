"""The exchange over HTTP through the real ASGI app on a fresh, seeded SQLite file: one message
(XML or JSON), a batch, validation, hostile bodies, scoped documents and trace, the tax quote."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.demo.seed import seed_demo
from cbec.exchange.jsoncodec import to_json
from cbec.exchange.model import Message, Unit
from cbec.exchange.xmlcodec import parse_xml, to_xml
from cbec.identity.model import SYSTEM
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.registry.services import create_enterprise
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine
from cbec.testing.conformance import find_conformance_dir

STORED = (
    "documents",
    "receipts",
    "tax_assessments",
    "buyer_ledger",
    "ledger_entries",
    "audit_events",
    "export_lists",
    "export_list_items",
)
HANGZHOU = channels(load_districts())[2]
MESSAGES = list(islice(import_stream([HANGZHOU], size="small", months=2), 48))  # 12 parcels
XML = {"Content-Type": "application/xml"}
ACCEPT_XML = {"Accept": "application/xml"}


def _conformance() -> Path:
    """``shared/conformance`` beside the repository (CI lays a copy there); fail clearly if absent."""
    found = find_conformance_dir(Path(__file__))
    if found is None:
        pytest.fail(
            "shared/conformance was not found beside the repository; the conformance tests need it", pytrace=False
        )
    return found


@pytest.fixture
def platform(tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Platform]:
    """Demo enterprises and accounts, plus the 杭州 import channel and a user of its platform."""
    url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    engine = make_engine(url)
    built = Platform(settings, engine, load_districts(), fixed_clock)
    seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=20)
    for data in channel_enterprises(HANGZHOU):
        with built.uow() as uow:
            created = create_enterprise(uow, SYSTEM, data, built.districts)
        if data.customs_code == HANGZHOU.platform.code:
            with built.uow() as uow:
                user = NewUser("hz.platform", "平台用户", "enterprise", "platform-pass-2024", enterprise_id=created.id)
                create_user(uow, user, built.districts)
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


def _broken(message: Message) -> Message:
    """The order with acturalPaid far from goodsValue + freight + tax − discount."""
    unit = message.units[0]
    return Message(message.type, message.guid, message.version, [Unit(unit.head | {"acturalPaid": "1.00"}, unit.lists)])


def test_one_message_as_xml_and_as_json(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    order, payment = MESSAGES[0], MESSAGES[1]
    stored = client.post("/api/v1/messages", content=to_xml(order), headers=admin | XML)
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert (body["accepted"], body["repeat"], body["type"]) == (True, False, "CEB311")
    assert [(u["action"], u["version"], u["status"]) for u in body["units"]] == [("stored", 1, "received")]
    assert body["units"][0]["receipts"][0]["return_status"] == "120"

    as_json = client.post(
        "/api/v1/messages", content=to_json(payment), headers=admin | {"Content-Type": "application/json"}
    )
    assert as_json.status_code == 200, as_json.text
    assert (as_json.json()["type"], as_json.json()["units"][0]["action"]) == ("CEB411", "stored")

    again = client.post("/api/v1/messages", content=to_xml(order), headers=admin | XML)
    assert (again.status_code, again.json()["repeat"]) == (200, True)

    before = counts()
    bad = client.post("/api/v1/messages", content=to_json(_broken(MESSAGES[4])), headers=admin)
    assert bad.status_code == 422
    assert bad.json()["accepted"] is False
    assert [(e["path"], e["code"]) for e in bad.json()["errors"]] == [
        ("Order[0]/OrderHead/acturalPaid", "arith.actural_paid")
    ]
    assert counts() == before


def test_messages_need_a_credential_and_a_sender_in_scope(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    outsider = bearer("demo.enterprise")  # an enterprise that is no party to the 杭州 channel's order
    before = counts()
    assert client.post("/api/v1/messages", content=to_xml(MESSAGES[0]), headers=XML).status_code == 401
    foreign = client.post("/api/v1/messages", content=to_xml(MESSAGES[0]), headers=outsider | XML)
    assert foreign.status_code == 422
    assert [(e["path"], e["code"]) for e in foreign.json()["errors"]] == [("message", "permission.sender")]
    assert counts() == before


def test_a_batch_of_fifty(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    items = [{"xml": to_xml(m).decode()} if i % 2 else json.loads(to_json(m)) for i, m in enumerate(MESSAGES)]
    items += [{"xml": to_xml(MESSAGES[0]).decode()}, json.loads(to_json(MESSAGES[3]))]  # two repeats
    response = client.post("/api/v1/messages", json={"messages": items}, headers=bearer("demo.admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["messages"], body["accepted"], body["rejected"], body["repeats"]) == (50, 50, 0, 2)
    assert counts()["documents"] == 48
    lists = [r for r in body["results"][:48] if r["type"] == "CEB621"]
    assert len(lists) == 12
    assert {r["units"][0]["status"] for r in lists} <= {"800", "100"}
    assert [r["source"] for r in body["results"][:2]] == ["messages[0]", "messages[1]"]


def test_validate_the_conformance_files(client: TestClient, counts) -> None:  # type: ignore[no-untyped-def]
    good = client.post("/api/v1/messages/validate", content=(_conformance() / "ceb621-hainan-9610.xml").read_bytes())
    assert good.status_code == 200
    assert (good.json()["valid"], good.json()["invalid"]) == (1, 0)
    assert good.json()["reports"][0]["errors"] == []
    bad = client.post("/api/v1/messages/validate", content=(_conformance() / "ceb603-not-well-formed.xml").read_bytes())
    assert bad.status_code == 422
    (error,) = bad.json()["reports"][0]["errors"]
    assert error["code"] == "xml.not_well_formed"
    assert "line " in error["message"]
    assert counts()["documents"] == 0


def test_validate_names_each_problem_of_the_semantic_sample(client: TestClient) -> None:
    semantic = client.post(
        "/api/v1/messages/validate", content=(_conformance() / "ceb603-semantic-errors.xml").read_bytes()
    )
    assert semantic.status_code == 422
    errors = [(e["path"], e["code"]) for e in semantic.json()["reports"][0]["errors"]]
    # The conformance README: one error per problem, each naming its field path.
    assert errors == [
        ("Inventory[0]/InventoryHead/ieFlag", "schema.code"),
        ("Inventory[0]/InventoryHead/tradeMode", "schema.code"),
        ("Inventory[0]/InventoryList[0]/totalPrice", "arith.total_price"),
    ]


def test_ingesting_the_semantic_sample_stores_nothing(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    headers = bearer("demo.admin") | XML  # issuing the token is itself an audited change
    before = counts()
    refused = client.post(
        "/api/v1/messages",
        content=(_conformance() / "ceb603-semantic-errors.xml").read_bytes(),
        headers=headers,
    )
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["schema.code", "schema.code", "arith.total_price"]
    assert counts() == before


HOSTILE = {
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>',
        "xml.doctype_forbidden",
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        "xml.doctype_forbidden",
    ),
    "deep": (b"<a>" * 10_000 + b"</a>" * 10_000, "xml.too_deep"),
    "too large": (b"<a>" + b" " * (10 * 1024 * 1024) + b"</a>", "xml.too_large"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_are_refused_and_store_nothing(client: TestClient, bearer, counts, name: str) -> None:  # type: ignore[no-untyped-def]
    data, code = HOSTILE[name]
    before = counts()
    response = client.post("/api/v1/messages", content=data, headers=bearer("demo.admin") | XML)
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("/", code)]
    checked = client.post("/api/v1/messages/validate", content=data, headers=XML)
    assert checked.status_code == 422
    assert [e["code"] for e in checked.json()["reports"][0]["errors"]] == [code]
    after = counts()
    assert after | {"audit_events": 0} == before | {"audit_events": 0}
    assert after["audit_events"] == before["audit_events"] + 1  # the token issued for this request


def test_documents_and_trace_are_scoped(client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    response = client.post(
        "/api/v1/messages", json={"messages": [json.loads(to_json(m)) for m in MESSAGES]}, headers=admin
    )
    assert response.json()["accepted"] == 48

    everything = client.get("/api/v1/documents", params={"per_page": 500}, headers=admin).json()
    assert everything["total"] == 48
    mine = client.get("/api/v1/documents", params={"per_page": 500}, headers=bearer("hz.platform")).json()
    assert mine["total"] == 12
    assert {d["type"] for d in mine["items"]} == {"CEB311"}
    assert {d["sender_code"] for d in mine["items"]} == {HANGZHOU.platform.code}
    others = client.get("/api/v1/documents", headers=bearer("demo.enterprise")).json()
    assert (others["total"], others["items"]) == (0, [])
    lists = client.get("/api/v1/documents", params={"type": "CEB621"}, headers=admin).json()
    assert lists["total"] == 12

    order_no = MESSAGES[0].units[0].head["orderNo"]
    full = client.get("/api/v1/trace", params={"key": order_no}, headers=admin).json()
    assert [d["type"] for d in full["documents"]] == ["CEB311", "CEB411", "CEB511", "CEB621"]
    assert all(d["receipts"] for d in full["documents"])
    scoped = client.get("/api/v1/trace", params={"key": order_no}, headers=bearer("hz.platform")).json()
    assert [d["type"] for d in scoped["documents"]] == ["CEB311"]
    list_id = full["documents"][3]["id"]
    assert client.get(f"/api/v1/documents/{list_id}", headers=bearer("hz.platform")).status_code == 403


def test_tax_quote_worked_example(client: TestClient) -> None:
    response = client.get("/api/v1/tax/quote", params={"price": "100", "freight": "10", "vat": "0.13"})
    assert response.status_code == 200
    assert (response.json()["channel"], response.json()["total_tax"]) == ("retail", "10.01")
    cosmetics = client.get("/api/v1/tax/quote", params={"price": "500", "hs": "3304990099"}).json()
    assert (cosmetics["consumption_tax"], cosmetics["vat"], cosmetics["total_tax"]) == ("61.76", "53.53", "115.29")


def test_answers_come_as_customs_receipt_messages(client: TestClient, bearer, counts) -> None:  # type: ignore[no-untyped-def]
    admin = bearer("demo.admin")
    for message in MESSAGES[:4]:  # one whole parcel: order, payment, waybill, list
        assert client.post("/api/v1/messages", content=to_xml(message), headers=admin | XML).status_code == 200
    listed = client.get("/api/v1/documents", params={"type": "CEB621"}, headers=admin).json()["items"]
    receipt = client.get(f"/api/v1/documents/{listed[0]['id']}/receipt", headers=admin)
    assert (receipt.status_code, receipt.headers["content-type"]) == (200, "application/xml")
    parsed = parse_xml(receipt.content)
    assert parsed.errors == []
    assert parsed.message is not None
    assert parsed.message.type == "CEB622"
    head = MESSAGES[3].units[0].head
    assert [(u.head["returnStatus"], u.head["copNo"], u.head["agentCode"]) for u in parsed.message.units] == [
        (status, head["copNo"], head["agentCode"]) for status in ("120", "399", "800")
    ]

    before = counts()
    refused = client.post("/api/v1/messages", content=to_xml(_broken(MESSAGES[4])), headers=admin | XML | ACCEPT_XML)
    assert (refused.status_code, refused.headers["content-type"]) == (422, "application/xml")
    format_error = parse_xml(refused.content).message
    assert format_error is not None
    assert format_error.type == "CEB900"
    assert format_error.units[0].head["oriMessageType"] == "CEB311"
    assert "[arith.actural_paid]" in format_error.units[0].head["returnInfo"]
    assert counts() == before
