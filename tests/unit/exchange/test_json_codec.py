"""The JSON form: exact number text, structure errors, and equality with the XML form."""

from __future__ import annotations

import json

import pytest
from exchange_samples import SIGNATURE, UPPER_GUID, all_types, conformance, sample

from cbec.exchange.jsoncodec import parse_any, parse_json, to_json
from cbec.exchange.model import Message
from cbec.exchange.xmlcodec import parse_xml, to_xml


def order_json(**head: object) -> bytes:
    fields = {"guid": UPPER_GUID, "orderType": "I", "orderNo": "O1", **head}
    document = {
        "type": "CEB311",
        "guid": UPPER_GUID,
        "version": "1.0",
        "Order": [{"OrderHead": fields, "OrderList": [{"gnum": "1", "itemName": "奶粉"}]}],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def test_numbers_keep_their_exact_text() -> None:
    data = (
        b'{"type": "CEB311", "guid": "G", "version": 1.0, "Order": [{"OrderHead": '
        b'{"freight": 0.10, "discount": 0, "goodsValue": 12345678901234567890.12345}}]}'
    )

    result = parse_json(data)

    assert result.errors == []
    assert result.message is not None
    assert result.message.version == "1.0"
    assert result.message.units[0].head == {
        "freight": "0.10",
        "discount": "0",
        "goodsValue": "12345678901234567890.12345",
    }
    assert b'"freight": "0.10"' in to_json(result.message)


def test_json_round_trip_keeps_0_10() -> None:
    message = sample("CEB311")
    message.units[0].head["freight"] = "0.10"

    again = parse_json(to_json(message))

    assert again.errors == []
    assert again.message == message
    assert again.message.units[0].head["freight"] == "0.10"


def test_shape_of_the_json_form() -> None:
    document = json.loads(to_json(sample("CEB311")))

    assert list(document) == ["type", "guid", "version", "Order", "BaseTransfer"]
    assert list(document["Order"][0]) == ["OrderHead", "OrderList"]
    assert list(document["Order"][0]["OrderHead"])[:5] == ["guid", "appType", "appTime", "appStatus", "orderType"]
    assert all(isinstance(v, str) for v in document["Order"][0]["OrderHead"].values())


def test_headless_units_are_the_record_itself() -> None:
    document = json.loads(to_json(sample("CEB623")))

    assert list(document["InvtCancel"][0])[:2] == ["guid", "appType"]


def test_unknown_keys_are_errors_with_paths() -> None:
    data = order_json(shoeSize="42").replace(b'"version"', b'"colour": "red", "version"')

    result = parse_json(data)

    assert result.message is None
    assert [(e.path, e.code) for e in result.errors] == [
        ("colour", "schema.unknown_element"),
        ("Order[0]/OrderHead/shoeSize", "schema.unknown_element"),
    ]


def test_bad_values_and_nulls() -> None:
    result = parse_json(order_json(orderNo=True, note=None, buyerName={"a": 1}))

    assert [(e.path, e.code) for e in result.errors] == [
        ("Order[0]/OrderHead/orderNo", "json.bad_value"),
        ("Order[0]/OrderHead/buyerName", "json.bad_value"),
    ]
    assert [(w.path, w.code) for w in result.warnings] == [("Order[0]/OrderHead/note", "json.null_value")]


def test_malformed_json_reports_line_and_column() -> None:
    [error] = parse_json(b'{\n  "type": "CEB311",\n  "guid" "x"\n}').errors

    assert error.code == "json.malformed"
    assert "line 3, column 10" in error.message


def test_type_must_name_a_known_message() -> None:
    assert [e.code for e in parse_json(b'{"type": "CEB999"}').errors] == ["schema.unknown_message"]
    assert [e.code for e in parse_json(b'{"type": 311}').errors] == ["schema.unknown_message"]
    assert [e.code for e in parse_json(b"[1, 2]").errors] == ["json.not_object"]
    assert [e.code for e in parse_json(b'{"a": NaN}').errors] == ["json.malformed"]


def test_missing_head_is_reported() -> None:
    result = parse_json(b'{"type": "CEB311", "guid": "G", "version": "1.0", "Order": [{"OrderList": []}]}')

    assert [(e.path, e.code) for e in result.errors] == [("Order[0]/OrderHead", "schema.required")]


def test_signature_must_be_a_ds_signature() -> None:
    document = json.loads(to_json(sample("CEB411")))
    document["Signature"] = "<evil/>"

    result = parse_json(json.dumps(document).encode())

    assert [(e.path, e.code) for e in result.errors] == [("Signature", "json.bad_signature")]


def test_signed_message_round_trips_through_json() -> None:
    message = sample("CEB621")
    signed = Message(**{**message.__dict__, "signature": SIGNATURE})

    assert parse_json(to_json(signed)).message == signed


@pytest.mark.parametrize("message_type", all_types())
def test_xml_json_xml_equality_for_every_type(message_type: str) -> None:
    message = parse_xml(to_xml(sample(message_type))).message
    assert message is not None

    via_json = parse_json(to_json(message))
    assert via_json.errors == []
    assert via_json.warnings == []
    assert via_json.message == message
    back = parse_xml(to_xml(via_json.message))
    assert back.message == message
    assert to_xml(back.message) == to_xml(message)


def test_conformance_sample_survives_json() -> None:
    message = parse_xml(conformance("ceb621-hainan-9610.xml")).message
    assert message is not None

    assert parse_json(to_json(message)).message == message


def test_parse_any_sniffs_content_then_file_name() -> None:
    xml, js = to_xml(sample("CEB511")), to_json(sample("CEB511"))

    assert parse_any(xml).message == sample("CEB511")
    assert parse_any(b"\xef\xbb\xbf  \n" + js).message == sample("CEB511")
    assert parse_any(b"   ", "order.json").errors[0].code == "json.malformed"
    assert parse_any(b"   ", "order.XML").errors[0].code == "xml.not_well_formed"
