"""Pure writers for a metric result: JSON-ready rows, CSV, .xlsx and Parquet.

Every writer takes a ``services.MetricResult`` (rows as the backend returned them, money in
integer fen) and turns each column into one of four kinds:

- ``dimension``: the split (month, city, enterprise ...), written as it is;
- ``money``: a ``*_fen`` column, written as Decimal yuan with two places (``12345`` fen ->
  ``123.45``), never through a float;
- ``count``: an integer;
- ``ratio``: a share or growth the metric rounded to four places; written as the Decimal of its
  shortest repr with four places (``0.1234``, ``0.0000``), so no binary noise
  (0.12340000000000001) reaches a reader.

Headers are Chinese by default (``locale="zh"``) and English for ``locale="en"``; a column the
label table does not know is headed by its own name. The CSV is UTF-8 with a byte-order mark
(Excel reads a CSV without one in the system code page) and CRLF line ends. Parquet keeps money
as ``decimal128(18, 2)`` yuan and ratios as ``decimal128(18, 4)``; the metric, its caliber and
the scope travel in the schema metadata.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cbec.stats.catalog import DIMENSIONS, Scope
from cbec.stats.services import MetricResult, yuan

__all__ = [
    "LABELS",
    "Column",
    "columns_of",
    "json_body",
    "json_rows",
    "label",
    "scope_dict",
    "table_rows",
    "to_csv",
    "to_parquet",
    "to_xlsx",
]

# Output column name (dimension names and value columns without ``_fen``) -> (中文, English).
LABELS: Mapping[str, tuple[str, str]] = {
    "month": ("月份", "Month"),
    "year": ("年份", "Year"),
    "city": ("城市代码", "City code"),
    "district": ("区县代码", "District code"),
    "enterprise": ("企业ID", "Enterprise ID"),
    "code": ("监管方式代码", "Trade mode"),
    "direction": ("进出口方向", "Direction"),
    "flag": ("统计标志", "Statistics flag"),
    "hs_chapter": ("HS章", "HS chapter"),
    "origin": ("原产国（地区）", "Origin country"),
    "destination": ("目的国（地区）", "Destination country"),
    "value": ("金额（元）", "Value (CNY)"),
    "previous": ("对比期金额（元）", "Comparison value (CNY)"),
    "growth": ("增长率", "Growth"),
    "returned": ("退货金额（元）", "Returned value (CNY)"),
    "rate": ("比率", "Rate"),
    "share": ("占比", "Share"),
    "lists": ("清单票数", "Lists"),
    "lines": ("商品行数", "Lines"),
    "enterprises": ("企业数", "Enterprises"),
    "unconverted_lines": ("未折算行数", "Unconverted lines"),
    "band": ("规模档", "Size band"),
    "rank": ("排名", "Rank"),
    "name": ("名称", "Name"),
    "status": ("清单状态", "List status"),
}
RATIO_NAMES = frozenset({"growth", "rate", "share", "return_rate", "ratio"})
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.00%"
MONEY_TYPE = pa.decimal128(18, 2)
RATIO_TYPE = pa.decimal128(18, 4)
RATIO_PLACES = Decimal("0.0001")


def label(name: str, locale: str = "zh") -> str:
    found = LABELS.get(name)
    if found is None:
        return name
    return found[1] if locale == "en" else found[0]


@dataclass(frozen=True)
class Column:
    source: str  # the backend's column name (``value_fen``, ``trade_mode``)
    name: str  # the output name (``value``, ``code``)
    kind: str  # dimension | money | count | ratio | text


def _kind_from_values(result: MetricResult, source: str) -> str:
    values = [row.get(source) for row in result.rows if row.get(source) is not None]
    if any(isinstance(v, float) for v in values):
        return "ratio"
    if any(isinstance(v, str) for v in values):
        return "text"
    if values:
        return "count"
    return "ratio" if result.metric.unit == "ratio" else "count"


def columns_of(result: MetricResult) -> list[Column]:
    """The result's columns in output order: the dimensions asked for, then the values."""
    names = {column: dim for dim, column in DIMENSIONS.items()}
    sources = list(result.rows[0]) if result.rows else [DIMENSIONS[d] for d in result.by]
    for value in result.metric.value_columns:
        if value not in sources:
            sources.append(value)
    out = []
    for source in sources:
        if source in names:
            out.append(Column(source, names[source], "dimension"))
        elif source.endswith("_fen"):
            out.append(Column(source, source[: -len("_fen")], "money"))
        elif source in RATIO_NAMES:
            out.append(Column(source, source, "ratio"))
        else:
            out.append(Column(source, source, _kind_from_values(result, source)))
    return out


def _ratio(value: float | int | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    return exact.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)  # the metric rounded to 4 places already


def _cell(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "money":
        return yuan(int(value))
    if column.kind == "ratio":
        return _ratio(value)
    return value


def table_rows(result: MetricResult) -> tuple[list[Column], list[list[Any]]]:
    """Columns and typed rows: money as Decimal yuan, ratios as Decimal, the rest as they are."""
    columns = columns_of(result)
    return columns, [[_cell(c, row.get(c.source)) for c in columns] for row in result.rows]


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def json_rows(result: MetricResult) -> list[dict[str, Any]]:
    """Rows for JSON: money and ratios as decimal strings (``"1234.50"``), never floats."""
    columns, rows = table_rows(result)
    return [{c.name: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def scope_dict(scope: Scope) -> dict[str, Any]:
    return {
        "city": scope.city,
        "district": scope.district,
        "enterprise": scope.enterprise_id,
        "from": scope.month_from,
        "to": scope.month_to,
        "direction": list(scope.directions),
        "code": list(scope.trade_modes),
    }


def json_body(result: MetricResult) -> dict[str, Any]:
    """The API's answer for one metric."""
    found = result.metric
    return {
        "metric": found.name,
        "title": {"zh": found.title_zh, "en": found.title_en},
        "caliber": found.caliber,
        "unit": found.unit,
        "scope": scope_dict(result.scope),
        "by": list(result.by),
        "columns": [
            {"name": c.name, "kind": c.kind, "zh": label(c.name), "en": label(c.name, "en")} for c in columns_of(result)
        ],
        "rows": json_rows(result),
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(result: MetricResult, locale: str = "zh") -> bytes:
    """One header row (labels in ``locale``) and one row per result row; UTF-8 with BOM, CRLF."""
    columns, rows = table_rows(result)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([label(c.name, locale) for c in columns])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return text.getvalue().encode("utf-8-sig")


def _scope_text(scope: Scope, locale: str) -> str:
    parts = []
    names = (
        ("city", scope.city, "城市", "City"),
        ("district", scope.district, "区县", "District"),
        ("enterprise", scope.enterprise_id, "企业", "Enterprise"),
        ("from", scope.month_from, "起始月份", "From"),
        ("to", scope.month_to, "截止月份", "To"),
        ("direction", ",".join(scope.directions) or None, "方向", "Direction"),
        ("code", ",".join(scope.trade_modes) or None, "监管方式", "Trade mode"),
    )
    for _, value, zh, en in names:
        if value is not None:
            parts.append(f"{en if locale == 'en' else zh}: {value}")
    everything = "all visible" if locale == "en" else "全部可见范围"
    return ("Scope: " if locale == "en" else "范围：") + ("; ".join(parts) or everything)


_FORMATS = {"money": MONEY_FORMAT, "count": COUNT_FORMAT, "ratio": RATIO_FORMAT}
HEADER_ROW = 4  # title, caliber, scope, then the header


def to_xlsx(result: MetricResult, locale: str = "zh") -> bytes:
    """A formatted workbook: title row, caliber (口径) row, scope row, bold header on a grey
    fill (frozen), numbers as numeric cells with money ``#,##0.00``, counts ``#,##0`` and ratios
    ``0.00%``. Money cells hold the exact Decimal yuan."""
    found = result.metric
    columns, rows = table_rows(result)
    width = max(len(columns), 1)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = found.name[:31]
    title = found.title_en if locale == "en" else found.title_zh
    sheet.append([f"{title}（{found.name}）"])
    sheet.append([("Caliber: " if locale == "en" else "口径：") + found.caliber])
    sheet.append([_scope_text(result.scope, locale)])
    for row_number in (1, 2, 3):
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=width)
        sheet.cell(row=row_number, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    sheet.cell(row=2, column=1).font = Font(italic=True, size=9)
    sheet.row_dimensions[2].height = 15 * max(2, len(found.caliber) // 90 + 1)
    sheet.append([label(c.name, locale) for c in columns])
    fill = PatternFill("solid", fgColor="DDDDDD")
    for number, column in enumerate(columns, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=number)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
        wide = 16 if column.kind in ("money", "ratio") else 12
        sheet.column_dimensions[get_column_letter(number)].width = max(wide, len(label(column.name, locale)) * 2 + 2)
    for row in rows:
        sheet.append(row)
        for number, column in enumerate(columns, start=1):
            fmt = _FORMATS.get(column.kind)
            if fmt is not None:
                sheet.cell(row=sheet.max_row, column=number).number_format = fmt
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1).coordinate
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _arrow_type(column: Column, values: list[Any]) -> pa.DataType:
    if column.kind == "money":
        return MONEY_TYPE
    if column.kind == "ratio":
        return RATIO_TYPE
    if column.kind == "count":
        return pa.int64()
    if column.name in ("enterprise",):
        return pa.int64()
    if column.name == "year":
        return pa.int32()
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    return pa.string()


def to_parquet(result: MetricResult) -> bytes:
    """The result as Parquet: money ``decimal128(18, 2)`` in yuan, ratios ``decimal128(18, 4)``,
    counts int64, dimensions as strings (enterprise int64, year int32). The schema metadata holds
    ``cbec.metric``, ``cbec.caliber``, ``cbec.unit``, ``cbec.by`` and ``cbec.scope`` (JSON)."""
    columns, rows = table_rows(result)
    arrays = []
    fields = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        kind = _arrow_type(column, values)
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(column.name, kind))
    metadata = {
        "cbec.metric": result.metric.name,
        "cbec.caliber": result.metric.caliber,
        "cbec.unit": result.metric.unit,
        "cbec.by": ",".join(result.by),
        "cbec.scope": json.dumps(scope_dict(result.scope), ensure_ascii=False),
    }
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=metadata))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()
