"""Export pages: the monthly summary (汇总申报), where each shipment stands in the 9610 flow, the
无票免税 register (财税〔2018〕103号) with the deemed income, the receipts-of-payment reconciliation
and export returns (退运).

Reads and the summary application go through the same functions as the JSON API
(``cbec.web.api.export``), so a page never sees or files more than the API would.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cbec.bootstrap import Platform
from cbec.export.return_services import ReturnInput
from cbec.export.returns import RETURN_REASONS
from cbec.export.services import month_range
from cbec.export.tracking import shipment_steps, shipments
from cbec.identity.model import Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, NotFound, ValidationFailed
from cbec.web.api.export import (
    apply_summary,
    income_report,
    may_apply,
    overview,
    reconciliation_report,
    register_report,
    returns_report,
    save_return,
)
from cbec.web.deps import Identity, PageIdentity, PlatformDep, require_csrf
from cbec.web.i18n import translate
from cbec.web.templating import render

router = APIRouter(prefix="/export")
PER_PAGE = 25
STEPS = ("order", "waybill", "list", "clearance", "arrival", "release", "departure", "receipt", "summary")
LIST_STATUSES = ("waiting", "120", "100", "399", "500", "800", "899")


def _previous_month(today: date) -> str:
    """The month whose summary falls due now: the one before ``today``'s."""
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _step_name(lang: str, step: str) -> str:
    return translate(lang, f"exp.step.{step}")


def _list_status(lang: str, status: str) -> str:
    key = f"exp.status.{status}"
    text = translate(lang, key)
    return status if text == key else text


def _summary_state(lang: str, state: str) -> str:
    key = f"exp.state.{state}"
    text = translate(lang, key)
    return state if text == key else text


HELPERS = {"step_name": _step_name, "list_status": _list_status, "summary_state": _summary_state, "steps": STEPS}


def _summary_context(platform: Platform, identity: Identity, month: str, enterprise_id: int | None) -> dict[str, Any]:
    data = overview(platform, identity.principal, month, enterprise_id)
    return {
        "month": month,
        "enterprise_id": enterprise_id,
        "overview": data,
        "can_apply": may_apply(identity.principal),
        "applications": None,
    } | HELPERS


@router.get("/summary")
def summary_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    month: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
    enterprise_id: int | None = None,
) -> Response:
    chosen = month or _previous_month(business_date(platform.clock))
    month_range(chosen)
    return render(request, "export_summary.html", _summary_context(platform, identity, chosen, enterprise_id))


@router.post("/summary")
def summary_apply(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    month: Annotated[str, Form(pattern=r"^\d{4}-\d{2}$")],
    csrf_token: Annotated[str, Form()] = "",
    enterprise_id: Annotated[int | None, Form()] = None,
) -> Response:
    require_csrf(request, identity, csrf_token)
    applications = apply_summary(platform, identity.principal, month, enterprise_id)
    context = _summary_context(platform, identity, month, enterprise_id)
    context["applications"] = applications
    failed = any(not a["accepted"] for a in applications)
    return render(request, "export_summary.html", context, status_code=422 if failed else 200)


@router.get("/shipments")
def shipments_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    status: str = "",
    q: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    with platform.uow(read_only=True) as uow:
        items, total = shipments(
            uow,
            identity.principal,
            status=status or None,
            text=q.strip() or None,
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "status": status,
        "q": q,
        "statuses": LIST_STATUSES,
    } | HELPERS
    return render(request, "export_shipments.html", context)


@router.get("/shipments/{document_id}")
def shipment_page(document_id: int, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        shipment = shipment_steps(uow, identity.principal, document_id)
    return render(request, "export_shipment.html", {"s": shipment} | HELPERS)


# --- 无票免税 register, reconciliation, returns ----------------------------------------------


def _outcome(lang: str, outcome: str) -> str:
    key = f"exp.outcome.{outcome}"
    text = translate(lang, key)
    return outcome if text == key else text


REPORT_HELPERS = {"outcome": _outcome, "reasons": RETURN_REASONS}


def _find_enterprise(platform: Platform, text: str) -> int:
    """An enterprise named by its id or its USCC (the register checks the scope)."""
    wanted = text.strip().upper()
    if wanted.isdigit() and len(wanted) < 18:
        return int(wanted)
    with platform.uow(read_only=True) as uow:
        found = uow.enterprises.get_by_uscc(wanted)
    if found is None:
        raise NotFound(f"no enterprise {text.strip()!r}")
    return found.id


@router.get("/register")
def register_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    enterprise: str = "",
    month: Annotated[str, Query(pattern=r"^(\d{4}-\d{2})?$")] = "",
    since: Annotated[str, Query(alias="from", pattern=r"^(\d{4}-\d{2})?$")] = "",
    until: Annotated[str, Query(alias="to", pattern=r"^(\d{4}-\d{2})?$")] = "",
) -> Response:
    principal = identity.principal
    own = principal.role is Role.ENTERPRISE
    chosen: int | None = None
    if enterprise.strip():
        chosen = _find_enterprise(platform, enterprise)
    elif own:
        chosen = principal.enterprise_id
    context: dict[str, Any] = {
        "own": own,
        "enterprise": enterprise,
        "month": month,
        "since": since or month,
        "until": until or month,
        "register": None,
        "income": None,
        "downloads": None,
    }
    if chosen is not None:
        context["register"] = register_report(platform, principal, chosen, month or None)
        if month:
            query = urlencode({"enterprise_id": chosen, "month": month})
            context["downloads"] = {
                "xlsx": f"/api/v1/export/register.xlsx?{query}",
                "csv": f"/api/v1/export/register.csv?{query}",
            }
        if context["since"] and context["until"]:
            context["income"] = income_report(platform, principal, chosen, context["since"], context["until"])
    return render(request, "export_register.html", context | REPORT_HELPERS)


@router.get("/reconciliation")
def reconciliation_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    since: Annotated[str, Query(alias="from", pattern=r"^(\d{4}-\d{2})?$")] = "",
    until: Annotated[str, Query(alias="to", pattern=r"^(\d{4}-\d{2})?$")] = "",
) -> Response:
    default = _previous_month(business_date(platform.clock))
    first, last = since or default, until or since or default
    data = reconciliation_report(platform, identity.principal, first, last)
    context = {"since": first, "until": last, "report": data}
    return render(request, "export_reconciliation.html", context | REPORT_HELPERS)


def _returns_context(platform: Platform, identity: Identity) -> dict[str, Any]:
    principal = identity.principal
    return {
        "returns": returns_report(platform, principal),
        "can_record": principal.is_system or not principal.read_only,
        "recorded": None,
        "errors": [],
        "form": {"original_state": True, "reason": "unsold"},
    } | REPORT_HELPERS


@router.get("/returns")
def returns_page(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    return render(request, "export_returns.html", _returns_context(platform, identity))


def _return_input(
    return_no: str, invt_no: str, returned_on: str, reason: str, original_state: bool, gnums: str
) -> ReturnInput:
    problems = []
    try:
        day = date.fromisoformat(returned_on.strip())
    except ValueError:
        day = date.min
        problems.append(FieldError("returned_on", "field.date", f"{returned_on!r} is not a date", "YYYY-MM-DD"))
    parts = [p for p in gnums.replace("，", ",").replace(" ", ",").split(",") if p]
    if not all(p.isdigit() for p in parts):
        problems.append(FieldError("gnums", "field.integer", f"{gnums!r} is not a list of item numbers", "e.g. 1,2"))
    if not invt_no.strip():
        problems.append(FieldError("invt_no", "field.required", "name the original export list"))
    if problems:
        raise ValidationFailed(problems)
    numbers = tuple(int(p) for p in parts)
    return ReturnInput(return_no.strip(), invt_no.strip(), day, reason, original_state, numbers)


@router.post("/returns")
def returns_record(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    csrf_token: Annotated[str, Form()] = "",
    return_no: Annotated[str, Form()] = "",
    invt_no: Annotated[str, Form()] = "",
    returned_on: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    original_state: Annotated[bool, Form()] = False,
    gnums: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, identity, csrf_token)
    form = {
        "return_no": return_no,
        "invt_no": invt_no,
        "returned_on": returned_on,
        "reason": reason,
        "original_state": original_state,
        "gnums": gnums,
    }
    try:
        data = _return_input(return_no, invt_no, returned_on, reason, original_state, gnums)
        recorded = save_return(platform, identity.principal, data)
    except ValidationFailed as failed:
        context = _returns_context(platform, identity) | {"errors": failed.errors, "form": form}
        return render(request, "export_returns.html", context, status_code=422)
    context = _returns_context(platform, identity) | {"recorded": recorded}
    return render(request, "export_returns.html", context)
