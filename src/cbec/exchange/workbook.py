"""Orders from a spreadsheet (订单导入模板): for small enterprises without a system of their own.

One row per order item; rows with the same order number form one order. :func:`orders_from_workbook`
turns a filled template into CEB311 messages (one per order) and per-cell errors; it touches no
database, so the caller ingests each message exactly like an uploaded one (registry checks,
storage, matching). An order with any bad row is not built at all: half an order is worse than none.

The order list (OrderList) of the standard has no HS code; the HS code a row names is checked
against the rate table here (so a typo is caught at the cell) and carried in the item's ``note``
as ``HS:<code>``, for the declaring agent who writes the inventory list.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook as WorkbookType
from openpyxl.worksheet.worksheet import Worksheet
from stdnum.cn import ric

from cbec.exchange.model import Message, Unit
from cbec.exchange.rates import lookup
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.registry.spreadsheet import RowError, open_workbook

__all__ = [
    "ORDER_COLUMNS",
    "ORDER_SHEET",
    "OrderColumn",
    "RowError",
    "build_order_template",
    "orders_from_workbook",
]

ORDER_SHEET = "订单明细"
GUIDE_SHEET = "填写说明"
MAX_ROWS = 5_000
# A filled 5,000-row template unpacks to a few MB; far beyond that is not a filled template.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderColumn:
    key: str
    header: str
    required: bool
    width: int
    guide: str


ORDER_COLUMNS: tuple[OrderColumn, ...] = (
    OrderColumn("order_no", "订单编号", True, 20, "同一订单的多件商品各占一行，订单编号相同；每个平台内唯一"),
    OrderColumn("buyer_name", "订购人姓名", True, 12, "与身份证件一致"),
    OrderColumn("buyer_id", "订购人身份证号", True, 22, "18 位居民身份证号码（平台只保存密文，页面仅显示掩码）"),
    OrderColumn("phone", "订购人电话", True, 16, "手机号码；同时作为收货人电话"),
    OrderColumn("consignee", "收货人", True, 12, "收货人姓名"),
    OrderColumn("address", "收货地址", True, 36, "完整收货地址"),
    OrderColumn("item_name", "商品名称", True, 28, "中文商品名称"),
    OrderColumn("hs_code", "HS编码", True, 14, "10 位海关商品编码，须在税率表中"),
    OrderColumn("qty", "数量", True, 8, "大于 0 的数字"),
    OrderColumn("unit", "计量单位代码", True, 12, "海关计量单位代码，3 位数字，如 122（千克）、142（瓶）、007（个）"),
    OrderColumn("price", "单价（元）", True, 12, "人民币单价，最多 2 位小数"),
    OrderColumn("freight", "运费（元）", False, 12, "整单运费；同一订单多行时各行相加，不填为 0"),
    OrderColumn(
        "country", "原产国代码", True, 12, "海关国别代码，3 位数字，如 116（日本）、502（美国）、601（澳大利亚）"
    ),
    OrderColumn("ebp_code", "电商平台代码", False, 16, "海关注册编码；企业用户不填时默认为本企业"),
)
_BY_KEY = {c.key: c for c in ORDER_COLUMNS}
_POSITION = {c.key: n for n, c in enumerate(ORDER_COLUMNS)}
_HEADERS = {c.header: c.key for c in ORDER_COLUMNS} | {c.key: c.key for c in ORDER_COLUMNS}
# Values every row of one order must repeat exactly.
_ORDER_LEVEL = ("buyer_name", "buyer_id", "phone", "consignee", "address", "ebp_code")


def build_order_template(ebp_code: str = "") -> bytes:
    """An empty order template; ``ebp_code`` (the user's own customs code) is named in the guide."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = ORDER_SHEET
    sheet.append([c.header for c in ORDER_COLUMNS])
    for number, column in enumerate(ORDER_COLUMNS, start=1):
        sheet.cell(row=1, column=number).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(number)].width = column.width
        if column.key in ("order_no", "buyer_id", "phone", "hs_code", "unit", "country", "ebp_code"):
            sheet.column_dimensions[get_column_letter(number)].number_format = "@"  # keep leading zeros
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(GUIDE_SHEET)
    guide.append(["列名", "是否必填", "填写要求"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for width, letter in ((18, "A"), (10, "B"), (90, "C")):
        guide.column_dimensions[letter].width = width
    for c in ORDER_COLUMNS:
        guide.append([c.header, "必填" if c.required else "选填", c.guide])
    guide.append([])
    guide.append(["说明", "", f"从“{ORDER_SHEET}”表第 2 行起每行一件商品；空行会被忽略；最多 {MAX_ROWS} 行。"])
    if ebp_code:
        guide.append(["本企业代码", "", f"电商平台代码不填时使用 {ebp_code}"])
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refuse(code: str, message: str, hint: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", code, message, hint)])


def _load(data: bytes) -> WorkbookType:
    return open_workbook(
        data, "fill in the order template (.xlsx) and upload it again", max_inflated=MAX_UNPACKED_BYTES
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]


def _rows(book: WorkbookType) -> Iterator[_Row]:
    sheet = book[ORDER_SHEET] if ORDER_SHEET in book.sheetnames else book[book.sheetnames[0]]
    sheet.reset_dimensions()
    values: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
    header = next(values, ())
    where: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _HEADERS.get(_cell_text(title).replace("*", "").strip())
        if key is not None:
            where.setdefault(key, index)
    missing = [c.header for c in ORDER_COLUMNS if c.required and c.key not in where]
    if missing:
        raise _refuse(
            "file.missing_column",
            "required column(s) missing: " + ", ".join(missing),
            "keep the order template's header row (row 1) unchanged",
        )
    for number, row in enumerate(values, start=2):
        cells = {key: _cell_text(row[i]) if i < len(row) else "" for key, i in where.items()}
        if any(cells.values()):
            yield _Row(number, cells)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _check_row(row: _Row) -> list[tuple[str, str, str]]:
    """(column key, code, message) for every problem of one row on its own."""
    cells, problems = row.cells, []
    for column in ORDER_COLUMNS:
        if column.required and not cells.get(column.key):
            problems.append((column.key, "row.required", f"{column.header} is required"))
    if cells.get("buyer_id") and not ric.is_valid(cells["buyer_id"]):
        problems.append(("buyer_id", "row.id_number", "not a valid 18-character resident ID number"))
    phone = cells.get("phone", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 20):
        problems.append(("phone", "row.phone", f"{phone!r} is not a telephone number (digits only)"))
    hs = cells.get("hs_code", "")
    if hs and not (hs.isdigit() and len(hs) == 10):
        problems.append(("hs_code", "row.hs_code", f"{hs!r} is not a 10-digit HS code"))
    elif hs:
        try:
            lookup(hs)
        except ValidationFailed as refused:
            problems.append(("hs_code", "row.hs_code", "; ".join(e.message for e in refused.errors)))
    for key, positive in (("qty", True), ("price", False), ("freight", False)):
        text = cells.get(key, "")
        if not text:
            continue
        value = _decimal(text)
        if value is None or value < 0 or (positive and value == 0):
            wanted = "a number greater than 0" if positive else "a number of at least 0"
            problems.append((key, "row.number", f"{text!r} is not {wanted}"))
        elif key != "qty" and value != value.quantize(CENT):
            problems.append((key, "row.number", f"{text} has more than 2 decimals"))
    for key in ("unit", "country"):
        text = cells.get(key, "")
        if text and not (text.isdigit() and len(text) == 3):
            problems.append((key, "row.code", f"{text!r} is not a 3-digit customs code"))
    if len(cells.get("item_name", "")) > 250:
        problems.append(("item_name", "row.too_long", "the item name is longer than 250 characters"))
    if len(cells.get("address", "")) > 200:
        problems.append(("address", "row.too_long", "the address is longer than 200 characters"))
    return problems


def _error(row: int, key: str, code: str, message: str) -> RowError:
    return RowError(row, _BY_KEY[key].header, code, message)


def _new_guid() -> str:
    return str(uuid.uuid4()).upper()


def orders_from_workbook(
    data: bytes,
    *,
    ebp_code: str | None,
    ebp_name: str | None,
    today: date,
    name_of: Callable[[str], str | None] | None = None,
    new_guid: Callable[[], str] = _new_guid,
    max_rows: int = MAX_ROWS,
) -> tuple[list[Message], list[RowError]]:
    """CEB311 messages (one per order number, in the order first seen) and the errors of bad rows.

    ``ebp_code``/``ebp_name`` fill an empty platform cell (the user's own enterprise); ``name_of``
    gives the registered name of any other platform code a row names. The platform is also the
    e-commerce enterprise (a small enterprise sells on its own shop). ``today`` stamps appTime
    (a datetime keeps its time of day). Raises :class:`ValidationFailed` when the file itself is
    unusable (not .xlsx, columns missing, too many rows).
    """
    book = _load(data)
    try:
        rows = list(_limited(_rows(book), max_rows))
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl reads sheets lazily: a broken sheet surfaces here
        raise _refuse(
            "file.unreadable",
            f"the workbook could not be read ({type(exc).__name__})",
            "open the file in Excel or WPS and save it again as .xlsx",
        ) from exc
    finally:
        book.close()
    errors: list[RowError] = []
    groups: dict[str, list[_Row]] = {}
    bad_orders: set[str] = set()
    for row in rows:
        if not row.cells.get("ebp_code"):
            row.cells["ebp_code"] = ebp_code or ""
        problems = _check_row(row)
        if not row.cells["ebp_code"]:
            problems.append(("ebp_code", "row.required", "电商平台代码 is required (no enterprise of your own)"))
        order_no = row.cells.get("order_no", "")
        first = groups.get(order_no, [None])[0] if order_no else None
        if first is not None:
            for key in _ORDER_LEVEL:
                if row.cells.get(key, "") != first.cells.get(key, ""):
                    problems.append(
                        (key, "row.inconsistent", f"differs from row {first.number} of the same order {order_no}")
                    )
        problems.sort(key=lambda problem: _POSITION[problem[0]])
        errors.extend(_error(row.number, key, code, message) for key, code, message in problems)
        if order_no:
            groups.setdefault(order_no, []).append(row)
            if problems:
                bad_orders.add(order_no)
    stamp = today.strftime("%Y%m%d%H%M%S") if isinstance(today, datetime) else f"{today:%Y%m%d}090000"
    messages = []
    for order_no, members in groups.items():
        if order_no in bad_orders:
            continue
        code = members[0].cells["ebp_code"]
        name = (ebp_name if code == ebp_code else None) or (name_of(code) if name_of else None) or code
        messages.append(_order(order_no, members, code, name, stamp, new_guid))
    return messages, errors


def _limited(rows: Iterator[_Row], max_rows: int) -> Iterator[_Row]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise _refuse(
                "file.too_many_rows",
                f"the file has more than {max_rows} item rows",
                "split the orders into several workbooks",
            )
        yield row


def _order(order_no: str, rows: list[_Row], code: str, name: str, stamp: str, new_guid: Callable[[], str]) -> Message:
    first = rows[0].cells
    items = []
    goods = freight = Decimal(0)
    for gnum, row in enumerate(rows, start=1):
        c = row.cells
        qty, price = Decimal(c["qty"]), Decimal(c["price"])
        total = (qty * price).quantize(CENT, ROUND_HALF_UP)
        goods += total
        freight += Decimal(c["freight"]) if c.get("freight") else Decimal(0)
        items.append(
            {
                "gnum": str(gnum),
                "itemName": c["item_name"],
                "gmodel": c["item_name"],
                "unit": c["unit"],
                "qty": _plain(qty),
                "price": _money(price),
                "totalPrice": _money(total),
                "currency": "142",
                "country": c["country"],
                "note": f"HS:{c['hs_code']}",
            }
        )
    head = {
        "guid": new_guid(),
        "appType": "1",
        "appTime": stamp,
        "appStatus": "2",
        "orderType": "I",
        "orderNo": order_no,
        "ebpCode": code,
        "ebpName": name,
        "ebcCode": code,
        "ebcName": name,
        "goodsValue": _money(goods),
        "freight": _money(freight),
        "discount": "0",
        "taxTotal": "0",
        "acturalPaid": _money(goods + freight),
        "currency": "142",
        "buyerRegNo": order_no,
        "buyerName": first["buyer_name"],
        "buyerTelephone": first["phone"],
        "buyerIdType": "1",
        "buyerIdNumber": first["buyer_id"],
        "consignee": first["consignee"],
        "consigneeTelephone": first["phone"],
        "consigneeAddress": first["address"],
    }
    return Message("CEB311", new_guid(), "1.0", [Unit(head, {"OrderList": items})])
