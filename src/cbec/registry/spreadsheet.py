"""Bulk import of enterprises (主体备案批量导入) from an .xlsx template.

The template has one data sheet, "企业名单", with a Chinese header row; "填写说明" explains every
column and "区县代码" lists the reference cities and districts. :func:`parse_workbook` turns an
uploaded file into valid rows and per-cell errors; it touches no database, so the caller still
checks each USCC against the enterprises already stored.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook as WorkbookType
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.registry.districts import DistrictBook
from cbec.registry.model import (
    EnterpriseInput,
    EnterpriseRole,
    EnterpriseStatus,
    validate_enterprise,
)

__all__ = [
    "COLUMNS",
    "ROLE_LABELS",
    "SHEET_NAME",
    "STATUS_LABELS",
    "Column",
    "ParsedSheet",
    "RowError",
    "build_template",
    "build_workbook",
    "parse_workbook",
]

SHEET_NAME = "企业名单"
GUIDE_SHEET = "填写说明"
CODES_SHEET = "区县代码"
_TEMPLATE_ROWS = 5000  # rows covered by the template's drop-down lists
_ZIP_MAGIC = b"PK\x03\x04"
# 50,000 template rows unpack to about 40 MB; anything far beyond that is not a filled template.
MAX_INFLATED_BYTES = 256 * 1024 * 1024
PROGRESS_EVERY = 500

ROLE_LABELS: dict[EnterpriseRole, str] = {
    EnterpriseRole.EBP: "电商平台",
    EnterpriseRole.EBC: "电商企业",
    EnterpriseRole.LOGISTICS: "物流企业",
    EnterpriseRole.PAYMENT: "支付企业",
    EnterpriseRole.DECLARING_AGENT: "申报企业",
    EnterpriseRole.WAREHOUSE_OPERATOR: "监管场所经营企业",
    EnterpriseRole.SERVICE_PROVIDER: "综合服务企业",
}
STATUS_LABELS: dict[EnterpriseStatus, str] = {
    EnterpriseStatus.ACTIVE: "正常",
    EnterpriseStatus.SUSPENDED: "暂停",
    EnterpriseStatus.CANCELLED: "注销",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header, as printed in the template
    header_en: str
    required: bool
    width: int
    guide: str  # accepted values, shown on the "填写说明" sheet


COLUMNS: tuple[Column, ...] = (
    Column("uscc", "统一社会信用代码", "USCC", True, 24, "18 位，按营业执照填写，例：91330100MA27XXXXXX"),
    Column("name", "企业名称", "Name", True, 36, "与营业执照一致，不超过 200 字"),
    Column("name_en", "英文名称", "English name", False, 30, "可不填"),
    Column("customs_code", "海关注册编码", "Customs code", False, 16, "10 位数字或大写字母；无海关注册可不填"),
    Column(
        "roles",
        "企业角色",
        "Roles",
        True,
        28,
        "可填多个，用 、 , ； 分隔："
        + "、".join(ROLE_LABELS.values())
        + "；也可填代码："
        + ", ".join(r.value for r in EnterpriseRole),
    ),
    Column("city", "所在城市", "City", True, 12, "城市名称（如 杭州市）或 6 位代码，见“区县代码”表"),
    Column("district", "区县/镇街/功能区", "District", True, 22, "该城市下的名称或代码，见“区县代码”表"),
    Column("park", "园区", "Park", False, 20, "可不填，不超过 100 字"),
    Column("registered_on", "备案日期", "Registered on", True, 14, "日期单元格或文本 YYYY-MM-DD，不能晚于今天"),
    Column("status", "状态", "Status", False, 10, "正常/暂停/注销（或 active/suspended/cancelled），默认正常"),
)
_BY_KEY = {c.key: c for c in COLUMNS}
_HEADER_LOOKUP = {t: c.key for c in COLUMNS for t in (c.header, c.header_en.lower(), c.key)}
_LETTER = {c.key: get_column_letter(n) for n, c in enumerate(COLUMNS, start=1)}
_ORDER = {c.key: n for n, c in enumerate(COLUMNS)}
_PATH_TO_KEY = {"city_code": "city", "district_code": "district"}
_ROLE_BY_TEXT = {label: role for role, label in ROLE_LABELS.items()} | {r.value: r for r in EnterpriseRole}
_STATUS_BY_TEXT = {label: s for s, label in STATUS_LABELS.items()} | {s.value: s for s in EnterpriseStatus}
_ROLE_SEPARATORS = re.compile(r"[、,，;；\n]+")
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True)
class RowError:
    row: int  # Excel row number as the user sees it; the header is row 1
    column: str  # Chinese header of the offending column
    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class ParsedSheet:
    valid: list[tuple[int, EnterpriseInput]]
    errors: list[RowError]
    total_rows: int

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


class _CellError(Exception):
    """A cell that cannot be read; ``args`` are (code, message)."""


def build_template(districts: DistrictBook) -> bytes:
    """An empty import template: header row, instructions and the district code list."""
    return _save(_new_workbook(districts)[0])


def build_workbook(rows: Iterable[EnterpriseInput], districts: DistrictBook) -> bytes:
    """Write ``rows`` in the template format, with names, role labels and real date cells."""
    book, sheet = _new_workbook(districts)
    for data in rows:
        sheet.append([_cell_value(c.key, data, districts) for c in COLUMNS])
    return _save(book)


def _cell_value(key: str, data: EnterpriseInput, districts: DistrictBook) -> object:
    if key == "roles":
        return "、".join(ROLE_LABELS[r] for r in EnterpriseRole if r in data.roles)
    if key == "status":
        return STATUS_LABELS[data.status]
    if key == "city":
        city = districts.city(data.city_code)
        return city.name if city else data.city_code
    if key == "district":
        district = districts.district(data.district_code)
        return district.name if district else data.district_code
    value: object = getattr(data, key)
    return value


def _new_workbook(districts: DistrictBook) -> tuple[WorkbookType, Worksheet]:
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET_NAME
    _write_header(sheet, [c.header for c in COLUMNS], [c.width for c in COLUMNS])
    sheet.column_dimensions[_LETTER["registered_on"]].number_format = "yyyy-mm-dd"
    _add_list(sheet, "status", list(STATUS_LABELS.values()))
    _add_list(sheet, "city", [c.name for c in districts.cities])
    _write_guide(book.create_sheet(GUIDE_SHEET))
    _write_codes(book.create_sheet(CODES_SHEET), districts)
    return book, sheet


def _write_header(sheet: Worksheet, headers: list[str], widths: list[int]) -> None:
    sheet.append(headers)
    for number, width in enumerate(widths, start=1):
        sheet.cell(row=1, column=number).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"


def _add_list(sheet: Worksheet, key: str, choices: list[str]) -> None:
    formula = '"' + ",".join(choices) + '"'
    if not choices or len(formula) > 255:  # Excel's limit for an inline list
        return
    letter = _LETTER[key]
    check = DataValidation(type="list", formula1=formula, allow_blank=True)
    check.error = "请从下拉列表中选择"
    check.add(f"{letter}2:{letter}{_TEMPLATE_ROWS}")
    sheet.add_data_validation(check)


def _write_guide(sheet: Worksheet) -> None:
    _write_header(sheet, ["列名", "English", "是否必填", "填写要求"], [20, 16, 10, 90])
    for c in COLUMNS:
        sheet.append([c.header, c.header_en, "必填" if c.required else "选填", c.guide])
    sheet.append([])
    note = "在“企业名单”表第 2 行起每行填写一家企业；空行会被忽略；同一文件内统一社会信用代码不能重复。"
    sheet.append(["说明", "", "", note])
    for row in sheet.iter_rows(min_row=2):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")


def _write_codes(sheet: Worksheet, districts: DistrictBook) -> None:
    _write_header(sheet, ["城市代码", "城市名称", "区县/镇街/功能区代码", "名称", "类型"], [12, 12, 24, 24, 10])
    for city in districts.cities:
        for d in city.districts:
            sheet.append([city.code, city.name, d.code, d.name, d.kind])


def _save(book: WorkbookType) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse_workbook(
    data: bytes,
    districts: DistrictBook,
    *,
    today: date,
    max_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> ParsedSheet:
    """Parse an uploaded template; raise :class:`ValidationFailed` when the file itself is unusable.

    ``progress`` is called with the number of data rows read so far, every few hundred rows.
    """
    book = _open(data)
    try:
        rows, columns = _data_rows(book)
        return _parse_rows(rows, columns, districts, today=today, max_rows=max_rows, progress=progress)
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl parses sheets lazily; a broken sheet surfaces here
        raise _file_error(
            "file.unreadable",
            f"the workbook could not be read ({type(exc).__name__})",
            "open the file in Excel or WPS and save it again as .xlsx",
        ) from exc
    finally:
        book.close()


def _file_error(code: str, message: str, hint: str) -> ValidationFailed:
    return ValidationFailed([FieldError("file", code, message, hint)])


def _open(data: bytes) -> WorkbookType:
    return open_workbook(data, "save the file as an Excel workbook (.xlsx) based on the template and upload it again")


def open_workbook(data: bytes, hint: str, *, max_inflated: int | None = None) -> WorkbookType:
    """Open an uploaded .xlsx read-only, refusing (``file.not_xlsx`` / ``file.too_large``) what is
    not a workbook or would unpack into too much. Shared by every .xlsx upload of the platform."""
    if not data.startswith(_ZIP_MAGIC):
        raise _file_error("file.not_xlsx", "the file is not an .xlsx workbook", hint)
    _refuse_zip_bomb(data, hint, MAX_INFLATED_BYTES if max_inflated is None else max_inflated)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and KeyError failures all mean "not a workbook"
        raise _file_error("file.not_xlsx", "the file is a ZIP archive but not an .xlsx workbook", hint) from exc


def _refuse_zip_bomb(data: bytes, hint: str, limit: int) -> None:
    """A small upload must not inflate into gigabytes: openpyxl loads shared strings whole."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _file_error("file.not_xlsx", "the file is not a readable .xlsx workbook", hint) from exc
    if inflated > limit:
        raise _file_error(
            "file.too_large",
            f"the workbook unpacks to {inflated} bytes; the limit is {limit}",
            "split the file into smaller workbooks",
        )


def _data_rows(book: WorkbookType) -> tuple[Iterator[tuple[object, ...]], dict[str, int]]:
    """The data rows of the enterprise sheet and where each known column sits."""
    name = SHEET_NAME if SHEET_NAME in book.sheetnames else book.sheetnames[0]
    sheet = book[name]
    sheet.reset_dimensions()  # trust the rows, not a possibly wrong <dimension> element
    rows: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
    columns = _header_map(next(rows, ()))
    missing = [c.header for c in COLUMNS if c.required and c.key not in columns]
    if missing and name != SHEET_NAME:
        raise _file_error(
            "file.missing_sheet",
            f"the workbook has no sheet named {SHEET_NAME}",
            "use the import template and fill in its first sheet",
        )
    if missing:
        raise _file_error(
            "file.missing_column",
            "required column(s) missing: " + ", ".join(missing),
            "keep the template's header row (row 1) unchanged",
        )
    return rows, columns


def _header_map(header: tuple[object, ...]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        key = _HEADER_LOOKUP.get(_text(value).replace("*", "").strip().lower())
        if key is not None and key not in columns:
            columns[key] = index
    return columns


def _parse_rows(
    rows: Iterator[tuple[object, ...]],
    columns: dict[str, int],
    districts: DistrictBook,
    *,
    today: date,
    max_rows: int,
    progress: Callable[[int], None] | None,
) -> ParsedSheet:
    valid: list[tuple[int, EnterpriseInput]] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    total = 0
    for number, row in enumerate(rows, start=2):
        if all(_text(v) == "" for v in row):
            continue
        total += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total)
        if total > max_rows:
            raise _file_error(
                "file.too_many_rows",
                f"the file has more than {max_rows} data rows",
                "split it into several files and import them one by one",
            )
        cells = {key: row[i] if i < len(row) else None for key, i in columns.items()}
        data, row_errors = _parse_row(number, cells, districts, today)
        first = first_seen.setdefault(data.uscc, number) if data.uscc else number
        if first != number:
            row_errors.insert(
                0,
                RowError(
                    number,
                    _BY_KEY["uscc"].header,
                    "uscc.duplicate_in_file",
                    f"USCC {data.uscc} already appears in row {first}; keep one row per enterprise",
                ),
            )
        errors.extend(row_errors)
        if not row_errors:
            valid.append((number, data))
    return ParsedSheet(valid=valid, errors=errors, total_rows=total)


def _parse_row(
    number: int, cells: dict[str, object], districts: DistrictBook, today: date
) -> tuple[EnterpriseInput, list[RowError]]:
    text = {c.key: _text(cells.get(c.key)) for c in COLUMNS}
    problems = {
        c.key: FieldError(c.key, f"{c.key}.required", f"{c.header_en} is required", f"fill in column {c.header}")
        for c in COLUMNS
        if c.required and not text[c.key]
    }
    roles = _attempt("roles", _parse_roles, text["roles"], frozenset[EnterpriseRole](), problems)
    registered_on = _attempt("registered_on", _parse_date, cells.get("registered_on"), today, problems)
    status = _attempt("status", _parse_status, text["status"], EnterpriseStatus.ACTIVE, problems)
    city_code = _resolve_city(text["city"], districts)
    data = EnterpriseInput(
        uscc=text["uscc"],
        name=text["name"],
        city_code=city_code,
        district_code=_resolve_district(text["district"], city_code, districts),
        roles=roles,
        registered_on=registered_on,
        customs_code=text["customs_code"] or None,
        name_en=text["name_en"] or None,
        park=text["park"] or None,
        status=status,
    )
    for error in validate_enterprise(data, districts, today=today):
        problems.setdefault(_PATH_TO_KEY.get(error.path, error.path), error)
    keys = sorted(problems, key=lambda k: _ORDER.get(k, len(_ORDER)))
    return data, [_row_error(number, key, problems[key]) for key in keys]


def _row_error(number: int, key: str, error: FieldError) -> RowError:
    column = _BY_KEY[key].header if key in _BY_KEY else key
    message = f"{error.message}; {error.hint}" if error.hint else error.message
    return RowError(number, column, error.code, message)


def _attempt(key: str, parse: Callable[[_T], _R], raw: _T, default: _R, problems: dict[str, FieldError]) -> _R:
    """Run one cell parser unless the cell already failed; record its failure under ``key``."""
    if key in problems:
        return default
    try:
        return parse(raw)
    except _CellError as exc:
        problems[key] = FieldError(key, *exc.args)
        return default


def _text(value: object) -> str:
    """A cell as typed text: numbers lose a spurious ".0", dates become YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _parse_roles(text: str) -> frozenset[EnterpriseRole]:
    tokens = [t.strip() for t in _ROLE_SEPARATORS.split(text) if t.strip()]
    unknown = [t for t in tokens if t not in _ROLE_BY_TEXT and t.lower() not in _ROLE_BY_TEXT]
    if unknown:
        raise _CellError(
            "roles.unknown",
            "unknown role "
            + ", ".join(repr(t) for t in unknown)
            + "; use "
            + "、".join(ROLE_LABELS.values())
            + " or their codes ("
            + ", ".join(r.value for r in EnterpriseRole)
            + "), separated by 、",
        )
    return frozenset(_ROLE_BY_TEXT.get(t) or _ROLE_BY_TEXT[t.lower()] for t in tokens)


def _parse_status(text: str) -> EnterpriseStatus:
    if not text:
        return EnterpriseStatus.ACTIVE
    status = _STATUS_BY_TEXT.get(text) or _STATUS_BY_TEXT.get(text.lower())
    if status is None:
        raise _CellError(
            "status.unknown",
            f"unknown status {text!r}; use 正常, 暂停 or 注销 "
            "(or active, suspended, cancelled), or leave it empty for 正常",
        )
    return status


def _parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return datetime.strptime(text.replace("/", "-"), "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date, no time zone
    except ValueError:
        raise _CellError(
            "registered_on.invalid",
            f"registration date {text!r} is not a valid date; "
            "type it as YYYY-MM-DD (e.g. 2024-03-15) or use an Excel date cell",
        ) from None


def _resolve_city(text: str, districts: DistrictBook) -> str:
    """The city code for a name or code; unknown text is passed on for validation to report."""
    city = districts.city(text) or districts.city_by_name(text)
    return city.code if city else text


def _resolve_district(text: str, city_code: str, districts: DistrictBook) -> str:
    district = districts.district_by_name(city_code, text)
    return district.code if district else text
