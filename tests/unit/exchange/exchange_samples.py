"""Test helpers: the conformance folder, and one valid sample message per registered type."""

from __future__ import annotations

from pathlib import Path

import pytest

from cbec.exchange.model import Message, Unit
from cbec.exchange.spec import BASE_TRANSFER, SPECS, FieldSpec, MessageSpec
from cbec.testing.conformance import find_conformance_dir

UPPER_GUID = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94"
SIGNATURE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
    "<ds:SignedInfo><ds:CanonicalizationMethod "
    'Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></ds:SignedInfo>'
    "<ds:SignatureValue>AbC=</ds:SignatureValue></ds:Signature>"
)


def conformance_dir() -> Path:
    """``shared/conformance`` next to the repository (walks up from this file)."""
    found = find_conformance_dir(Path(__file__))
    if found is None:
        pytest.fail("shared/conformance not found beside the repository; the conformance samples are required")
    return found


def conformance(name: str) -> bytes:
    path = conformance_dir() / name
    if not path.is_file():
        pytest.fail(f"conformance sample {path} is missing")
    return path.read_bytes()


def _value(spec: FieldSpec, index: int) -> str:
    if spec.codes is not None:
        return sorted(spec.codes)[0]
    if spec.name == "guid":
        return UPPER_GUID
    if spec.name == "gnum":
        return str(index + 1)
    if spec.name == "returnStatus":
        return "120"
    samples = {
        "decimal": "1.00",
        "int": "1",
        "datetime14": "20240131235959",
        "datetime17": "20240131235959123",
        "date8": "20240229",
        "text": "样例" + spec.name,
        "code": "1234567890",
    }
    return samples[spec.kind][: spec.max_len]


def _record(fields: tuple[FieldSpec, ...], index: int = 0) -> dict[str, str]:
    return {spec.name: _value(spec, index) for spec in fields}


def _unit(spec: MessageSpec) -> Unit:
    lists = {ls.name: [_record(ls.fields, k) for k in range(2)] for ls in spec.lists}
    return Unit(_record(spec.head_fields), lists)


def sample(message_type: str) -> Message:
    """A message of that type with every field filled validly (arithmetic included)."""
    spec = SPECS[message_type]
    message = Message(
        type=spec.type,
        guid=UPPER_GUID,
        version="1.0",
        units=[_unit(spec)],
        base_transfer=_record(BASE_TRANSFER.fields) if spec.kind == "declaration" else None,
    )
    if message_type == "CEB311":
        _make_order_add_up(message.units[0])
    if message_type == "CEB303":  # the export order: FOB goods value = its items
        message.units[0].head.update(goodsValue="100.00")
        for item in message.units[0].lists["OrderList"]:
            item.update(qty="1", price="50.00", totalPrice="50.00")
    return message


def _make_order_add_up(unit: Unit) -> None:
    # goods 100 + freight 10 + tax 10.01 − discount 0 = 120.01 (DOMAIN §4's example), two items of 50.
    unit.head.update(goodsValue="100.00", freight="10.00", taxTotal="10.01", discount="0", acturalPaid="120.01")
    for item in unit.lists["OrderList"]:
        item.update(qty="1", price="50.00", totalPrice="50.00")


def all_types() -> list[str]:
    return sorted(SPECS)
