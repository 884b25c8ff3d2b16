"""Tax-free return (退运) under 公告2023年第4号 / 第34号: windows as data, 6 calendar months, food excluded."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from cbec.export.model import ExportList, ListItem
from cbec.export.returns import (
    REASON_REFUSED,
    REASON_UNSOLD,
    ExemptionWindow,
    ReturnVerdict,
    add_months,
    check_return,
    load_return_rules,
    return_deadline,
)

D = Decimal
WINDOWS, FOOD = load_return_rules()
FOOD_SOURCE = "platform reading of 不含食品 in 公告2023年第4号 第一条: HS chapters 01-24"
EXTENSION_SOURCE = "secondary source only (DOMAIN §6): reported extension to 2027-12-31, notice not identified"


def item(gnum: int, gcode: str, gname: str) -> ListItem:
    return ListItem(gnum, gcode, gname, "011", D(1), D("10.00"), D("10.00"), "142", "502")


ORIGINAL = ExportList(
    document_id=7,
    agent_code="3301A00001",
    cop_no="COP7",
    invt_no="29282024E000000007",
    enterprise_id=1,
    city_code="330100",
    district_code="330108",
    order_no="O7",
    logistics_code="3301L00001",
    logistics_no="L7",
    ebc_code="3301E00001",
    ebc_name="杭州甲出口贸易有限公司",
    owner_code="3301E00001",
    trade_mode="9610",
    statistics_flag="A",
    customs_code="2928",
    port_code="2928",
    traf_mode="5",
    country="502",
    currency="142",
    ie_date=date(2024, 8, 31),
    released_on=date(2024, 8, 31),
    departed_on=date(2024, 9, 2),
    status="800",
    items=(
        item(1, "8518300000", "蓝牙耳机"),
        item(2, "2106909090", "固体饮料"),  # chapter 21: food by the platform's reading
        item(3, "6109100000", "棉制T恤"),
    ),
)


def check(original: ExportList = ORIGINAL, /, **changes: object) -> ReturnVerdict:
    args: dict[str, object] = {
        "returned_on": date(2025, 2, 28),
        "reason": REASON_UNSOLD,
        "original_state": True,
        "returned_gnums": [1, 3],
        "windows": WINDOWS,
        "food": FOOD,
    }
    return check_return(original, **(args | changes))  # type: ignore[arg-type]


def outcome(verdict: ReturnVerdict, rule: str) -> tuple[str, str, str]:
    [reason] = [r for r in verdict.reasons if r.rule == rule]
    return reason.outcome, reason.code, reason.message


# --- the six months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (date(2024, 8, 31), date(2025, 2, 28)),  # no 31 February: the month's last day
        (date(2023, 8, 31), date(2024, 2, 29)),  # leap year
        (date(2024, 8, 30), date(2025, 2, 28)),
        (date(2024, 1, 15), date(2024, 7, 15)),  # the corresponding day
        (date(2024, 7, 31), date(2025, 1, 31)),  # across the year end
        (date(2024, 12, 31), date(2025, 6, 30)),
    ],
)
def test_the_deadline_is_the_corresponding_day_six_months_later(start: date, deadline: date) -> None:
    assert return_deadline(start) == deadline


def test_add_months_handles_long_spans() -> None:
    assert add_months(date(2024, 1, 31), 25) == date(2026, 2, 28)


# --- eligible ------------------------------------------------------------------------------------


def test_unsold_goods_back_on_the_last_day_are_exempt() -> None:
    verdict = check()
    assert verdict.eligible == "yes"
    assert [(r.rule, r.outcome, r.code) for r in verdict.reasons] == [
        ("2023-4.released", "pass", "list.released"),
        ("2023-4.mode", "pass", "mode.cbec"),
        ("2023-4.window", "pass", "window.inside"),
        ("2023-4.six_months", "pass", "returned.in_time"),
        ("2023-4.state", "pass", "state.original"),
        ("2023-4.reason", "pass", "reason.accepted"),
        ("2023-4.items", "pass", "items.on_list"),
        ("2023-4.food", "pass", "food.none"),
    ]
    assert (verdict.deadline, verdict.window and verdict.window.id) == (date(2025, 2, 28), "2023-4")
    assert (
        outcome(verdict, "2023-4.six_months")[2]
        == "退运日期 2025-02-28 在 6 个月期限 2025-02-28 内（自 2024-08-31 起算）"
    )
    assert verdict.unconfirmed == (FOOD_SOURCE,)  # the food reading is the platform's own


def test_goods_refused_by_the_buyer_qualify_too() -> None:
    assert check(reason=REASON_REFUSED).eligible == "yes"


def test_verdict_is_json_ready() -> None:
    data = check().as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["deadline"] == "2025-02-28"
    assert data["window"] == "2023-4"


# --- not eligible, with the exact reason ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "rule", "expected"),
    [
        (
            {"returned_on": date(2025, 3, 1)},
            "2023-4.six_months",
            ("fail", "returned.too_late", "退运日期 2025-03-01 晚于 6 个月期限 2025-02-28（自 2024-08-31 起算）"),
        ),
        (
            {"returned_on": date(2024, 8, 30)},
            "2023-4.six_months",
            ("fail", "returned.before_export", "退运日期 2024-08-30 早于起算日 2024-08-31"),
        ),
        (
            {"returned_gnums": [1, 2]},
            "2023-4.food",
            ("fail", "food.excluded", "商品序号 [2] 按平台口径（HS 章 01–24）属食品"),
        ),
        (
            {"returned_gnums": [1, 9]},
            "2023-4.items",
            ("fail", "items.not_on_list", "商品序号 [9] 不在原出口清单 29282024E000000007 中"),
        ),
        ({"returned_gnums": []}, "2023-4.items", ("fail", "items.none", "未列明退运商品")),
        ({"original_state": False}, "2023-4.state", ("fail", "state.altered", "商品非原状退运")),
        (
            {"reason": "damaged"},
            "2023-4.reason",
            ("fail", "reason.not_accepted", "退运原因 'damaged' 不属于滞销或退货"),
        ),
    ],
)
def test_each_broken_condition_is_no_with_its_reason(
    changes: dict[str, object], rule: str, expected: tuple[str, str, str]
) -> None:
    verdict = check(**changes)
    assert verdict.eligible == "no"
    assert [r.rule for r in verdict.reasons if r.outcome == "fail"] == [rule]
    assert outcome(verdict, rule) == expected


@pytest.mark.parametrize(
    ("original", "rule", "expected"),
    [
        (
            replace(ORIGINAL, trade_mode="0110"),
            "2023-4.mode",
            ("fail", "mode.not_cbec", "监管方式 0110 不属于 1210、9610、9710、9810"),
        ),
        (
            replace(ORIGINAL, status="120"),
            "2023-4.released",
            ("fail", "list.not_released", "原出口清单状态 120，未放行或结关，不属于已申报出口的商品"),
        ),
        (
            replace(ORIGINAL, ie_date=date(2023, 1, 29)),
            "2023-4.window",
            ("fail", "window.outside", "出口日期 2023-01-29 不在任何政策期间内"),
        ),
    ],
)
def test_the_original_list_must_qualify(original: ExportList, rule: str, expected: tuple[str, str, str]) -> None:
    returned_on = date(2023, 3, 1) if rule == "2023-4.window" else date(2024, 12, 1)
    verdict = check(original, returned_on=returned_on)
    assert verdict.eligible == "no"
    assert [r.rule for r in verdict.reasons if r.outcome == "fail"] == [rule]
    assert outcome(verdict, rule) == expected


# --- unknown -------------------------------------------------------------------------------------


def test_without_an_export_date_the_verdict_is_unknown() -> None:
    verdict = check(replace(ORIGINAL, ie_date=None, released_on=None))
    assert verdict.eligible == "unknown"
    assert outcome(verdict, "2023-4.window") == ("unknown", "export_date.missing", "原清单无出口日期，无法判断")
    assert outcome(verdict, "2023-4.six_months") == (
        "unknown", "start_date.missing", "原清单无出口日期，无法计算 6 个月期限",
    )  # fmt: skip


def test_an_undeclared_state_is_unknown() -> None:
    verdict = check(original_state=None)
    assert (verdict.eligible, outcome(verdict, "2023-4.state")[1]) == ("unknown", "state.not_declared")


def test_the_unconfirmed_extension_is_not_applied_unless_allowed() -> None:
    late = replace(ORIGINAL, ie_date=date(2026, 3, 1), released_on=date(2026, 3, 1))
    verdict = check(late, returned_on=date(2026, 5, 1))
    assert verdict.eligible == "unknown"
    assert outcome(verdict, "2023-4.window") == (
        "unknown",
        "window.unconfirmed_only",
        "出口日期 2026-03-01 仅落在未经确认的期间 2026-01-01 至 2027-12-31 内，未予适用",
    )
    allowed = check(late, returned_on=date(2026, 5, 1), allow_unconfirmed=True)
    assert allowed.eligible == "yes"
    assert allowed.window is not None
    assert allowed.window.id == "extension-2027"
    assert allowed.unconfirmed == (EXTENSION_SOURCE, FOOD_SOURCE)


def test_the_confirmed_window_is_preferred_where_both_cover_a_day() -> None:
    overlap = (*WINDOWS, ExemptionWindow("wide", date(2020, 1, 1), date(2030, 1, 1), "fixture", confirmed=False))
    verdict = check(windows=overlap, allow_unconfirmed=True)
    assert verdict.window is not None
    assert verdict.window.id == "2023-4"


# --- 1210: the clock starts when the goods leave the special zone --------------------------------


def test_1210_counts_six_months_from_departure() -> None:
    bonded = replace(ORIGINAL, trade_mode="1210", ie_date=date(2024, 3, 10), departed_on=date(2024, 4, 20))
    verdict = check(bonded, returned_on=date(2024, 10, 15))  # after 2024-09-10, before 2024-10-20
    assert (verdict.eligible, verdict.deadline) == ("yes", date(2024, 10, 20))
    undeparted = check(replace(bonded, departed_on=None), returned_on=date(2024, 10, 15))
    assert undeparted.eligible == "unknown"
    assert outcome(undeparted, "2023-4.six_months")[2] == "原清单无出区离境日期，无法计算 6 个月期限"


# --- the packaged rules --------------------------------------------------------------------------


def test_packaged_windows_and_food_reading() -> None:
    assert [(w.id, w.first_day, w.last_day, w.confirmed) for w in WINDOWS] == [
        ("2023-4", date(2023, 1, 30), date(2025, 12, 31), True),
        ("extension-2027", date(2026, 1, 1), date(2027, 12, 31), False),
    ]
    assert FOOD.chapters == frozenset(f"{n:02d}" for n in range(1, 25))
    assert FOOD.confirmed is False


def test_a_window_without_a_source_is_refused() -> None:
    text = (
        '[[windows]]\nid = "x"\nfirst_day = 2023-01-30\nlast_day = 2025-12-31\nconfirmed = true\n'
        '[food]\nchapters = ["01"]\nsource = "s"\nconfirmed = false\n'
    )
    with pytest.raises(ValueError, match="window x needs a source"):
        load_return_rules(text)
