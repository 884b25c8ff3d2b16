"""The tiered cultivation database (梯度培育库) through the real app, on hand-placed fact lines:
Hangzhou's thresholds (1 / 5 / 10 / 50 亿), who is close to the next tier, moves since last month,
and each role's view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from cbec.bootstrap import Platform
from cbec.stats.facts import EXPORT, SourceItem, SourceList, lines_of, rows_of
from cbec.stats.fx import RateBook
from cbec.stats.refresh import refresh

TIER_1, TIER_5 = "年跨境电子商务交易额1亿元重点潜力企业", "年跨境电子商务交易额5亿元重点潜力企业"


def _export(key: str, enterprise_id: int, district: str, released: date, yuan: str) -> SourceList:
    return SourceList(
        direction=EXPORT,
        business_key=key,
        trade_mode="9710",
        statistics_flag="",
        city_code="330100",
        district_code=district,
        enterprise_id=enterprise_id,
        declared_on=released,
        released_on=released,
        status="899",
        items=(SourceItem(1, "8517130000", "502", "142", Decimal(yuan)),),
    )


@pytest.fixture
def platform(demo_platform: Callable[[int], Platform]) -> Platform:
    return demo_platform(30)


@pytest.fixture
def firms(platform: Platform) -> dict[str, tuple[int, str]]:
    """Three Hangzhou enterprises of the demo registry and their districts; their lines are
    written straight into the store (the fixed clock's board is 2023-12..2024-11)."""
    with platform.uow(read_only=True) as uow:
        hangzhou = sorted(
            (e["enterprise_id"], e["district_code"]) for e in uow.stats.enterprise_rows() if e["city_code"] == "330100"
        )
    big, near, small = hangzhou[:3]
    refresh(platform)  # an empty store, marked built
    sources = [
        _export("A:1", big[0], big[1], date(2024, 3, 5), "350000000.00"),
        _export("A:2", big[0], big[1], date(2024, 10, 5), "250000000.00"),  # 6亿 in the window: 5亿 tier
        _export("B:1", near[0], near[1], date(2024, 11, 2), "85000000.00"),  # 0.85亿: close to 1亿, new in Nov
        _export("C:1", small[0], small[1], date(2023, 11, 30), "120000000.00"),  # left the window in Nov: down
    ]
    rows = rows_of(line for s in sources for line in lines_of(s, RateBook([])))
    platform.analytics.replace([s.list_key for s in sources], rows)
    return {"big": big, "near": near, "small": small}


def test_city_board(
    client: TestClient, bearer: Callable[[str], dict[str, str]], firms: dict[str, tuple[int, str]]
) -> None:
    body = client.get("/api/v1/tiers", headers=bearer("demo.admin")).json()
    assert body["window"] == "2023-12..2024-11"
    assert body["counts"][TIER_5] == 1
    assert body["counts"][TIER_1] == 0
    by_id = {p["enterprise_id"]: p for p in body["placements"]}
    big, near, small = (firms[k][0] for k in ("big", "near", "small"))
    assert (by_id[big]["tier"], by_id[big]["value"], by_id[big]["gap"]) == (TIER_5, "600000000.00", "400000000.00")
    assert [(p["enterprise_id"], p["gap"]) for p in body["close"]] == [(near, "15000000.00")]
    assert {(m["enterprise_id"], m["kind"]) for m in body["moves"]} == {(small, "down")}
    assert by_id[small]["value"] == "0.00"
    assert body["usd_rate_source"] is None  # Hangzhou's thresholds are in CNY


def test_each_role_sees_its_part(
    client: TestClient, bearer: Callable[[str], dict[str, str]], firms: dict[str, tuple[int, str]], platform: Platform
) -> None:
    with platform.uow(read_only=True) as uow:
        own = uow.users.by_username("demo.enterprise")
    assert own is not None
    mine = client.get("/api/v1/tiers", headers=bearer("demo.enterprise")).json()
    assert {p["enterprise_id"] for p in mine["placements"]} <= {own.enterprise_id}
    officer = client.get("/api/v1/tiers", headers=bearer("demo.officer")).json()
    in_binjiang = {eid for eid, district in firms.values() if district == "330108"}
    assert {p["enterprise_id"] for p in officer["placements"]} == in_binjiang
