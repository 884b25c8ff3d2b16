"""Receipts-of-payment reconciliation per enterprise and month (DOMAIN §8, 买单出口).

Export rewards paid on customs statistics alone reward bought export data: a firm files lists
for goods it never sold. Goods really sold abroad are paid for (收款, CEB403) and really leave
the country (离境, CEB509). For each shipper (ebcCode) and month of release this module sets
the released list value beside the receipts of payment matched to those lists and the value
that departed, names every list without a receipt or a departure and every receipt whose amount
disagrees, and flags the month when the unpaid or undeparted share is too large. Receipts that
name no released list are listed per shipper on their own.

- Matching: a receipt belongs to the released list with the same (ebc_code, order_no) — the
  join key of CEB403 and CEB603 (DOMAIN §1). Several receipts of one order add up (instalments).
  Should two released lists share an order number, the receipts go to the earliest released.
- Departure: a list counts as departed when ``ExportList.departed_on`` is set. The export
  projection writes that date when the CEB509 departure for the list's (logistics_code,
  logistics_no) arrives, so re-matching CEB509 records here would duplicate that join.
- Amounts are compared in the list's currency; a receipt in another currency is reported as a
  mismatch without a difference, because converting it would need a rate we may not hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from cbec.export.model import ExportList
from cbec.export.taxfree import is_released, month_of

__all__ = [
    "DEFAULT_AMOUNT_TOLERANCE",
    "DEFAULT_THRESHOLD",
    "AmountMismatch",
    "EnterpriseMonth",
    "Flag",
    "ListRef",
    "Receipt",
    "Reconciliation",
    "reconcile_receipts",
]

# No text fixes these figures. 5 % mirrors the tolerance practitioners cite for the import
# arithmetic (DOMAIN §5); a receipt may differ from the list value by bank charges or freight
# collected with the goods. Each bureau sets its own, hence parameters.
DEFAULT_AMOUNT_TOLERANCE = Decimal("0.05")
DEFAULT_THRESHOLD = Decimal("0.05")
_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class Receipt:
    """A receipt of payment (收款单, CEB403) as the reconciliation needs it."""

    order_no: str
    ebc_code: str
    charge: Decimal
    currency: str
    accounting_date: date


@dataclass(frozen=True)
class ListRef:
    """A released list named in a gap."""

    document_id: int
    invt_no: str | None
    order_no: str
    released_on: date
    value: Decimal
    currency: str


@dataclass(frozen=True)
class AmountMismatch:
    list: ListRef
    received: dict[str, Decimal]  # per currency code
    difference: Decimal | None  # received − value; None when a receipt is in another currency


@dataclass(frozen=True)
class Flag:
    code: str  # "unreceived_share" or "undeparted_share"
    currency: str
    share: Decimal  # exact fraction of the month's released value in that currency
    threshold: Decimal
    message: str


@dataclass(frozen=True)
class EnterpriseMonth:
    ebc_code: str
    enterprise_id: int | None
    month: str  # YYYY-MM of release
    list_count: int
    released: dict[str, Decimal]  # per currency
    received: dict[str, Decimal]  # receipts matched to this month's lists, per receipt currency
    departed: dict[str, Decimal]  # value of this month's lists that departed, per currency
    unreceived: tuple[ListRef, ...]
    undeparted: tuple[ListRef, ...]
    mismatches: tuple[AmountMismatch, ...]
    flags: tuple[Flag, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class Reconciliation:
    months: tuple[EnterpriseMonth, ...]  # ordered by ebc_code, month
    orphan_receipts: dict[str, tuple[Receipt, ...]]  # per ebc_code: receipts naming no released list
    amount_tolerance: Decimal
    unreceived_threshold: Decimal
    undeparted_threshold: Decimal


def reconcile_receipts(
    lists: Iterable[ExportList],
    receipts: Iterable[Receipt],
    *,
    amount_tolerance: Decimal = DEFAULT_AMOUNT_TOLERANCE,
    unreceived_threshold: Decimal = DEFAULT_THRESHOLD,
    undeparted_threshold: Decimal = DEFAULT_THRESHOLD,
) -> Reconciliation:
    """Reconcile released lists (800/899 with a release date) with receipts and departures.

    ``amount_tolerance`` is a fraction of the list value: a receipt total further from the value
    than that is a mismatch. A month is flagged when, in any currency, the share of released value
    without a receipt exceeds ``unreceived_threshold`` or the share that did not depart exceeds
    ``undeparted_threshold``. Receipts lag release — goods are paid for after they sell — so the
    latest months show gaps that later close; a bureau may judge recent months with higher
    thresholds or only after a settling delay, which is why the thresholds are parameters.
    Pass every released list a receipt could name (earlier months too), or its receipts come
    back as orphans.
    """
    released = sorted(
        (lst for lst in lists if is_released(lst) and lst.released_on is not None),
        key=lambda lst: (lst.ebc_code, _day(lst), lst.invt_no or "", lst.document_id),
    )
    by_order: dict[tuple[str, str], ExportList] = {}
    for lst in released:
        by_order.setdefault((lst.ebc_code, lst.order_no), lst)
    paid: dict[int, list[Receipt]] = defaultdict(list)
    orphans: dict[str, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        owner = by_order.get((receipt.ebc_code, receipt.order_no))
        if owner is None:
            orphans[receipt.ebc_code].append(receipt)
        else:
            paid[owner.document_id].append(receipt)
    groups: dict[tuple[str, str], list[ExportList]] = defaultdict(list)
    for lst in released:
        groups[(lst.ebc_code, month_of(_day(lst)))].append(lst)
    thresholds = {"unreceived_share": unreceived_threshold, "undeparted_share": undeparted_threshold}
    months = tuple(
        _month(ebc, month, group, paid, amount_tolerance, thresholds) for (ebc, month), group in sorted(groups.items())
    )
    return Reconciliation(
        months=months,
        orphan_receipts={
            ebc: tuple(sorted(found, key=lambda r: (r.accounting_date, r.order_no, r.currency, r.charge)))
            for ebc, found in sorted(orphans.items())
        },
        amount_tolerance=amount_tolerance,
        unreceived_threshold=unreceived_threshold,
        undeparted_threshold=undeparted_threshold,
    )


def _day(lst: ExportList) -> date:
    assert lst.released_on is not None  # only released lists with a date get here
    return lst.released_on


def _ref(lst: ExportList) -> ListRef:
    return ListRef(lst.document_id, lst.invt_no, lst.order_no, _day(lst), lst.value, lst.currency)


def _month(
    ebc: str,
    month: str,
    group: Sequence[ExportList],
    paid: dict[int, list[Receipt]],
    tolerance: Decimal,
    thresholds: dict[str, Decimal],
) -> EnterpriseMonth:
    refs = [_ref(lst) for lst in group]
    received: dict[str, Decimal] = defaultdict(Decimal)
    for lst in group:
        for receipt in paid.get(lst.document_id, ()):
            received[receipt.currency] += receipt.charge
    unreceived = tuple(ref for ref in refs if not paid.get(ref.document_id))
    undeparted = tuple(ref for ref, lst in zip(refs, group, strict=True) if lst.departed_on is None)
    mismatches = tuple(m for ref in refs if (m := _mismatch(ref, paid.get(ref.document_id, []), tolerance)) is not None)
    released = _totals(refs)
    flags = _flags("unreceived_share", released, _totals(unreceived), thresholds)
    flags += _flags("undeparted_share", released, _totals(undeparted), thresholds)
    return EnterpriseMonth(
        ebc_code=ebc,
        enterprise_id=next((lst.enterprise_id for lst in group if lst.enterprise_id is not None), None),
        month=month,
        list_count=len(group),
        released=released,
        received=dict(sorted(received.items())),
        departed=_totals([ref for ref, lst in zip(refs, group, strict=True) if lst.departed_on is not None]),
        unreceived=unreceived,
        undeparted=undeparted,
        mismatches=mismatches,
        flags=flags,
    )


def _totals(refs: Iterable[ListRef]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for ref in refs:
        totals[ref.currency] += ref.value
    return dict(sorted(totals.items()))


def _mismatch(ref: ListRef, receipts: list[Receipt], tolerance: Decimal) -> AmountMismatch | None:
    if not receipts:
        return None  # reported as unreceived, not as a mismatch
    received: dict[str, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        received[receipt.currency] += receipt.charge
    amounts = dict(sorted(received.items()))
    if set(amounts) != {ref.currency}:
        return AmountMismatch(ref, amounts, None)
    difference = amounts[ref.currency] - ref.value
    if abs(difference) > ref.value * tolerance:
        return AmountMismatch(ref, amounts, difference)
    return None


_FLAG_TEXT = {
    "unreceived_share": "未收款清单货值占比",
    "undeparted_share": "未离境清单货值占比",
}


def _flags(
    code: str, released: dict[str, Decimal], gaps: dict[str, Decimal], thresholds: dict[str, Decimal]
) -> tuple[Flag, ...]:
    threshold = thresholds[code]
    flags = []
    for currency, value in gaps.items():
        total = released[currency]
        if not total:
            continue  # a zero-value currency has no share to judge
        share = value / total
        if share > threshold:
            message = f"{_FLAG_TEXT[code]} {_pct(share)}（币制 {currency}）超过阈值 {_pct(threshold)}"
            flags.append(Flag(code, currency, share, threshold, message))
    return tuple(flags)


def _pct(share: Decimal) -> str:
    return f"{(share * 100).quantize(_PERCENT, ROUND_HALF_UP)}%"
