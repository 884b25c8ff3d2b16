"""Stateless rules of an export list (CEB603) that depend on its supervision code (DOMAIN §2).

- HS precision: a 9610 list for 汇总申报 (statisticsFlag B) and a 1210 list carry the full 10-digit
  code, because the monthly summary groups declaration items by it (DOMAIN §3); a 9610 A list
  (汇总统计) may be classified to its first 4 digits and a 9710/9810 list in a pilot zone to 6
  (DOMAIN §2, a secondary source — so the minimum lengths are data here, easy to change).
- 9710/9810 goods may be filed on a list only up to 5,000 CNY a shipment (DOMAIN §2); above it
  the shipment needs a customs declaration (报关单). Only CNY lists can be checked statelessly.
- A 9810 list names the overseas warehouse it ships to (platform extension ``warehouseFilingNo``);
  whether that warehouse is filed is a registry check at intake.

Rules run only when the head's codes passed the schema layer, so one wrong code is one error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from cbec.exchange.model import Unit
from cbec.kernel.errors import FieldError

__all__ = ["B2B_LIST_LIMIT", "MIN_HS_DIGITS", "export_rules"]

#: Minimum HS digits by (tradeMode, statisticsFlag); None matches any flag.
MIN_HS_DIGITS: dict[tuple[str, str | None], int] = {
    ("9610", "A"): 4,
    ("9610", "B"): 10,
    ("1210", None): 10,
    ("9710", None): 6,
    ("9810", None): 6,
}
#: GACC 2020 No.75 as summarised in DOMAIN §2: B2B shipments up to this value may use a list.
B2B_LIST_LIMIT = Decimal("5000")
_HS = re.compile(r"^\d{4,10}$")


def _min_digits(trade_mode: str, flag: str) -> int | None:
    return MIN_HS_DIGITS.get((trade_mode, flag), MIN_HS_DIGITS.get((trade_mode, None)))


def _value(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def export_rules(unit: Unit, path: str, errors: list[FieldError]) -> None:
    """Append the rule errors of one CEB603 unit (``path`` like ``Inventory[0]``) to ``errors``."""
    head, items = unit.head, unit.lists.get("InventoryList", [])
    mode, flag = head.get("tradeMode", ""), head.get("statisticsFlag", "")
    digits = _min_digits(mode, flag)
    if digits is None or head.get("ieFlag") != "E":
        return  # the schema layer already named the bad code
    for number, item in enumerate(items):
        gcode = item.get("gcode", "")
        if gcode and (not _HS.match(gcode) or len(gcode) < digits):
            errors.append(
                FieldError(
                    f"{path}/InventoryList[{number}]/gcode",
                    "rule.gcode_precision",
                    f"gcode {gcode!r}: a {mode} list{' with statisticsFlag ' + flag if mode == '9610' else ''} "
                    f"needs at least {digits} digits of the HS code",
                    "declare the HS code to the precision the supervision code requires",
                )
            )
    if mode == "9810" and not head.get("warehouseFilingNo"):
        errors.append(
            FieldError(
                f"{path}/InventoryHead/warehouseFilingNo",
                "rule.warehouse_required",
                "a 9810 list must name the filed overseas warehouse (海外仓备案编号) it ships to",
                "file the warehouse on the platform (海外仓备案) and send its filing number",
            )
        )
    if mode in ("9710", "9810"):
        _b2b_limit(items, path, errors)


def _b2b_limit(items: list[dict[str, str]], path: str, errors: list[FieldError]) -> None:
    totals = [_value(item.get("totalPrice")) for item in items]
    if not items or None in totals or any(item.get("currency") != "142" for item in items):
        return  # another currency cannot be checked without an exchange rate
    value = sum((t for t in totals if t is not None), Decimal(0))
    if value > B2B_LIST_LIMIT:
        errors.append(
            FieldError(
                f"{path}/InventoryList",
                "rule.b2b_list_limit",
                f"the goods total {value} CNY exceeds the {B2B_LIST_LIMIT} CNY a 9710/9810 list may carry",
                "declare this shipment on a customs declaration (报关单) instead of a list",
            )
        )
