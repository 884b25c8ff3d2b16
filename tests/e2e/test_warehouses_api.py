"""The overseas-warehouse API (海外仓备案) through the real ASGI app on a fresh, seeded SQLite file:
the public directory without sign-in, filing with tokens, refusals with field paths, edits and
withdrawal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.config import Settings
from cbec.demo.seed import seed_demo
from cbec.kernel.clock import FixedClock
from cbec.registry.districts import load_districts
from cbec.storage import migrate
from cbec.storage import tables as t
from cbec.storage.db import make_engine

WAREHOUSES = "/api/v1/warehouses"
SEED_COUNT = 60
LA: dict[str, Any] = {
    "name": "美西洛杉矶一号仓",
    "country": "502",
    "overseas_city": "Los Angeles",
    "address": "2150 E Harbor Logistics Ave, Ontario, CA 91761",
    "area": "12000.50",
    "available_area": "3000",
    "mode": "public",
    "operator": "Westbay Fulfilment Inc.",
    "services": "一件代发、退货换标",
    "contact": "王经理 +1 555 0100",
}
PUBLIC_KEYS = {
    "filing_no",
    "name",
    "country",
    "overseas_city",
    "address",
    "area",
    "available_area",
    "mode",
    "operator",
    "services",
    "status",
    "filed_at",
    "enterprise_name",
}


@pytest.fixture
def platform(tmp_path: Path, fixed_clock: FixedClock) -> Iterator[Platform]:
    url = f"sqlite:///{tmp_path / 'cbec.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path)
    engine = make_engine(url)
    built = Platform(settings, engine, load_districts(), fixed_clock)
    seed_demo(built.uow, built.districts, seed=settings.demo_seed, password=settings.demo_password, count=SEED_COUNT)
    try:
        yield built
    finally:
        engine.dispose()


@pytest.fixture
def rows_in(platform: Platform) -> Callable[[str], int]:
    def count(table: str) -> int:
        with platform.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())

    return count


def _own_enterprise(platform: Platform) -> tuple[int, str]:
    """demo.enterprise's enterprise: id and name."""
    with platform.uow(read_only=True) as uow:
        user = uow.users.by_username("demo.enterprise")
        assert user is not None
        assert user.enterprise_id is not None
        enterprise = uow.enterprises.get(user.enterprise_id)
    assert enterprise is not None
    return enterprise.id, enterprise.name


def _another_hangzhou_enterprise(platform: Platform) -> tuple[int, str]:
    own, _ = _own_enterprise(platform)
    with platform.engine.connect() as conn:
        row = conn.execute(
            select(t.enterprises.c.id, t.enterprises.c.uscc)
            .where(t.enterprises.c.city_code == "330100", t.enterprises.c.id != own)
            .order_by(t.enterprises.c.id)
        ).first()
    assert row is not None
    return row.id, row.uscc


def test_the_directory_is_public_and_carries_no_personal_data(
    client: TestClient, platform: Platform, bearer: Callable[[str], dict[str, str]]
) -> None:
    empty = client.get(WAREHOUSES)
    assert empty.status_code == 200
    assert empty.json() == {"total": 0, "page": 1, "per_page": 50, "items": []}
    own_id, own_name = _own_enterprise(platform)
    filed = client.post(WAREHOUSES, json=LA, headers=bearer("demo.enterprise"))
    assert filed.status_code == 201, filed.text
    assert filed.json()["enterprise_id"] == own_id
    assert filed.json()["contact"] == "王经理 +1 555 0100"

    listing = client.get(WAREHOUSES)  # no credentials at all
    assert listing.status_code == 200
    body = listing.json()
    assert (body["total"], len(body["items"])) == (1, 1)
    [item] = body["items"]
    assert set(item) == PUBLIC_KEYS
    assert item == {
        "filing_no": "HWC330100202400001",
        "name": "美西洛杉矶一号仓",
        "country": "502",
        "overseas_city": "Los Angeles",
        "address": "2150 E Harbor Logistics Ave, Ontario, CA 91761",
        "area": "12000.50",
        "available_area": "3000.00",
        "mode": "public",
        "operator": "Westbay Fulfilment Inc.",
        "services": "一件代发、退货换标",
        "status": "filed",
        "filed_at": "2024-11-26T02:00:00+00:00",
        "enterprise_name": own_name,
    }
    assert "王经理" not in listing.text
    one = client.get(f"{WAREHOUSES}/HWC330100202400001")
    assert one.status_code == 200
    assert one.json() == item
    missing = client.get(f"{WAREHOUSES}/HWC330100202499999")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "not_found",
        "message": "no overseas warehouse has filing number HWC330100202499999",
    }


def test_directory_filters(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> None:
    headers = bearer("demo.enterprise")
    for body in (
        LA,
        LA | {"country": "304", "address": "Logistikring 14, 65451 Kelsterbach", "available_area": "99.99"},
        LA | {"country": "116", "address": "3-12 Nanko-kita, Osaka", "mode": "own", "available_area": None},
    ):
        assert client.post(WAREHOUSES, json=body, headers=headers).status_code == 201

    def numbers(**params: str) -> list[str]:
        response = client.get(WAREHOUSES, params=params)
        assert response.status_code == 200, response.text
        return [i["filing_no"] for i in response.json()["items"]]

    first, second, third = (f"HWC33010020240000{n}" for n in (1, 2, 3))
    assert numbers() == [first, second, third]
    assert numbers(country="304") == [second]
    assert numbers(mode="own") == [third]
    assert numbers(min_available="100") == [first]
    assert numbers(min_available="99.99") == [first, second]
    assert numbers(q="kelsterbach") == [second]
    assert numbers(per_page="1", page="2") == [second]
    bad_mode = client.get(WAREHOUSES, params={"mode": "rented"})
    assert bad_mode.status_code == 422
    assert [(e["path"], e["code"]) for e in bad_mode.json()["errors"]] == [("mode", "schema.enum")]
    negative = client.get(WAREHOUSES, params={"min_available": "-1"})
    assert negative.status_code == 422
    assert [(e["path"], e["code"]) for e in negative.json()["errors"]] == [
        ("min_available", "schema.greater_than_equal")
    ]


def test_filing_needs_a_credential(client: TestClient, rows_in: Callable[[str], int]) -> None:
    response = client.post(WAREHOUSES, json=LA)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert rows_in("overseas_warehouses") == 0


def test_a_refused_filing_names_each_field_and_stores_nothing(
    client: TestClient, bearer: Callable[[str], dict[str, str]], rows_in: Callable[[str], int]
) -> None:
    headers = bearer("demo.enterprise")
    events = rows_in("audit_events")
    bad = LA | {"country": "US", "area": "-5", "available_area": "1.005", "mode": "rent", "operator": ""}
    response = client.post(WAREHOUSES, json=bad, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in body["errors"]] == [
        ("country", "warehouse.country_invalid"),
        ("area", "warehouse.area_invalid"),
        ("available_area", "warehouse.available_decimals"),
        ("mode", "warehouse.mode_unknown"),
        ("operator", "warehouse.operator_required"),
    ]
    assert body["errors"][0] == {
        "path": "country",
        "code": "warehouse.country_invalid",
        "message": "country must be a 3-digit customs country code, got 'US'",
        "hint": "use the customs country code (海关国别代码), e.g. 502 for the United States",
    }
    as_float = client.post(WAREHOUSES, json=LA | {"area": 1200.5}, headers=headers)
    assert as_float.status_code == 422
    assert [(e["path"], e["code"]) for e in as_float.json()["errors"]] == [("area", "schema.string_type")]
    unknown_field = client.post(WAREHOUSES, json=LA | {"owner": "x"}, headers=headers)
    assert unknown_field.status_code == 422
    assert [(e["path"], e["code"]) for e in unknown_field.json()["errors"]] == [("owner", "schema.extra_forbidden")]
    assert (rows_in("overseas_warehouses"), rows_in("audit_events")) == (0, events)
    whole = client.post(WAREHOUSES, json=LA | {"area": 1200, "available_area": None}, headers=headers)
    assert whole.status_code == 201
    assert (whole.json()["area"], whole.json()["available_area"]) == ("1200.00", None)


def test_officers_name_the_enterprise(
    client: TestClient, platform: Platform, bearer: Callable[[str], dict[str, str]], rows_in: Callable[[str], int]
) -> None:
    headers = bearer("demo.admin")
    other_id, other_uscc = _another_hangzhou_enterprise(platform)
    refusals = [
        ({}, "warehouse.enterprise_required"),
        ({"enterprise_uscc": "91330100MA0000099X"}, "warehouse.enterprise_unknown"),
        ({"enterprise_uscc": other_uscc, "enterprise_id": other_id}, "warehouse.enterprise_ambiguous"),
    ]
    for extra, code in refusals:
        response = client.post(WAREHOUSES, json=LA | extra, headers=headers)
        assert response.status_code == 422
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [("enterprise_uscc", code)]
    assert rows_in("overseas_warehouses") == 0
    by_uscc = client.post(WAREHOUSES, json=LA | {"enterprise_uscc": other_uscc}, headers=headers)
    assert by_uscc.status_code == 201
    assert (by_uscc.json()["enterprise_id"], by_uscc.json()["filing_no"]) == (other_id, "HWC330100202400001")
    by_id = client.post(WAREHOUSES, json=LA | {"enterprise_id": other_id, "country": "304"}, headers=headers)
    assert by_id.status_code == 201
    assert by_id.json()["filing_no"] == "HWC330100202400002"


def test_duplicates_and_read_only_roles_are_refused(
    client: TestClient, bearer: Callable[[str], dict[str, str]], rows_in: Callable[[str], int]
) -> None:
    headers = bearer("demo.enterprise")
    auditor = bearer("demo.auditor")
    assert client.post(WAREHOUSES, json=LA, headers=headers).status_code == 201
    events = rows_in("audit_events")
    again = client.post(WAREHOUSES, json=LA | {"name": "重复"}, headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "warehouse.exists"
    assert again.json()["filing_no"] == "HWC330100202400001"
    assert "HWC330100202400001" in again.json()["message"]
    denied = client.post(WAREHOUSES, json=LA | {"country": "304"}, headers=auditor)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert (rows_in("overseas_warehouses"), rows_in("audit_events")) == (1, events)


def test_patch_changes_only_what_is_sent_and_withdraw_hides_the_filing(
    client: TestClient, bearer: Callable[[str], dict[str, str]], rows_in: Callable[[str], int]
) -> None:
    headers = bearer("demo.enterprise")
    created = client.post(WAREHOUSES, json=LA, headers=headers).json()
    url = f"{WAREHOUSES}/{created['filing_no']}"
    patched = client.patch(url, json={"available_area": "500", "version": 1}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.json() == created | {"available_area": "500.00", "version": 2}
    stale = client.patch(url, json={"name": "过期的修改", "version": 1}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["code"] == "warehouse.stale"
    cleared = client.patch(url, json={"name": None}, headers=headers)
    assert cleared.status_code == 422
    assert [(e["path"], e["code"]) for e in cleared.json()["errors"]] == [("name", "warehouse.name_required")]
    read_only = client.patch(url, json={"name": "审计改名"}, headers=bearer("demo.auditor"))
    assert read_only.status_code == 403
    assert client.get(url).json()["name"] == "美西洛杉矶一号仓"

    events = rows_in("audit_events")
    withdrawn = client.post(f"{url}/withdraw", headers=headers)
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["version"]) == ("withdrawn", 3)
    assert rows_in("audit_events") == events + 1
    assert client.get(WAREHOUSES).json()["total"] == 0
    assert client.get(url).json()["status"] == "withdrawn"
    twice = client.post(f"{url}/withdraw", headers=headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "warehouse.withdrawn"
    assert rows_in("audit_events") == events + 1
