"""The order workbook for small enterprises: template, rows → CEB311 messages, bad rows."""

from __future__ import annotations

import io
from datetime import date, datetime
from itertools import count

import pytest
from openpyxl import Workbook, load_workbook

from cbec.exchange.validation import validate
from cbec.exchange.workbook import (
    ORDER_COLUMNS,
    ORDER_SHEET,
    build_order_template,
    orders_from_workbook,
)
from cbec.kernel.errors import ValidationFailed

HEADERS = [c.header for c in ORDER_COLUMNS]
ID_A = "110101199003070011"  # valid check digit (GB 11643)
ID_B = "11010519491231002X"
TODAY = datetime(2025, 3, 1, 10, 30, 15)


def _row(**values: object) -> list[object]:
    base: dict[str, object] = {
        "order_no": "A0001",
        "buyer_name": "王伟",
        "buyer_id": ID_A,
        "phone": "13800000000",
        "consignee": "王伟",
        "address": "杭州市滨江区示例路 1 号",
        "item_name": "精华液 30ml",
        "hs_code": "3304990099",
        "qty": 2,
        "unit": "142",
        "price": 300.5,
        "freight": 10,
        "country": "116",
        "ebp_code": "",
    }
    base |= values
    return [base[c.key] for c in ORDER_COLUMNS]


def _workbook(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ORDER_SHEET
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _guids() -> object:
    numbers = count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def _parse(data: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "ebp_code": "3301EP0001",
        "ebp_name": "杭州海淘优选跨境电子商务有限公司",
        "today": TODAY,
        "new_guid": _guids(),
    }
    return orders_from_workbook(data, **(options | kwargs))  # type: ignore[arg-type]


def test_template_round_trip_has_every_column_and_no_orders() -> None:
    data = build_order_template("3301EP0001")
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames[0] == ORDER_SHEET
    header = next(book[ORDER_SHEET].iter_rows(values_only=True))
    assert list(header) == HEADERS
    guide = [r[0] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)]
    assert set(HEADERS) <= set(guide)
    assert any("3301EP0001" in str(r[2]) for r in book["填写说明"].iter_rows(values_only=True))
    book.close()
    messages, errors = _parse(data)
    assert messages == []
    assert errors == []


def test_rows_become_one_ceb311_per_order_with_exact_values() -> None:
    data = _workbook(
        [
            _row(),
            _row(order_no="B0002", buyer_name="李娜", buyer_id=ID_B, consignee="张敏", phone="13900000001", freight=""),
            _row(item_name="电动牙刷", hs_code="8509809000", qty=1, unit="007", price=199, freight=5, country="502"),
        ]
    )
    messages, errors = _parse(data)
    assert errors == []
    assert [m.units[0].head["orderNo"] for m in messages] == ["A0001", "B0002"]
    first = messages[0]
    assert first.type == "CEB311"
    assert first.guid == "00000000-0000-4000-8000-000000000002"
    head, items = first.units[0].head, first.units[0].lists["OrderList"]
    assert head == {
        "guid": "00000000-0000-4000-8000-000000000001",
        "appType": "1",
        "appTime": "20250301103015",
        "appStatus": "2",
        "orderType": "I",
        "orderNo": "A0001",
        "ebpCode": "3301EP0001",
        "ebpName": "杭州海淘优选跨境电子商务有限公司",
        "ebcCode": "3301EP0001",
        "ebcName": "杭州海淘优选跨境电子商务有限公司",
        "goodsValue": "800.00",
        "freight": "15.00",
        "discount": "0",
        "taxTotal": "0",
        "acturalPaid": "815.00",
        "currency": "142",
        "buyerRegNo": "A0001",
        "buyerName": "王伟",
        "buyerTelephone": "13800000000",
        "buyerIdType": "1",
        "buyerIdNumber": ID_A,
        "consignee": "王伟",
        "consigneeTelephone": "13800000000",
        "consigneeAddress": "杭州市滨江区示例路 1 号",
    }
    assert items == [
        {
            "gnum": "1",
            "itemName": "精华液 30ml",
            "gmodel": "精华液 30ml",
            "unit": "142",
            "qty": "2",
            "price": "300.50",
            "totalPrice": "601.00",
            "currency": "142",
            "country": "116",
            "note": "HS:3304990099",
        },
        {
            "gnum": "2",
            "itemName": "电动牙刷",
            "gmodel": "电动牙刷",
            "unit": "007",
            "qty": "1",
            "price": "199.00",
            "totalPrice": "199.00",
            "currency": "142",
            "country": "502",
            "note": "HS:8509809000",
        },
    ]
    second = messages[1].units[0].head
    assert (second["buyerName"], second["consignee"], second["freight"], second["acturalPaid"]) == (
        "李娜",
        "张敏",
        "0.00",
        "601.00",
    )
    for message in messages:  # what we build passes the same checks as an uploaded message
        assert validate(message).errors == []


def test_platform_code_from_the_row_or_the_user() -> None:
    data = _workbook([_row(ebp_code="4401EP0001"), _row(order_no="X2")])
    names = {"4401EP0001": "广州海淘优选跨境电子商务有限公司"}
    messages, errors = _parse(data, name_of=names.get)
    assert errors == []
    heads = [m.units[0].head for m in messages]
    assert [(h["ebpCode"], h["ebpName"]) for h in heads] == [
        ("4401EP0001", "广州海淘优选跨境电子商务有限公司"),
        ("3301EP0001", "杭州海淘优选跨境电子商务有限公司"),
    ]
    # No enterprise of one's own (a city administrator) and an empty cell: the row names none.
    messages, errors = _parse(_workbook([_row()]), ebp_code=None, ebp_name=None)
    assert messages == []
    assert [(e.row, e.column, e.code) for e in errors] == [(2, "电商平台代码", "row.required")]


def test_bad_rows_are_reported_by_row_and_column_and_their_orders_not_built() -> None:
    data = _workbook(
        [
            _row(order_no="GOOD1"),
            _row(order_no="BAD1", buyer_id="110101199003070012"),  # wrong check digit
            _row(order_no="BAD1", buyer_id="110101199003070012", qty=0),
            _row(order_no="BAD2", hs_code="12345", price="abc"),
            [None] * len(HEADERS),  # blank rows are skipped
            _row(order_no="BAD3", item_name=""),
            _row(order_no="GOOD1", consignee="别人"),  # an order's rows must agree
            _row(order_no="GOOD2", unit="KG"),
        ]
    )
    messages, errors = _parse(data)
    assert [m.units[0].head["orderNo"] for m in messages] == []
    assert [(e.row, e.column, e.code) for e in errors] == [
        (3, "订购人身份证号", "row.id_number"),
        (4, "订购人身份证号", "row.id_number"),
        (4, "数量", "row.number"),
        (5, "HS编码", "row.hs_code"),
        (5, "单价（元）", "row.number"),
        (7, "商品名称", "row.required"),
        (8, "收货人", "row.inconsistent"),
        (9, "计量单位代码", "row.code"),
    ]
    assert "row 2" in next(e.message for e in errors if e.code == "row.inconsistent")


def test_a_good_order_survives_next_to_a_bad_one() -> None:
    messages, errors = _parse(_workbook([_row(order_no="OK1"), _row(order_no="NO1", phone="call me")]))
    assert [m.units[0].head["orderNo"] for m in messages] == ["OK1"]
    assert [(e.row, e.column, e.code) for e in errors] == [(3, "订购人电话", "row.phone")]


def test_a_date_stamps_nine_in_the_morning() -> None:
    messages, _ = _parse(_workbook([_row()]), today=date(2025, 6, 18))
    assert messages[0].units[0].head["appTime"] == "20250618090000"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"order_no,buyer\nA1,x\n", "file.not_xlsx"),
        (b"PK\x03\x04 not really a zip", "file.not_xlsx"),
        (_workbook([_row()], headers=HEADERS[:3]), "file.missing_column"),
    ],
)
def test_unusable_files_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _parse(data)
    assert [(e.path, e.code) for e in refused.value.errors] == [("file", code)]


def test_too_many_rows_are_refused() -> None:
    data = _workbook([_row(order_no=f"N{n}") for n in range(4)])
    with pytest.raises(ValidationFailed) as refused:
        _parse(data, max_rows=3)
    assert refused.value.errors[0].code == "file.too_many_rows"
    messages, errors = _parse(data, max_rows=4)
    assert len(messages) == 4
    assert errors == []
