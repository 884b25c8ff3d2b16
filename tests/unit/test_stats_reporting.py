"""Direct reporting (统计直报), pure: the packaged form, pre-filling, validation, deadlines on the
working-day calendar and the reminder list."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cbec.kernel.errors import NotFound
from cbec.kernel.workdays import HOLIDAY, WORKDAY, DayRule, WorkdayCalendar, load_calendar
from cbec.stats.report_deadlines import Urgency, check_period, due_date, previous_period, reminders, working_days_left
from cbec.stats.report_forms import get_form, parse_forms
from cbec.stats.reporting import (
    Figure,
    Obligation,
    PlatformFigure,
    ReportStatus,
    Submission,
    apply_submission,
    figures_from_json,
    figures_to_json,
    prefill,
    same_figures,
    validate,
)

NOW = datetime(2024, 11, 26, 2, 0, tzinfo=UTC)
LATER = datetime(2024, 11, 27, 2, 0, tzinfo=UTC)
FORM = get_form("cbec_monthly")

PLATFORM = {
    "trade_value.export": PlatformFigure(Decimal("123456.78"), "trade_value[direction=export]", "caliber T"),
    "trade_value.import": PlatformFigure(
        Decimal("0"), "trade_value[direction=import]", "caliber T", "2 lines left out"
    ),
    "list_count.export": PlatformFigure(Decimal(17), "list_count[direction=export]", "caliber L"),
    "list_count.import": PlatformFigure(Decimal(0), "list_count[direction=import]", "caliber L"),
    "warehouse_area": PlatformFigure(Decimal("12000.5"), "overseas_warehouses.area", ""),
    "warehouse_count": PlatformFigure(Decimal(2), "overseas_warehouses.count", ""),
}
GOOD = {"platform_sales": "88000.10", "independent_site_sales": "0", "employees": "35"}


def test_packaged_form_says_where_each_figure_comes_from() -> None:
    sources = {f.id: f.source for f in FORM.fields}
    assert sources == {
        "export_value": "platform:trade_value.export",
        "import_value": "platform:trade_value.import",
        "export_lists": "platform:list_count.export",
        "import_lists": "platform:list_count.import",
        "warehouse_area": "platform:warehouse_area",
        "warehouse_count": "platform:warehouse_count",
        "platform_sales": "entered",
        "independent_site_sales": "entered",
        "employees": "entered",
    }
    assert FORM.due.working_day_of_next_month == 10
    assert "platform's choice" in FORM.due.note
    assert "二十五" in FORM.serves
    assert FORM.as_dict()["fields"][6] == {
        "id": "platform_sales",
        "label_zh": "第三方平台销售额",
        "label_en": "Sales on third-party platforms",
        "unit": "yuan",
        "kind": "decimal",
        "places": 2,
        "required": True,
        "min": "0",
        "max": "1000000000000",
        "source": "entered",
        "caliber": None,
        "help_zh": "本月通过第三方跨境电商平台（如亚马逊、速卖通）实现的销售额，人民币元。",
        "help_en": "Sales made this month through third-party cross-border platforms (e.g. Amazon, AliExpress), "
        "in yuan.",
    }


def test_unknown_form_and_bad_form_data_are_refused() -> None:
    with pytest.raises(NotFound, match="no report form 'nope'"):
        get_form("nope")
    bad = """
[[form]]
id = "x"
title_zh = "x"
title_en = "x"
serves = "x"
[form.due]
working_day_of_next_month = 5
[[form.field]]
id = "a"
label_zh = "a"
label_en = "a"
unit = "yuan"
kind = "decimal"
source = "platform:guesswork"
"""
    with pytest.raises(ValueError, match=r"t.toml: form\[0\].field\[0\]: unknown platform source 'platform:guesswork'"):
        parse_forms(bad, "t.toml")
    with pytest.raises(ValueError, match="write numbers as decimal text"):
        parse_forms(bad.replace('source = "platform:guesswork"', 'source = "entered"\nmin = 0'), "t.toml")


def test_prefill_records_value_source_caliber_and_time() -> None:
    figures = prefill(FORM, PLATFORM, NOW)
    assert figures["export_value"] == Figure(
        Decimal("123456.78"), "platform", NOW, metric="trade_value[direction=export]", caliber="caliber T"
    )
    assert figures["import_value"].note == "2 lines left out"
    assert figures["warehouse_area"].value == Decimal("12000.50")
    assert str(figures["warehouse_area"].value) == "12000.50"
    # the form's own caliber stands in where the metric has none (warehouse filings)
    count_caliber = figures["warehouse_count"].caliber
    assert count_caliber is not None
    assert "filed on the platform" in count_caliber
    assert figures["employees"] == Figure(None, "entered", None)
    assert figures_to_json(figures, FORM)["export_lists"] == {
        "value": "17",
        "source": "platform",
        "at": "2024-11-26T02:00:00+00:00",
        "metric": "list_count[direction=export]",
        "caliber": "caliber L",
    }
    assert figures_from_json(figures_to_json(figures, FORM)) == figures


def test_prefill_again_keeps_unchanged_figures_and_entered_values() -> None:
    first = prefill(FORM, PLATFORM, NOW)
    entered = apply_submission(FORM, first, Submission(GOOD, {"export_value": "missing a list"}), NOW, "user:1:a")
    changed = dict(PLATFORM) | {"list_count.export": PlatformFigure(Decimal(18), "list_count[direction=export]", "L")}
    again = prefill(FORM, changed, LATER, entered)
    assert again["export_value"] is entered["export_value"]  # same value: same time, correction kept
    assert again["export_value"].correction == "missing a list"
    assert again["export_lists"].value == Decimal(18)
    assert again["export_lists"].at == LATER
    assert again["employees"] == Figure(Decimal(35), "entered", NOW, by="user:1:a")


def test_missing_platform_figure_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="needs platform figure warehouse_area"):
        prefill(FORM, {k: v for k, v in PLATFORM.items() if k != "warehouse_area"}, NOW)


def test_a_good_submission_has_no_errors_and_keeps_platform_figures() -> None:
    prefilled = prefill(FORM, PLATFORM, NOW)
    sent = Submission(GOOD | {"export_value": "123456.78"})  # echoing the pre-filled value is fine
    assert validate(FORM, sent, prefilled) == []
    figures = apply_submission(FORM, prefilled, sent, LATER, "user:7:ent")
    assert figures["export_value"] is prefilled["export_value"]
    assert figures["platform_sales"] == Figure(Decimal("88000.10"), "entered", LATER, by="user:7:ent")
    assert figures["independent_site_sales"].value == Decimal("0.00")
    assert same_figures(figures, apply_submission(FORM, figures, sent, datetime(2025, 1, 1, tzinfo=UTC), "other"))


def test_validation_errors_name_path_rule_and_fix() -> None:
    prefilled = prefill(FORM, PLATFORM, NOW)
    sent = Submission(
        {
            "export_value": "999",  # a platform figure cannot be overwritten
            "platform_sales": "12.345",
            "independent_site_sales": "-1",
            "employees": "3.5",
            "bogus": "1",
        },
        {"employees": "not a platform figure", "import_value": "x" * 501},
    )
    errors = validate(FORM, sent, prefilled)
    assert [(e.path, e.code) for e in errors] == [
        ("figures/bogus", "report.unknown_field"),
        ("corrections/employees", "report.correction_not_platform"),
        ("figures/export_value", "report.platform_figure"),
        ("corrections/import_value", "report.correction_too_long"),
        ("figures/platform_sales", "report.too_many_places"),
        ("figures/independent_site_sales", "report.below_min"),
        ("figures/employees", "report.not_an_integer"),
    ]
    platform_error = errors[2]
    assert platform_error.message == (
        "export_value is filled in by the platform (trade_value[direction=export]: 123456.78); "
        "it cannot be changed to 999"
    )
    assert (
        platform_error.hint == "leave it as it is; if it is wrong, explain why in corrections/export_value (更正说明)"
    )
    assert errors[4].hint == "round it to 2 decimals (yuan)"


def test_required_number_and_maximum_rules() -> None:
    prefilled = prefill(FORM, PLATFORM, NOW)
    errors = validate(FORM, Submission({"platform_sales": "", "employees": "12人", "independent_site_sales": "1e3"}))
    assert [(e.path, e.code) for e in errors] == [
        ("figures/platform_sales", "report.required"),
        ("figures/independent_site_sales", "report.not_a_number"),
        ("figures/employees", "report.not_a_number"),
    ]
    assert errors[0].hint == "enter 0 when there was none"
    too_big = validate(FORM, Submission(GOOD | {"employees": "10000001"}), prefilled)
    assert [(e.path, e.code) for e in too_big] == [("figures/employees", "report.above_max")]


def test_periods() -> None:
    assert previous_period(date(2025, 1, 15)) == "2024-12"
    assert check_period("2024-10", date(2024, 11, 1)) == []
    assert [e.code for e in check_period("2024-11", date(2024, 11, 30))] == ["report.period_open"]
    assert [e.code for e in check_period("2024-13", date(2024, 11, 30))] == ["report.period_format"]
    assert [e.path for e in check_period("24-1", date(2024, 11, 30))] == ["period"]


def test_deadline_counts_working_days_and_skips_the_national_day_holiday() -> None:
    calendar = load_calendar()
    assert calendar.covers(2024)
    # October 2024: 1–7 off (国庆), Saturday 12 a working day (调休上班); the 10th working day is the 18th.
    assert due_date(FORM, "2024-09", calendar) == date(2024, 10, 18)
    # January 2025: 元旦 (Wednesday 1st) off, so 2, 3, 6–10, 13, 14, 15.
    assert due_date(FORM, "2024-12", calendar) == date(2025, 1, 15)
    # December → January crosses the year; 1 January 2024 (Monday) is 元旦: 2–5, 8–12, then the 15th.
    assert due_date(FORM, "2023-12", calendar) == date(2024, 1, 15)
    # Spring Festival 2024: 10–17 February off, Sunday the 4th and the 18th working days.
    assert due_date(FORM, "2024-01", calendar) == date(2024, 2, 19)


def test_deadline_with_a_made_up_rest_day_and_a_weekend_working_day() -> None:
    one = parse_forms(
        """
[[form]]
id = "f"
title_zh = "f"
title_en = "f"
serves = "test"
[form.due]
working_day_of_next_month = 1
"""
    )["f"]
    plain = WorkdayCalendar()
    assert due_date(one, "2030-05", plain) == date(2030, 6, 3)  # 1 June 2030 is a Saturday
    rules = [
        DayRule(date(2030, 6, 3), HOLIDAY, "test holiday", "test", "t:1"),
        DayRule(date(2030, 6, 2), WORKDAY, "test working Sunday", "test", "t:2"),
    ]
    assert due_date(one, "2030-05", WorkdayCalendar(rules)) == date(2030, 6, 2)
    assert due_date(one, "2030-05", WorkdayCalendar(rules[:1])) == date(2030, 6, 4)


def test_working_days_left() -> None:
    calendar = load_calendar()
    assert working_days_left(calendar, date(2024, 10, 14), date(2024, 10, 18)) == 5
    assert working_days_left(calendar, date(2024, 9, 30), date(2024, 10, 8)) == 2  # 30 Sep and 8 Oct
    assert working_days_left(calendar, date(2024, 10, 19), date(2024, 10, 18)) == 0


def _owed() -> list[Obligation]:
    return [
        Obligation(3, "丙", "USCC3", "440106", None),
        Obligation(1, "甲", "USCC1", "440104", ReportStatus.SUBMITTED),
        Obligation(2, "乙", "USCC2", "440104", ReportStatus.DRAFT),
        Obligation(4, "丁", "USCC4", "440104", ReportStatus.RETURNED),
    ]


def test_reminders_list_who_has_not_submitted_with_urgency() -> None:
    calendar = load_calendar()
    # due 2024-10-18; on the 14th five working days are left: open
    early = reminders(FORM, "2024-09", _owed(), date(2024, 10, 14), calendar)
    assert [(r.enterprise_id, r.status, r.urgency, r.working_days_left) for r in early] == [
        (2, "draft", Urgency.OPEN, 5),
        (4, "returned", Urgency.OPEN, 5),
        (3, "missing", Urgency.OPEN, 5),
    ]
    soon = reminders(FORM, "2024-09", _owed(), date(2024, 10, 16), calendar)
    assert {r.urgency for r in soon} == {Urgency.DUE_SOON}
    assert soon[0].as_dict() == {
        "enterprise_id": 2,
        "enterprise_name": "乙",
        "uscc": "USCC2",
        "district_code": "440104",
        "status": "draft",
        "urgency": "due_soon",
        "due": "2024-10-18",
        "working_days_left": 3,
    }
    on_the_day = reminders(FORM, "2024-09", _owed(), date(2024, 10, 18), calendar)
    assert {(r.urgency, r.working_days_left) for r in on_the_day} == {(Urgency.DUE_SOON, 1)}
    late = reminders(FORM, "2024-09", _owed(), date(2024, 10, 19), calendar)
    assert {(r.urgency, r.working_days_left) for r in late} == {(Urgency.OVERDUE, 0)}
    assert 1 not in {r.enterprise_id for r in late}
