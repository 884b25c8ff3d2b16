"""China's working-day calendar (kernel/workdays) and the summary deadline it drives (DOMAIN §3)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from cbec.export.summary import SummaryDeadline, summary_deadline
from cbec.kernel.workdays import HOLIDAY, WORKDAY, WorkdayCalendar, load_calendar, read_rules

HEADER = "date,kind,name,source\n"


@pytest.fixture(scope="module")
def calendar() -> WorkdayCalendar:
    return load_calendar()


def write_csv(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


# --- the packaged data -------------------------------------------------------------------------


def test_packaged_data_covers_2018_to_2026_only(calendar: WorkdayCalendar) -> None:
    assert calendar.covered_years == tuple(range(2018, 2027))
    assert not calendar.covers(2017)
    assert not calendar.covers(2027)


def working_days(calendar: WorkdayCalendar, year: int) -> int:
    day, count = date(year, 1, 1), 0
    while day.year == year:
        count += calendar.is_workday(day)
        day += timedelta(days=1)
    return count


def test_working_days_per_year(calendar: WorkdayCalendar) -> None:
    # A guard against a slipped row: the file was checked day by day against chinese-calendar 1.11.0
    # (WORKDAYS_SOURCES.md). 2025 and 2026 have two statutory days more (eve of 春节, 2 May).
    counts = [working_days(calendar, year) for year in range(2018, 2027)]
    assert counts == [250, 250, 249, 250, 249, 249, 251, 248, 248]


def test_every_adjusted_working_day_is_a_weekend_day(calendar: WorkdayCalendar) -> None:
    day = date(2018, 1, 1)
    while day.year <= 2026:
        rule = calendar.rule_for(day)
        if rule is not None and rule.kind == WORKDAY:
            assert day.weekday() >= 5, rule
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2024, 2, 18), True),  # Sunday, 春节调休上班 (国办发明电〔2023〕7号)
        (date(2024, 2, 16), False),  # Friday inside the Spring Festival
        (date(2020, 2, 1), False),  # once a working Saturday, a rest day after the extension (〔2020〕1号)
        (date(2020, 1, 19), True),  # Sunday, still a working day
        (date(2019, 5, 2), False),  # Labour Day lengthened by 国办发明电〔2019〕3号
        (date(2019, 5, 5), True),  # Sunday, worked for it
        (date(2022, 12, 31), False),  # Saturday in the 2023 New Year period
        (date(2023, 1, 2), False),  # Monday, 元旦 2023
        (date(2026, 1, 4), True),  # Sunday, 元旦调休上班 (国办发明电〔2025〕7号)
        (date(2026, 2, 23), False),  # Monday, last day of the nine-day 2026 Spring Festival
        (date(2024, 3, 15), True),  # an ordinary Friday
        (date(2024, 3, 16), False),  # an ordinary Saturday
    ],
)
def test_is_workday(calendar: WorkdayCalendar, day: date, workday: bool) -> None:
    assert calendar.is_workday(day) is workday


def test_rule_for_names_the_notice_and_the_row(calendar: WorkdayCalendar) -> None:
    rule = calendar.rule_for(date(2024, 2, 18))
    assert rule is not None
    assert (rule.kind, rule.name, rule.source) == (WORKDAY, "春节调休上班", "国办发明电〔2023〕7号")
    assert rule.origin.startswith("cbec/kernel/data/cn_workdays.csv:")
    assert calendar.rule_for(date(2024, 3, 15)) is None


def test_next_workday(calendar: WorkdayCalendar) -> None:
    assert calendar.next_workday(date(2024, 3, 15)) == date(2024, 3, 15)  # already a working day
    assert calendar.next_workday(date(2024, 10, 1)) == date(2024, 10, 8)  # National Day, 1–7 October
    assert calendar.next_workday(date(2025, 1, 28)) == date(2025, 2, 5)  # Spring Festival 2025, 28 Jan–4 Feb


# --- the summary deadline ------------------------------------------------------------------------


def test_deadline_inside_the_spring_festival_moves_to_the_working_sunday(calendar: WorkdayCalendar) -> None:
    # 2024-02-15 (Thu) lies in 春节 10–17 February; Sunday 18 February was an adjusted working day.
    assert summary_deadline("2024-01", calendar) == SummaryDeadline(
        month="2024-01", nominal=date(2024, 2, 15), due=date(2024, 2, 18), covered=True
    )


def test_deadline_on_a_plain_sunday_moves_to_monday(calendar: WorkdayCalendar) -> None:
    assert summary_deadline("2023-09", calendar).due == date(2023, 10, 16)  # 15 October 2023 was a Sunday


def test_deadline_in_the_mid_autumn_holiday(calendar: WorkdayCalendar) -> None:
    # 中秋节 2024: 15–17 September (Sun–Tue).
    assert summary_deadline("2024-08", calendar) == SummaryDeadline(
        "2024-08", date(2024, 9, 15), date(2024, 9, 18), True
    )
    # 中秋节 2019: 13–15 September, the 15th its last day (a Sunday).
    assert summary_deadline("2019-08", calendar).due == date(2019, 9, 16)


def test_deadline_in_the_nine_day_spring_festival_of_2026(calendar: WorkdayCalendar) -> None:
    assert summary_deadline("2026-01", calendar).due == date(2026, 2, 24)


def test_deadline_on_a_working_day_stays(calendar: WorkdayCalendar) -> None:
    assert summary_deadline("2024-02", calendar) == SummaryDeadline(
        "2024-02", date(2024, 3, 15), date(2024, 3, 15), True
    )


def test_deadline_in_december_falls_in_january_of_the_next_year(calendar: WorkdayCalendar) -> None:
    # 15 January 2022 was a Saturday; the calendar knows 2022.
    assert summary_deadline("2021-12", calendar) == SummaryDeadline(
        "2021-12", date(2022, 1, 15), date(2022, 1, 17), True
    )


def test_a_year_not_covered_falls_back_to_monday_to_friday(calendar: WorkdayCalendar) -> None:
    # 15 January 2027 is a Friday: the fallback says working day, and covered=False says it is a guess.
    assert summary_deadline("2026-12", calendar) == SummaryDeadline(
        "2026-12", date(2027, 1, 15), date(2027, 1, 15), False
    )
    assert summary_deadline("2030-05", calendar) == SummaryDeadline(
        "2030-05", date(2030, 6, 15), date(2030, 6, 17), False
    )
    assert calendar.is_workday(date(2030, 1, 1)) is True  # a Tuesday; the real 元旦 is unknown to the data


@pytest.mark.parametrize("month", ["2024-13", "2024-1", "202401", "2024-00"])
def test_deadline_refuses_a_bad_month(calendar: WorkdayCalendar, month: str) -> None:
    with pytest.raises(ValueError, match="must be written YYYY-MM"):
        summary_deadline(month, calendar)


# --- bureau files --------------------------------------------------------------------------------


def test_a_bureau_file_adds_a_year_and_overrides_a_date(tmp_path: Path) -> None:
    extra = write_csv(
        tmp_path,
        "bureau.csv",
        "2027-01-01,holiday,元旦,bureau copy of the 2027 notice\n"
        "2024-02-18,holiday,local test override,bureau note 1\n",
    )
    calendar = load_calendar(extra)
    assert calendar.covers(2027)
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.next_workday(date(2024, 2, 15)) == date(2024, 2, 19)
    rule = calendar.rule_for(date(2024, 2, 18))
    assert rule is not None
    assert (rule.kind, rule.source, rule.origin) == (HOLIDAY, "bureau note 1", f"{extra}:3")


def test_later_files_win_over_earlier_ones(tmp_path: Path) -> None:
    first = write_csv(tmp_path, "a.csv", "2031-01-01,holiday,元旦,first\n")
    second = write_csv(tmp_path, "b.csv", "2031-01-01,workday,cancelled,second\n")
    assert load_calendar(first, second).is_workday(date(2031, 1, 1)) is True
    assert load_calendar(second, first).is_workday(date(2031, 1, 1)) is False


def test_weekend_rows_alone_do_not_make_a_year_covered(tmp_path: Path) -> None:
    # As the 2019 notice lists 2018-12-29..31: a neighbour's New Year days say nothing of 2032.
    extra = write_csv(tmp_path, "x.csv", "2032-01-03,holiday,元旦,test\n2032-01-04,holiday,元旦,test\n")
    assert not load_calendar(extra).covers(2032)


def test_blank_lines_and_a_bom_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + HEADER + "2033-01-03,holiday,元旦,test\n\n", encoding="utf-8")
    assert load_calendar(path).covers(2033)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("2027-02-30,holiday,春节,x\n", "bad.csv:3: bad date '2027-02-30' (write YYYY-MM-DD)"),
        ("20270215,holiday,春节,x\n", "bad.csv:3: bad date '20270215' (write YYYY-MM-DD)"),
        ("2027-02-15,rest,春节,x\n", "bad.csv:3: unknown kind 'rest' (use holiday or workday)"),
        ("2027-02-15,holiday,春节\n", "bad.csv:3: expected 4 columns (date,kind,name,source), found 3"),
        (
            "2027-02-14,workday,春节调休上班,\n",
            "bad.csv:3: name and source are required (source: the notice, e.g. 国办发明电〔2023〕7号)",
        ),
    ],
)
def test_a_malformed_row_is_refused_with_file_and_line(tmp_path: Path, body: str, message: str) -> None:
    path = write_csv(tmp_path, "bad.csv", "2027-01-01,holiday,元旦,x\n" + body)
    with pytest.raises(ValueError, match=r"bad\.csv") as caught:
        load_calendar(path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_a_wrong_header_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^bureau:1: the header must be date,kind,name,source"):
        read_rules(["day,kind,name,source", "2027-01-01,holiday,元旦,x"], "bureau")


def test_read_rules_parses_lines() -> None:
    rules = read_rules([HEADER.strip(), "2027-01-01, holiday ,元旦,x"], "inline")
    assert [(r.day, r.kind, r.name, r.source, r.origin) for r in rules] == [
        (date(2027, 1, 1), HOLIDAY, "元旦", "x", "inline:2")
    ]
