"""Stateless checks of one message: schema, arithmetic, business rules that need no stored data.

Each problem is a ``FieldError`` whose path names the field, units and list records indexed from 0:
``Order[0]/OrderHead/acturalPaid``, ``Order[0]/OrderList[2]/totalPrice``, ``BaseTransfer/dxpId``,
``@guid`` for the root attribute. Errors make the message unacceptable; warnings are kept with it.

Layers:

1. schema — required fields present and non-empty, kind (decimal scale, int, real dates), length,
   code sets, mandatory lists. Envelope quirks real clients send (guid not an upper-case UUID,
   version other than "1.0") and ``appStatus`` 2 without a signature are warnings only: we are a
   local platform, not the customs gateway, and customs-facing clients send exactly these.
2. arithmetic — Decimal only. Amounts agree when they differ by at most the larger of
   ``tolerance`` × |expected| (practitioners cite 5 %, so that is the default) and 0.01.
3. rules — gnum runs 1..n; the 5000 CNY single-transaction limit is noted, not enforced (the tax
   module decides the channel); receipt statuses are the known ones or negative.

Registry, three-document match and quota checks need stored state and live elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cbec.exchange.export_rules import export_rules
from cbec.exchange.jsoncodec import parse_any
from cbec.exchange.messages import RETURN_STATUSES
from cbec.exchange.model import Message, Unit, decimal_of
from cbec.exchange.spec import BASE_TRANSFER, FieldSpec, MessageSpec, spec_for
from cbec.exchange.xmlcodec import DEFAULT_MAX_BYTES
from cbec.kernel.errors import FieldError

__all__ = ["DEFAULT_TOLERANCE", "SINGLE_TRANSACTION_LIMIT", "Report", "check_bytes", "validate"]

DEFAULT_TOLERANCE = Decimal("0.05")
ABSOLUTE_FLOOR = Decimal("0.01")
#: 财关税〔2018〕49号: retail import limit per transaction (CNY).
SINGLE_TRANSACTION_LIMIT = Decimal("5000")
_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
_DECIMAL = re.compile(r"^(\d+)(?:\.(\d+))?$")
_DIGITS = re.compile(r"^\d+$")
_DATE_FORMATS = {"datetime14": ("%Y%m%d%H%M%S", 14), "date8": ("%Y%m%d", 8)}


@dataclass(frozen=True)
class Report:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


@dataclass
class _Findings:
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)

    def error(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.errors.append(FieldError(path, code, message, hint))

    def warn(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.warnings.append(FieldError(path, code, message, hint))


def validate(message: Message, *, tolerance: Decimal = DEFAULT_TOLERANCE) -> Report:
    spec = spec_for(message.type)
    found = _Findings()
    _envelope(message, spec, found)
    for path, fields, record in _records(message, spec):
        _check_record(record, fields, path, found)
    _check_lists(message, spec, found)
    _arithmetic(message, spec, tolerance, found)
    _rules(message, spec, found)
    return Report(found.errors, found.warnings)


def check_bytes(
    data: bytes,
    filename: str | None = None,
    *,
    tolerance: Decimal = DEFAULT_TOLERANCE,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """Parse (XML or JSON) and validate: what ``cbec validate FILE`` reports."""
    parsed = parse_any(data, filename, max_bytes=max_bytes)
    if parsed.message is None or parsed.errors:
        return Report(list(parsed.errors), list(parsed.warnings))
    report = validate(parsed.message, tolerance=tolerance)
    return Report(report.errors, [*parsed.warnings, *report.warnings])


def _head_path(spec: MessageSpec, index: int) -> str:
    unit = f"{spec.unit}[{index}]"
    return unit if spec.head is None else f"{unit}/{spec.head}"


def _records(message: Message, spec: MessageSpec) -> Iterator[tuple[str, tuple[FieldSpec, ...], dict[str, str]]]:
    for index, unit in enumerate(message.units):
        yield _head_path(spec, index), spec.head_fields, unit.head
        for list_spec in spec.lists:
            for number, record in enumerate(unit.lists.get(list_spec.name, [])):
                yield f"{spec.unit}[{index}]/{list_spec.name}[{number}]", list_spec.fields, record
    if message.base_transfer is not None:
        yield BASE_TRANSFER.name, BASE_TRANSFER.fields, message.base_transfer


def _envelope(message: Message, spec: MessageSpec, found: _Findings) -> None:
    if not message.guid:
        found.error("@guid", "schema.required", "the root guid attribute is missing")
    elif not _UUID.match(message.guid):
        found.warn("@guid", "schema.guid_format", f"guid {message.guid!r} is not a 36-character upper-case UUID")
    if message.version != "1.0":
        found.warn("@version", "schema.version", f'version {message.version!r} is not "1.0"')
    if not message.units:
        found.error(spec.unit, "schema.required", f"{spec.root_element} holds no <{spec.unit}>")
    if spec.kind == "declaration" and message.base_transfer is None:
        found.warn(BASE_TRANSFER.name, "schema.base_transfer_missing", "no BaseTransfer (sender and DXP node)")
    for index, unit in enumerate(message.units):
        path = _head_path(spec, index)
        guid = unit.head.get("guid")
        if guid and not _UUID.match(guid):
            found.warn(f"{path}/guid", "schema.guid_format", f"guid {guid!r} is not a 36-character upper-case UUID")
        if spec.kind == "declaration" and unit.head.get("appStatus") == "2" and message.signature is None:
            found.warn(
                f"{path}/appStatus",
                "rule.unsigned_declaration",
                "appStatus 2 (申报) without a ds:Signature",
                "customs requires the signature; this platform accepts the message unsigned",
            )


def _check_record(record: dict[str, str], fields: tuple[FieldSpec, ...], path: str, found: _Findings) -> None:
    for spec in fields:
        value = record.get(spec.name)
        where = f"{path}/{spec.name}"
        if value is None or value.strip() == "":
            if spec.required:
                state = "missing" if value is None else "empty"
                found.error(where, "schema.required", f"{spec.name} is required but {state}")
            continue
        _check_value(value, spec, where, found)


def _check_value(value: str, spec: FieldSpec, where: str, found: _Findings) -> None:
    if spec.kind == "decimal":
        _check_decimal(value, spec, where, found)
    elif spec.kind == "int":
        if not _DIGITS.match(value):
            found.error(where, "schema.int", f"{value!r} is not a whole number")
        elif len(value) > spec.max_len:
            found.error(where, "schema.too_long", f"{len(value)} digits; at most {spec.max_len}")
    elif spec.kind in _DATE_FORMATS or spec.kind == "datetime17":
        _check_time(value, spec, where, found)
    elif len(value) > spec.max_len:
        found.error(where, "schema.too_long", f"{len(value)} characters; at most {spec.max_len}")
    if spec.codes is not None and value not in spec.codes:
        allowed = ", ".join(sorted(spec.codes))
        found.error(where, "schema.code", f"{value!r} is not an allowed code", f"allowed: {allowed}")


def _check_decimal(value: str, spec: FieldSpec, where: str, found: _Findings) -> None:
    match = _DECIMAL.match(value)
    if match is None:
        found.error(where, "schema.decimal", f"{value!r} is not a plain non-negative decimal number")
        return
    whole, fraction = match.group(1), match.group(2) or ""
    if len(whole) + len(fraction) > spec.max_len:
        found.error(where, "schema.too_long", f"{len(whole) + len(fraction)} digits; at most {spec.max_len}")
    if spec.scale is not None and len(fraction) > spec.scale:
        found.error(where, "schema.decimal_scale", f"{len(fraction)} decimals; at most {spec.scale}")


def _check_time(value: str, spec: FieldSpec, where: str, found: _Findings) -> None:
    if spec.kind == "datetime17":
        # Receipt times carry milliseconds (yyyyMMddHHmmssfff); some senders omit them.
        text, pattern = value[:14], "%Y%m%d%H%M%S"
        shaped = _DIGITS.match(value) is not None and len(value) in (14, 17)
    else:
        pattern, length = _DATE_FORMATS[spec.kind]
        text, shaped = value, _DIGITS.match(value) is not None and len(value) == length
    try:
        if not shaped:
            raise ValueError
        datetime.strptime(text, pattern)  # noqa: DTZ007 — only checks that the calendar date exists
    except ValueError:
        found.error(where, "schema.date", f"{value!r} is not a valid {_FORMAT_NAMES[spec.kind]}")


_FORMAT_NAMES = {"datetime14": "YYYYMMDDhhmmss", "datetime17": "YYYYMMDDhhmmssfff", "date8": "YYYYMMDD"}


def _check_lists(message: Message, spec: MessageSpec, found: _Findings) -> None:
    for index, unit in enumerate(message.units):
        for list_spec in spec.lists:
            if len(unit.lists.get(list_spec.name, [])) < list_spec.min_items:
                found.error(
                    f"{spec.unit}[{index}]/{list_spec.name}",
                    "schema.required",
                    f"at least {list_spec.min_items} <{list_spec.name}> required",
                )


def _amount(text: str | None) -> Decimal | None:
    # Only values the schema layer accepts take part in arithmetic, so one bad value is one error.
    return decimal_of(text) if text is not None and _DECIMAL.match(text) else None


def _agrees(actual: Decimal, expected: Decimal, tolerance: Decimal) -> bool:
    return abs(actual - expected) <= max(ABSOLUTE_FLOOR, tolerance * abs(expected))


_PRICED_LISTS = {"CEB311": "OrderList", "CEB621": "InventoryList", "CEB303": "OrderList", "CEB603": "InventoryList"}


def _arithmetic(message: Message, spec: MessageSpec, tolerance: Decimal, found: _Findings) -> None:
    list_name = _PRICED_LISTS.get(spec.type)
    if list_name is None:
        return
    for index, unit in enumerate(message.units):
        for number, item in enumerate(unit.lists.get(list_name, [])):
            _item_total(item, f"{spec.unit}[{index}]/{list_name}[{number}]/totalPrice", tolerance, found)
        if spec.type == "CEB311":
            _order_totals(unit, f"{spec.unit}[{index}]", tolerance, found)
        elif spec.type == "CEB303":
            _goods_value(unit, f"{spec.unit}[{index}]", tolerance, found)


def _item_total(item: dict[str, str], where: str, tolerance: Decimal, found: _Findings) -> None:
    price, qty, total = (_amount(item.get(name)) for name in ("price", "qty", "totalPrice"))
    if price is None or qty is None or total is None:
        return  # the schema layer reports missing or malformed numbers
    if not _agrees(total, price * qty, tolerance):
        found.error(where, "arith.total_price", f"totalPrice {total} ≠ price {price} × qty {qty} = {price * qty}")


def _order_totals(unit: Unit, path: str, tolerance: Decimal, found: _Findings) -> None:
    head = unit.head
    goods = _amount(head.get("goodsValue"))
    paid = _amount(head.get("acturalPaid"))
    parts = [_amount(head.get(name)) for name in ("freight", "taxTotal", "discount")]
    if goods is not None and paid is not None and None not in parts:
        freight, tax, discount = (part or Decimal(0) for part in parts)
        expected = goods + freight + tax - discount
        if not _agrees(paid, expected, tolerance):
            found.error(
                f"{path}/OrderHead/acturalPaid",
                "arith.actural_paid",
                f"acturalPaid {paid} ≠ goodsValue + freight + taxTotal − discount = {expected}",
                f"allowed difference: {tolerance:%} or {ABSOLUTE_FLOOR}",
            )
    _goods_value(unit, path, tolerance, found)


def _goods_value(unit: Unit, path: str, tolerance: Decimal, found: _Findings) -> None:
    goods = _amount(unit.head.get("goodsValue"))
    items = [_amount(item.get("totalPrice")) for item in unit.lists.get("OrderList", [])]
    if goods is not None and items and None not in items:
        listed = sum((total for total in items if total is not None), Decimal(0))
        if not _agrees(listed, goods, tolerance):
            found.warn(f"{path}/OrderHead/goodsValue", "arith.goods_value", f"items add up to {listed}, not {goods}")


def _rules(message: Message, spec: MessageSpec, found: _Findings) -> None:
    if spec.kind == "declaration":
        for index, unit in enumerate(message.units):
            for list_spec in spec.lists:
                if list_spec.field_spec("gnum") is not None:
                    _gnum_sequence(unit.lists.get(list_spec.name, []), f"{spec.unit}[{index}]/{list_spec.name}", found)
    if spec.type == "CEB311":
        for index, unit in enumerate(message.units):
            _single_limit(unit, f"{spec.unit}[{index}]/OrderHead/goodsValue", found)
    if spec.type == "CEB603":
        for index, unit in enumerate(message.units):
            export_rules(unit, f"{spec.unit}[{index}]", found.errors)
    if spec.head_field("returnStatus") is not None:
        for index, unit in enumerate(message.units):
            _return_status(unit.head.get("returnStatus"), f"{_head_path(spec, index)}/returnStatus", found)


def _gnum_sequence(records: list[dict[str, str]], path: str, found: _Findings) -> None:
    for number, record in enumerate(records):
        gnum = record.get("gnum", "")
        if _DIGITS.match(gnum) and int(gnum) != number + 1:
            found.error(
                f"{path}[{number}]/gnum",
                "rule.gnum_sequence",
                f"gnum {gnum} in position {number + 1}; items are numbered 1..n in order, each once",
            )


def _single_limit(unit: Unit, where: str, found: _Findings) -> None:
    goods, freight = _amount(unit.head.get("goodsValue")), _amount(unit.head.get("freight"))
    if goods is None:
        return
    dutiable = goods + (freight or Decimal(0))
    if dutiable > SINGLE_TRANSACTION_LIMIT:
        found.warn(
            where,
            "rule.over_single_limit",
            f"goods and freight {dutiable} exceed the {SINGLE_TRANSACTION_LIMIT} CNY single-transaction limit",
            "allowed only for a single indivisible item, taxed in full; the tax module decides",
        )


def _return_status(status: str | None, where: str, found: _Findings) -> None:
    if status is None or status in RETURN_STATUSES:
        return
    if re.fullmatch(r"-\d+", status) is None:
        found.warn(where, "rule.return_status", f"returnStatus {status!r} is not a known status")
