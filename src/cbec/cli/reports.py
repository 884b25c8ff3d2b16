"""``cbec report``: statistical direct reports (统计直报) — show the forms, draft (pre-filled),
submit, return, and list who has not reported."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cbec.cli.common import acting_as, emit_json, handled, platform, usage_error
from cbec.kernel.clock import business_date
from cbec.stats import report_deadlines as rd
from cbec.stats import report_forms as rf
from cbec.stats import report_services as rs
from cbec.stats.refresh import open_lines
from cbec.stats.reporting import StatReport, Submission

__all__ = ["report_app"]

report_app = typer.Typer(help="Statistical direct reports (统计直报).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user (scope and permissions).")]
Form = Annotated[str, typer.Option("--form", help="Report form id (see `cbec report forms`).")]
Period = Annotated[str | None, typer.Option("--period", help="YYYY-MM; defaults to last month.")]


def _period(period: str | None) -> str:
    return period or rd.previous_period(business_date(platform().clock))


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            usage_error(f"{option} takes FIELD=VALUE, found {item!r}")
        out[key.strip()] = value
    return out


def _print(report: StatReport, as_json: bool) -> None:
    form = rf.get_form(report.form)
    due = rd.due_date(form, report.period, platform().calendar)
    if as_json:
        emit_json({"ok": True, "report": report.snapshot() | {"due": due.isoformat()}})
        return
    typer.echo(f"{form.title_zh} · enterprise {report.enterprise_id} · {report.period} · {report.status.value}")
    typer.echo(f"due by {due.isoformat()}")
    table = Table()
    for column in ("field", "value", "unit", "source"):
        table.add_column(column)
    for spec in form.fields:
        fig = report.figures.get(spec.id)
        value = spec.text(fig.value) if fig is not None and fig.value is not None else "-"
        source = "-" if fig is None else (fig.metric or fig.source) if fig.source == "platform" else "entered"
        table.add_row(spec.id, value or "-", spec.unit, escape(source))
    Console().print(table)


@report_app.command("forms")
def forms(as_json: Json = False) -> None:
    """The report forms: fields, units, rules, sources and the deadline rule."""
    found = [f.as_dict() for f in rs.forms()]
    if as_json:
        emit_json({"forms": found})
        return
    for form in rs.forms():
        typer.echo(f"{form.id}: {form.title_zh} (due: working day {form.due.working_day_of_next_month} of next month)")
        for spec in form.fields:
            typer.echo(f"  {spec.id:<24} {spec.kind:<8} {spec.unit:<8} {spec.source}")


@report_app.command("draft")
def draft(
    enterprise: Annotated[int, typer.Argument(help="The enterprise's id.")],
    period: Period = None,
    form: Form = rs.DEFAULT_FORM,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """The enterprise's report for a period, pre-filled from the platform's data (created if new)."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with open_lines(p) as lines, p.uow() as uow:
            report = rs.draft_report(uow, principal, lines, enterprise, form, _period(period))
    _print(report, as_json)


@report_app.command("submit")
def submit(
    enterprise: Annotated[int, typer.Argument(help="The enterprise's id.")],
    value: Annotated[list[str] | None, typer.Option("--value", "-v", help="FIELD=VALUE for an entered field.")] = None,
    correction: Annotated[
        list[str] | None, typer.Option("--correction", help="FIELD=TEXT: a correction request on a platform figure.")
    ] = None,
    period: Period = None,
    form: Form = rs.DEFAULT_FORM,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Submit the report; the same submission twice changes nothing."""
    submission = Submission(_pairs(value or [], "--value"), _pairs(correction or [], "--correction"))
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with open_lines(p) as lines, p.uow() as uow:
            report = rs.submit_report(uow, principal, lines, enterprise, form, _period(period), submission)
    _print(report, as_json)


@report_app.command("return")
def return_report(
    enterprise: Annotated[int, typer.Argument(help="The enterprise's id.")],
    reason: Annotated[str, typer.Option(help="Why it goes back.")],
    period: Period = None,
    form: Form = rs.DEFAULT_FORM,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Return a submitted report to the enterprise for correction (退回)."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            report = rs.return_report(uow, principal, enterprise, form, _period(period), reason)
    _print(report, as_json)


@report_app.command("reminders")
def reminders(
    period: Period = None,
    today: Annotated[str | None, typer.Option(help="YYYY-MM-DD; defaults to today in Shanghai.")] = None,
    form: Form = rs.DEFAULT_FORM,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Who has not submitted: overdue first, then due soon (officers: their district)."""
    p = platform()
    try:
        day = date.fromisoformat(today) if today else business_date(p.clock)
    except ValueError:
        usage_error(f"--today must be YYYY-MM-DD, found {today!r}")
    chosen = _period(period)
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow(read_only=True) as uow:
            items = rs.reminders(uow, principal, chosen, day, calendar=p.calendar, form_id=form)
        due = rd.due_date(rf.get_form(form), chosen, p.calendar)
    if as_json:
        emit_json(
            {
                "form": form,
                "period": chosen,
                "today": day.isoformat(),
                "due": due.isoformat(),
                "items": [r.as_dict() for r in items],
            }
        )
        return
    table = Table(title=f"{form} {chosen}: due {due.isoformat()}, {len(items)} not submitted")
    for column in ("enterprise", "uscc", "district", "status", "urgency", "working days left"):
        table.add_column(column)
    for r in items:
        table.add_row(
            escape(f"{r.enterprise_id} {r.enterprise_name}"),
            r.uscc,
            r.district_code,
            r.status,
            r.urgency.value,
            str(r.working_days_left),
        )
    Console().print(table)
