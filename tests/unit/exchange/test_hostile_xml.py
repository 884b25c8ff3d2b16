"""Hostile documents are refused with the right code, without expanding or building anything big."""

from __future__ import annotations

import pytest
from exchange_samples import sample

from cbec.exchange import jsoncodec, xmlcodec
from cbec.exchange.jsoncodec import parse_any, parse_json
from cbec.exchange.xmlcodec import parse_xml, to_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0">&lol9;</ceb:CEB311Message>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0">
<ceb:Order><ceb:OrderHead><ceb:note>&xxe;</ceb:note></ceb:OrderHead></ceb:Order>
</ceb:CEB311Message>
"""


def only_code(result: xmlcodec.ParseResult) -> str:
    assert result.message is None
    [error] = result.errors
    return error.code


def test_billion_laughs_is_refused() -> None:
    assert only_code(parse_xml(BILLION_LAUGHS)) == "xml.doctype_forbidden"


def test_external_entity_is_refused_and_never_read() -> None:
    result = parse_xml(EXTERNAL_ENTITY)

    assert only_code(result) == "xml.doctype_forbidden"
    assert "root:" not in result.errors[0].message


def test_doctype_in_utf16_is_caught_after_parsing_without_expansion() -> None:
    data = EXTERNAL_ENTITY.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')

    assert only_code(parse_xml(data.decode().encode("utf-16"))) == "xml.doctype_forbidden"


def test_a_plain_doctype_is_refused_too() -> None:
    assert only_code(parse_xml(b"<!DOCTYPE html><html/>")) == "xml.doctype_forbidden"


def test_oversized_documents_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_parsing(data: bytes) -> None:
        raise AssertionError("the parser must not see an oversized document")

    monkeypatch.setattr(xmlcodec, "_build_tree", no_parsing)
    monkeypatch.setattr(jsoncodec, "_loads", no_parsing)
    huge = b"<a>" + b"x" * (200 * 1024 * 1024)  # the one big buffer of this test

    assert only_code(parse_xml(huge)) == "xml.too_large"
    assert only_code(parse_any(huge)) == "xml.too_large"
    assert only_code(parse_json(huge)) == "json.too_large"
    assert "209715203 bytes" in parse_xml(huge).errors[0].message


def test_size_limit_is_configurable() -> None:
    data = to_xml(sample("CEB311"))

    assert only_code(parse_xml(data, max_bytes=len(data) - 1)) == "xml.too_large"
    assert parse_xml(data, max_bytes=len(data)).errors == []


def test_ten_thousand_levels_are_refused_by_libxml2_limit() -> None:
    data = b"<a>" * 10_000 + b"</a>" * 10_000

    result = parse_xml(data)

    assert only_code(result) == "xml.too_deep"


def test_nesting_beyond_our_own_limit_is_refused() -> None:
    data = b"<a>" * 40 + b"</a>" * 40

    assert only_code(parse_xml(data)) == "xml.too_deep"
    assert only_code(parse_xml(b"<a><b><c/></b></a>", max_depth=2)) == "xml.too_deep"


def test_deep_json_is_refused() -> None:
    assert only_code(parse_json(b"[" * 100_000 + b"]" * 100_000)) == "json.too_deep"
    assert only_code(parse_json(b'{"a":' * 40 + b"1" + b"}" * 40)) == "json.too_deep"


def test_truncated_and_binary_input() -> None:
    assert only_code(parse_xml(b"<ceb:CEB311Message")) == "xml.not_well_formed"
    assert only_code(parse_xml(b"")) == "xml.not_well_formed"
    assert only_code(parse_any(b"\x00\x01\x02")) == "format.unknown"
    assert only_code(parse_json(b"\xff\xfe{")) == "json.bad_encoding"
