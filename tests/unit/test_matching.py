from __future__ import annotations

from dataclasses import replace

from cbec.exchange.matching import match
from cbec.exchange.model import Unit

ORDER = Unit(
    head={
        "orderNo": "O1",
        "ebpCode": "3301EP0001",
        "buyerName": "王芳",
        "buyerIdNumber": "110101199003070011",
        "consignee": "王芳",
        "consigneeTelephone": "13800000000",
        "consigneeAddress": "杭州市滨江区示例路1号",
        "acturalPaid": "110.00",
    },
    lists={"OrderList": [{"gnum": "1", "itemName": "精华液"}, {"gnum": "2", "itemName": "面霜"}]},
)
PAYMENT = Unit(head={"orderNo": "O1", "payerIdNumber": "110101199003070011", "amountPaid": "110.00"})
WAYBILL = Unit(
    head={
        "orderNo": "O1",
        "consignee": "王芳",
        "consigneeTelephone": "13800000000",
        "consigneeAddress": "杭州市滨江区示例路1号",
    }
)
LISTING = Unit(
    head={"orderNo": "O1", "ebpCode": "3301EP0001", "buyerName": "王芳", "buyerIdNumber": "110101199003070011"},
    lists={"InventoryList": [{"gnum": "1", "gname": "精华液"}, {"gnum": "2", "gname": "面霜"}]},
)


def _with(unit: Unit, **head: str) -> Unit:
    return replace(unit, head=unit.head | head)


def test_four_agreeing_documents_pass() -> None:
    result = match(ORDER, PAYMENT, WAYBILL, LISTING)
    assert (result.complete, result.passed, result.reasons) == (True, True, ())


def test_missing_documents_are_named_in_order() -> None:
    result = match(None, PAYMENT, None, LISTING)
    assert result.missing == ("order", "waybill")
    assert not result.passed


def test_each_disagreement_is_a_reason_with_its_code() -> None:
    result = match(
        ORDER,
        _with(PAYMENT, payerIdNumber="110101199003070022", amountPaid="100.00"),
        _with(WAYBILL, consigneeAddress="别处"),
        _with(LISTING, buyerName="李娜"),
    )
    assert [r.code for r in result.reasons] == [
        "match.buyer_name",
        "match.payer_not_buyer",
        "match.consignee_address",
        "match.amount_paid",
    ]


def test_items_must_correspond_one_to_one_by_gnum_and_name() -> None:
    renamed = replace(
        LISTING, lists={"InventoryList": [{"gnum": "1", "gname": "精华液"}, {"gnum": "2", "gname": "眼霜"}]}
    )
    assert [r.code for r in match(ORDER, PAYMENT, WAYBILL, renamed).reasons] == ["match.item_name"]
    fewer = replace(LISTING, lists={"InventoryList": [{"gnum": "1", "gname": "精华液"}]})
    assert [r.code for r in match(ORDER, PAYMENT, WAYBILL, fewer).reasons] == ["match.gnum"]


def test_amounts_compare_as_decimals_to_the_fen() -> None:
    assert match(ORDER, _with(PAYMENT, amountPaid="110"), WAYBILL, LISTING).passed
    assert not match(ORDER, _with(PAYMENT, amountPaid="110.01"), WAYBILL, LISTING).passed
