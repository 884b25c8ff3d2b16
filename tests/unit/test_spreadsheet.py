"""Bulk enterprise import from .xlsx: template, writing and row-by-row parsing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from cbec.kernel.errors import ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import City, District, DistrictBook
from cbec.registry.model import EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.spreadsheet import (
    COLUMNS,
    ROLE_LABELS,
    STATUS_LABELS,
    ParsedSheet,
    RowError,
    build_template,
    build_workbook,
    parse_workbook,
)

TODAY = date(2025, 6, 30)
HEADERS = [c.header for c in COLUMNS]
BOOK = DistrictBook(
    [
        City(
            "330100",
            "杭州市",
            (
                District("330102", "上城区", "区", "330100"),
                District("330108", "滨江区", "区", "330100"),
                District("330199", "钱塘新区", "功能区", "330100"),
            ),
        ),
        City("330200", "宁波市", (District("330203", "海曙区", "区", "330200"),)),
    ]
)


def uscc(n: int) -> str:
    return uscc_with_check(f"91330100MA{n:07d}")


def enterprise(n: int, **changes: object) -> EnterpriseInput:
    data = EnterpriseInput(
        uscc=uscc(n),
        name=f"杭州测试{n}号贸易有限公司",
        city_code="330100",
        district_code="330108",
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2024, 3, 15),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def row(**cells: object) -> list[object]:
    """One template row of raw cell values; unspecified cells hold a valid enterprise."""
    values: dict[str, object] = {
        "uscc": uscc(1),
        "name": "杭州一号贸易有限公司",
        "roles": "电商企业",
        "city": "杭州市",
        "district": "滨江区",
        "registered_on": datetime(2024, 3, 15),
    }
    values.update(cells)
    return [values.get(c.key) for c in COLUMNS]


def sheet_bytes(*rows: list[object], header: list[str] | None = None, title: str = "企业名单") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(HEADERS if header is None else header)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse(data: bytes, **kwargs: int) -> ParsedSheet:
    return parse_workbook(data, BOOK, today=TODAY, **kwargs)


def one(*rows: list[object]) -> ParsedSheet:
    return parse(sheet_bytes(*rows))


def codes(parsed: ParsedSheet) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in parsed.errors]


def file_error(data: bytes, **kwargs: int) -> tuple[str, str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse(data, **kwargs)
    (error,) = caught.value.errors
    return error.path, error.code, error.message


# --------------------------------------------------------------------------- template


def test_template_round_trips_as_an_empty_sheet() -> None:
    parsed = parse(build_template(BOOK))
    assert (parsed.valid, parsed.errors, parsed.total_rows, parsed.bad_rows) == ([], [], 0, [])


def test_template_layout() -> None:
    book = load_workbook(io.BytesIO(build_template(BOOK)))
    assert book.sheetnames == ["企业名单", "填写说明", "区县代码"]
    sheet = book["企业名单"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert all(c.font.bold for c in sheet[1])
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists == {"J2:J5000": '"正常,暂停,注销"', "F2:F5000": '"杭州市,宁波市"'}
    guide = [[c.value for c in r] for r in book["填写说明"].iter_rows(min_row=2, max_row=11)]
    assert [(r[0], r[2]) for r in guide] == [(c.header, "必填" if c.required else "选填") for c in COLUMNS]
    role_guide = str(guide[4][3])
    assert "监管场所经营企业" in role_guide
    assert "warehouse_operator" in role_guide
    codes_sheet = [[c.value for c in r] for r in book["区县代码"].iter_rows(min_row=2)]
    assert codes_sheet == [
        ["330100", "杭州市", "330102", "上城区", "区"],
        ["330100", "杭州市", "330108", "滨江区", "区"],
        ["330100", "杭州市", "330199", "钱塘新区", "功能区"],
        ["330200", "宁波市", "330203", "海曙区", "区"],
    ]


def test_build_workbook_writes_names_labels_and_date_cells() -> None:
    data = enterprise(
        7,
        roles=frozenset({EnterpriseRole.PAYMENT, EnterpriseRole.EBP}),
        customs_code="3301960001",
        status=EnterpriseStatus.SUSPENDED,
        park="综试区",
    )
    sheet = load_workbook(io.BytesIO(build_workbook([data], BOOK)))["企业名单"]
    assert [c.value for c in sheet[2]] == [
        uscc(7),
        "杭州测试7号贸易有限公司",
        None,
        "3301960001",
        "电商平台、支付企业",
        "杭州市",
        "滨江区",
        "综试区",
        datetime(2024, 3, 15),
        "暂停",
    ]
    assert sheet["I2"].is_date
    assert parse(build_workbook([data], BOOK)).valid == [(2, data)]


# --------------------------------------------------------------------------- a large file


def test_thousand_rows_with_three_bad_ones() -> None:
    rows = [enterprise(n) for n in range(1000)]
    good = rows[100].uscc
    rows[100] = replace(rows[100], uscc=good[:17] + ("0" if good[17] != "0" else "1"))
    rows[500] = replace(rows[500], uscc=rows[3].uscc)
    rows[900] = replace(rows[900], district_code="西湖区")
    parsed = parse(build_workbook(rows, BOOK))
    assert parsed.total_rows == 1000
    assert parsed.bad_rows == [102, 502, 902]
    assert codes(parsed) == [
        (102, "统一社会信用代码", "uscc.invalid"),
        (502, "统一社会信用代码", "uscc.duplicate_in_file"),
        (902, "区县/镇街/功能区", "district.unknown"),
    ]
    assert len(parsed.valid) == 997
    assert [n for n, _ in parsed.valid] == [n + 2 for n in range(1000) if n not in (100, 500, 900)]
    assert parsed.valid[0] == (2, rows[0])
    assert parsed.errors[0].message.startswith(f"unified social credit code check character is {rows[100].uscc[17]}")
    assert parsed.errors[1].message == f"USCC {rows[3].uscc} already appears in row 5; keep one row per enterprise"
    assert "'西湖区'" in parsed.errors[2].message


def test_every_later_duplicate_names_the_first_row() -> None:
    parsed = one(row(), row(name="乙"), row(name="丙"))
    assert codes(parsed) == [
        (3, "统一社会信用代码", "uscc.duplicate_in_file"),
        (4, "统一社会信用代码", "uscc.duplicate_in_file"),
    ]
    assert all("row 2" in e.message for e in parsed.errors)
    assert [n for n, _ in parsed.valid] == [2]


# --------------------------------------------------------------------------- the file itself


def _zip(**files: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        "统一社会信用代码,企业名称\n91330100MA27XXXXXX,甲\n".encode(),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # legacy .xls
        b"",
        _zip(readme="not a workbook"),
        b"PK\x03\x04 truncated",
    ],
    ids=["csv", "pdf", "xls", "empty", "zip", "broken-zip"],
)
def test_not_an_xlsx_is_refused(data: bytes) -> None:
    path, code, _ = file_error(data)
    assert (path, code) == ("file", "file.not_xlsx")


def test_missing_required_column_is_named() -> None:
    header = [h for h in HEADERS if h not in ("企业角色", "备案日期")]
    assert file_error(sheet_bytes(header=header)) == (
        "file",
        "file.missing_column",
        "required column(s) missing: 企业角色, 备案日期",
    )


def test_optional_columns_may_be_left_out_and_reordered() -> None:
    header = ["企业角色", "统一社会信用代码", "所在城市", "企业名称", "备案日期", "区县/镇街/功能区"]
    data = sheet_bytes(["ebc", uscc(1), "杭州市", "甲公司", "2024-03-15", "滨江区"], header=header)
    assert parse(data).valid == [(2, enterprise(1, name="甲公司"))]


def test_first_sheet_is_used_when_the_named_sheet_is_missing() -> None:
    assert [n for n, _ in parse(sheet_bytes(row(), title="Sheet1")).valid] == [2]
    assert file_error(sheet_bytes(row(), header=["A", "B"], title="Sheet1"))[:2] == ("file", "file.missing_sheet")


def test_too_many_rows() -> None:
    data = sheet_bytes(*(row(uscc=uscc(n)) for n in range(3)))
    assert parse(data, max_rows=3).total_rows == 3
    assert file_error(data, max_rows=2)[:2] == ("file", "file.too_many_rows")


def test_unreadable_sheet_is_refused_without_a_raw_exception() -> None:
    source = zipfile.ZipFile(io.BytesIO(sheet_bytes(row())))
    files = {n: source.read(n).decode() for n in source.namelist()}
    sheet = files["xl/worksheets/sheet1.xml"]
    files["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", '<row r="3"><c r="A3"><v>x</v></c></row></sheetData>'
    )
    assert file_error(_zip(**files))[:2] == ("file", "file.unreadable")


# --------------------------------------------------------------------------- cells


def test_empty_rows_are_skipped_and_not_counted() -> None:
    parsed = one(row(), [None] * 10, ["  ", "", None], row(uscc=uscc(2)))
    assert (parsed.total_rows, [n for n, _ in parsed.valid], parsed.errors) == (2, [2, 5], [])


@pytest.mark.parametrize("role", list(EnterpriseRole))
def test_each_role_label_and_code_is_accepted(role: EnterpriseRole) -> None:
    parsed = one(row(roles=ROLE_LABELS[role]), row(uscc=uscc(2), roles=role.value))
    assert [d.roles for _, d in parsed.valid] == [frozenset({role})] * 2


def test_roles_mix_labels_codes_and_separators() -> None:
    parsed = one(row(roles="电商平台、ebc, 物流企业；PAYMENT;申报企业，warehouse_operator"))
    ((_, data),) = parsed.valid
    assert data.roles == frozenset(EnterpriseRole) - {EnterpriseRole.SERVICE_PROVIDER}


def test_unknown_role_is_named() -> None:
    parsed = one(row(roles="电商平台、批发商"))
    assert codes(parsed) == [(2, "企业角色", "roles.unknown")]
    assert parsed.errors[0].message.startswith("unknown role '批发商'; use 电商平台、电商企业")


@pytest.mark.parametrize("cell", [datetime(2024, 3, 15), date(2024, 3, 15), "2024-03-15", " 2024/3/15 "])
def test_dates_as_cells_or_text(cell: object) -> None:
    ((_, data),) = one(row(registered_on=cell)).valid
    assert data.registered_on == date(2024, 3, 15)


@pytest.mark.parametrize("cell", ["2024-13-01", "2024-02-30", "昨天", "15/03/2024", 45366])
def test_bad_date_is_reported(cell: object) -> None:
    parsed = one(row(registered_on=cell))
    assert codes(parsed) == [(2, "备案日期", "registered_on.invalid")]
    assert parsed.errors[0].message.startswith(f"registration date '{cell}' is not a valid date")


def test_future_date_is_reported() -> None:
    assert codes(one(row(registered_on="2025-07-01"))) == [(2, "备案日期", "registered_on.future")]


def test_numeric_customs_code_cell_becomes_text() -> None:
    parsed = one(row(customs_code=3301960001), row(uscc=uscc(2), customs_code=3301960002.0))
    assert [d.customs_code for _, d in parsed.valid] == ["3301960001", "3301960002"]


def test_codes_are_kept_as_typed_not_upper_cased() -> None:
    parsed = one(row(uscc=uscc(1).lower(), customs_code="33019a0001"))
    assert codes(parsed) == [(2, "统一社会信用代码", "uscc.invalid"), (2, "海关注册编码", "customs_code.invalid")]


def test_text_is_stripped() -> None:
    ((_, data),) = one(row(uscc=f" {uscc(1)} ", name=" 甲公司 ", park="  ", name_en=" Jia Co ")).valid
    assert (data.uscc, data.name, data.park, data.name_en) == (uscc(1), "甲公司", None, "Jia Co")


def test_city_and_district_by_code_or_name() -> None:
    parsed = one(row(city="330200", district="海曙区"), row(uscc=uscc(2), city="宁波市", district="330203"))
    assert [(d.city_code, d.district_code) for _, d in parsed.valid] == [("330200", "330203")] * 2


def test_district_of_another_city_and_unknown_city() -> None:
    parsed = one(row(city="宁波市", district="滨江区"), row(uscc=uscc(2), city="上海市", district="黄浦区"))
    assert codes(parsed) == [(2, "区县/镇街/功能区", "district.unknown"), (3, "所在城市", "city.unknown")]


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        (None, EnterpriseStatus.ACTIVE),
        ("正常", EnterpriseStatus.ACTIVE),
        ("暂停", EnterpriseStatus.SUSPENDED),
        ("注销", EnterpriseStatus.CANCELLED),
        ("cancelled", EnterpriseStatus.CANCELLED),
    ],
)
def test_status_labels_and_codes(cell: object, status: EnterpriseStatus) -> None:
    ((_, data),) = one(row(status=cell)).valid
    assert data.status is status


def test_unknown_status() -> None:
    assert codes(one(row(status="停业"))) == [(2, "状态", "status.unknown")]


def test_missing_required_cells_give_one_error_per_column() -> None:
    parsed = one(row(uscc=None, name="", roles=None, city=None, district=None, registered_on=None, park="x" * 101))
    assert codes(parsed) == [
        (2, "统一社会信用代码", "uscc.required"),
        (2, "企业名称", "name.required"),
        (2, "企业角色", "roles.required"),
        (2, "所在城市", "city.required"),
        (2, "区县/镇街/功能区", "district.required"),
        (2, "园区", "park.too_long"),
        (2, "备案日期", "registered_on.required"),
    ]
    assert parsed.errors[0].message == "USCC is required; fill in column 统一社会信用代码"


def test_row_error_as_dict_and_labels() -> None:
    error = RowError(3, "企业角色", "roles.unknown", "unknown role 'x'")
    assert error.as_dict() == {"row": 3, "column": "企业角色", "code": "roles.unknown", "message": "unknown role 'x'"}
    assert set(ROLE_LABELS) == set(EnterpriseRole)
    assert set(STATUS_LABELS) == set(EnterpriseStatus)


def test_a_workbook_that_inflates_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import cbec.registry.spreadsheet as spreadsheet

    data = build_template(BOOK)
    monkeypatch.setattr(spreadsheet, "MAX_INFLATED_BYTES", 1000)
    with pytest.raises(ValidationFailed) as caught:
        parse_workbook(data, BOOK, today=TODAY)
    assert [(e.path, e.code) for e in caught.value.errors] == [("file", "file.too_large")]


def test_progress_is_reported_every_500_rows() -> None:
    seen: list[int] = []
    rows = [enterprise(i) for i in range(1200)]
    parsed = parse_workbook(build_workbook(rows, BOOK), BOOK, today=TODAY, progress=seen.append)
    assert len(parsed.valid) == 1200
    assert seen == [500, 1000]
