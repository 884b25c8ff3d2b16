"""The monthly 无票免税 register file for the tax bureau, as .xlsx and as CSV.

One enterprise, one month of export dates. The .xlsx has a title row (enterprise name, USCC,
month), the Chinese header row, one row per goods line and a total row per currency; amounts
are numeric cells written from the Decimal amounts exactly (openpyxl stores a Decimal's digits
as they are) and shown with two decimals. The CSV carries the same header and rows without title
or totals, so that it loads into any tool as a plain table; it is UTF-8 with a byte-order mark
because Excel reads a CSV without one in the system code page and garbles the Chinese.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cbec.export.taxfree import RegisterRow, month_of, register_totals

__all__ = ["HEADERS", "SHEET_NAME", "month_rows", "monthly_csv", "monthly_workbook"]

HEADERS = ("出口日期", "清单编号", "货物名称", "计量单位", "数量", "单价", "金额", "币制", "贸易方式", "运抵国")
SHEET_NAME = "无票免税登记"
_WIDTHS = (12, 22, 30, 10, 12, 12, 14, 8, 10, 10)
_AMOUNT_COLUMN = HEADERS.index("金额") + 1
_AMOUNT_FORMAT = "#,##0.00"
_DATE_FORMAT = "yyyy-mm-dd"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_rows(rows: Iterable[RegisterRow], month: str) -> list[RegisterRow]:
    """The rows whose export date falls in ``month`` (YYYY-MM), in register order.

    Rows of other months are left out, so the whole register can be passed; rows of more than one
    shipper are refused, because the file is one enterprise's return.
    """
    if not _MONTH.match(month):
        raise ValueError(f"month {month!r} is not YYYY-MM")
    chosen = [r for r in rows if r.export_date is not None and month_of(r.export_date) == month]
    shippers = sorted({r.ebc_code for r in chosen})
    if len(shippers) > 1:
        raise ValueError(f"rows of several shippers {shippers}; write one file per enterprise")
    return chosen


def _values(row: RegisterRow) -> list[object]:
    return [
        row.export_date,
        row.invt_no or "",
        row.gname,
        row.unit,
        row.qty,
        row.price,
        row.amount,
        row.currency,
        row.trade_mode,
        row.country,
    ]


def monthly_workbook(rows: Iterable[RegisterRow], *, enterprise_name: str, uscc: str, month: str) -> bytes:
    """The month's register as an .xlsx workbook."""
    chosen = month_rows(rows, month)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET_NAME
    sheet.append([f"跨境电商出口无票免税货物登记表　{enterprise_name}　统一社会信用代码：{uscc}　所属月份：{month}"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=12)
    sheet.append(list(HEADERS))
    for number, width in enumerate(_WIDTHS, start=1):
        sheet.cell(row=2, column=number).font = Font(bold=True)
        sheet.cell(row=2, column=number).alignment = Alignment(horizontal="center")
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A3"
    for row in chosen:
        sheet.append(_values(row))
        sheet.cell(row=sheet.max_row, column=1).number_format = _DATE_FORMAT
        sheet.cell(row=sheet.max_row, column=_AMOUNT_COLUMN).number_format = _AMOUNT_FORMAT
    for currency, total in register_totals(chosen).items():
        sheet.append(["合计", "", "", "", "", "", total, currency, "", ""])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        sheet.cell(row=sheet.max_row, column=_AMOUNT_COLUMN).number_format = _AMOUNT_FORMAT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def monthly_csv(rows: Iterable[RegisterRow], *, month: str) -> bytes:
    """The month's register as CSV: UTF-8 with BOM, Chinese header, dates as YYYY-MM-DD."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in month_rows(rows, month):
        writer.writerow([_text(v) for v in _values(row)])
    return text.getvalue().encode("utf-8-sig")


def _text(value: object) -> str:
    """Dates as YYYY-MM-DD and Decimals in plain notation (never 1E+2), as the bureau reads them."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
