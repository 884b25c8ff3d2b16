"""Direct-report use cases (统计直报): draft (pre-filled), submit, return, list, remind.

Report at most once (最多报一次, DOMAIN §8): :func:`draft_report` fills every figure the platform
can compute — trade value and lists from the fact table (``stats.catalog``), overseas warehouse
area and count from the enterprise's filings — and the enterprise enters only the rest. A
platform figure cannot be overwritten by the enterprise (:mod:`cbec.stats.reporting` explains
why); a correction request (更正说明) can be attached to it instead.

Who may do what: an enterprise user drafts and submits its own enterprise's reports; a district
officer or a city administrator may do so for any enterprise they see (e.g. a report brought in
on paper), and returns (退回) a submitted report for correction; auditors and partners only read.
Reminder lists are for district officers (their district), city administrators (their city) and
the system (everywhere).

Writes take the audit head lock first (as every writer does), so two submissions of one report
queue. Submitting and returning are audited; a draft is the platform's own computation and is
not (its figures carry their source and time). A refused submission stores nothing: neither the
report nor a draft nor an audit event.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import ibis.expr.types as ir

from cbec.audit.services import record
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.kernel.workdays import WorkdayCalendar
from cbec.registry.model import Enterprise
from cbec.stats import report_deadlines as rd
from cbec.stats import report_forms as rf
from cbec.stats import reporting as rp
from cbec.stats.catalog import CATALOG, Scope, expression
from cbec.stats.report_forms import ReportForm
from cbec.stats.reporting import PlatformFigure, ReportStatus, StatReport, Submission

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "DEFAULT_FORM",
    "draft_report",
    "forms",
    "get_report",
    "platform_figures",
    "reminders",
    "reports_for",
    "reports_of",
    "return_report",
    "submit_report",
]

DEFAULT_FORM = "cbec_monthly"
REASON_MAX = 500
SUBJECT = "stat_report"


def forms() -> list[ReportForm]:
    return list(rf.load_forms().values())


# --- platform figures ---------------------------------------------------------------------------


def _by_direction(lines: ir.Table, metric: str, enterprise_id: int, period: str) -> dict[str, dict[str, object]]:
    scope = Scope(enterprise_id=enterprise_id, month_from=period, month_to=period)
    rows = expression(lines, metric, scope, ("direction",)).to_pyarrow().to_pylist()
    return {str(r["direction"]): r for r in rows}


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


def platform_figures(
    uow: SqlUnitOfWork, lines: ir.Table, form: ReportForm, enterprise_id: int, period: str
) -> dict[str, PlatformFigure]:
    """What the platform knows for every ``platform:<what>`` field of ``form``, keyed by <what>."""
    needs = {f.platform_source for f in form.platform_fields}
    out: dict[str, PlatformFigure] = {}
    if needs & {"trade_value.export", "trade_value.import"}:
        found = _by_direction(lines, "trade_value", enterprise_id, period)
        caliber = CATALOG["trade_value"].caliber
        for direction in ("export", "import"):
            row = found.get(direction, {})
            unconverted = _int(row.get("unconverted_lines"))
            note = (
                f"{unconverted} released lines left out: no exchange rate loaded for their currency"
                if unconverted
                else ""
            )
            fen = _int(row.get("value_fen"))
            out[f"trade_value.{direction}"] = PlatformFigure(
                Decimal(fen).scaleb(-2), f"trade_value[direction={direction}]", caliber, note
            )
    if needs & {"list_count.export", "list_count.import"}:
        found = _by_direction(lines, "list_count", enterprise_id, period)
        caliber = CATALOG["list_count"].caliber
        for direction in ("export", "import"):
            lists = _int(found.get(direction, {}).get("lists"))
            out[f"list_count.{direction}"] = PlatformFigure(
                Decimal(lists), f"list_count[direction={direction}]", caliber
            )
    if needs & {"warehouse_area", "warehouse_count"}:
        filed = [w for w in uow.warehouses.of_enterprise(enterprise_id) if w.is_filed]
        area = sum((w.area for w in filed), Decimal("0.00"))
        out["warehouse_area"] = PlatformFigure(area, "overseas_warehouses.area", _caliber(form, "warehouse_area"))
        count = Decimal(len(filed))
        out["warehouse_count"] = PlatformFigure(count, "overseas_warehouses.count", _caliber(form, "warehouse_count"))
    return out


def _caliber(form: ReportForm, source: str) -> str:
    return next((f.caliber for f in form.platform_fields if f.platform_source == source), "")


# --- reads --------------------------------------------------------------------------------------


def get_report(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, form_id: str, period: str
) -> StatReport | None:
    """The stored report (None when not even a draft exists) for those who see the enterprise."""
    rf.get_form(form_id)
    _check_sees(principal, _enterprise(uow, enterprise_id))
    return uow.reports.get(enterprise_id, form_id, period)


def reports_of(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> list[StatReport]:
    """Every report of one enterprise, newest period first."""
    _check_sees(principal, _enterprise(uow, enterprise_id))
    return uow.reports.of_enterprise(enterprise_id)


def reports_for(uow: SqlUnitOfWork, principal: Principal, period: str, form_id: str | None = None) -> list[StatReport]:
    """The reports of a period the principal sees: an enterprise its own, an officer their
    district's, the city-wide roles their city's, the system all."""
    errors = rd.check_period(period, date.max)  # the shape only: any period may be listed
    if errors:
        raise ValidationFailed(errors)
    return uow.reports.for_period(period, principal.scope_filters(), form_id)


def reminders(
    uow: SqlUnitOfWork,
    principal: Principal,
    period: str,
    today: date,
    *,
    calendar: WorkdayCalendar,
    form_id: str = DEFAULT_FORM,
) -> list[rd.Reminder]:
    """Who in the principal's district (officer) or city (administrator) has not submitted
    ``period``'s report, and how urgent it is on ``today``."""
    form = rf.get_form(form_id)
    errors = rd.check_period(period, date.max)
    if errors:
        raise ValidationFailed(errors)
    if principal.is_system:
        city, district = None, None
    elif principal.role is Role.CITY_ADMIN:
        city, district = principal.city_code, None
    elif principal.role is Role.DISTRICT_OFFICER:
        city, district = principal.city_code, principal.district_code
    else:
        raise PermissionDenied("reminder lists are for district officers and city administrators")
    owed = uow.reports.obligations(form.id, period, city, district)
    return rd.reminders(form, period, owed, today, calendar)


# --- writes -------------------------------------------------------------------------------------


def draft_report(
    uow: SqlUnitOfWork, principal: Principal, lines: ir.Table, enterprise_id: int, form_id: str, period: str
) -> StatReport:
    """The enterprise's report for ``period``: the stored one, with its platform figures brought
    up to date unless it was submitted; else a new draft, pre-filled. Commits when it wrote."""
    form, enterprise = _prepare(uow, principal, enterprise_id, form_id, period)
    current = uow.reports.get(enterprise.id, form.id, period)
    if current is not None and current.status is ReportStatus.SUBMITTED:
        return current
    uow.audit.lock()  # writers queue: the unique (enterprise, form, period) is checked under it
    current = uow.reports.get(enterprise.id, form.id, period)
    if current is not None and current.status is ReportStatus.SUBMITTED:
        return current
    drafted = _drafted(uow, lines, form, enterprise, period, current)
    if current is not None and drafted is current:
        return current
    stored = _store(uow, current, drafted)
    uow.commit()
    return stored


def submit_report(
    uow: SqlUnitOfWork,
    principal: Principal,
    lines: ir.Table,
    enterprise_id: int,
    form_id: str,
    period: str,
    submission: Submission,
) -> StatReport:
    """Validate and submit. Submitting the same figures again returns the stored report and
    changes nothing; other figures for a submitted report are a conflict (it must be returned
    first). A refused submission stores nothing."""
    form, enterprise = _prepare(uow, principal, enterprise_id, form_id, period)
    uow.audit.lock()
    current = uow.reports.get(enterprise.id, form.id, period)
    now = uow.clock.now()
    if current is not None and current.status is ReportStatus.SUBMITTED:
        if not rp.validate(form, submission, current.figures):
            again = rp.apply_submission(form, current.figures, submission, now, principal.actor)
            if rp.same_figures(again, current.figures):
                return current
        raise Conflict(
            f"the {form.id} report of enterprise {enterprise.id} for {period} was submitted on "
            f"{current.submitted_at.date().isoformat() if current.submitted_at else '?'} with other figures; "
            "ask your district officer to return it (退回) before submitting changes",
            code="report.already_submitted",
        )
    drafted = _drafted(uow, lines, form, enterprise, period, current)
    errors = rp.validate(form, submission, drafted.figures)
    if errors:
        raise ValidationFailed(errors)
    figures = rp.apply_submission(form, drafted.figures, submission, now, principal.actor)
    submitted = replace(
        drafted,
        status=ReportStatus.SUBMITTED,
        figures=figures,
        submitted_at=now,
        submitted_by=principal.user_id,
        updated_at=now,
    )
    stored = _store(uow, current, submitted)
    record(
        uow,
        principal,
        "report.submit",
        SUBJECT,
        stored.key,
        before=current.snapshot() if current is not None and current.status is ReportStatus.RETURNED else None,
        after=stored.snapshot(),
        city_code=stored.city_code,
    )
    uow.commit()
    return stored


def return_report(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, form_id: str, period: str, reason: str
) -> StatReport:
    """An officer or administrator sends a submitted report back (退回) for correction."""
    _check_writer(principal)
    if principal.role is Role.ENTERPRISE:
        raise PermissionDenied("an enterprise cannot return its own report; ask your district officer")
    form = rf.get_form(form_id)
    enterprise = _enterprise(uow, enterprise_id)
    _check_sees(principal, enterprise)
    text = reason.strip()
    if not text or len(text) > REASON_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "reason",
                    "report.reason_required" if not text else "report.reason_too_long",
                    f"say why the report goes back, in 1 to {REASON_MAX} characters",
                    "name the figure and what is wrong with it",
                )
            ]
        )
    uow.audit.lock()
    current = uow.reports.get(enterprise.id, form.id, period)
    if current is None or current.status is not ReportStatus.SUBMITTED:
        raise Conflict(
            f"enterprise {enterprise.id} has no submitted {form.id} report for {period} to return",
            code="report.not_submitted",
        )
    now = uow.clock.now()
    returned = replace(current, status=ReportStatus.RETURNED, version=current.version + 1, updated_at=now)
    uow.reports.update(returned)
    record(
        uow,
        principal,
        "report.return",
        SUBJECT,
        current.key,
        before=current.snapshot(),
        after=returned.snapshot() | {"reason": text},
        city_code=current.city_code,
    )
    uow.commit()
    return returned


# --- rules --------------------------------------------------------------------------------------


def _prepare(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, form_id: str, period: str
) -> tuple[ReportForm, Enterprise]:
    _check_writer(principal)
    form = rf.get_form(form_id)
    enterprise = _enterprise(uow, enterprise_id)
    _check_sees(principal, enterprise)
    errors = rd.check_period(period, business_date(uow.clock))
    if errors:
        raise ValidationFailed(errors)
    return form, enterprise


def _drafted(
    uow: SqlUnitOfWork,
    lines: ir.Table,
    form: ReportForm,
    enterprise: Enterprise,
    period: str,
    current: StatReport | None,
) -> StatReport:
    """``current`` with its platform figures up to date (``current`` itself when none changed),
    or a new draft (id 0, version 1) when there is none."""
    now = uow.clock.now()
    known = platform_figures(uow, lines, form, enterprise.id, period)
    figures = rp.prefill(form, known, now, current.figures if current is not None else None)
    if current is not None:
        if figures == current.figures:
            return current
        return replace(current, figures=figures)
    return StatReport(
        id=0,
        enterprise_id=enterprise.id,
        city_code=enterprise.city_code,
        district_code=enterprise.district_code,
        form=form.id,
        period=period,
        status=ReportStatus.DRAFT,
        figures=figures,
        version=0,
        created_at=now,
        updated_at=now,
    )


def _store(uow: SqlUnitOfWork, current: StatReport | None, changed: StatReport) -> StatReport:
    """Insert (no ``current``) or update one version on."""
    now = uow.clock.now()
    if current is None:
        return uow.reports.add(replace(changed, version=1, created_at=now, updated_at=now))
    stored = replace(changed, version=current.version + 1, updated_at=now)
    uow.reports.update(stored)
    return stored


def _enterprise(uow: SqlUnitOfWork, enterprise_id: int) -> Enterprise:
    enterprise = uow.enterprises.get(enterprise_id)
    if enterprise is None:
        raise NotFound(f"no enterprise with id {enterprise_id}")
    return enterprise


def _check_sees(principal: Principal, enterprise: Enterprise) -> None:
    if not principal.sees(enterprise.id, enterprise.city_code, enterprise.district_code):
        raise PermissionDenied(f"enterprise {enterprise.id} is outside your scope")


def _check_writer(principal: Principal) -> None:
    if principal.read_only:
        raise PermissionDenied("your role is read-only; it may not draft, submit or return reports")
