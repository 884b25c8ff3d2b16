"""The JSON form of a CEB message, equivalent to the XML one, and ``parse_any`` (XML or JSON).

    {"type": "CEB311", "guid": "…", "version": "1.0",
     "Order": [{"OrderHead": {…}, "OrderList": [{…}, …]}],
     "BaseTransfer": {…}, "Signature": "<ds:Signature …>…</ds:Signature>"}

Units without a head wrapper (``InvtCancel``, receipts) are the record itself:
``"InvtCancel": [{"guid": …, …}]``. Every value is written as a JSON string. On input, numbers are
accepted and kept with their exact text (``0.10`` stays ``"0.10"``: the parser hands us the
literal, never a float); ``null`` means absent (with a warning); booleans, arrays and objects in a
field are errors. JSON has no element order, so there are no order warnings here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NoReturn

from cbec.exchange.model import Message, Unit
from cbec.exchange.spec import BASE_TRANSFER, FieldSpec, MessageSpec, UnknownMessageType, spec_for
from cbec.exchange.xmlcodec import (
    DEFAULT_MAX_BYTES,
    DOCUMENT,
    ParseResult,
    failed,
    normalise_signature,
    parse_xml,
    signature_from_text,
)
from cbec.kernel.errors import FieldError

__all__ = ["parse_any", "parse_json", "to_json"]

_TYPE = re.compile(r"^(CEB\d{3})(Message)?$")
_ENVELOPE = ("type", "guid", "version")
_SNIFF_BYTES = 256


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number CEB messages allow")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=str, parse_int=str, parse_constant=_reject_constant)


def parse_json(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = 32) -> ParseResult:
    """Parse the JSON form; never raises on bad input, reports it in ``ParseResult.errors``."""
    if len(data) > max_bytes:
        return failed(DOCUMENT, "json.too_large", f"document is {len(data)} bytes; the limit is {max_bytes}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return failed(DOCUMENT, "json.bad_encoding", f"not UTF-8 at byte {exc.start}")
    try:
        document = _loads(text)
    except json.JSONDecodeError as exc:
        return failed(DOCUMENT, "json.malformed", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return failed(DOCUMENT, "json.too_deep", "values are nested too deep")
    except ValueError as exc:
        return failed(DOCUMENT, "json.malformed", str(exc))
    if _deeper_than(document, max_depth):
        return failed(DOCUMENT, "json.too_deep", f"values are nested deeper than {max_depth} levels")
    if not isinstance(document, dict):
        return failed(DOCUMENT, "json.not_object", "the document must be a JSON object")
    return _Reader().read(document)


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return False


def _as_records(value: Any) -> list[Any]:
    # A single object where an array is expected is accepted as an array of one.
    return value if isinstance(value, list) else [value]


class _Reader:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[FieldError] = []

    def error(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))

    def read(self, document: dict[str, Any]) -> ParseResult:
        declared = document.get("type")
        match = _TYPE.match(declared) if isinstance(declared, str) else None
        if match is None:
            return failed("type", "schema.unknown_message", f"'type' must name a CEB message, got {declared!r}")
        try:
            spec = spec_for(match.group(1))
        except UnknownMessageType as exc:
            return failed("type", "schema.unknown_message", str(exc))
        message = self._message(document, spec)
        return ParseResult(None if self.errors else message, self.errors, self.warnings)

    def _message(self, document: dict[str, Any], spec: MessageSpec) -> Message:
        allowed = {*_ENVELOPE, spec.unit, BASE_TRANSFER.name, "Signature"}
        for key in document:
            if key not in allowed:
                self.error(key, "schema.unknown_element", f"{key!r} is not part of {spec.root_element}")
        guid, version = self._scalar(document, "guid", "guid"), self._scalar(document, "version", "version")
        units = [
            self._unit(raw, spec, f"{spec.unit}[{index}]")
            for index, raw in enumerate(_as_records(document.get(spec.unit, [])))
        ]
        base_transfer = None
        if document.get(BASE_TRANSFER.name) is not None:
            base_transfer = self._record(document[BASE_TRANSFER.name], BASE_TRANSFER.fields, BASE_TRANSFER.name)
        return Message(spec.type, guid or "", version or "", units, base_transfer, self._signature(document))

    def _signature(self, document: dict[str, Any]) -> str | None:
        raw = document.get("Signature")
        if raw is None:
            return None
        if not isinstance(raw, str):
            self.error("Signature", "json.bad_signature", "Signature must be the ds:Signature XML as a string")
            return None
        try:
            return normalise_signature(signature_from_text(raw))
        except ValueError as exc:
            self.error("Signature", "json.bad_signature", str(exc))
            return None

    def _unit(self, raw: Any, spec: MessageSpec, path: str) -> Unit:
        if spec.head is None:
            return Unit(self._record(raw, spec.head_fields, path))
        if not isinstance(raw, dict):
            self.error(path, "json.bad_value", "a unit must be an object")
            return Unit({})
        lists: dict[str, list[dict[str, str]]] = {}
        for key, value in raw.items():
            list_spec = spec.list_spec(key)
            if list_spec is not None:
                lists[key] = [
                    self._record(item, list_spec.fields, f"{path}/{key}[{index}]")
                    for index, item in enumerate(_as_records(value))
                ]
            elif key != spec.head:
                self.error(f"{path}/{key}", "schema.unknown_element", f"{key!r} is not expected in {spec.unit}")
        if spec.head not in raw:
            self.error(f"{path}/{spec.head}", "schema.required", f"{spec.head} is missing")
            return Unit({}, lists)
        return Unit(self._record(raw[spec.head], spec.head_fields, f"{path}/{spec.head}"), lists)

    def _record(self, raw: Any, fields: tuple[FieldSpec, ...], path: str) -> dict[str, str]:
        if not isinstance(raw, dict):
            self.error(path, "json.bad_value", "a record must be an object")
            return {}
        known = {spec.name for spec in fields}
        values: dict[str, str] = {}
        for key in raw:
            if key not in known:
                self.error(f"{path}/{key}", "schema.unknown_element", f"{key!r} is not a field here")
                continue
            value = self._scalar(raw, key, f"{path}/{key}")
            if value is not None:
                values[key] = value
        return values

    def _scalar(self, raw: dict[str, Any], key: str, path: str) -> str | None:
        value = raw.get(key)
        if isinstance(value, str):  # numbers arrive as their literal text (parse_int/parse_float=str)
            return value
        if value is None:
            if key in raw:
                self.warnings.append(FieldError(path, "json.null_value", "null is treated as absent"))
            return None
        self.error(path, "json.bad_value", f"expected a string or number, got {type(value).__name__}")
        return None


def to_json(message: Message) -> bytes:
    """The JSON form: fields in schema order, every value a string, UTF-8 without escapes."""
    spec = spec_for(message.type)
    document: dict[str, Any] = {"type": spec.type, "guid": message.guid, "version": message.version}
    document[spec.unit] = [_unit_json(unit, spec) for unit in message.units]
    if message.base_transfer is not None:
        document[BASE_TRANSFER.name] = _ordered(message.base_transfer, BASE_TRANSFER.fields)
    if message.signature is not None:
        document["Signature"] = message.signature
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _unit_json(unit: Unit, spec: MessageSpec) -> dict[str, Any]:
    if spec.head is None:
        return _ordered(unit.head, spec.head_fields)
    body: dict[str, Any] = {spec.head: _ordered(unit.head, spec.head_fields)}
    for list_spec in spec.lists:
        if list_spec.name in unit.lists:
            body[list_spec.name] = [_ordered(record, list_spec.fields) for record in unit.lists[list_spec.name]]
    return body


def _ordered(values: dict[str, str], fields: tuple[FieldSpec, ...]) -> dict[str, str]:
    ordered = {spec.name: values[spec.name] for spec in fields if spec.name in values}
    extra = set(values) - set(ordered)
    if extra:
        raise ValueError(f"fields not in the schema: {sorted(extra)}")
    return ordered


def parse_any(data: bytes, filename: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParseResult:
    """Parse XML or JSON, chosen by the first significant byte, else by the file name's suffix."""
    parsers: dict[str, Callable[..., ParseResult]] = {"xml": parse_xml, "json": parse_json}
    head = data[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<") or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        chosen = "xml"
    elif head.startswith((b"{", b"[")):
        chosen = "json"
    elif filename is not None and filename.lower().endswith((".xml", ".json")):
        chosen = filename.lower().rsplit(".", 1)[1]
    else:
        return failed(DOCUMENT, "format.unknown", "neither XML nor JSON", "send a CEB message as XML or its JSON form")
    return parsers[chosen](data, max_bytes=max_bytes)
