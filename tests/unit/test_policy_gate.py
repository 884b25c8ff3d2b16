"""The anti-fraud gate on hand-made platform facts and hand-made released lists and receipts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from cbec.export.model import ExportList
from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.fact_sources import PlatformFacts
from cbec.policy.gate import check, compare
from cbec.testing.exports import released_list
from cbec.testing.policy_match import fixture_catalog

D = Decimal
EBC = "3301E00001"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return fixture_catalog(tmp_path_factory.mktemp("catalog"))


def export_list(document_id: int, value: str, released_on: date, *, departed: bool = True) -> ExportList:
    return released_list(document_id, value, released_on, ebc=EBC, enterprise_id=7, departed=departed)


class FakeExports:
    """What ``export.reports.reconcile`` reads: released lists in scope, receipts of their orders."""

    def __init__(self, lists: list[ExportList], receipts: dict[str, str]) -> None:
        self._lists = lists
        self._receipts = receipts  # order_no → charge (CNY)
        self.asked: dict[str, Any] = {}

    def lists(self, **filters: Any) -> list[ExportList]:
        self.asked = filters
        start, end = filters["released_from"], filters["released_before"]
        return [x for x in self._lists if x.released_on and start <= x.released_on < end]

    def receipts_of_payment(self, order_nos: Iterable[str]) -> list[SimpleNamespace]:
        wanted = set(order_nos)
        return [
            SimpleNamespace(order_no=o, ebc_code=EBC, charge=D(c), currency="142", accounting_date=date(2025, 3, 20))
            for o, c in self._receipts.items()
            if o in wanted
        ]


def known(export: str | None = "1000000.00") -> PlatformFacts:
    values = {"export_value_cny": D(export)} if export is not None else {}
    unknown = {} if export is not None else {"export_value_cny": "2 released export lines have no rate"}
    return PlatformFacts(7, 2025, values, {"export_value_cny": "trade_value[direction=export, year=2025]"}, unknown)


def run(catalog: Catalog, declared: str, exports: FakeExports, platform: PlatformFacts) -> Any:
    uow = SimpleNamespace(exports=exports)
    return check(
        uow,  # type: ignore[arg-type]
        benefit=catalog.benefits["fixture-2024.export"],
        enterprise_id=7,
        facts={"export_value": D(declared)},
        year=2025,
        threshold=D("0.05"),
        known=platform,
    )


def clean_lists() -> FakeExports:
    lists = [export_list(1, "600000", date(2025, 3, 2)), export_list(2, "400000", date(2025, 3, 9))]
    return FakeExports(lists, {"O1": "600000", "O2": "400000"})


def test_supported_declaration_passes(catalog: Catalog) -> None:
    exports = clean_lists()
    result = run(catalog, "1040000", exports, known())
    assert result.passed
    assert result.reasons == ()
    assert exports.asked["enterprise_id"] == 7  # the reconciliation is the enterprise's own
    assert exports.asked["released_from"] == date(2025, 1, 1)
    assert exports.asked["released_before"] == date(2026, 1, 1)
    assert result.as_dict()["platform"] == {
        "export_value": {
            "fact": "export_value_cny",
            "value": "1000000.00",
            "unknown": None,
            "source": "trade_value[direction=export, year=2025]",
            "gap": "0.0400",
            "passed": True,
        }
    }
    months = result.reconciliation["months"]
    assert [(m["month"], m["released"], m["received"], m["departed"], m["flagged"]) for m in months] == [
        ("2025-03", {"142": "1000000.00"}, {"142": "1000000"}, {"142": "1000000.00"}, False)
    ]


def test_declared_exports_the_platform_does_not_support_are_blocked(catalog: Catalog) -> None:
    result = run(catalog, "3000000", clean_lists(), known())
    assert not result.passed
    assert result.reasons == (
        "export_value: declared 3000000 CNY, the platform's export_value_cny for 2025 is 1000000.00: "
        "a gap of 200.00% exceeds the threshold 5.00%",
    )
    assert result.declared == {"export_value": "3000000"}
    assert result.platform["export_value"]["gap"] == "2.0000"


def test_declared_exports_with_no_platform_exports_fail(catalog: Catalog) -> None:
    result = run(catalog, "1", FakeExports([], {}), known("0.00"))
    assert not result.passed
    assert result.reasons == ("export_value: declared 1 CNY, the platform's export_value_cny for 2025 is 0.00",)
    assert result.reconciliation["months"] == []


def test_a_gap_at_the_threshold_passes_and_one_fen_over_fails(catalog: Catalog) -> None:
    assert run(catalog, "1050000.00", clean_lists(), known()).passed
    assert not run(catalog, "1050000.01", clean_lists(), known()).passed
    assert run(catalog, "950000.00", clean_lists(), known()).passed


def test_unpaid_and_undeparted_lists_block_with_the_months_flags(catalog: Catalog) -> None:
    lists = [
        export_list(1, "600000", date(2025, 3, 2)),
        export_list(2, "400000", date(2025, 4, 9), departed=False),
    ]
    result = run(catalog, "1000000", FakeExports(lists, {"O1": "600000"}), known())
    assert not result.passed
    assert result.reasons == (
        "2025-04: 未收款清单货值占比 100.00%（币制 142）超过阈值 5.00%",
        "2025-04: 未离境清单货值占比 100.00%（币制 142）超过阈值 5.00%",
    )
    april = result.reconciliation["months"][1]
    assert april["released"] == {"142": "400000.00"}
    assert april["received"] == {}
    assert april["departed"] == {}
    assert [f["code"] for f in april["flags"]] == ["unreceived_share", "undeparted_share"]
    assert result.reconciliation["flagged_months"] == ["2025-04"]


def test_an_unknown_platform_figure_cannot_be_approved(catalog: Catalog) -> None:
    result = run(catalog, "1000000", clean_lists(), known(None))
    assert not result.passed
    assert result.reasons == ("export_value = 1000000 cannot be verified: 2 released export lines have no rate",)


def test_declared_only_benefits_skip_the_comparison(catalog: Catalog) -> None:
    uow = SimpleNamespace(exports=clean_lists())
    result = check(
        uow,  # type: ignore[arg-type]
        benefit=catalog.benefits["fixture-2024.promotion"],
        enterprise_id=7,
        facts={"promotion_cost": D("1")},
        year=2025,
        threshold=D("0.05"),
    )
    assert result.passed
    assert result.platform == {}
    assert result.reconciliation == {
        "year": 2025,
        "skipped": "fixture-2024.promotion is not trade-based and names no trade fact",
    }


def test_a_declared_part_cannot_exceed_the_platform_whole() -> None:
    site = load_catalog().benefits["hz-3-independent-site"]  # independent-site exports ≤ all released exports
    known = PlatformFacts(7, 2025, {"export_value_cny": D("1000000.00")}, {"export_value_cny": "released lists"})
    threshold = D("0.05")
    reasons, declared, platform = compare(site, {"independent_site_export_value": D("1050000.00")}, known, threshold)
    assert reasons == []  # within the threshold above the whole
    assert platform["independent_site_export_value"]["passed"] is True
    assert platform["independent_site_export_value"]["gap"] == "0.0500"
    reasons, declared, platform = compare(site, {"independent_site_export_value": D("3000000")}, known, threshold)
    assert reasons == [
        "independent_site_export_value: declared 3000000 CNY is part of the platform's export_value_cny for 2025, "
        "which is only 1000000.00 (over by 200.00%, threshold 5.00%)"
    ]
    assert declared == {"independent_site_export_value": "3000000"}
    assert platform["independent_site_export_value"]["bound"] == "at_most"
    assert platform["independent_site_export_value"]["passed"] is False
    nothing = PlatformFacts(7, 2025, {"export_value_cny": D("0.00")}, {})
    reasons, _, _ = compare(site, {"independent_site_export_value": D("1")}, nothing, threshold)
    assert reasons == [
        "independent_site_export_value: declared 1 CNY is part of the platform's export_value_cny for 2025, "
        "which is only 0.00"
    ]
