"""Policy simulation: a draft parameter's budget effect by benefit, district and pool, to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cbec.kernel.errors import ValidationFailed
from cbec.policy.catalog import Catalog
from cbec.policy.simulation import Claim, draft_catalog, parse_overrides, simulate
from cbec.testing.policy_match import fixture_catalog

D = Decimal
P = "fixture-2024."


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return fixture_catalog(tmp_path_factory.mktemp("catalog"))


def promotion(n: int, cost: str, district: str, day: int = 1) -> Claim:
    return Claim(n, district, P + "promotion", {"promotion_cost": D(cost)}, date(2025, 3, day), "application")


def export(n: int, value: str, district: str) -> Claim:
    return Claim(n, district, P + "export", {"export_value": D(value)}, date(2025, 12, 31), "matching")


CLAIMS = [
    promotion(1, "1000000.05", "330102", 1),  # 250000.0125 → 250000.01
    promotion(2, "3000000", "330102", 2),  # 750000 → capped at 500000.00
    promotion(3, "1200000.02", "330106", 3),  # 300000.005 → 300000.01
    export(4, "2345678.90", "330106"),  # 23456.79
    export(5, "999999.99", "330106"),  # below the 1,000,000 condition: 0.00
    export(6, "30000000", "330108"),  # 300000 → capped at 200000.00
]


def test_baseline_and_draft_totals_to_the_fen(catalog: Catalog) -> None:
    result = simulate(catalog, {P + "promotion.rate": "0.30"}, CLAIMS, year=2025).as_dict()
    assert result["overrides"] == [
        {"parameter": P + "promotion.rate", "unit": "ratio", "baseline": "0.25", "draft": "0.30"}
    ]
    by_benefit = {row["benefit"]: row for row in result["by_benefit"]}
    promo = by_benefit[P + "promotion"]
    # draft: 300000.015 → 300000.02; 900000 → 500000.00; 360000.006 → 360000.01
    assert (promo["baseline"], promo["draft"], promo["difference"]) == ("1050000.02", "1160000.03", "110000.01")
    exp = by_benefit[P + "export"]
    assert (exp["baseline"], exp["draft"], exp["eligible_baseline"]) == ("223456.79", "223456.79", 2)
    assert result["total"]["baseline"] == "1273456.81"
    assert result["total"]["draft"] == "1383456.82"
    assert result["total"]["difference"] == "110000.01"
    districts = {row["district_code"]: (row["baseline"], row["draft"]) for row in result["by_district"]}
    assert districts == {
        "330102": ("750000.01", "800000.02"),
        "330106": ("323456.80", "383456.80"),
        "330108": ("200000.00", "200000.00"),
    }
    assert result["claims"] == {"evaluated": 6, "skipped": 0}


def test_pool_demand_against_its_total_first_come_first_served(catalog: Catalog) -> None:
    result = simulate(catalog, {P + "promotion.pool": "800000"}, CLAIMS, year=2025).as_dict()
    (pool,) = result["pools"]
    assert pool["id"] == P + "pool"
    assert pool["baseline"] == {
        "total": "1000000",
        "demand": "1050000.02",
        "funded": "750000.01",  # the third claim (300000.01) no longer fits the 249999.99 left
        "unfunded_claims": 1,
        "overspend": "50000.02",
    }
    assert pool["draft"] == {
        "total": "800000",
        "demand": "1050000.02",
        "funded": "750000.01",
        "unfunded_claims": 1,
        "overspend": "250000.02",
    }


def test_the_draft_applies_only_over_the_year(catalog: Catalog) -> None:
    draft = draft_catalog(catalog, {P + "export.cap": "100000"}, 2025)
    cap = draft.parameters[P + "export.cap"]
    assert cap.at(date(2025, 6, 1)).value == D("100000")  # type: ignore[union-attr]
    assert cap.at(date(2026, 6, 1)).value == D("200000")  # type: ignore[union-attr]
    assert draft.benefits[P + "export"].caps[0].limit is cap
    assert catalog.parameters[P + "export.cap"].at(date(2025, 6, 1)).value == D("200000")  # type: ignore[union-attr]


def test_bad_overrides_name_their_field(catalog: Catalog) -> None:
    with pytest.raises(ValidationFailed) as failed:
        draft_catalog(
            catalog, {"nope": "1", P + "promotion.rate": "1.5", P + "export.cap": "-1", P + "share": "x"}, 2025
        )
    assert {(e.path, e.code) for e in failed.value.errors} == {
        ("set.nope", "simulation.unknown_parameter"),
        (f"set.{P}promotion.rate", "simulation.ratio"),
        (f"set.{P}export.cap", "simulation.negative"),
        (f"set.{P}share", "simulation.not_a_number"),
    }
    with pytest.raises(ValidationFailed):
        parse_overrides(["no-equals-sign"])
    assert parse_overrides([f"{P}export.cap = 5"]) == {P + "export.cap": "5"}


def test_claims_outside_the_year_are_skipped(catalog: Catalog) -> None:
    late = Claim(9, "330102", P + "promotion", {"promotion_cost": D("1")}, date(2026, 1, 2), "application")
    result = simulate(catalog, {}, [late], year=2025).as_dict()
    assert result["claims"] == {"evaluated": 0, "skipped": 1}
    assert result["total"]["baseline"] == "0.00"
