"""无票免税 register, eligibility under 财税〔2018〕103号, the 4 % deemed income and the monthly file."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cbec.export.model import ExportList, ListItem, to_fen
from cbec.export.taxdata import (
    RebateCancelled,
    load_customs_districts,
    load_fx_rates,
    load_pilot_zones,
    load_rebate_cancelled,
)
from cbec.export.taxfile import HEADERS, month_rows, monthly_csv, monthly_workbook
from cbec.export.taxfree import (
    NO,
    UNKNOWN,
    YES,
    PilotZone,
    Verdict,
    check_eligibility,
    deemed_income,
    register_rows,
    register_totals,
)
from cbec.kernel.errors import ValidationFailed

D = Decimal
EBC = "3301E00001"


def item(gnum: int, total: str, *, gcode: str = "8518300000", gname: str = "蓝牙耳机", unit: str = "011") -> ListItem:
    return ListItem(
        gnum=gnum,
        gcode=gcode,
        gname=gname,
        unit=unit,
        qty=D(1),
        price=D(total),
        total=D(total),
        currency="142",
        country="502",
    )


def export_list(
    document_id: int,
    items: tuple[ListItem, ...],
    *,
    status: str = "800",
    day: date | None = date(2024, 5, 10),
    currency: str = "142",
    customs_code: str = "2928",
    enterprise_id: int | None = 1,
    ebc_code: str = EBC,
) -> ExportList:
    return ExportList(
        document_id=document_id,
        agent_code="3301A00001",
        cop_no=f"COP{document_id}",
        invt_no=f"29282024E{document_id:09d}",
        enterprise_id=enterprise_id,
        city_code="330100",
        district_code="330108",
        order_no=f"O{document_id}",
        logistics_code="3301L00001",
        logistics_no=f"L{document_id}",
        ebc_code=ebc_code,
        ebc_name="杭州甲出口贸易有限公司",
        owner_code=ebc_code,
        trade_mode="9610",
        statistics_flag="A",
        customs_code=customs_code,
        port_code="2928",
        traf_mode="5",
        country="502",
        currency=currency,
        ie_date=day,
        released_on=day,
        departed_on=day,
        status=status,
        items=items,
    )


# Three lines at 0.335: the list value is 1.005 → 1.01, while rounding each line gives 1.02.
ROUNDING = export_list(3, (item(1, "0.335"), item(2, "0.335"), item(3, "0.335")), day=date(2024, 5, 20))
LISTS = (
    ROUNDING,
    export_list(1, (item(2, "0.005"), item(1, "10.005")), day=date(2024, 5, 2)),
    export_list(2, (item(1, "12.50"),), status="899", day=date(2024, 5, 2), currency="502"),
    export_list(4, (item(1, "99.00"),), status="120"),  # not released: not on the register
)


# --- the register ------------------------------------------------------------------------------


def test_register_total_equals_the_released_list_values_to_the_fen() -> None:
    rows = register_rows(LISTS)
    assert sum((to_fen(i.total) for i in ROUNDING.items), D(0)) == D("1.02")  # the naive sum is off
    assert ROUNDING.value == D("1.01")
    assert register_totals(rows) == {"142": D("11.02"), "502": D("12.50")}
    released = [lst for lst in LISTS if lst.status in {"800", "899"}]
    assert register_totals(rows)["142"] == sum((lst.value for lst in released if lst.currency == "142"), D(0))


def test_lines_are_rounded_on_the_running_total_and_keep_the_declared_figure() -> None:
    rows = [r for r in register_rows(LISTS) if r.document_id == 3]
    assert [(r.gnum, r.amount, r.declared_total) for r in rows] == [
        (1, D("0.34"), D("0.335")),
        (2, D("0.33"), D("0.335")),
        (3, D("0.34"), D("0.335")),
    ]


def test_register_rows_are_sorted_by_date_list_and_item_and_carry_the_recorded_fields() -> None:
    rows = register_rows(reversed(LISTS))
    assert [(r.export_date, r.invt_no, r.gnum, r.amount) for r in rows] == [
        (date(2024, 5, 2), "29282024E000000001", 1, D("10.01")),
        (date(2024, 5, 2), "29282024E000000001", 2, D("0.00")),
        (date(2024, 5, 2), "29282024E000000002", 1, D("12.50")),
        (date(2024, 5, 20), "29282024E000000003", 1, D("0.34")),
        (date(2024, 5, 20), "29282024E000000003", 2, D("0.33")),
        (date(2024, 5, 20), "29282024E000000003", 3, D("0.34")),
    ]
    first = rows[0]
    assert (first.gname, first.unit, first.qty, first.price, first.currency, first.trade_mode, first.country) == (
        "蓝牙耳机", "011", D(1), D("10.005"), "142", "9610", "502",
    )  # fmt: skip


# --- eligibility ---------------------------------------------------------------------------------

ZONES = {"330100": PilotZone("330100", "中国（杭州）跨境电子商务综合试验区", date(2015, 3, 7), "test fixture")}
CONFIRMED = load_customs_districts(
    "city_code,customs_prefix,customs_name,source,confirmed\n"
    "330100,29,杭州海关,test fixture,true\n"
    "440100,51,广州海关,test fixture,false\n"
)
REBATE = load_rebate_cancelled("hs_prefix,name,source\n2601,铁矿砂及其精矿,test fixture\n85183000,耳机,test fixture\n")
GOODS = export_list(10, (item(1, "20.00", gcode="6109100000", gname="棉制T恤"), item(2, "30.00")))


def codes(verdict: Verdict) -> list[tuple[str, str]]:
    return [(r.outcome, r.code) for r in verdict.reasons]


def test_every_condition_met_is_yes() -> None:
    lst = export_list(11, (item(1, "20.00", gcode="6109100000", gname="棉制T恤"),))
    verdict = check_eligibility("330100", True, lst, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert verdict.eligible == YES
    assert codes(verdict) == [
        ("pass", "period.in_force"),
        ("pass", "enterprise.active"),
        ("pass", "zone.registered"),
        ("pass", "platform.recorded"),
        ("pass", "customs.in_city"),
        ("pass", "rebate.not_listed"),
    ]
    assert [r.source for r in verdict.reasons][1:] == [
        "财税〔2018〕103号 第一条(一)",
        "财税〔2018〕103号 第一条(一)",
        "财税〔2018〕103号 第一条(一)",
        "财税〔2018〕103号 第一条(二)",
        "财税〔2018〕103号 第一条(三)",
    ]
    assert verdict.unconfirmed == ()


def test_with_the_packaged_data_the_verdict_is_unknown_not_yes() -> None:
    lst = export_list(11, (item(1, "20.00", gcode="6109100000"),))
    verdict = check_eligibility("330100", True, lst, zones=ZONES, rebate_cancelled=load_rebate_cancelled())
    assert verdict.eligible == UNKNOWN
    assert codes(verdict)[4:] == [("unknown", "customs.unconfirmed"), ("unknown", "rebate.list_not_loaded")]
    assert verdict.reasons[5].message == "取消出口退税商品清单尚未载入，无法判断"
    assert verdict.reasons[4].message == "申报海关 2928 与杭州海关（29）的对照未经核实（关区代码待核）"


def test_unconfirmed_customs_data_is_used_only_when_allowed_and_then_marked() -> None:
    lst = export_list(11, (item(1, "20.00", gcode="6109100000"),))
    verdict = check_eligibility("330100", True, lst, zones=ZONES, rebate_cancelled=REBATE, allow_unconfirmed=True)
    assert verdict.eligible == YES
    assert verdict.unconfirmed == ("财税〔2018〕103号 第一条(二)",)


@pytest.mark.parametrize(
    ("city", "active", "lst", "reason", "message"),
    [
        ("330100", False, GOODS, ("fail", "enterprise.inactive"), "企业备案状态非正常（暂停或注销）"),
        ("310100", True, GOODS, ("fail", "zone.not_pilot_city"), "企业注册地 310100 不在综试区名单中"),
        (
            "330100",
            True,
            export_list(12, GOODS.items, customs_code="5100"),
            ("fail", "customs.outside_city"),
            "申报海关 5100 不属于综试区所在地海关（杭州海关（29））",
        ),
        (
            "330100",
            True,
            export_list(13, GOODS.items, day=date(2015, 1, 5)),
            ("fail", "zone.not_yet_approved"),
            "出口日期 2015-01-05 早于中国（杭州）跨境电子商务综合试验区获批日 2015-03-07（test fixture）",
        ),
        (
            "330100",
            True,
            export_list(14, (item(1, "5.00", gcode="6109100000", unit=" "),)),
            ("fail", "platform.fields_missing"),
            "登记信息不全：出口日期、货物名称或计量单位缺失（商品序号 [1]）",
        ),
    ],
)
def test_each_failed_condition_makes_the_verdict_no_with_its_reason(
    city: str, active: bool, lst: ExportList, reason: tuple[str, str], message: str
) -> None:
    verdict = check_eligibility(city, active, lst, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert verdict.eligible == NO
    found = [r for r in verdict.reasons if (r.outcome, r.code) == reason]
    assert [r.message for r in found] == [message]


def test_goods_on_the_rebate_cancelled_list_are_named() -> None:
    verdict = check_eligibility("330100", True, GOODS, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert verdict.eligible == NO
    assert codes(verdict)[5] == ("fail", "rebate.cancelled_goods")
    assert verdict.reasons[5].message == "商品序号 [2] 属于取消出口退(免)税的货物"


def test_a_four_digit_code_under_a_longer_cancelled_prefix_cannot_be_decided() -> None:
    lst = export_list(15, (item(1, "9.00", gcode="8518"),))
    verdict = check_eligibility("330100", True, lst, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert verdict.eligible == UNKNOWN
    assert verdict.reasons[5].message == "商品序号 [1] 的商品编码位数不足，无法与取消出口退税商品清单比对"


def test_exports_before_the_notice_took_effect_are_not_exempt() -> None:
    lst = export_list(16, GOODS.items[:1], day=date(2018, 9, 30))
    verdict = check_eligibility("330100", True, lst, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert (verdict.eligible, codes(verdict)[0]) == (NO, ("fail", "period.before_start"))
    assert verdict.reasons[0].message == "出口日期 2018-09-30 早于政策执行日 2018-10-01"


def test_unreleased_list_or_city_without_customs_rows_is_unknown() -> None:
    unreleased = export_list(17, GOODS.items[:1], status="120")
    verdict = check_eligibility("330100", True, unreleased, zones=ZONES, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert (verdict.eligible, codes(verdict)[3]) == (UNKNOWN, ("unknown", "list.not_released"))
    zones = ZONES | {"310100": PilotZone("310100", "中国（上海）跨境电子商务综合试验区", date(2016, 1, 6), "fixture")}
    lst = export_list(18, GOODS.items[:1])
    verdict = check_eligibility("310100", True, lst, zones=zones, rebate_cancelled=REBATE, customs=CONFIRMED)
    assert (verdict.eligible, codes(verdict)[4]) == (UNKNOWN, ("unknown", "customs.city_not_in_table"))


def test_a_failure_outweighs_unknowns() -> None:
    verdict = check_eligibility("330100", False, GOODS, zones=ZONES, rebate_cancelled=RebateCancelled(()))
    assert verdict.eligible == NO


# --- packaged reference data ---------------------------------------------------------------------


def test_packaged_customs_districts_cover_the_five_seed_cities_unconfirmed() -> None:
    table = load_customs_districts()
    assert {city: [(d.prefix, d.name) for d in rows] for city, rows in table.items()} == {
        "330100": [("29", "杭州海关")],
        "370100": [("43", "济南海关")],
        "440100": [("51", "广州海关"), ("52", "黄埔海关")],
        "442000": [("57", "拱北海关")],
        "500000": [("80", "重庆海关")],
    }
    assert not any(d.confirmed for rows in table.values() for d in rows)


def test_packaged_rebate_list_and_rates_are_empty() -> None:
    assert load_rebate_cancelled().loaded is False
    assert load_fx_rates() == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("currency,month,cny_per_unit,source\n502,2024-05,7.1,\n", "source.required"),
        ("currency,month,cny_per_unit,source\n502,2024-13,7.1,x\n", "month.invalid"),
        ("currency,month,cny_per_unit,source\nUSD,2024-05,7.1,x\n", "currency.invalid"),
        ("currency,month,cny_per_unit,source\n502,2024-05,-1,x\n", "cny_per_unit.invalid"),
        ("currency,month,cny_per_unit,source\n502,2024-05,abc,x\n", "cny_per_unit.invalid"),
        ("currency,month,cny_per_unit,source\n502,2024-05,7.1,x\n502,2024-05,7.2,y\n", "rate.duplicate"),
        ("currency,month,rate,source\n", "file.missing_column"),
    ],
)
def test_a_bureau_rate_file_with_a_bad_row_is_refused(text: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_fx_rates(text)
    assert [e.code for e in caught.value.errors] == [code]


# --- deemed income -------------------------------------------------------------------------------

RATES = load_fx_rates(
    "currency,month,cny_per_unit,source\n502,2024-05,7.1235,test fixture\n502,2024-04,7.1000,test fixture\n"
)
MAY, JUNE = date(2024, 5, 1), date(2024, 6, 1)


def usd(document_id: int, day: date, amount: str = "1.00") -> ExportList:
    return export_list(document_id, (item(1, amount),), day=day, currency="502")


def test_revenue_is_converted_and_rounded_once_at_the_end() -> None:
    lists = [usd(1, date(2024, 5, 3)), usd(2, date(2024, 5, 4)), usd(3, date(2024, 5, 31))]
    result = deemed_income(lists, period_start=MAY, period_end=JUNE, rates=RATES)
    # each list is 7.1235 CNY (7.12 if rounded alone, 21.36 in all); the exact sum 21.3705 → 21.37
    assert (result.revenue, result.taxable_income, result.list_count) == (D("21.37"), D("0.85"), 3)
    assert result.value_by_currency == {"502": D("3.00")}
    assert [(c, m, fx.cny_per_unit) for c, m, fx in result.rates_used] == [("502", "2024-05", D("7.1235"))]
    assert result.rate is not None
    assert result.rate.rate == D("0.04")


def test_cny_counts_as_is_and_the_period_is_half_open() -> None:
    lists = [
        export_list(1, (item(1, "1000.00"),), day=MAY),
        export_list(2, (item(1, "250.50"),), day=date(2024, 5, 31)),
        export_list(3, (item(1, "999.00"),), day=JUNE),  # the end is outside
        export_list(4, (item(1, "999.00"),), day=date(2024, 5, 9), status="120"),  # never released
    ]
    result = deemed_income(lists, period_start=MAY, period_end=JUNE, rates={})
    assert (result.revenue, result.taxable_income, result.list_count, result.enterprise_id) == (
        D("1250.50"), D("50.02"), 2, 1,
    )  # fmt: skip


def test_a_missing_rate_makes_revenue_unknown_and_names_the_pair() -> None:
    lists = [export_list(1, (item(1, "100.00"),), day=MAY), usd(2, date(2024, 5, 6)), usd(3, date(2024, 3, 6))]
    result = deemed_income(lists, period_start=date(2024, 3, 1), period_end=JUNE, rates=RATES)
    assert (result.revenue, result.taxable_income) == (None, None)
    assert result.missing_rates == (("502", "2024-03"),)
    assert result.unknown_reason == "no exchange rate for 502 2024-03"


def test_a_period_before_the_announcement_has_no_rate() -> None:
    result = deemed_income([], period_start=date(2019, 12, 1), period_end=date(2020, 1, 1), rates={})
    assert (result.revenue, result.rate) == (None, None)
    assert result.unknown_reason == (
        "no deemed-income rate is in force for the whole period (公告2019年第36号 applies from 2020-01-01)"
    )


def test_lists_of_two_enterprises_need_a_choice() -> None:
    lists = [export_list(1, (item(1, "10.00"),)), export_list(2, (item(1, "20.00"),), enterprise_id=2)]
    with pytest.raises(ValueError, match="several enterprises"):
        deemed_income(lists, period_start=MAY, period_end=JUNE, rates={})
    chosen = deemed_income(lists, period_start=MAY, period_end=JUNE, rates={}, enterprise_id=2)
    assert (chosen.enterprise_id, chosen.revenue, chosen.taxable_income) == (2, D("20.00"), D("0.80"))


# --- the monthly file ----------------------------------------------------------------------------

MONTH_ROWS = register_rows([*LISTS[:3], export_list(5, (item(1, "7.00"),), day=date(2024, 6, 1))])


def test_workbook_has_title_chinese_headers_exact_amounts_and_a_total() -> None:
    data = monthly_workbook(
        MONTH_ROWS, enterprise_name="杭州甲出口贸易有限公司", uscc="91330100MA2E000011", month="2024-05"
    )
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == (
        "跨境电商出口无票免税货物登记表　杭州甲出口贸易有限公司　"
        "统一社会信用代码：91330100MA2E000011　所属月份：2024-05"
    )
    assert tuple(values[1]) == HEADERS
    body = [[D(str(v)) if isinstance(v, float | int) else v for v in row] for row in values[2:]]
    assert {tuple(row[2:5]) + tuple(row[8:]) for row in body[:-2]} == {("蓝牙耳机", "011", D(1), "9610", "502")}
    assert [[row[0], row[1], row[5], row[6], row[7]] for row in body] == [
        [datetime(2024, 5, 2), "29282024E000000001", D("10.005"), D("10.01"), "142"],
        [datetime(2024, 5, 2), "29282024E000000001", D("0.005"), D("0.00"), "142"],
        [datetime(2024, 5, 2), "29282024E000000002", D("12.50"), D("12.50"), "502"],
        [datetime(2024, 5, 20), "29282024E000000003", D("0.335"), D("0.34"), "142"],
        [datetime(2024, 5, 20), "29282024E000000003", D("0.335"), D("0.33"), "142"],
        [datetime(2024, 5, 20), "29282024E000000003", D("0.335"), D("0.34"), "142"],
        ["合计", None, None, D("11.02"), "142"],
        ["合计", None, None, D("12.50"), "502"],
    ]
    assert sheet["G3"].number_format == "#,##0.00"
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>0.335</v>" in xml  # digits as the Decimals hold them
    assert "<v>11.02</v>" in xml


def test_csv_has_a_bom_the_same_headers_and_exact_values() -> None:
    data = monthly_csv(MONTH_ROWS, month="2024-06")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        list(HEADERS),
        ["2024-06-01", "29282024E000000005", "蓝牙耳机", "011", "1", "7.00", "7.00", "142", "9610", "502"],
    ]


def test_the_file_takes_one_month_of_one_shipper() -> None:
    assert [r.document_id for r in month_rows(MONTH_ROWS, "2024-06")] == [5]
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_rows(MONTH_ROWS, "2024-6")
    mixed = register_rows([LISTS[0], export_list(6, (item(1, "1.00"),), ebc_code="3301E00002")])
    with pytest.raises(ValueError, match="several shippers"):
        monthly_csv(mixed, month="2024-05")


def test_the_packaged_pilot_zones_are_the_five_seed_cities_and_unconfirmed() -> None:
    zones = load_pilot_zones()
    assert sorted(zones) == ["330100", "370100", "440100", "442000", "500000"]
    assert zones["330100"].approved_on == date(2015, 3, 7)
    assert {z.confirmed for z in zones.values()} == {False}
    # An unconfirmed approval still lets the zone check pass, but marks the outcome unconfirmed.
    lst = export_list(12, (item(1, "20.00", gcode="6109100000"),))
    reason = check_eligibility("330100", True, lst, zones=zones, rebate_cancelled=load_rebate_cancelled()).reasons[2]
    assert (reason.rule, reason.outcome, reason.confirmed) == ("103.1.1.zone", "pass", False)
