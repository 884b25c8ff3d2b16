"""The export list's match with its order (CEB303) and waybill (CEB505), as pure checks.

The 9610 flow (GACC 2018 No.194, DOMAIN §1): the e-commerce enterprise files the order, the
logistics company the waybill, the declaring agent the list; the list is checked against the
other two before it goes to customs. Join keys: list↔order by orderNo + ebcCode, list↔waybill by
logisticsCode + logisticsNo (the caller finds the documents). The receipt of payment (CEB403)
usually comes weeks after the goods have left, so it does not hold the list back: it is shown as
outstanding in the flow and reconciled monthly (``export.reconciliation``).
"""

from __future__ import annotations

from decimal import Decimal

from cbec.exchange.matching import MatchResult, Reason
from cbec.exchange.model import Unit, decimal_of

__all__ = ["match_export"]


def _total(records: list[dict[str, str]]) -> Decimal:
    return sum((decimal_of(r.get("totalPrice")) or Decimal(0) for r in records), Decimal(0))


def _agrees(a: Decimal, b: Decimal, tolerance: Decimal) -> bool:
    return abs(a - b) <= max(Decimal("0.01"), tolerance * abs(b))


def _items(order: Unit, listing: Unit) -> list[Reason]:
    ordered = {r.get("gnum"): r for r in order.lists.get("OrderList", [])}
    listed = listing.lists.get("InventoryList", [])
    reasons: list[Reason] = []
    if len(ordered) != len(listed):
        reasons.append(
            Reason("match.item_count", f"the list has {len(listed)} items, the order {len(ordered)}; gnum is 1:1")
        )
    for item in listed:
        theirs = ordered.get(item.get("gnum"))
        if theirs is not None and (theirs.get("itemName") or "").strip() != (item.get("gname") or "").strip():
            reasons.append(
                Reason(
                    "match.item_name",
                    f"item {item.get('gnum')}: list gname {item.get('gname')!r} ≠ order itemName "
                    f"{theirs.get('itemName')!r}",
                )
            )
    return reasons


def match_export(order: Unit | None, waybill: Unit | None, listing: Unit, tolerance: Decimal) -> MatchResult:
    missing = tuple(name for name, unit in (("order", order), ("waybill", waybill)) if unit is None)
    if order is None or waybill is None:
        return MatchResult(missing=missing)
    reasons = _items(order, listing)
    goods, listed = _total(order.lists.get("OrderList", [])), _total(listing.lists.get("InventoryList", []))
    if not _agrees(listed, goods, tolerance):
        reasons.append(Reason("match.value", f"the list's goods total {listed} ≠ the order's {goods}"))
    currencies = sorted({r.get("currency") or "" for r in listing.lists.get("InventoryList", [])})
    if order.head.get("currency") not in currencies:
        listed_in = ", ".join(currencies)
        reasons.append(
            Reason("match.currency", f"the order is in currency {order.head.get('currency')}, the list in {listed_in}")
        )
    return MatchResult(reasons=tuple(reasons))
