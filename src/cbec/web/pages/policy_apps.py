"""Policy cash-out pages behind sign-in: an enterprise's applications (apply with facts and files,
every step with its events and due dates, correct after a return, withdraw); the review queues of
the district officer and the city administrator (pass / return / reject, approve after the
notice, the anti-fraud gate's result when approval is blocked, disbursement); the budget with a
simulation; and 政策找企业, the benefits each enterprise likely qualifies for."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from cbec.bootstrap import Platform
from cbec.identity.model import Principal, Role
from cbec.kernel.errors import Conflict, FieldError, ValidationFailed
from cbec.policy import application_services as aps
from cbec.policy import match_services as ms
from cbec.policy import workflow as wf
from cbec.policy.matching import Match
from cbec.policy.model import Benefit, Recipient
from cbec.policy.simulation import Simulation
from cbec.policy.workflow import Application, NewAttachment, Status
from cbec.stats.refresh import open_lines
from cbec.web.api.policy import attachment_response, policy_catalog, today
from cbec.web.deps import Identity, PageIdentity, PlatformDep, locale, require_csrf
from cbec.web.pages.policy import FACT_PREFIX, helpers, trace_lines
from cbec.web.templating import render

router = APIRouter(prefix="/policy")
REVIEWERS = (Role.DISTRICT_OFFICER, Role.CITY_ADMIN, Role.AUDITOR)
MATCHES_PER_PAGE = 25
REVIEWABLE = (Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED)
WITHDRAWABLE = (Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.RETURNED)


def _context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    paths = context.get("error_paths", set())
    files_invalid = any(p.startswith("attachments") for p in paths)
    return context | helpers(locale(request)) | {"files_invalid": files_invalid}


def _year(platform: Platform, year: int | None) -> int:
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
    return render(request, "policy_applications.html", _context(request, context), status_code=status_code)


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
        "limits": wf.settings(),
        "flow": [Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.APPROVED, Status.DISBURSED],
    }
    return render(request, "policy_application.html", _context(request, context), status_code=status_code)


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
        message = conflict.message
        return await run_in_threadpool(
            lambda: _detail(request, platform, identity, ref, refusal=message, status_code=409)
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
    return render(request, "policy_review.html", _context(request, context))


# --- the budget and its simulation ---------------------------------------------------------------


def _parameters(principal: Principal, year: int) -> list[tuple[str, str, str]]:
    """(id, unit, benefit title) of the parameters a simulation may change: the city's benefits."""
    cities = wf.settings().cities
    day = date(year, 12, 31)
    seen: dict[str, tuple[str, str, str]] = {}
    for b in policy_catalog().benefits.values():
        if cities.get(b.document.city) != principal.city_code or b.recipient is not Recipient.ENTERPRISE:
            continue
        for p in b.parameters:
            if p.id not in seen and p.at(day) is not None:
                seen[p.id] = (p.id, p.unit, b.title)
    return list(seen.values())


def _share(part: object, whole: object) -> str:
    """A pool's committed share as a percentage to one decimal ("5.7%"), or "" without a total."""
    if part is None or whole is None or Decimal(str(whole)) == 0:
        return ""
    percent = Decimal(str(part)) * 100 / Decimal(str(whole))
    return f"{percent.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


@router.get("/budget")
def budget_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    parameter: str = "",
    value: str = "",
) -> Response:
    principal = identity.principal
    chosen = _year(platform, year)
    with platform.uow(read_only=True) as uow:
        found = aps.budget(uow, principal, year=chosen)
    simulation: Simulation | None = None
    errors: list[FieldError] = []
    if parameter.strip():
        try:
            with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
                simulation = ms.simulate_budget(
                    uow,
                    principal,
                    lines,
                    platform.districts,
                    year=chosen,
                    overrides={parameter.strip(): value.strip()},
                    catalog=policy_catalog(),
                )
        except ValidationFailed as invalid:
            errors = invalid.errors
    context: dict[str, Any] = {
        "year": chosen,
        "budget": found,
        "use": {str(p["id"]): _share(p.get("committed"), p.get("total")) for p in found.pools},
        "parameters": _parameters(principal, chosen),
        "parameter": parameter,
        "value": value,
        "simulation": simulation,
        "errors": errors,
        "titles": {b.id: b.title for b in policy_catalog().benefits.values()},
    }
    return render(request, "policy_budget.html", _context(request, context), status_code=422 if errors else 200)


@dataclass(frozen=True)
class MatchRow:
    item: ms.EnterpriseMatches
    qualifies: list[Match]
    missing: list[Match]


# --- 政策找企业 ------------------------------------------------------------------------------------


@router.post("/matches/propose")
async def propose_matches(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    """免申即享 from the matches page: propose what the platform's data supports, then show the queue."""
    data = await request.form()
    require_csrf(request, identity, str(data.get("csrf_token", "")))
    year = _year(platform, int(str(data.get("year", ""))) if str(data.get("year", "")).isdigit() else None)

    def _run() -> int:
        with open_lines(platform) as lines, platform.uow() as uow:
            created = ms.propose_in_scope(
                uow, identity.principal, lines, platform.districts, year=year, catalog=policy_catalog()
            )
        return len(created)

    created = await run_in_threadpool(_run)
    return RedirectResponse(f"/policy/review?proposed={created}", status_code=303)


@router.get("/matches")
def matches_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    only: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    principal = identity.principal
    chosen = _year(platform, year)
    with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
        found = ms.match_enterprises(uow, principal, lines, platform.districts, year=chosen, catalog=policy_catalog())
    rows: list[MatchRow] = []
    for item in found:
        qualifies = [m for m in item.matches if m.status == "qualifies"]
        missing = [m for m in item.matches if m.status == "evidence_missing"]
        if only == "proposable" and not any(m.proposable for m in qualifies):
            continue
        if only == "qualifies" and not qualifies:
            continue
        rows.append(MatchRow(item, qualifies, missing))
    rows.sort(key=lambda r: (-len(r.qualifies), r.item.enterprise.id))
    start = (page - 1) * MATCHES_PER_PAGE
    context: dict[str, Any] = {
        "year": chosen,
        "only": only,
        "rows": rows[start : start + MATCHES_PER_PAGE],
        "total": len(rows),
        "page": page,
        "pages": max(1, -(-len(rows) // MATCHES_PER_PAGE)),
        "proposable": sum(1 for r in rows for m in r.qualifies if m.proposable),
    }
    return render(request, "policy_matches.html", _context(request, context))
