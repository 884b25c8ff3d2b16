"""The pure writers of statistics (CSV, .xlsx, Parquet, JSON rows) and the monthly bulletin:
exact bytes, exact Decimal values read back, exact bulletin figures from hand-made fact lines."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.errors import PermissionDenied, ValidationFailed
from cbec.stats import backends
from cbec.stats.bulletin import build, may_read, render_pdf, show
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.exports import json_body, json_rows, to_csv, to_parquet, to_xlsx
from cbec.stats.facts import EXPORT, IMPORT, SourceItem, SourceList, lines_of, rows_of
from cbec.stats.fx import RateBook
from cbec.stats.services import MetricResult
from cbec.testing.pdf import pdf_text

TRADE = MetricResult(
    CATALOG["trade_value"],
    Scope(city="330100", month_from="2024-10", month_to="2024-11"),
    ("month", "direction"),
    [
        {"month": "2024-10", "direction": "export", "value_fen": 575831, "unconverted_lines": 1},
        {"month": "2024-11", "direction": "import", "value_fen": 123456789, "unconverted_lines": 0},
        {"month": "2024-11", "direction": "export", "value_fen": 5, "unconverted_lines": 0},
    ],
)
GROWTH = MetricResult(
    CATALOG["yoy_growth"],
    Scope(city="330100"),
    ("month",),
    [
        {"month": "2024-11", "value_fen": 35025, "previous_fen": 8000, "growth": 3.3781},
        {"month": "2024-12", "value_fen": 100, "previous_fen": None, "growth": None},
    ],
)


def test_json_rows_carry_money_as_decimal_strings_in_yuan() -> None:
    assert json_rows(TRADE) == [
        {"month": "2024-10", "direction": "export", "value": "5758.31", "unconverted_lines": 1},
        {"month": "2024-11", "direction": "import", "value": "1234567.89", "unconverted_lines": 0},
        {"month": "2024-11", "direction": "export", "value": "0.05", "unconverted_lines": 0},
    ]
    assert json_rows(GROWTH) == [
        {"month": "2024-11", "value": "350.25", "previous": "80.00", "growth": "3.3781"},
        {"month": "2024-12", "value": "1.00", "previous": None, "growth": None},
    ]
    row = {"month": "2024-01", "returned_fen": 0, "value_fen": 169249, "rate": 0.0}
    zero = MetricResult(CATALOG["return_rate"], Scope(), ("month",), [row])
    assert json_rows(zero) == [{"month": "2024-01", "returned": "0.00", "value": "1692.49", "rate": "0.0000"}]
    body = json_body(TRADE)
    assert (body["metric"], body["by"], body["caliber"]) == (
        "trade_value",
        ["month", "direction"],
        CATALOG["trade_value"].caliber,
    )
    assert body["scope"] == {
        "city": "330100",
        "district": None,
        "enterprise": None,
        "from": "2024-10",
        "to": "2024-11",
        "direction": [],
        "code": [],
    }


def test_csv_is_utf8_with_bom_chinese_headers_and_exact_yuan() -> None:
    assert (
        to_csv(TRADE)
        == (
            "\ufeff月份,进出口方向,金额（元）,未折算行数\r\n"
            "2024-10,export,5758.31,1\r\n"
            "2024-11,import,1234567.89,0\r\n"
            "2024-11,export,0.05,0\r\n"
        ).encode()
    )
    assert (
        to_csv(GROWTH, "en")
        == (
            "\ufeffMonth,Value (CNY),Comparison value (CNY),Growth\r\n2024-11,350.25,80.00,3.3781\r\n2024-12,1.00,,\r\n"
        ).encode()
    )


def test_an_empty_result_still_has_its_header() -> None:
    empty = MetricResult(CATALOG["trade_value"], Scope(), ("district",), [])
    assert to_csv(empty) == "\ufeff区县代码,金额（元）,未折算行数\r\n".encode()


def test_xlsx_has_title_caliber_frozen_chinese_header_and_numeric_cells() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(TRADE, "zh")))
    sheet = book.active
    assert sheet is not None
    assert sheet["A1"].value == "进出口额（trade_value）"
    assert sheet["A2"].value == "口径：" + CATALOG["trade_value"].caliber
    assert sheet["A3"].value == "范围：城市: 330100; 起始月份: 2024-10; 截止月份: 2024-11"
    assert [c.value for c in sheet[4]] == ["月份", "进出口方向", "金额（元）", "未折算行数"]
    assert sheet.freeze_panes == "A5"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert [r[:2] + r[3:] for r in rows] == [
        ["2024-10", "export", 1],
        ["2024-11", "import", 0],
        ["2024-11", "export", 0],
    ]
    # openpyxl reads every number back as float; the cell text written is the Decimal's digits.
    assert [str(Decimal(repr(r[2]))) for r in rows] == ["5758.31", "1234567.89", "0.05"]
    assert sheet["C5"].number_format == "#,##0.00"
    assert sheet["D5"].number_format == "#,##0"
    assert sheet.column_dimensions["C"].width >= 16
    english = load_workbook(io.BytesIO(to_xlsx(GROWTH, "en"))).active
    assert english is not None
    assert [c.value for c in english[4]] == ["Month", "Value (CNY)", "Comparison value (CNY)", "Growth"]
    assert english["D5"].number_format == "0.00%"
    assert str(Decimal(str(english["D5"].value))) == "3.3781"


def test_parquet_keeps_money_as_decimal_yuan_and_the_caliber_in_metadata() -> None:
    table = pq.read_table(io.BytesIO(to_parquet(TRADE)))
    assert table.schema.field("value").type == pa.decimal128(18, 2)
    assert table.schema.field("unconverted_lines").type == pa.int64()
    assert table.to_pylist() == [
        {"month": "2024-10", "direction": "export", "value": Decimal("5758.31"), "unconverted_lines": 1},
        {"month": "2024-11", "direction": "import", "value": Decimal("1234567.89"), "unconverted_lines": 0},
        {"month": "2024-11", "direction": "export", "value": Decimal("0.05"), "unconverted_lines": 0},
    ]
    meta = table.schema.metadata
    assert meta[b"cbec.metric"] == b"trade_value"
    assert meta[b"cbec.caliber"].decode() == CATALOG["trade_value"].caliber
    growth = pq.read_table(io.BytesIO(to_parquet(GROWTH)))
    assert growth.schema.field("growth").type == pa.decimal128(18, 4)
    assert growth.column("growth").to_pylist() == [Decimal("3.3781"), None]


# ---- the bulletin ------------------------------------------------------------------------------


def _list(
    key: str, direction: str, district: str, enterprise: int, on: date | None, *items: SourceItem, city: str = "330100"
) -> SourceList:
    return SourceList(
        direction=direction,
        business_key=key,
        trade_mode="1210" if direction == IMPORT else "9610",
        statistics_flag="" if direction == IMPORT else "B",
        city_code=city,
        district_code=district,
        enterprise_id=enterprise,
        declared_on=on or date(2024, 11, 20),
        released_on=on,
        status="800" if on else "100",
        items=items,
    )


def _item(gnum: int, total: str, currency: str = "142") -> SourceItem:
    return SourceItem(gnum, "3303000000", "609", currency, Decimal(total))


SOURCES = [
    _list("L1", IMPORT, "330102", 1, date(2024, 11, 5), _item(1, "100.00"), _item(2, "50.25")),
    _list("L2", EXPORT, "330108", 2, date(2024, 11, 10), _item(1, "200.00"), _item(2, "10.00", "502")),
    _list("L3", IMPORT, "330102", 1, date(2023, 11, 3), _item(1, "80.00")),  # a year earlier
    _list("L4", EXPORT, "330108", 3, date(2024, 10, 20), _item(1, "40.00")),  # the month before
    _list("L5", IMPORT, "370102", 9, date(2024, 11, 5), _item(1, "999.00"), city="370100"),  # another city
    _list("L6", IMPORT, "330102", 1, None, _item(1, "500.00")),  # not released
]


@pytest.fixture
def fact_lines():  # type: ignore[no-untyped-def]
    return backends.duckdb_memory(rows_of(line for s in SOURCES for line in lines_of(s, RateBook([]))))


def test_the_bulletin_figures_are_exact(fact_lines) -> None:  # type: ignore[no-untyped-def]
    made = build(
        fact_lines,
        SYSTEM,
        "330100",
        "2024-11",
        city_name="杭州市",
        enterprise_names={1: "甲公司", 2: "乙公司"},
        district_names={"330102": "上城区", "330108": "滨江区"},
    )
    figures = {f.label: f.value for f in made.headline}
    assert figures == {
        "进出口总额（元）": Decimal("350.25"),
        "进口额（元）": Decimal("150.25"),
        "出口额（元）": Decimal("200.00"),
        "清单票数": 2,
        "同比增长": Decimal("3.3781"),  # (350.25 - 80) / 80 = 3.378125
        "环比增长": Decimal("7.7563"),  # (350.25 - 40) / 40 = 7.75625, half away from zero
        "未折算行数": 1,
        "本年累计进出口总额（元）": Decimal("390.25"),  # 2024-01 to 2024-11: 350.25 + October's 40.00
    }
    assert made.unconverted_lines == 1
    assert made.section("按进出口方向和监管方式").rows == (
        ("出口", "9610 跨境贸易电子商务", Decimal("200.00"), Decimal("0.5710"), 1),
        ("进口", "1210 保税跨境贸易电子商务", Decimal("150.25"), Decimal("0.4290"), 0),
    )
    assert made.section("同比与环比").rows == (
        ("进口", Decimal("150.25"), Decimal("80.00"), Decimal("0.8781"), None, None),
        ("出口", Decimal("200.00"), None, None, Decimal("40.00"), Decimal("4.0000")),
    )
    assert made.section("企业排名（前10）").rows == (
        (1, "乙公司", Decimal("200.00"), Decimal("0.5710")),
        (2, "甲公司", Decimal("150.25"), Decimal("0.4290")),
    )
    assert made.section("区县排名").rows == (
        (1, "滨江区", Decimal("200.00"), Decimal("0.5710")),
        (2, "上城区", Decimal("150.25"), Decimal("0.4290")),
    )
    assert list(made.calibers) == ["trade_value", "list_count", "yoy_growth", "mom_growth"]
    assert made.calibers["trade_value"] == CATALOG["trade_value"].caliber


def test_the_bulletin_pdf_is_one_a4_page_in_the_cjk_font(fact_lines) -> None:  # type: ignore[no-untyped-def]
    made = build(
        fact_lines,
        SYSTEM,
        "330100",
        "2024-11",
        city_name="杭州市",
        enterprise_names={1: "甲公司", 2: "乙公司"},
        district_names={"330102": "上城区", "330108": "滨江区"},
    )
    pdf = render_pdf(made)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4 in points
    assert b"STSong-Light" in pdf
    assert render_pdf(made) == pdf  # invariant: the same bulletin gives the same bytes
    lines = pdf_text(pdf).splitlines()
    assert lines[0] == "杭州市跨境电商统计月度简报（2024-11）"
    headline = lines[lines.index("进出口总额（元）") :][:24]
    assert headline == [
        "进出口总额（元）", "350.25", "[1] trade_value",
        "进口额（元）", "150.25", "[1] trade_value",
        "出口额（元）", "200.00", "[1] trade_value",
        "清单票数", "2", "[2] list_count",
        "同比增长", "337.81%", "[3] yoy_growth",
        "环比增长", "775.63%", "[4] mom_growth",
        "未折算行数", "1", "[1] trade_value",
        "本年累计进出口总额（元）", "390.25", "[1] trade_value",
    ]  # fmt: skip
    ranking = lines.index("四、企业排名（前10）")
    assert lines[ranking + 5 : ranking + 13] == ["1", "乙公司", "200.00", "57.10%", "2", "甲公司", "150.25", "42.90%"]
    assert "另有 1 个商品行因缺少汇率未折算人民币，未计入金额（见口径）。口径见注[1]（trade_value）。" in lines
    assert any(line.startswith("[1] trade_value（进出口额）：Sum of the CNY value") for line in lines)


def test_printed_values() -> None:
    assert show(Decimal("1234567.5"), "money") == "1,234,567.50"
    assert show(Decimal("0.0066"), "ratio") == "0.66%"
    assert show(None, "ratio") == "—"
    assert show(12345, "count") == "12,345"


def test_the_bulletin_is_for_city_wide_roles_of_that_city(fact_lines) -> None:  # type: ignore[no-untyped-def]
    officer = Principal(2, "o", Role.DISTRICT_OFFICER, city_code="330100", district_code="330108")
    other = Principal(3, "a", Role.CITY_ADMIN, city_code="370100")
    for who in (officer, other):
        with pytest.raises(PermissionDenied):
            may_read(who, "330100")  # the PDF
    may_read(Principal(4, "c", Role.AUDITOR, city_code="330100"), "330100")
    with pytest.raises(PermissionDenied):
        build(fact_lines, other, "330100", "2024-11")
    with pytest.raises(ValidationFailed) as failed:
        build(fact_lines, SYSTEM, "330100", "2024-13")
    assert failed.value.errors[0].path == "month"


def test_a_district_officer_gets_the_bulletin_of_the_district(fact_lines) -> None:  # type: ignore[no-untyped-def]
    officer = Principal(2, "o", Role.DISTRICT_OFFICER, city_code="330100", district_code="330108")
    made = build(fact_lines, officer, "330100", "2024-11", enterprise_names={2: "乙公司"})
    assert (made.scope.city, made.scope.district) == ("330100", "330108")
    assert made.figure("进出口总额（元）").value == Decimal("200.00")
    assert made.figure("本年累计进出口总额（元）").value == Decimal("240.00")  # with October's 40.00
    assert made.figure("环比增长").value == Decimal("4.0000")  # (200 - 40) / 40
    assert made.section("企业排名（前10）").rows == ((1, "乙公司", Decimal("200.00"), Decimal("1.0000")),)
    assert [s.title for s in made.sections] == ["按进出口方向和监管方式", "同比与环比", "企业排名（前10）"]
