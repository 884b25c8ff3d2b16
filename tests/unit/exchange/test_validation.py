"""Stateless validation: schema, arithmetic with tolerance, business rules; paths index from 0."""

from __future__ import annotations

from decimal import Decimal

import pytest
from exchange_samples import SIGNATURE, all_types, conformance, sample

from cbec.exchange.jsoncodec import to_json
from cbec.exchange.model import Message
from cbec.exchange.validation import Report, check_bytes, validate
from cbec.exchange.xmlcodec import to_xml


def pairs(items: list) -> list[tuple[str, str]]:
    return [(item.path, item.code) for item in items]


def order() -> Message:
    return sample("CEB311")


def order_head(message: Message) -> dict[str, str]:
    return message.units[0].head


@pytest.mark.parametrize("message_type", all_types())
def test_every_sample_is_valid(message_type: str) -> None:
    report = validate(sample(message_type))

    assert report.errors == []
    assert report.warnings == []
    assert report.ok


def test_conformance_ceb621_is_accepted_with_exactly_these_warnings() -> None:
    report = check_bytes(conformance("ceb621-hainan-9610.xml"), "ceb621-hainan-9610.xml")

    assert report.errors == []
    assert pairs(report.warnings) == [
        ("@guid", "schema.guid_format"),
        ("@version", "schema.version"),
        ("Inventory[0]/InventoryHead/guid", "schema.guid_format"),
        ("Inventory[0]/InventoryHead/appStatus", "rule.unsigned_declaration"),
    ]


def test_conformance_not_well_formed_is_rejected() -> None:
    report = check_bytes(conformance("ceb603-not-well-formed.xml"))

    assert pairs(report.errors) == [("/", "xml.not_well_formed")]
    assert "line 143, column 18" in report.errors[0].message


def test_check_bytes_reads_json_too() -> None:
    message = order()
    order_head(message)["acturalPaid"] = "200.00"

    report = check_bytes(to_json(message), "order.json")

    assert pairs(report.errors) == [("Order[0]/OrderHead/acturalPaid", "arith.actural_paid")]


def test_actural_paid_beyond_tolerance_is_an_error() -> None:
    message = order()
    order_head(message)["acturalPaid"] = "130.00"  # expected 120.01, 8 % off

    report = validate(message)

    [error] = report.errors
    assert (error.path, error.code) == ("Order[0]/OrderHead/acturalPaid", "arith.actural_paid")
    assert "120.01" in error.message


def test_actural_paid_within_tolerance_passes_and_tolerance_is_configurable() -> None:
    message = order()
    order_head(message)["acturalPaid"] = "125.00"  # 4.2 % off

    assert validate(message).errors == []
    assert pairs(validate(message, tolerance=Decimal("0.01")).errors) == [
        ("Order[0]/OrderHead/acturalPaid", "arith.actural_paid")
    ]


def test_absolute_floor_of_one_cent() -> None:
    message = order()
    order_head(message)["acturalPaid"] = "120.02"

    assert validate(message, tolerance=Decimal(0)).errors == []
    order_head(message)["acturalPaid"] = "120.03"
    assert pairs(validate(message, tolerance=Decimal(0)).errors) == [
        ("Order[0]/OrderHead/acturalPaid", "arith.actural_paid")
    ]


def test_item_total_mismatch_names_the_item() -> None:
    message = order()
    message.units[0].lists["OrderList"][1].update(qty="3", price="20", totalPrice="50.00")

    report = validate(message)

    assert pairs(report.errors) == [("Order[0]/OrderList[1]/totalPrice", "arith.total_price")]
    assert report.warnings == []  # the declared totals still add up to goodsValue


def test_items_not_adding_up_to_goods_value_is_a_warning() -> None:
    message = order()
    message.units[0].lists["OrderList"][1].update(price="80.00", totalPrice="80.00")

    report = validate(message)

    assert report.errors == []
    assert pairs(report.warnings) == [("Order[0]/OrderHead/goodsValue", "arith.goods_value")]


def test_inventory_item_total_is_checked() -> None:
    message = sample("CEB621")
    message.units[0].lists["InventoryList"][0].update(qty="100", price="20", totalPrice="2200")  # 10 % off

    assert pairs(validate(message).errors) == [("Inventory[0]/InventoryList[0]/totalPrice", "arith.total_price")]


def test_missing_and_empty_required_fields() -> None:
    message = order()
    del order_head(message)["buyerIdNumber"]
    order_head(message)["consigneeAddress"] = "  "

    report = validate(message)

    assert pairs(report.errors) == [
        ("Order[0]/OrderHead/buyerIdNumber", "schema.required"),
        ("Order[0]/OrderHead/consigneeAddress", "schema.required"),
    ]
    assert "missing" in report.errors[0].message
    assert "empty" in report.errors[1].message


def test_bad_dates() -> None:
    message = sample("CEB621")
    message.units[0].head.update(appTime="20240230120000", declTime="2024-01-01", ieDate="20241301")

    assert pairs(validate(message).errors) == [
        ("Inventory[0]/InventoryHead/appTime", "schema.date"),
        ("Inventory[0]/InventoryHead/declTime", "schema.date"),
        ("Inventory[0]/InventoryHead/ieDate", "schema.date"),
    ]


def test_receipt_time_accepts_milliseconds_or_seconds_only() -> None:
    receipt = sample("CEB312")
    receipt.units[0].head["returnTime"] = "20240131235959"
    assert validate(receipt).errors == []

    receipt.units[0].head["returnTime"] = "202401312359591"
    assert pairs(validate(receipt).errors) == [("OrderReturn[0]/returnTime", "schema.date")]


def test_value_too_long() -> None:
    message = order()
    order_head(message)["orderNo"] = "N" * 61

    [error] = validate(message).errors
    assert (error.path, error.code) == ("Order[0]/OrderHead/orderNo", "schema.too_long")
    assert "61 characters; at most 60" in error.message


def test_decimals_ints_and_scale() -> None:
    message = order()
    item = message.units[0].lists["OrderList"][0]
    item.update(qty="1", price="50.000001", totalPrice="50.00")
    item["gnum"] = "one"
    order_head(message)["freight"] = "-1"

    assert pairs(validate(message).errors) == [
        ("Order[0]/OrderHead/freight", "schema.decimal"),
        ("Order[0]/OrderList[0]/gnum", "schema.int"),
        ("Order[0]/OrderList[0]/price", "schema.decimal_scale"),
    ]


def test_code_sets() -> None:
    message = order()
    order_head(message).update(orderType="E", currency="502", appType="4", buyerIdType="3")

    report = validate(message)

    assert pairs(report.errors) == [
        ("Order[0]/OrderHead/appType", "schema.code"),
        ("Order[0]/OrderHead/orderType", "schema.code"),
        ("Order[0]/OrderHead/currency", "schema.code"),
        ("Order[0]/OrderHead/buyerIdType", "schema.code"),
    ]
    assert report.errors[1].hint == "allowed: I"


def test_inventory_must_be_an_import_under_9610_or_1210() -> None:
    message = sample("CEB621")
    message.units[0].head.update(ieFlag="E", tradeMode="0110")

    assert pairs(validate(message).errors) == [
        ("Inventory[0]/InventoryHead/ieFlag", "schema.code"),
        ("Inventory[0]/InventoryHead/tradeMode", "schema.code"),
    ]
    message.units[0].head.update(ieFlag="I", tradeMode="9610")
    assert validate(message).errors == []


def test_gnum_must_run_from_one() -> None:
    message = sample("CEB621")
    message.units[0].lists["InventoryList"][1]["gnum"] = "3"

    assert pairs(validate(message).errors) == [("Inventory[0]/InventoryList[1]/gnum", "rule.gnum_sequence")]


def test_goods_list_is_mandatory() -> None:
    message = order()
    message.units[0].lists.clear()

    assert pairs(validate(message).errors) == [("Order[0]/OrderList", "schema.required")]


def test_order_over_5000_is_noted_not_refused() -> None:
    message = order()
    order_head(message).update(goodsValue="4995.00", freight="10.00", taxTotal="0", acturalPaid="5005.00")
    for item in message.units[0].lists["OrderList"]:
        item.update(price="2497.50", totalPrice="2497.50")

    report = validate(message)

    assert report.errors == []
    assert pairs(report.warnings) == [("Order[0]/OrderHead/goodsValue", "rule.over_single_limit")]


def test_envelope_quirks_are_warnings() -> None:
    message = Message(**{**order().__dict__, "guid": "abc", "version": "v1.0", "base_transfer": None})
    order_head(message)["appStatus"] = "2"

    report = validate(message)

    assert report.errors == []
    assert pairs(report.warnings) == [
        ("@guid", "schema.guid_format"),
        ("@version", "schema.version"),
        ("BaseTransfer", "schema.base_transfer_missing"),
        ("Order[0]/OrderHead/appStatus", "rule.unsigned_declaration"),
    ]


def test_signed_declaration_has_no_signature_warning() -> None:
    message = Message(**{**order().__dict__, "signature": SIGNATURE})
    order_head(message)["appStatus"] = "2"

    assert validate(message).warnings == []


def test_missing_root_guid_and_units_are_errors() -> None:
    message = Message(**{**order().__dict__, "guid": "", "units": []})

    assert pairs(validate(message).errors) == [("@guid", "schema.required"), ("Order", "schema.required")]


def test_base_transfer_fields_are_checked() -> None:
    message = order()
    assert message.base_transfer is not None
    message.base_transfer["dxpMode"] = "FTP"

    assert pairs(validate(message).errors) == [("BaseTransfer/dxpMode", "schema.code")]


def test_return_status_known_or_negative() -> None:
    receipt = sample("CEB622")
    for status in ("120", "399", "800", "-301010"):
        receipt.units[0].head["returnStatus"] = status
        assert validate(receipt).warnings == [], status

    receipt.units[0].head["returnStatus"] = "42"
    assert pairs(validate(receipt).warnings) == [("InventoryReturn[0]/returnStatus", "rule.return_status")]


def test_tax_bill_items() -> None:
    tax = sample("CEB816")
    tax.units[0].lists["TaxListRd"][0]["valueAddedTax"] = "abc"

    assert pairs(validate(tax).errors) == [("Tax[0]/TaxListRd[0]/valueAddedTax", "schema.decimal")]


def test_report_as_dict() -> None:
    report = check_bytes(to_xml(order()))

    assert isinstance(report, Report)
    assert report.as_dict() == {"ok": True, "errors": [], "warnings": []}
