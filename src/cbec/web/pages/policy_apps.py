"""Policy cash-out pages behind sign-in: an enterprise's applications (apply with facts and files,
every step with its events and due dates, correct after a return, withdraw); the review queues of
the district officer and the city administrator (pass / return / reject, approve after the
notice, the anti-fraud gate's result when approval is blocked, disbursement); the budget with a
simulation; and 政策找企业, the benefits each enterprise likely qualifies for."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, Role
from cbec.kernel.errors import Conflict, FieldError, ValidationFailed
from cbec.policy import application_services as aps
from cbec.policy import workflow as wf
from cbec.policy.model import Benefit, Recipient
from cbec.policy.workflow import Application, NewAttachment, Status
from cbec.web.api.policy import attachment_response, policy_catalog, today
from cbec.web.deps import Identity, PageIdentity, PlatformDep, locale, require_csrf
from cbec.web.i18n_policy import ZH
from cbec.web.pages.policy import FACT_PREFIX, helpers, trace_lines
from cbec.web.templating import render

router = APIRouter(prefix="/policy")
REFUSAL_KEYS = frozenset(key for key in ZH if key.startswith("pol.refusal."))
REVIEWERS = (Role.DISTRICT_OFFICER, Role.CITY_ADMIN, Role.AUDITOR)
REVIEWABLE = (Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED)
WITHDRAWABLE = (Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.RETURNED)


def page_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    paths = context.get("error_paths", set())
    files_invalid = any(p.startswith("attachments") for p in paths)
    return context | helpers(locale(request)) | {"files_invalid": files_invalid}


def year_or_today(platform: Platform, year: int | None) -> int:
    return year if year is not None else today(platform).year


# --- the enterprise: my applications and the apply form ------------------------------------------


def _benefits_for(platform: Platform, principal: Principal) -> list[Benefit]:
    """The benefits an enterprise user may apply for today: its city's, granted to enterprises."""
    with platform.uow(read_only=True) as uow:
        enterprise = uow.enterprises.get(principal.enterprise_id) if principal.enterprise_id else None
    city = enterprise.city_code if enterprise else principal.city_code
    day = today(platform)
    cities = wf.settings().cities
    return [
        b
        for b in policy_catalog().benefits.values()
        if b.recipient is Recipient.ENTERPRISE and b.in_force(day) and cities.get(b.document.city) == city
    ]


def _my_page(
    request: Request,
    platform: Platform,
    identity: Identity,
    benefit: str,
    *,
    facts: Mapping[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    principal = identity.principal
    with platform.uow(read_only=True) as uow:
        mine = aps.applications(uow, principal)
        waiting = aps.queue(uow, principal)
    offered = _benefits_for(platform, principal)
    chosen = next((b for b in offered if b.id == benefit), None)
    errors = errors or []
    context: dict[str, Any] = {
        "mine": list(reversed(mine)),
        "waiting": waiting,
        "offered": offered,
        "chosen": chosen,
        "facts": facts or {},
        "errors": errors,
        "error_paths": {e.path for e in errors},
        "client_ref": uuid.uuid4().hex,
        "limits": wf.settings(),
    }
    return render(request, "policy_applications.html", page_context(request, context), status_code=status_code)


@router.get("/applications")
def my_applications(request: Request, identity: PageIdentity, platform: PlatformDep, benefit: str = "") -> Response:
    if identity.principal.role is not Role.ENTERPRISE:
        return RedirectResponse("/policy/review", status_code=303)
    return _my_page(request, platform, identity, benefit)


async def _checked_form(request: Request, identity: Identity) -> tuple[FormData, list[NewAttachment]]:
    """A multipart form with files, after its CSRF token is checked; the spooled files are always
    closed. The chosen files are read (an empty file input sends a nameless part: skipped), a
    file over the limit only one byte past it, so the service refuses it without holding it all."""
    data = await request.form()
    limit = wf.settings().max_bytes
    try:
        require_csrf(request, identity, str(data.get("csrf_token", "")))
        files = []
        for item in data.getlist("attachments"):
            if isinstance(item, UploadFile) and item.filename:
                files.append(NewAttachment(item.filename, await item.read(limit + 1)))
    finally:
        await data.close()
    return data, files


def _facts(data: FormData) -> dict[str, str]:
    return {
        key[len(FACT_PREFIX) :]: str(value).strip()
        for key, value in data.multi_items()
        if key.startswith(FACT_PREFIX) and isinstance(value, str)
    }


@router.post("/applications")
async def apply(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data, files = await _checked_form(request, identity)
    benefit = str(data.get("benefit", ""))
    facts = _facts(data)

    def _apply() -> Application:
        with platform.uow() as uow:
            return aps.apply(
                uow,
                identity.principal,
                benefit_id=benefit,
                facts=facts,
                attachments=files,
                client_ref=str(data.get("client_ref", "")) or None,
                calendar=platform.calendar,
            )

    try:
        app = await run_in_threadpool(_apply)
    except (ValidationFailed, Conflict) as refused:
        errors = (
            refused.errors
            if isinstance(refused, ValidationFailed)
            else [FieldError("benefit_id", refused.code, refused.message)]
        )
        status = 422 if isinstance(refused, ValidationFailed) else 409
        return await run_in_threadpool(
            lambda: _my_page(request, platform, identity, benefit, facts=facts, errors=errors, status_code=status)
        )
    return RedirectResponse(f"/policy/applications/{app.ref}", status_code=303)


# --- one application: every step, and the actions the viewer may take ---------------------------


def _actions(app: Application, principal: Principal) -> dict[str, bool]:
    role = principal.role
    reviewer = (
        (Role.DISTRICT_OFFICER if app.has_district else Role.CITY_ADMIN)
        if app.status is Status.SUBMITTED
        else Role.CITY_ADMIN
    )
    return {
        "review": app.status in REVIEWABLE and role is reviewer,
        "approve": app.status is Status.PUBLICISED and role is Role.CITY_ADMIN,
        "disburse": app.status is Status.APPROVED and role is Role.CITY_ADMIN,
        "resubmit": app.status is Status.RETURNED and role is Role.ENTERPRISE,
        "withdraw": app.status in WITHDRAWABLE and role is Role.ENTERPRISE,
    }


def _detail(
    request: Request,
    platform: Platform,
    identity: Identity,
    ref: str,
    *,
    errors: list[FieldError] | None = None,
    refusal: str = "",
    refusal_code: str = "",
    facts: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    principal = identity.principal
    with platform.uow(read_only=True) as uow:
        app = aps.get(uow, principal, ref)
    benefit = policy_catalog().benefits.get(app.benefit)
    quote = dict(app.quote)
    errors = errors or []
    context: dict[str, Any] = {
        "app": app,
        "benefit": benefit,
        "quote": quote,
        "steps": trace_lines(
            locale(request), quote.get("trace", []), quote.get("amount_unknown"), quote.get("unmet", [])
        ),
        "can": _actions(app, principal),
        "today": today(platform),
        "facts": facts if facts is not None else {k: str(v) for k, v in app.facts.items()},
        "errors": errors,
        "error_paths": {e.path for e in errors},
        "refusal": refusal,
        # a Chinese headline for the refusals the workflow names; the sentence after it gives the figures
        "refusal_headline": f"pol.refusal.{refusal_code}" if f"pol.refusal.{refusal_code}" in REFUSAL_KEYS else "",
        "limits": wf.settings(),
        "flow": [Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.APPROVED, Status.DISBURSED],
    }
    return render(request, "policy_application.html", page_context(request, context), status_code=status_code)


@router.get("/applications/{ref}")
def application_page(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    return _detail(request, platform, identity, ref)


@router.get("/applications/{ref}/attachments/{attachment_id}")
def attachment(ref: str, attachment_id: int, identity: PageIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        info, content = aps.attachment(uow, identity.principal, ref, attachment_id)
    return attachment_response(info.name, content)


async def _act(
    request: Request, platform: Platform, identity: Identity, ref: str, data: FormData, action: Any
) -> Response:
    """Run one workflow action; a refusal re-renders the application with the reason in place."""
    require_csrf(request, identity, str(data.get("csrf_token", "")))
    try:
        await run_in_threadpool(action)
    except ValidationFailed as invalid:
        refused = invalid.errors
        facts = _facts(data) or None
        return await run_in_threadpool(
            lambda: _detail(request, platform, identity, ref, errors=refused, facts=facts, status_code=422)
        )
    except Conflict as conflict:
        message, code = conflict.message, conflict.code
        return await run_in_threadpool(
            lambda: _detail(request, platform, identity, ref, refusal=message, refusal_code=code, status_code=409)
        )
    return RedirectResponse(f"/policy/applications/{ref}", status_code=303)


@router.post("/applications/{ref}/review")
async def review(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data = await request.form()

    def _run() -> None:
        with platform.uow() as uow:
            aps.review(
                uow,
                identity.principal,
                ref,
                decision=str(data.get("decision", "")),
                reason=str(data.get("reason", "")),
                amount=str(data.get("amount", "")).strip() or None,
                calendar=platform.calendar,
            )

    return await _act(request, platform, identity, ref, data, _run)


@router.post("/applications/{ref}/approve")
async def approve(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data = await request.form()

    def _run() -> None:
        with platform.uow() as uow:
            aps.approve(
                uow,
                identity.principal,
                ref,
                threshold=platform.settings.reconcile_threshold,
                calendar=platform.calendar,
            )

    return await _act(request, platform, identity, ref, data, _run)


@router.post("/applications/{ref}/disburse")
async def disburse(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data = await request.form()
    text = str(data.get("paid_on", "")).strip()

    def _run() -> None:
        try:
            paid_on = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(
                [FieldError("paid_on", "date.invalid", f"{text!r} is not a date", "YYYY-MM-DD")]
            ) from None
        with platform.uow() as uow:
            aps.disburse(uow, identity.principal, ref, voucher=str(data.get("voucher", "")), paid_on=paid_on)

    return await _act(request, platform, identity, ref, data, _run)


@router.post("/applications/{ref}/resubmit")
async def resubmit(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data, files = await _checked_form(request, identity)
    facts = _facts(data)

    def _run() -> None:
        with platform.uow() as uow:
            aps.resubmit(uow, identity.principal, ref, facts=facts, attachments=files, calendar=platform.calendar)

    return await _act(request, platform, identity, ref, data, _run)


@router.post("/applications/{ref}/withdraw")
async def withdraw(ref: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    data = await request.form()

    def _run() -> None:
        with platform.uow() as uow:
            aps.withdraw(uow, identity.principal, ref, reason=str(data.get("reason", "")))

    return await _act(request, platform, identity, ref, data, _run)


# --- the reviewers' queue ------------------------------------------------------------------------


@router.get("/review")
def review_queue(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    status: str = "",
    proposed: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    principal = identity.principal
    if principal.role is Role.ENTERPRISE:
        return RedirectResponse("/policy/applications", status_code=303)
    with platform.uow(read_only=True) as uow:
        waiting = aps.queue(uow, principal)
        late = aps.overdue(uow, principal)
        listed = aps.applications(uow, principal, status=status or None)
    context: dict[str, Any] = {
        "waiting": waiting,
        "late": late,
        "listed": list(reversed(listed)),
        "status": status,
        "statuses": list(Status),
        "today": today(platform),
        "proposed": proposed,
    }
    return render(request, "policy_review.html", page_context(request, context))
