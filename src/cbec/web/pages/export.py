"""Export pages: the monthly summary (汇总申报) and where each shipment stands in the 9610 flow.

Reads and the summary application go through the same functions as the JSON API
(``cbec.web.api.export``), so a page never sees or files more than the API would.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from cbec.bootstrap import Platform
from cbec.export.services import month_range
from cbec.export.tracking import shipment_steps, shipments
from cbec.kernel.clock import business_date
from cbec.web.api.export import apply_summary, may_apply, overview
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
