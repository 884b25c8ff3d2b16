"""The cockpit's page data on a hand-built fact table in DuckDB memory: exact figures per role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from cbec.identity.model import Principal, Role
from cbec.kernel.errors import PermissionDenied
from cbec.stats.bulletin import build
from cbec.stats.catalog import CATALOG, Scope, fact_schema
from cbec.stats.cockpit import TargetView, latest_month, money_text, overview, shift_month, wan
from cbec.stats.facts import EXPORT, IMPORT, SourceItem, SourceList, lines_of, rows_of
from cbec.stats.fx import FxRate, RateBook

HZ, BINJIANG, XIHU, NINGBO = "330100", "330108", "330106", "330200"
TODAY = date(2024, 12, 31)
RATES = RateBook([FxRate("502", date(2024, 1, 1), Decimal("7.1"), "test: not an official rate")])
NAMES = {BINJIANG: "滨江区", XIHU: "西湖区"}
ENTERPRISES = {1: "甲公司", 2: "乙公司", 3: "丙公司"}

ADMIN = Principal(1, "admin", Role.CITY_ADMIN, city_code=HZ)
OFFICER = Principal(2, "officer", Role.DISTRICT_OFFICER, city_code=HZ, district_code=BINJIANG)
COMPANY = Principal(3, "company", Role.ENTERPRISE, enterprise_id=2)


def _list(
    key: str,
    direction: str,
    mode: str,
    flag: str,
    district: str,
    enterprise: int,
    released: date | None,
    items: tuple[SourceItem, ...],
    city: str = HZ,
) -> SourceList:
    status = "800" if released else "500"
    declared = released or date(2024, 3, 1)
    return SourceList(direction, key, mode, flag, city, district, enterprise, declared, released, status, items)


def _item(gnum: int, currency: str, total: str) -> SourceItem:
    return SourceItem(gnum, "6109100000", "502", currency, Decimal(total))


SOURCES = [
    # 2024-03, 滨江, import 1210: CNY 100.00 + USD 10.00 at 7.1 = 171.00
    _list("L1", IMPORT, "1210", "", BINJIANG, 1, date(2024, 3, 10), (_item(1, "142", "100.00"), _item(2, "502", "10"))),
    # 2024-03, 西湖, export 9610 A: 50.50
    _list("L2", EXPORT, "9610", "A", XIHU, 2, date(2024, 3, 20), (_item(1, "142", "50.50"),)),
    # 2023-03, 滨江, export 9610 B: 80.00 (the same period last year)
    _list("L3", EXPORT, "9610", "B", BINJIANG, 1, date(2023, 3, 5), (_item(1, "142", "80.00"),)),
    # 2024-02, 西湖, export 9710 in EUR without a rate: unconverted
    _list("L4", EXPORT, "9710", "", XIHU, 2, date(2024, 2, 1), (_item(1, "300", "10.00"),)),
    # not released: in no trade figure
    _list("L5", IMPORT, "1210", "", BINJIANG, 3, None, (_item(1, "142", "999.00"),)),
    # another city
    _list("L6", EXPORT, "9610", "B", "330203", 3, date(2024, 3, 1), (_item(1, "142", "1000.00"),), city=NINGBO),
]


@pytest.fixture(scope="module")
def lines() -> ir.Table:
    rows = rows_of(line for source in SOURCES for line in lines_of(source, RATES))
    con = ibis.duckdb.connect()
    return con.create_table("list_lines", pa.Table.from_pylist(rows, schema=fact_schema().to_pyarrow()))


def test_month_helpers_and_money_text() -> None:
    assert shift_month("2024-03", -12) == "2023-03"
    assert shift_month("2024-01", -1) == "2023-12"
    assert shift_month("2024-03", -23) == "2022-04"
    assert wan(Decimal("123456.78")) == Decimal("12.35")
    assert money_text(Decimal("123456.78")) == "12.35 万元"
    assert money_text(Decimal("12345678901.00")) == "123.46 亿元"
    assert money_text(Decimal("123456.78"), "en") == "CNY 0.12 m"
    assert money_text(None) == "—"


def test_latest_month_is_the_last_with_lists_in_scope(lines: ir.Table) -> None:
    assert latest_month(lines, ADMIN, Scope(), TODAY) == "2024-03"
    assert latest_month(lines, ADMIN, Scope(), date(2024, 2, 15)) == "2024-02"
    assert latest_month(lines, OFFICER, Scope(), TODAY) == "2024-03"


def test_city_overview(lines: ir.Table) -> None:
    o = overview(lines, ADMIN, Scope(), TODAY, district_names=NAMES, enterprise_names=ENTERPRISES)
    assert (o.month_from, o.month_to) == ("2024-01", "2024-03")
    assert o.scope.city == HZ
    assert o.scope.district is None
    assert o.trade_value.value == Decimal("221.50")
    assert o.trade_value.fen == 22150
    assert o.trade_value.metric == "trade_value"
    assert o.trade_value.caliber == CATALOG["trade_value"].caliber
    assert o.trade_value_last_year.fen == 8000
    assert (o.trade_value_last_year.month_from, o.trade_value_last_year.month_to) == ("2023-01", "2023-03")
    assert o.growth.value == Decimal("1.7688")  # (22150 - 8000) / 8000 = 1.76875, half up
    assert o.lists.value == 3
    assert o.lists.metric == "list_count"
    assert o.enterprises.value == 2
    assert o.export_value.fen == 5050
    assert o.import_value.fen == 17100
    assert o.unconverted_lines.value == 1
    trend = [(r["month"], r["direction"], r["value"]) for r in o.trend.rows]
    assert trend == [
        ("2023-03", "export", Decimal("80.00")),
        ("2024-02", "export", Decimal("0.00")),
        ("2024-03", "export", Decimal("50.50")),
        ("2024-03", "import", Decimal("171.00")),
    ]
    assert (o.trend.month_from, o.trend.month_to) == ("2022-04", "2024-03")
    codes = {(r["code"], r["direction"]): r["value"] for r in o.codes.rows}
    assert codes == {
        ("1210", "import"): Decimal("171.00"),
        ("9610", "export"): Decimal("50.50"),
        ("9710", "export"): Decimal("0.00"),
    }
    flags = {r["flag"]: r["value"] for r in o.flags.rows}
    assert flags == {"A": Decimal("50.50")}
    assert o.district_ranking is not None
    assert [(d.rank, d.key, d.name, d.fen) for d in o.district_ranking] == [
        (1, BINJIANG, "滨江区", 17100),
        (2, XIHU, "西湖区", 5050),
    ]
    assert o.enterprise_ranking is not None
    assert [(e.rank, e.name, e.value) for e in o.enterprise_ranking] == [
        (1, "甲公司", Decimal("171.00")),
        (2, "乙公司", Decimal("50.50")),
    ]
    if "top_enterprises" in CATALOG:
        assert [e.share for e in o.enterprise_ranking] == [Decimal("0.7720"), Decimal("0.2280")]
    assert o.targets is None


def test_officer_sees_only_the_district(lines: ir.Table) -> None:
    o = overview(lines, OFFICER, Scope(), TODAY, district_names=NAMES, enterprise_names=ENTERPRISES)
    assert o.scope.district == BINJIANG
    assert o.trade_value.fen == 17100
    assert o.trade_value_last_year.fen == 8000
    assert o.growth.value == Decimal("1.1375")
    assert o.lists.value == 1
    assert o.district_ranking is None
    assert o.districts is None
    assert o.enterprise_ranking is not None
    assert [e.key for e in o.enterprise_ranking] == ["1"]
    with pytest.raises(PermissionDenied):
        overview(lines, OFFICER, Scope(district=XIHU), TODAY)


def test_city_district_drill_down_has_no_ranking(lines: ir.Table) -> None:
    o = overview(lines, ADMIN, Scope(district=XIHU), TODAY, district_names=NAMES)
    assert o.trade_value.fen == 5050
    assert o.unconverted_lines.value == 1
    assert o.district_ranking is None


def test_enterprise_sees_own_figures(lines: ir.Table) -> None:
    o = overview(lines, COMPANY, Scope(), TODAY)
    assert o.scope.enterprise_id == 2
    assert o.trade_value.fen == 5050
    assert o.lists.value == 2
    assert o.unconverted_lines.value == 1
    assert o.district_ranking is None
    assert o.enterprise_ranking is None


def test_explicit_period_and_targets_pass_through(lines: ir.Table) -> None:
    target = TargetView(
        "t1", "跨境电商进出口额", "第一条", "trade_value", "2025-12-31", None, None, None, "unknown", ""
    )
    o = overview(lines, ADMIN, Scope(month_from="2024-03", month_to="2024-03"), TODAY, targets=[target])
    assert (o.month_from, o.month_to) == ("2024-03", "2024-03")
    assert o.trade_value.fen == 22150
    assert o.unconverted_lines.value == 0
    assert o.targets == [target]


def test_bulletin(lines: ir.Table) -> None:
    """The bulletin (``cbec.stats.bulletin``) agrees with the cockpit on the same fact lines."""
    b = build(lines, ADMIN, HZ, "2024-03", district_names=NAMES)
    assert b.figure("进出口总额（元）").value == Decimal("221.50")
    assert b.figure("本年累计进出口总额（元）").value == Decimal("221.50")
    month = overview(lines, ADMIN, Scope(month_from="2024-03", month_to="2024-03"), TODAY)
    assert b.figure("进出口总额（元）").value == month.trade_value.value
    assert b.figure("出口额（元）").value == month.export_value.value
    assert b.figure("进口额（元）").value == month.import_value.value
    assert b.figure("清单票数").value == month.lists.value
    assert b.figure("未折算行数").value == month.unconverted_lines.value == 0
    ytd = overview(lines, ADMIN, Scope(month_from="2024-01", month_to="2024-03"), TODAY)
    assert b.figure("本年累计进出口总额（元）").value == ytd.trade_value.value
    assert ytd.unconverted_lines.value == 1
    assert b.figure("同比增长").value == Decimal("1.7688")
    assert b.figure("环比增长").value is None  # February's converted value is 0
    ranking = b.section("区县排名").rows
    assert ranking == (
        (1, "滨江区", Decimal("171.00"), Decimal("0.7720")),
        (2, "西湖区", Decimal("50.50"), Decimal("0.2280")),
    )
