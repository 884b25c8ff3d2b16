"""Statistical direct reports (统计直报) over JSON: the forms, an enterprise's report for a period
(read pre-filled, submit, return) and the officers' reminder list.

``GET /reports/{enterprise_id}/{period}`` gives a writer the report pre-filled (it creates or
refreshes the draft: the platform's figures are computed, nothing the enterprise typed changes);
a read-only role gets the stored report, 404 when there is none.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from cbec.kernel.clock import business_date
from cbec.kernel.errors import NotFound, ValidationFailed
from cbec.stats import report_deadlines as rd
from cbec.stats import report_forms as rf
from cbec.stats import report_services as rs
from cbec.stats.refresh import open_lines
from cbec.stats.reporting import StatReport, Submission
from cbec.web.deps import ApiIdentity, PlatformDep

router = APIRouter(prefix="/reports", tags=["reports"])

PeriodQuery = Annotated[str | None, Query(description="YYYY-MM; defaults to last month (the one due now)")]
FormQuery = Annotated[str, Query(description="report form id (GET /reports/forms)")]


def _decimal_text(value: object) -> object:
    """Figures travel as decimal text ("1200.50"); a whole JSON number is taken as its text too.
    A JSON fraction is refused by the schema: binary floats are not exact yuan."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


FigureText = Annotated[str | None, BeforeValidator(_decimal_text)]


class ReportSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: str = rs.DEFAULT_FORM
    figures: dict[str, FigureText] = Field(
        default_factory=dict, description='entered figures as decimal text, e.g. {"employees": "35"}'
    )
    corrections: dict[str, str] = Field(
        default_factory=dict, description="correction requests (更正说明) on platform-filled figures, by field id"
    )


class ReportReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: str = rs.DEFAULT_FORM
    reason: str


class ReportOut(BaseModel):
    id: int
    enterprise_id: int
    city_code: str
    district_code: str
    form: str
    period: str
    status: str
    due: str
    figures: dict[str, dict[str, object]]
    version: int
    submitted_at: str | None
    submitted_by: int | None


class ReminderList(BaseModel):
    form: str
    period: str
    today: str
    due: str
    due_rule: dict[str, object]
    calendar_covers: bool = Field(description="False: the due year's holidays are not loaded; Monday–Friday assumed")
    items: list[dict[str, object]]


def _out(report: StatReport, due: date) -> ReportOut:
    return ReportOut.model_validate(report.snapshot() | {"due": due.isoformat()})


def _period(platform: PlatformDep, period: str | None) -> str:
    chosen = period or rd.previous_period(business_date(platform.clock))
    errors = rd.check_period(chosen, date.max)  # the shape; services check what else applies
    if errors:
        raise ValidationFailed(errors)
    return chosen


@router.get("/forms", operation_id="report_forms")
def report_forms() -> list[dict[str, object]]:
    """Every form: fields with their unit, rules and source (``platform:<what>`` or ``entered``),
    the deadline rule and the policy clause the form serves."""
    return [form.as_dict() for form in rs.forms()]


@router.get("", operation_id="list_reports")
def list_reports(identity: ApiIdentity, platform: PlatformDep, period: PeriodQuery = None) -> list[ReportOut]:
    """The reports of a period within your scope (an enterprise: its own)."""
    chosen = _period(platform, period)
    with platform.uow(read_only=True) as uow:
        found = rs.reports_for(uow, identity.principal, chosen)
    return [_out(r, rd.due_date(rf.get_form(r.form), r.period, platform.calendar)) for r in found]


@router.get("/reminders", operation_id="report_reminders")
def report_reminders(
    identity: ApiIdentity, platform: PlatformDep, period: PeriodQuery = None, form: FormQuery = rs.DEFAULT_FORM
) -> ReminderList:
    """Who has not submitted (district officers: their district; city administrators: their city)."""
    chosen = _period(platform, period)
    today = business_date(platform.clock)
    spec = rf.get_form(form)
    due = rd.due_date(spec, chosen, platform.calendar)
    with platform.uow(read_only=True) as uow:
        items = rs.reminders(uow, identity.principal, chosen, today, calendar=platform.calendar, form_id=form)
    return ReminderList(
        form=form,
        period=chosen,
        today=today.isoformat(),
        due=due.isoformat(),
        due_rule=spec.due.as_dict(),
        calendar_covers=platform.calendar.covers(due.year),
        items=[r.as_dict() for r in items],
    )


@router.get("/{enterprise_id}/{period}", operation_id="get_report")
def get_report(
    enterprise_id: int, period: str, identity: ApiIdentity, platform: PlatformDep, form: FormQuery = rs.DEFAULT_FORM
) -> ReportOut:
    principal = identity.principal
    spec = rf.get_form(form)
    period = _period(platform, period)
    if principal.read_only:
        with platform.uow(read_only=True) as uow:
            stored = rs.get_report(uow, principal, enterprise_id, form, period)
        if stored is None:
            raise NotFound(f"enterprise {enterprise_id} has no {form} report for {period}")
        return _out(stored, rd.due_date(spec, period, platform.calendar))
    with open_lines(platform) as lines, platform.uow() as uow:
        report = rs.draft_report(uow, principal, lines, enterprise_id, form, period)
    return _out(report, rd.due_date(spec, period, platform.calendar))


@router.post("/{enterprise_id}/{period}", operation_id="submit_report")
def submit_report(
    enterprise_id: int, period: str, body: ReportSubmit, identity: ApiIdentity, platform: PlatformDep
) -> ReportOut:
    """Submit: entered figures as decimal text; platform figures need not be sent (sent, they must
    equal the pre-filled value). The same submission twice returns the stored report unchanged."""
    submission = Submission(dict(body.figures), dict(body.corrections))
    spec = rf.get_form(body.form)
    period = _period(platform, period)
    with open_lines(platform) as lines, platform.uow() as uow:
        report = rs.submit_report(uow, identity.principal, lines, enterprise_id, body.form, period, submission)
    return _out(report, rd.due_date(spec, period, platform.calendar))


@router.post("/{enterprise_id}/{period}/return", operation_id="return_report")
def return_report(
    enterprise_id: int, period: str, body: ReportReturn, identity: ApiIdentity, platform: PlatformDep
) -> ReportOut:
    """Send a submitted report back to the enterprise for correction (officers, administrators)."""
    spec = rf.get_form(body.form)
    period = _period(platform, period)
    with platform.uow() as uow:
        report = rs.return_report(uow, identity.principal, enterprise_id, body.form, period, body.reason)
    return _out(report, rd.due_date(spec, period, platform.calendar))
