"""Overseas-warehouse filing rules (海外仓备案): validation with exact paths and codes, areas, the
filing number, the public view, and the demo filings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cbec.demo.warehouses import demo_warehouse_inputs
from cbec.kernel.errors import FieldError
from cbec.registry.warehouses import (
    OverseasWarehouse,
    WarehouseInput,
    WarehouseMode,
    WarehouseStatus,
    filing_number,
    is_filing_number,
    normalized_address,
    parse_area,
    validate_warehouse,
)

FILED_AT = datetime(2024, 11, 26, 2, 0, tzinfo=UTC)
GOOD = WarehouseInput(
    name="美西洛杉矶一号仓",
    country="502",
    overseas_city="Los Angeles",
    address="2150 E Harbor Logistics Ave, Ontario, CA 91761",
    area="12000.50",
    mode="public",
    operator="Westbay Fulfilment Inc.",
    available_area="3000",
    services="一件代发、退货换标",
    contact="王经理 +1 555 0100",
)


def problems(**changes: object) -> list[tuple[str, str]]:
    data = replace(GOOD, **changes)  # type: ignore[arg-type]
    return [(e.path, e.code) for e in validate_warehouse(data)]


def test_a_complete_filing_is_valid() -> None:
    assert validate_warehouse(GOOD) == []
    assert validate_warehouse(replace(GOOD, available_area=None, services=None, contact=None, mode="own")) == []


def test_an_empty_form_names_every_missing_field_in_form_order() -> None:
    empty = WarehouseInput(name="", country="", overseas_city=" ", address="", area="", mode="", operator="")
    assert [(e.path, e.code) for e in validate_warehouse(empty)] == [
        ("name", "warehouse.name_required"),
        ("country", "warehouse.country_invalid"),
        ("overseas_city", "warehouse.city_required"),
        ("address", "warehouse.address_required"),
        ("area", "warehouse.area_required"),
        ("mode", "warehouse.mode_unknown"),
        ("operator", "warehouse.operator_required"),
    ]


def test_errors_carry_a_message_and_a_hint() -> None:
    assert validate_warehouse(replace(GOOD, country="US")) == [
        FieldError(
            "country",
            "warehouse.country_invalid",
            "country must be a 3-digit customs country code, got 'US'",
            "use the customs country code (海关国别代码), e.g. 502 for the United States",
        )
    ]
    assert validate_warehouse(replace(GOOD, area="12.345")) == [
        FieldError("area", "warehouse.area_decimals", "area has more than two decimals", "round to 0.01 m²")
    ]


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("50", "warehouse.country_invalid"),
        ("5021", "warehouse.country_invalid"),
        ("US", "warehouse.country_invalid"),
        ("１１６", "warehouse.country_invalid"),  # full-width digits are not the code
        ("142", "warehouse.country_domestic"),
    ],
)
def test_country_is_a_foreign_three_digit_customs_code(country: str, code: str) -> None:
    assert problems(country=country) == [("country", code)]


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("-5", "warehouse.area_invalid"),
        ("1e3", "warehouse.area_invalid"),
        ("1,200", "warehouse.area_invalid"),
        (" 1200", "warehouse.area_invalid"),
        ("1200.", "warehouse.area_invalid"),
        ("1234567890123", "warehouse.area_invalid"),
        ("12.345", "warehouse.area_decimals"),
        ("0", "warehouse.area_not_positive"),
        ("0.00", "warehouse.area_not_positive"),
    ],
)
def test_area_is_positive_square_metres_with_two_decimals_at_most(area: str, code: str) -> None:
    assert problems(area=area, available_area=None) == [("area", code)]


@pytest.mark.parametrize("area", ["1", "0.01", "12000.5", "12000.50", "000123", "123456789012.99"])
def test_areas_that_pass(area: str) -> None:
    assert problems(area=area, available_area=None) == []


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        ("0", []),
        ("12000.50", []),
        ("12000.51", [("available_area", "warehouse.available_exceeds_area")]),
        ("20000", [("available_area", "warehouse.available_exceeds_area")]),
        ("abc", [("available_area", "warehouse.available_invalid")]),
        ("1.005", [("available_area", "warehouse.available_decimals")]),
        ("", []),  # not offered
    ],
)
def test_available_area_is_at_most_the_area(available: str, expected: list[tuple[str, str]]) -> None:
    assert problems(available_area=available) == expected


def test_available_area_is_not_compared_with_an_invalid_area() -> None:
    assert problems(area="lots", available_area="100") == [("area", "warehouse.area_invalid")]


def test_exceeding_available_area_names_both_figures() -> None:
    [error] = validate_warehouse(replace(GOOD, area="100", available_area="150.5"))
    assert error.message == "available area 150.5 m² is more than the warehouse's area 100 m²"


@pytest.mark.parametrize("mode", ["rent", "OWN", "自营", ""])
def test_mode_is_own_leased_or_public(mode: str) -> None:
    assert problems(mode=mode) == [("mode", "warehouse.mode_unknown")]


@pytest.mark.parametrize(
    ("field", "limit", "code"),
    [
        ("name", 200, "warehouse.name_too_long"),
        ("overseas_city", 100, "warehouse.city_too_long"),
        ("address", 300, "warehouse.address_too_long"),
        ("operator", 200, "warehouse.operator_too_long"),
        ("services", 1000, "warehouse.services_too_long"),
        ("contact", 200, "warehouse.contact_too_long"),
    ],
)
def test_lengths_follow_the_table(field: str, limit: int, code: str) -> None:
    assert problems(**{field: "仓" * limit}) == []
    assert problems(**{field: "仓" * (limit + 1)}) == [(field, code)]


def test_a_blank_name_is_missing() -> None:
    assert problems(name="   ") == [("name", "warehouse.name_required")]


def test_filing_number_format() -> None:
    assert filing_number("330100", 2024, 1) == "HWC330100202400001"
    assert filing_number("500000", 2025, 99999) == "HWC500000202599999"
    assert len(filing_number("442000", 2024, 123)) == 18
    assert is_filing_number("HWC330100202400001")
    assert not is_filing_number("HWC33010020240001")
    assert not is_filing_number("hwc330100202400001")


@pytest.mark.parametrize(
    ("city", "year", "serial"),
    [("33010", 2024, 1), ("3301000", 2024, 1), ("33010A", 2024, 1), ("330100", 24, 1), ("330100", 2024, 0)],
)
def test_filing_number_refuses_bad_parts(city: str, year: int, serial: int) -> None:
    with pytest.raises(ValueError, match="must"):
        filing_number(city, year, serial)


def test_filing_number_refuses_a_sixth_serial_digit() -> None:
    with pytest.raises(ValueError, match="serial must be 1 to 99999, got 100000"):
        filing_number("330100", 2024, 100000)


def test_parse_area() -> None:
    assert parse_area("1200") == Decimal("1200.00")
    assert str(parse_area("1200.5")) == "1200.50"
    assert parse_area("1.005") is None
    assert parse_area("abc") is None
    assert parse_area(None) is None


def test_addresses_compare_without_case_and_spacing() -> None:
    assert normalized_address("  88 Port Reading   Blvd,\tCarteret ") == "88 port reading blvd, carteret"


def _stored(**changes: object) -> OverseasWarehouse:
    warehouse = OverseasWarehouse(
        id=7,
        filing_no="HWC330100202400001",
        enterprise_id=3,
        city_code="330100",
        name=GOOD.name,
        country=GOOD.country,
        overseas_city=GOOD.overseas_city,
        address=GOOD.address,
        area=Decimal("12000.50"),
        mode=WarehouseMode.PUBLIC,
        operator=GOOD.operator,
        filed_at=FILED_AT,
        updated_at=FILED_AT,
        available_area=Decimal("3000.00"),
        services=GOOD.services,
        contact=GOOD.contact,
    )
    return replace(warehouse, **changes)  # type: ignore[arg-type]


def test_the_public_view_has_no_personal_data_and_the_snapshot_has_everything() -> None:
    warehouse = _stored()
    assert warehouse.public() == {
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
    }
    assert warehouse.snapshot() == warehouse.public() | {
        "id": 7,
        "enterprise_id": 3,
        "city_code": "330100",
        "contact": "王经理 +1 555 0100",
        "version": 1,
    }


def test_a_stored_filing_round_trips_through_its_input() -> None:
    warehouse = _stored()
    assert warehouse.as_input() == replace(GOOD, available_area="3000.00")
    later = datetime(2024, 12, 1, tzinfo=UTC)
    changed = warehouse.with_input(replace(GOOD, area="15000", available_area=None, mode="own"), later)
    assert (changed.area, changed.available_area, changed.mode, changed.version) == (
        Decimal("15000.00"),
        None,
        WarehouseMode.OWN,
        2,
    )
    assert (changed.filing_no, changed.filed_at, changed.updated_at) == ("HWC330100202400001", FILED_AT, later)
    withdrawn = warehouse.withdrawn(later)
    assert (withdrawn.status, withdrawn.version, withdrawn.is_filed) == (WarehouseStatus.WITHDRAWN, 2, False)


def test_demo_filings_are_valid_reproducible_and_spread_over_countries() -> None:
    items = demo_warehouse_inputs(20241126)
    assert items == demo_warehouse_inputs(20241126)
    assert len(items) == 11
    assert all(validate_warehouse(data) == [] for _, data in items)
    assert [data.country for _, data in items] == [
        "502",
        "502",
        "304",
        "303",
        "116",
        "601",
        "305",
        "309",
        "501",
        "312",
        "307",
    ]
    assert [owner for owner, _ in items] == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4]
    assert [data.mode for _, data in items].count("public") == 4
    assert all((data.available_area is not None) == (data.mode == "public") for _, data in items)
    assert all(data.contact is None for _, data in items)
    assert len({(data.country, data.address) for _, data in items}) == 11
