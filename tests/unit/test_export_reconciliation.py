"""Released lists vs receipts of payment (CEB403) vs departures, per shipper and month (DOMAIN §8)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from cbec.export.model import ExportList
from cbec.export.reconciliation import AmountMismatch, Flag, ListRef, Receipt, reconcile_receipts
from cbec.testing.exports import released_list

D = Decimal
A, B = "3301E00001", "3301E00002"


def export_list(
    document_id: int,
    value: str,
    released_on: date | None,
    *,
    ebc: str = A,
    currency: str = "142",
    departed: bool = True,
    status: str = "800",
) -> ExportList:
    return released_list(
        document_id, value, released_on, ebc=ebc, enterprise_id={A: 1, B: 2}[ebc],
        currency=currency, departed=departed, status=status,
    )  # fmt: skip


def paid(document_id: int, charge: str, day: date, *, ebc: str = A, currency: str = "142") -> Receipt:
    return Receipt(f"O{document_id}", ebc, D(charge), currency, day)


def ref(document_id: int, value: str, released_on: date, currency: str = "142") -> ListRef:
    return ListRef(document_id, f"29282024E{document_id:09d}", f"O{document_id}", released_on, D(value), currency)


MAY3, MAY9, MAY20, JUNE3 = date(2024, 5, 3), date(2024, 5, 9), date(2024, 5, 20), date(2024, 6, 3)
LISTS = [
    export_list(1, "100.00", MAY3),  # paid in full, departed
    export_list(2, "200.00", MAY9),  # paid 150.00: a mismatch
    export_list(3, "100.00", MAY20, departed=False),  # neither paid nor departed
    export_list(4, "30.00", MAY20, currency="502"),  # paid in USD
    export_list(5, "80.00", JUNE3),  # paid in two instalments
    export_list(6, "40.00", JUNE3, currency="502"),  # paid in CNY: currency mismatch
    export_list(7, "999.00", MAY9, status="120"),  # never released: not reconciled
    export_list(8, "10.00", None),  # released status without a date: not placed in a month
    export_list(9, "55.00", MAY9, ebc=B),
]
RECEIPTS = [
    paid(1, "100.00", date(2024, 6, 12)),  # paid in June, counts for the May list
    paid(2, "150.00", MAY20),
    paid(4, "30.00", MAY20, currency="502"),
    paid(5, "50.00", JUNE3),
    paid(5, "30.00", date(2024, 6, 20)),
    paid(6, "285.00", JUNE3),
    paid(7, "999.00", MAY20),  # its list was never released: an orphan
    Receipt("O-404", A, D("12.00"), "142", MAY3),  # names no list: an orphan
    paid(9, "55.00", MAY20, ebc=B),
    Receipt("O-405", B, D("1.00"), "142", MAY9),
]


def test_a_month_sets_released_received_and_departed_value_side_by_side() -> None:
    may = reconcile_receipts(LISTS, RECEIPTS).months[0]
    assert (may.ebc_code, may.enterprise_id, may.month, may.list_count) == (A, 1, "2024-05", 4)
    assert may.released == {"142": D("400.00"), "502": D("30.00")}
    assert may.received == {"142": D("250.00"), "502": D("30.00")}
    assert may.departed == {"142": D("300.00"), "502": D("30.00")}


def test_the_gaps_name_each_list_and_receipt() -> None:
    may = reconcile_receipts(LISTS, RECEIPTS).months[0]
    assert may.unreceived == (ref(3, "100.00", MAY20),)
    assert may.undeparted == (ref(3, "100.00", MAY20),)
    assert may.mismatches == (AmountMismatch(ref(2, "200.00", MAY9), {"142": D("150.00")}, D("-50.00")),)


def test_a_month_above_the_thresholds_is_flagged_with_reasons() -> None:
    may = reconcile_receipts(LISTS, RECEIPTS).months[0]
    assert may.flagged
    assert may.flags == (
        Flag("unreceived_share", "142", D("0.25"), D("0.05"), "未收款清单货值占比 25.00%（币制 142）超过阈值 5.00%"),
        Flag("undeparted_share", "142", D("0.25"), D("0.05"), "未离境清单货值占比 25.00%（币制 142）超过阈值 5.00%"),
    )


def test_thresholds_are_parameters() -> None:
    result = reconcile_receipts(LISTS, RECEIPTS, unreceived_threshold=D("0.25"), undeparted_threshold=D("0.30"))
    assert not result.months[0].flagged  # 25 % is not above 25 %
    assert (result.unreceived_threshold, result.undeparted_threshold) == (D("0.25"), D("0.30"))


def test_instalments_add_up_and_another_currency_is_a_mismatch_without_difference() -> None:
    june = reconcile_receipts(LISTS, RECEIPTS).months[1]
    assert (june.month, june.list_count, june.unreceived, june.undeparted, june.flags) == ("2024-06", 2, (), (), ())
    assert june.received == {"142": D("365.00")}
    assert june.mismatches == (AmountMismatch(ref(6, "40.00", JUNE3, "502"), {"142": D("285.00")}, None),)


def test_the_tolerance_is_a_share_of_the_list_value() -> None:
    lists = [export_list(1, "100.00", MAY3)]
    near = [paid(1, "105.00", MAY3)]
    assert reconcile_receipts(lists, near).months[0].mismatches == ()
    exact = reconcile_receipts(lists, near, amount_tolerance=D(0)).months[0]
    assert exact.mismatches == (AmountMismatch(ref(1, "100.00", MAY3), {"142": D("105.00")}, D("5.00")),)
    beyond = reconcile_receipts(lists, [paid(1, "105.01", MAY3)]).months[0]
    assert [m.difference for m in beyond.mismatches] == [D("5.01")]


def test_receipts_naming_no_released_list_are_listed_per_shipper() -> None:
    result = reconcile_receipts(LISTS, RECEIPTS)
    assert result.orphan_receipts == {
        A: (Receipt("O-404", A, D("12.00"), "142", MAY3), paid(7, "999.00", MAY20)),
        B: (Receipt("O-405", B, D("1.00"), "142", MAY9),),
    }


def test_months_are_ordered_by_shipper_and_month_whatever_the_input_order() -> None:
    result = reconcile_receipts(LISTS, RECEIPTS)
    assert [(m.ebc_code, m.month) for m in result.months] == [(A, "2024-05"), (A, "2024-06"), (B, "2024-05")]
    shuffled_lists, shuffled_receipts = LISTS[:], RECEIPTS[:]
    random.Random(7).shuffle(shuffled_lists)
    random.Random(8).shuffle(shuffled_receipts)
    assert reconcile_receipts(shuffled_lists, shuffled_receipts) == result


def test_a_receipt_is_matched_by_shipper_and_order_number_together() -> None:
    lists = [export_list(1, "100.00", MAY3)]
    other_shipper = Receipt("O1", B, D("100.00"), "142", MAY3)
    result = reconcile_receipts(lists, [other_shipper])
    assert result.months[0].unreceived == (ref(1, "100.00", MAY3),)
    assert result.orphan_receipts == {B: (other_shipper,)}


def test_a_shipper_with_everything_paid_and_departed_is_not_flagged() -> None:
    b = reconcile_receipts(LISTS, RECEIPTS).months[2]
    assert (b.released, b.received, b.departed, b.flagged) == (
        {"142": D("55.00")}, {"142": D("55.00")}, {"142": D("55.00")}, False,
    )  # fmt: skip
