"""Policy targets through the real app: every Hangzhou target with its clause and status, the one
whose figure the copy lost says unknown, an unmeasurable target waits for an entered figure, and
entering one is refused with field paths until it is right (nothing stored meanwhile)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.stats.targets import load_targets
from cbec.storage import tables as t

TARGETS = "/api/v1/targets"
PARKS = "hz-plan-8-parks"


@pytest.fixture
def platform(demo_platform: Callable[[int], Platform]) -> Platform:
    return demo_platform(30)


def _figures(platform: Platform) -> int:
    with platform.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.target_inputs)).scalar_one())


def test_city_admin_sees_every_hangzhou_target(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> None:
    body = client.get(TARGETS, headers=bearer("demo.admin")).json()
    expected = [x.id for x in load_targets().of_city("330100")]
    assert [s["target"]["id"] for s in body["targets"]] == expected
    by_id = {s["target"]["id"]: s for s in body["targets"]}
    lost = by_id["hz-plan-10-air-routes"]  # "累计运营货运航线条": the count is missing in the copy
    assert (lost["status"], lost["value_to_date"], lost["target"]["value"]) == ("unknown", None, None)
    assert by_id[PARKS]["status"] == "not_measurable"
    assert by_id["hz-plan-export-2024"]["target"]["metric"] == "trade_value"
    assert by_id["hz-plan-export-2024"]["deadline"] == "2024-12-31"


def test_entering_a_figure(client: TestClient, bearer: Callable[[str], dict[str, str]], platform: Platform) -> None:
    admin = bearer("demo.admin")
    refused = client.post(
        f"{TARGETS}/{PARKS}/figures", json={"as_of": "2030-01-01", "value": "many", "source": ""}, headers=admin
    )
    assert refused.status_code == 422
    assert {(e["path"], e["code"]) for e in refused.json()["errors"]} >= {
        ("as_of", "date.future"),
        ("source", "source.required"),
    }
    assert _figures(platform) == 0
    measured = client.post(
        f"{TARGETS}/hz-plan-export-2024/figures",
        json={"as_of": "2024-11-01", "value": "1", "source": "x"},
        headers=admin,
    )
    assert measured.status_code == 422
    assert [e["code"] for e in measured.json()["errors"]] == ["target.measured"]
    ok = client.post(
        f"{TARGETS}/{PARKS}/figures",
        json={"as_of": "2024-11-01", "value": "12", "source": "市商务局园区统计 2024-10"},
        headers=admin,
    )
    assert ok.status_code == 201, ok.text
    assert _figures(platform) == 1
    after = {s["target"]["id"]: s for s in client.get(TARGETS, headers=admin).json()["targets"]}
    assert after[PARKS]["status"] != "not_measurable"
    assert after[PARKS]["value_to_date"] == "12"


def test_scope_of_other_roles(client: TestClient, bearer: Callable[[str], dict[str, str]]) -> None:
    officer = client.get(TARGETS, headers=bearer("demo.officer")).json()["targets"]
    assert [s["target"]["id"] for s in officer] == [
        x.id for x in load_targets().of_city("330100") if x.district == "330108"
    ]
    assert client.get(TARGETS, headers=bearer("demo.enterprise")).status_code == 403
    entered = client.post(
        f"{TARGETS}/{PARKS}/figures",
        json={"as_of": "2024-11-01", "value": "12", "source": "x"},
        headers=bearer("demo.officer"),
    )
    assert entered.status_code == 403
