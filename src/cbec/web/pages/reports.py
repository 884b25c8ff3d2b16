"""Direct-report pages (统计直报): an enterprise sees its reports and last month's form with the
platform's figures filled in (平台预填, each with its source); officers and administrators see
who has not reported and the reports submitted in their scope, and may return one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from cbec.stats import report_deadlines as rd
from cbec.stats import report_forms as rf
from cbec.stats import report_services as rs
from cbec.stats import reporting as rp
from cbec.stats.refresh import open_lines
from cbec.stats.report_forms import ReportForm
from cbec.stats.reporting import StatReport, Submission
from cbec.web.deps import Identity, PageIdentity, PlatformDep, require_csrf
from cbec.web.templating import render

router = APIRouter()


def _chosen_period(platform: Platform, period: str) -> str:
    chosen = period.strip() or rd.previous_period(business_date(platform.clock))
    errors = rd.check_period(chosen, date.max)
    if errors:
        raise ValidationFailed(errors)
    return chosen


def _draft(platform: Platform, principal: Principal, enterprise_id: int, form: str, period: str) -> StatReport:
    with open_lines(platform) as lines, platform.uow() as uow:
        return rs.draft_report(uow, principal, lines, enterprise_id, form, period)


def _values(form: ReportForm, report: StatReport) -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in form.fields:
        figure = report.figures.get(spec.id)
        out[spec.id] = "" if figure is None or figure.value is None else spec.text(figure.value) or ""
    return out


def _corrections(report: StatReport) -> dict[str, str]:
    return {k: f.correction for k, f in report.figures.items() if f.correction}


def _enterprise_page(
    request: Request,
    platform: Platform,
    identity: Identity,
    period: str,
    *,
    values: Mapping[str, str] | None = None,
    corrections: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    principal = identity.principal
    assert principal.enterprise_id is not None
    form = rf.get_form(rs.DEFAULT_FORM)
    report = _draft(platform, principal, principal.enterprise_id, form.id, period)
    with platform.uow(read_only=True) as uow:
        mine = rs.reports_of(uow, principal, principal.enterprise_id)
    errors = errors or []
    context: dict[str, Any] = {
        "view": "enterprise",
        "form": form,
        "period": period,
        "report": report,
        "due": rd.due_date(form, period, platform.calendar),
        "values": values if values is not None else _values(form, report),
        "corrections": corrections if corrections is not None else _corrections(report),
        "errors": errors,
        "error_paths": {e.path for e in errors},
        "mine": mine,
        "editable": report.status is not rp.ReportStatus.SUBMITTED,
    }
    return render(request, "reports.html", context, status_code=status_code)


def _officer_page(request: Request, platform: Platform, identity: Identity, period: str) -> Response:
    principal = identity.principal
    form = rf.get_form(rs.DEFAULT_FORM)
    today = business_date(platform.clock)
    with platform.uow(read_only=True) as uow:
        submitted = rs.reports_for(uow, principal, period, form.id)
        reminders = (
            rs.reminders(uow, principal, period, today, calendar=platform.calendar, form_id=form.id)
            if principal.role in (Role.DISTRICT_OFFICER, Role.CITY_ADMIN)
            else []
        )
    context: dict[str, Any] = {
        "view": "officer",
        "form": form,
        "period": period,
        "today": today,
        "due": rd.due_date(form, period, platform.calendar),
        "reminders": reminders,
        "can_remind": principal.role in (Role.DISTRICT_OFFICER, Role.CITY_ADMIN),
        "reports": submitted,
        "submitted_count": sum(1 for r in submitted if r.status is rp.ReportStatus.SUBMITTED),
    }
    return render(request, "reports.html", context)


@router.get("/reports")
def reports_page(request: Request, identity: PageIdentity, platform: PlatformDep, period: str = "") -> Response:
    chosen = _chosen_period(platform, period)
    if identity.principal.role is Role.ENTERPRISE:
        return _enterprise_page(request, platform, identity, chosen)
    return _officer_page(request, platform, identity, chosen)


async def _read_form(request: Request, form: ReportForm) -> tuple[dict[str, str], dict[str, str], str, str]:
    data = await request.form()
    values = {f.id: str(data.get(f"figures/{f.id}", "")) for f in form.entered_fields}
    corrections = {f.id: str(data.get(f"corrections/{f.id}", "")).strip() for f in form.platform_fields}
    return (
        values,
        {k: v for k, v in corrections.items() if v},
        str(data.get("period", "")),
        str(data.get("csrf_token", "")),
    )


@router.post("/reports/submit")
async def submit(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form = rf.get_form(rs.DEFAULT_FORM)
    values, corrections, period, token = await _read_form(request, form)
    require_csrf(request, identity, token)
    principal = identity.principal
    if principal.enterprise_id is None:
        raise NotFound("only an enterprise user submits its reports on this page; officers use the API or CLI")
    chosen = _chosen_period(platform, period)

    def _submit() -> StatReport:
        assert principal.enterprise_id is not None
        with open_lines(platform) as lines, platform.uow() as uow:
            return rs.submit_report(
                uow, principal, lines, principal.enterprise_id, form.id, chosen, Submission(values, corrections)
            )

    try:
        await run_in_threadpool(_submit)
    except ValidationFailed as invalid:
        refused = invalid.errors
        return await run_in_threadpool(
            lambda: _enterprise_page(
                request,
                platform,
                identity,
                chosen,
                values=values,
                corrections=corrections,
                errors=refused,
                status_code=422,
            )
        )
    except Conflict as conflict:
        errors = [FieldError("period", conflict.code, conflict.message, "ask your district officer to return it")]
        return await run_in_threadpool(
            lambda: _enterprise_page(request, platform, identity, chosen, errors=errors, status_code=409)
        )
    return RedirectResponse(f"/reports?period={chosen}", status_code=303)


@router.get("/reports/{enterprise_id}/{period}")
def report_detail(
    enterprise_id: int, period: str, request: Request, identity: PageIdentity, platform: PlatformDep
) -> Response:
    """One stored report, read only, each figure with its source; officers may return it."""
    chosen = _chosen_period(platform, period)
    form = rf.get_form(rs.DEFAULT_FORM)
    principal = identity.principal
    with platform.uow(read_only=True) as uow:
        report = rs.get_report(uow, principal, enterprise_id, form.id, chosen)
        enterprise = uow.enterprises.get(enterprise_id)
        history = uow.audit.for_subject("stat_report", f"{enterprise_id}:{form.id}:{chosen}") if report else []
    if report is None or enterprise is None:
        raise NotFound(f"enterprise {enterprise_id} has no {form.id} report for {chosen}")
    context: dict[str, Any] = {
        "form": form,
        "report": report,
        "enterprise": enterprise,
        "due": rd.due_date(form, chosen, platform.calendar),
        "history": history,
        "can_return": principal.role in (Role.DISTRICT_OFFICER, Role.CITY_ADMIN)
        and report.status is rp.ReportStatus.SUBMITTED,
    }
    return render(request, "reports_detail.html", context)


@router.post("/reports/{enterprise_id}/{period}/return")
async def return_report(
    enterprise_id: int, period: str, request: Request, identity: PageIdentity, platform: PlatformDep
) -> Response:
    data = await request.form()
    require_csrf(request, identity, str(data.get("csrf_token", "")))
    chosen = _chosen_period(platform, period)
    reason = str(data.get("reason", ""))

    def _return() -> None:
        with platform.uow() as uow:
            rs.return_report(uow, identity.principal, enterprise_id, rs.DEFAULT_FORM, chosen, reason)

    await run_in_threadpool(_return)
    return RedirectResponse(f"/reports/{enterprise_id}/{chosen}", status_code=303)
