"""XML ↔ model: the conformance samples, structure errors and warnings, lossless round trips."""

from __future__ import annotations

import pytest
from exchange_samples import SIGNATURE, UPPER_GUID, all_types, conformance, sample
from lxml import etree

from cbec.exchange.model import NAMESPACE
from cbec.exchange.xmlcodec import parse_xml, to_xml

ORDER_HEAD = (
    "<ceb:guid>{guid}</ceb:guid><ceb:appType>1</ceb:appType><ceb:appTime>20240131120000</ceb:appTime>"
    "<ceb:appStatus>1</ceb:appStatus><ceb:orderType>I</ceb:orderType><ceb:orderNo>O1</ceb:orderNo>"
)


def order_xml(head: str = ORDER_HEAD, extra: str = "", root_ns: str = f'xmlns:ceb="{NAMESPACE}"') -> bytes:
    body = head.format(guid=UPPER_GUID)
    return (
        f'<ceb:CEB311Message {root_ns} guid="{UPPER_GUID}" version="1.0">'
        f"<ceb:Order><ceb:OrderHead>{body}</ceb:OrderHead>{extra}</ceb:Order></ceb:CEB311Message>"
    ).encode()


def codes(items: list) -> list[str]:
    return [item.code for item in items]


def test_conformance_ceb621_parses_without_errors_or_warnings() -> None:
    result = parse_xml(conformance("ceb621-hainan-9610.xml"))

    assert result.errors == []
    assert result.warnings == []  # its InventoryList order (itemRecordNo before itemNo) is the schema's
    message = result.message
    assert message is not None
    assert (message.type, message.guid, message.version) == (
        "CEB621",
        "CEB621_HNZB_FXJK_20220208175054_0034",
        "v1.0",
    )
    head = message.units[0].head
    assert (head["tradeMode"], head["ieFlag"], head["buyerIdType"], head["freight"]) == ("9610", "I", "1", "0.00")
    [item] = message.units[0].lists["InventoryList"]
    assert (item["gcode"], item["totalPrice"], item["qty1"]) == ("2106909090", "0.01", "0.06")
    assert message.base_transfer == {
        "copCode": "46121601BC",
        "copName": "海南星创互联网医药有限公司",
        "dxpMode": "DXP",
        "dxpId": "DXPENT0000458763",
    }
    assert message.signature is None


def test_conformance_ceb621_round_trips() -> None:
    message = parse_xml(conformance("ceb621-hainan-9610.xml")).message
    assert message is not None

    again = parse_xml(to_xml(message))

    assert again.errors == []
    assert again.warnings == []
    assert again.message == message


def test_not_well_formed_reports_line_and_column() -> None:
    result = parse_xml(conformance("ceb603-not-well-formed.xml"))

    assert result.message is None
    [error] = result.errors
    assert error.code == "xml.not_well_formed"
    assert error.path == "/"
    assert "line 143, column 18" in error.message
    assert "Opening and ending tag mismatch" in error.message


def test_the_export_list_sample_parses_and_round_trips() -> None:
    result = parse_xml(conformance("ceb603-semantic-errors.xml"))

    assert result.errors == []
    assert result.message is not None
    head = result.message.units[0].head
    assert (head["ieFlag"], head["tradeMode"], head["POD"], head["iacCode"]) == ("a", "0101", "002", "")
    assert parse_xml(to_xml(result.message)).message == result.message


def test_an_unknown_message_type_is_named() -> None:
    result = parse_xml(b'<ceb:CEB999Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0"/>')

    assert result.message is None
    assert codes(result.errors) == ["schema.unknown_message"]
    assert "CEB999" in result.errors[0].message


def test_default_namespace_is_accepted() -> None:
    data = order_xml().replace(b"ceb:", b"").replace(b"xmlns:ceb=", b"xmlns=")

    result = parse_xml(data)

    assert result.errors == []
    assert result.warnings == []
    assert result.message is not None
    assert result.message.units[0].head["orderNo"] == "O1"


def test_no_namespace_is_accepted_with_a_warning() -> None:
    data = order_xml(root_ns="").replace(b"ceb:", b"")

    result = parse_xml(data)

    assert result.errors == []
    assert codes(result.warnings) == ["xml.no_namespace"]
    assert result.message is not None
    assert result.message.units[0].head["orderType"] == "I"


def test_a_foreign_namespace_is_refused() -> None:
    result = parse_xml(order_xml(root_ns='xmlns:ceb="urn:other"'))

    assert codes(result.errors) == ["xml.wrong_namespace"]


def test_unknown_element_is_an_error_with_its_path() -> None:
    result = parse_xml(order_xml(head=ORDER_HEAD + "<ceb:shoeSize>42</ceb:shoeSize>"))

    assert result.message is None
    [error] = result.errors
    assert (error.path, error.code) == ("Order[0]/OrderHead/shoeSize", "schema.unknown_element")


def test_unknown_list_element_is_an_error() -> None:
    result = parse_xml(order_xml(extra="<ceb:OrderItems/>"))

    assert [(e.path, e.code) for e in result.errors] == [("Order[0]/OrderItems", "schema.unknown_element")]


def test_duplicate_and_nested_fields_are_errors() -> None:
    head = ORDER_HEAD + "<ceb:orderNo>O2</ceb:orderNo><ceb:note><ceb:x/></ceb:note>"

    result = parse_xml(order_xml(head=head))

    assert [(e.path, e.code) for e in result.errors] == [
        ("Order[0]/OrderHead/orderNo", "schema.duplicate_element"),
        ("Order[0]/OrderHead/note", "schema.unexpected_children"),
    ]


def test_out_of_order_elements_are_a_warning_not_an_error() -> None:
    head = ORDER_HEAD.replace("<ceb:orderType>I</ceb:orderType>", "") + "<ceb:orderType>I</ceb:orderType>"

    result = parse_xml(order_xml(head=head))

    assert result.errors == []
    [warning] = result.warnings
    assert (warning.path, warning.code) == ("Order[0]/OrderHead/orderType", "schema.element_order")
    assert result.message is not None
    assert result.message.units[0].head["orderType"] == "I"


def test_unknown_message_type_and_foreign_root() -> None:
    assert codes(parse_xml(b'<CEB999Message guid="x" version="1.0"/>').errors) == ["schema.unknown_message"]
    assert codes(parse_xml(b"<html><body/></html>").errors) == ["schema.unknown_message"]


def test_empty_elements_keep_an_empty_value_and_comments_are_dropped() -> None:
    head = ORDER_HEAD + "<!-- internal --><ceb:note></ceb:note>"

    result = parse_xml(order_xml(head=head))

    assert result.message is not None
    assert result.message.units[0].head["note"] == ""
    assert b"internal" not in to_xml(result.message)


def test_signature_is_kept_verbatim_and_round_trips() -> None:
    message = sample("CEB311")
    signed = type(message)(**{**message.__dict__, "signature": SIGNATURE})

    xml = to_xml(signed)
    parsed = parse_xml(xml)

    assert parsed.errors == []
    assert parsed.message == signed
    assert SIGNATURE.encode() in xml
    assert parse_xml(to_xml(parsed.message)).message == signed


def test_signature_inherited_namespaces_are_dropped_once() -> None:
    data = order_xml().replace(b"</ceb:CEB311Message>", SIGNATURE.encode() + b"</ceb:CEB311Message>")
    data = data.replace(b"guid=", b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" guid=', 1)

    first = parse_xml(data).message
    assert first is not None
    assert first.signature == SIGNATURE
    assert parse_xml(to_xml(first)).message == first


def test_to_xml_writes_declaration_schema_order_and_only_present_fields() -> None:
    message = parse_xml(order_xml()).message
    assert message is not None
    head = message.units[0].head
    shuffled = type(message)(**{**message.__dict__, "units": [type(message.units[0])(dict(reversed(head.items())))]})

    xml = to_xml(shuffled)

    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB311Message')
    root = etree.fromstring(xml)
    names = [etree.QName(child).localname for child in root[0][0]]
    assert names == ["guid", "appType", "appTime", "appStatus", "orderType", "orderNo"]


def test_to_xml_with_a_default_namespace() -> None:
    xml = to_xml(sample("CEB412"), prefix="")

    assert b'<CEB412Message xmlns="http://www.chinaport.gov.cn/ceb"' in xml
    assert parse_xml(xml).message == sample("CEB412")


def test_to_xml_refuses_fields_outside_the_schema() -> None:
    message = sample("CEB411")
    message.units[0].head["shoeSize"] = "42"

    with pytest.raises(ValueError, match="shoeSize"):
        to_xml(message)


@pytest.mark.parametrize("message_type", all_types())
def test_every_type_round_trips_through_xml(message_type: str) -> None:
    message = sample(message_type)

    result = parse_xml(to_xml(message))

    assert result.errors == []
    assert result.warnings == []
    assert result.message == message
