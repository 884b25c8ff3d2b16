"""Three-document match (三单比对) for retail import, as pure checks (DOMAIN §5).

The order (CEB311), the payment (CEB411) and the waybill (CEB511) must agree with each other and
with the inventory list (CEB621) that declares the parcel. Documents arrive in any order: the
match reports what is still missing until all four are there, then passes or fails with reasons.
Join keys: list↔order by orderNo + ebcCode; order↔payment by orderNo (+ ebpCode); order↔waybill
by orderNo; list↔waybill by logisticsCode + logisticsNo. The caller finds the documents by those
keys; this module only compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cbec.exchange.model import Unit, decimal_of

__all__ = ["MatchResult", "Reason", "match"]


@dataclass(frozen=True)
class Reason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class MatchResult:
    missing: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def passed(self) -> bool:
        return self.complete and not self.reasons


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip() == (b or "").strip()


def _pairs(order: Unit, payment: Unit, waybill: Unit, listing: Unit) -> list[tuple[str, str | None, str | None, str]]:
    """(code, ours, theirs, what) for every field that must be equal across documents."""
    o, p, w, i = order.head, payment.head, waybill.head, listing.head
    return [
        ("match.buyer_name", o.get("buyerName"), i.get("buyerName"), "buyer name on the order and the list"),
        ("match.buyer_id", o.get("buyerIdNumber"), i.get("buyerIdNumber"), "buyer ID on the order and the list"),
        (
            "match.payer_not_buyer",
            o.get("buyerIdNumber"),
            p.get("payerIdNumber"),
            "buyer ID on the order and payer ID on the payment (a different payer needs extra authentication)",
        ),
        ("match.consignee", o.get("consignee"), w.get("consignee"), "consignee on the order and the waybill"),
        (
            "match.consignee_phone",
            o.get("consigneeTelephone"),
            w.get("consigneeTelephone"),
            "consignee telephone on the order and the waybill",
        ),
        (
            "match.consignee_address",
            o.get("consigneeAddress"),
            w.get("consigneeAddress"),
            "consignee address on the order and the waybill",
        ),
        ("match.ebp", o.get("ebpCode"), i.get("ebpCode"), "platform code on the order and the list"),
        ("match.waybill_order", w.get("orderNo"), i.get("orderNo"), "order number on the waybill and the list"),
    ]


def _items(order: Unit, listing: Unit) -> list[Reason]:
    ordered = {r.get("gnum", ""): r for r in order.lists.get("OrderList", [])}
    listed = {r.get("gnum", ""): r for r in listing.lists.get("InventoryList", [])}
    if set(ordered) != set(listed):
        return [
            Reason("match.gnum", f"list items {sorted(listed)} do not correspond 1:1 to order items {sorted(ordered)}")
        ]
    return [
        Reason(
            "match.item_name",
            f"item {g}: list gname {listed[g].get('gname')!r} differs from order "
            f"itemName {ordered[g].get('itemName')!r}",
        )
        for g in sorted(ordered)
        if not _same(listed[g].get("gname"), ordered[g].get("itemName"))
    ]


def _amount(order: Unit, payment: Unit) -> list[Reason]:
    paid, charged = decimal_of(order.head.get("acturalPaid")), decimal_of(payment.head.get("amountPaid"))
    if paid is None or charged is None or abs(paid - charged) >= Decimal("0.01"):
        return [
            Reason(
                "match.amount_paid",
                f"order acturalPaid {order.head.get('acturalPaid')} differs from "
                f"payment amountPaid {payment.head.get('amountPaid')}",
            )
        ]
    return []


def match(order: Unit | None, payment: Unit | None, waybill: Unit | None, listing: Unit | None) -> MatchResult:
    """Compare the four documents of one parcel; report what is missing or what disagrees."""
    missing = tuple(
        name
        for name, unit in (("order", order), ("payment", payment), ("waybill", waybill), ("list", listing))
        if unit is None
    )
    if order is None or payment is None or waybill is None or listing is None:
        return MatchResult(missing=missing)
    reasons = [
        Reason(code, f"{what} differ: {ours!r} vs {theirs!r}")
        for code, ours, theirs, what in _pairs(order, payment, waybill, listing)
        if not _same(ours, theirs)
    ]
    reasons += _items(order, listing) + _amount(order, payment)
    return MatchResult(reasons=tuple(reasons))
