"""Periods, deadlines and reminders of direct reports (统计直报): a month is reported once it has
ended, by the Nth working day of the next month on the State Council calendar; the reminder list
says who has not submitted, overdue first. Pure: no storage, no framework.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from cbec.kernel.errors import FieldError
from cbec.kernel.workdays import WorkdayCalendar
from cbec.stats.report_forms import ReportForm
from cbec.stats.reporting import Obligation, ReportStatus

__all__ = [
    "Reminder",
    "Urgency",
    "check_period",
    "due_date",
    "period_of",
    "previous_period",
    "reminders",
    "working_days_left",
]

_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


# --- periods and deadlines ----------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(day: date) -> str:
    """The month before ``day``'s month: the period whose report falls due in ``day``'s month."""
    return period_of(day.replace(day=1) - timedelta(days=1))


def check_period(period: str, today: date, path: str = "period") -> list[FieldError]:
    """A period is YYYY-MM and over: a month is reported once it has ended."""
    if not _PERIOD.match(period):
        return [FieldError(path, "report.period_format", f"period must be YYYY-MM, found {period!r}", "e.g. 2024-10")]
    if period >= period_of(today):
        return [
            FieldError(
                path,
                "report.period_open",
                f"{period} has not ended yet (today is {today.isoformat()})",
                f"report a past month, e.g. {previous_period(today)}",
            )
        ]
    return []


def _first_of_next_month(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 1)


def due_date(form: ReportForm, period: str, calendar: WorkdayCalendar) -> date:
    """The Nth working day (State Council calendar: holidays off, adjusted weekends on) of the
    month after ``period``."""
    day = _first_of_next_month(period)
    count = 0
    while True:
        day = calendar.next_workday(day)
        count += 1
        if count == form.due.working_day_of_next_month:
            return day
        day += timedelta(days=1)


def working_days_left(calendar: WorkdayCalendar, today: date, due: date) -> int:
    """Working days from ``today`` to ``due``, both included (0 once ``due`` has passed)."""
    left = 0
    day = today
    while day <= due:
        if calendar.is_workday(day):
            left += 1
        day += timedelta(days=1)
    return left


# --- reminders ----------------------------------------------------------------------------------


class Urgency(enum.StrEnum):
    OVERDUE = "overdue"  # 已逾期
    DUE_SOON = "due_soon"  # 即将到期
    OPEN = "open"  # 未到期


@dataclass(frozen=True)
class Reminder:
    enterprise_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    status: str  # missing | draft | returned
    urgency: Urgency
    due: date
    working_days_left: int

    def as_dict(self) -> dict[str, object]:
        return {
            "enterprise_id": self.enterprise_id,
            "enterprise_name": self.enterprise_name,
            "uscc": self.uscc,
            "district_code": self.district_code,
            "status": self.status,
            "urgency": self.urgency.value,
            "due": self.due.isoformat(),
            "working_days_left": self.working_days_left,
        }


_URGENCY_ORDER = {Urgency.OVERDUE: 0, Urgency.DUE_SOON: 1, Urgency.OPEN: 2}


def reminders(
    form: ReportForm, period: str, obligations: Iterable[Obligation], today: date, calendar: WorkdayCalendar
) -> list[Reminder]:
    """Who has not submitted ``period``'s report: overdue first, then due soon (within the form's
    reminder window of working days), then the rest; by district and enterprise within each."""
    due = due_date(form, period, calendar)
    left = working_days_left(calendar, today, due)
    if today > due:
        urgency = Urgency.OVERDUE
    elif left <= form.due.remind_within_working_days:
        urgency = Urgency.DUE_SOON
    else:
        urgency = Urgency.OPEN
    out = [
        Reminder(
            o.enterprise_id,
            o.enterprise_name,
            o.uscc,
            o.district_code,
            "missing" if o.status is None else o.status.value,
            urgency,
            due,
            left,
        )
        for o in obligations
        if o.status is not ReportStatus.SUBMITTED
    ]
    return sorted(out, key=lambda r: (_URGENCY_ORDER[r.urgency], r.district_code, r.enterprise_id))
