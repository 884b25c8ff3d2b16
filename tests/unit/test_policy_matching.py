"""Matching (政策找企业 / 免申即享) on hand-made platform facts and the fixture catalog: exact amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cbec.policy.catalog import Catalog
from cbec.policy.fact_sources import PlatformFacts
from cbec.policy.matching import EVIDENCE_MISSING, NOT_ELIGIBLE, QUALIFIES, Match, match_all, proposals
from cbec.testing.policy_match import fixture_catalog

D = Decimal
ON = date(2025, 6, 30)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return fixture_catalog(tmp_path_factory.mktemp("catalog"))


def facts(**overrides: str | None) -> PlatformFacts:
    values = {
        "export_value_cny": "2345678.90",
        "import_value_cny": "0.00",
        "trade_value_cny": "2345678.90",
        "trade_value_usd": "330000.00",
        "export_lists": "12",
        "overseas_warehouses": "1",
        "overseas_warehouse_area_m2": "500.00",
    } | overrides
    known = {k: D(v) for k, v in values.items() if v is not None}
    unknown = {k: f"{k} unknown in this test" for k, v in values.items() if v is None}
    return PlatformFacts(7, 2025, known, {k: f"source of {k}" for k in values}, unknown)


def by_id(matches: list[Match]) -> dict[str, Match]:
    return {m.benefit.id.removeprefix("fixture-2024."): m for m in matches}


def test_each_benefit_of_the_city_is_judged(catalog: Catalog) -> None:
    found = by_id(match_all(catalog, "Hangzhou", facts(), ON))
    assert set(found) == {"export", "warehouse", "promotion", "usd", "lists", "logistics"}  # not Zhongshan's
    summary = {k: (m.status, m.amount, m.amount_basis, m.proposable) for k, m in found.items()}
    assert summary == {
        "export": (QUALIFIES, D("23456.79"), "quote", True),  # 2,345,678.90 × 1 % = 23,456.789 → half up
        "warehouse": (QUALIFIES, D("100000.00"), "quote", True),
        "promotion": (EVIDENCE_MISSING, D("500000.00"), "cap", False),
        "usd": (NOT_ELIGIBLE, D("0.00"), "quote", False),
        "lists": (QUALIFIES, None, "unknown", True),
        "logistics": (EVIDENCE_MISSING, None, "unknown", False),
    }
    assert found["export"].facts == {"export_value": D("2345678.90")}
    assert found["export"].provenance == {"export_value": "source of export_value_cny"}
    assert [m.as_dict() for m in found["promotion"].missing] == [
        {
            "name": "promotion_cost",
            "unit": "CNY",
            "description": "推广费用: promotion cost",
            "reason": "declared by the applicant, with evidence",
        }
    ]
    assert found["usd"].reasons == ("trade_usd = 330000.00 is not >= 10000000 (fixture)",)
    assert found["lists"].amount_note == "the text sets no amount: 给予一定支持"
    assert found["logistics"].reasons == ("export_value = 2345678.90 >= 500000: met",)
    assert [m.benefit.id for m in proposals(found.values())] == [
        "fixture-2024.export",
        "fixture-2024.warehouse",
        "fixture-2024.lists",
    ]


def test_a_failed_platform_condition_is_not_eligible_even_with_evidence_missing(catalog: Catalog) -> None:
    found = by_id(match_all(catalog, "Hangzhou", facts(export_value_cny="400000.00"), ON))
    assert found["logistics"].status == NOT_ELIGIBLE
    assert found["logistics"].reasons == ("export_value = 400000.00 is not >= 500000",)
    assert found["logistics"].amount is None
    assert found["export"].status == NOT_ELIGIBLE
    edge = by_id(match_all(catalog, "Hangzhou", facts(export_value_cny="500000.00"), ON))
    assert edge["logistics"].status == EVIDENCE_MISSING  # exactly at the threshold: met


def test_an_unknown_platform_figure_is_missing_not_guessed(catalog: Catalog) -> None:
    found = by_id(match_all(catalog, "Hangzhou", facts(trade_value_usd=None), ON))
    usd = found["usd"]
    assert usd.status == EVIDENCE_MISSING
    assert usd.amount == D("300000.00")
    assert usd.amount_basis == "ceiling"
    assert usd.missing[0].reason == "platform figure unknown: trade_value_usd unknown in this test"
    assert not usd.proposable


def test_nothing_to_award_is_not_proposed(catalog: Catalog) -> None:
    found = by_id(match_all(catalog, "Hangzhou", facts(overseas_warehouses="0", export_lists="0"), ON))
    assert found["warehouse"].status == NOT_ELIGIBLE
    assert found["lists"].status == NOT_ELIGIBLE


def test_city_and_date_filter(catalog: Catalog) -> None:
    assert match_all(catalog, "Jinan", facts(), ON) == []
    assert match_all(catalog, "Hangzhou", facts(), date(2028, 1, 1)) == []
    other = match_all(catalog, "Zhongshan", facts(), ON)
    assert {m.benefit.document.id for m in other} == {"fixture-other"}


def test_json_shape(catalog: Catalog) -> None:
    export = by_id(match_all(catalog, "Hangzhou", facts(), ON))["export"].as_dict()
    assert export["amount"] == "23456.79"
    assert export["status"] == "qualifies"
    assert export["trade_based"] is True
    assert export["quote"]["amount"] == "23456.79"  # type: ignore[index]
