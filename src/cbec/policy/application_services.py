"""Benefit application use cases (政策兑现): apply, review, approve, disburse, and the reads.

Each write is one transaction: it takes the audit head lock first (as every writer does, so
writers queue and lock rows in one order), re-reads the application under it, checks the step
(:mod:`cbec.policy.workflow`), stores the change with its event, audits it and commits. A refused
write raises before commit and stores nothing — with one deliberate exception: an approval the
anti-fraud gate refuses keeps the gate's result on the application, so reviewers see why.

The same request twice changes nothing: ``apply`` with a known ``client_ref`` (or the same facts
while the first application is still open) returns the stored application; a review, approval,
disbursement, resubmission or withdrawal repeated by the same user after it took effect returns
the application as it is.

Awards (:mod:`cbec.policy.awards`) are bound by the caps across the enterprise's applications
and by the benefit's pool; both are debited with conditional UPDATEs in storage, so concurrent
approvals can never overspend a pool or a cap. Approval and disbursement live in
:mod:`cbec.policy.application_approval`, the reads in :mod:`cbec.policy.application_queries`;
both are re-exported here, so callers import one module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from cbec.audit.services import record
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cbec.kernel.workdays import WorkdayCalendar
from cbec.policy import workflow as wf
from cbec.policy.application_approval import DEFAULT_THRESHOLD, approve, disburse
from cbec.policy.application_queries import (
    Budget,
    applications,
    attachment,
    budget,
    calendar_or_default,
    get,
    load,
    overdue,
    queue,
    stamp,
)
from cbec.policy.application_steps import (
    SUBJECT,
    benefit_for,
    checked_files,
    client_key,
    commit_and_reload,
    enterprise_in_scope,
    event_for,
    parse_facts,
    quote_facts,
    reason_text,
    repeated,
    save,
)
from cbec.policy.engine import parse_decimal
from cbec.policy.model import Benefit
from cbec.policy.workflow import Action, Application, NewAttachment, Origin, Status
from cbec.registry.model import Enterprise

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "DEFAULT_THRESHOLD",
    "Budget",
    "NewAttachment",
    "applications",
    "apply",
    "approve",
    "attachment",
    "budget",
    "disburse",
    "get",
    "overdue",
    "propose",
    "queue",
    "resubmit",
    "review",
    "withdraw",
]


# --- apply and propose --------------------------------------------------------------------------


def apply(
    uow: SqlUnitOfWork,
    principal: Principal,
    *,
    benefit_id: str,
    facts: Mapping[str, str],
    attachments: Sequence[NewAttachment] = (),
    on: date | None = None,
    enterprise_id: int | None = None,
    client_ref: str | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Application:
    """An enterprise applies for a benefit with its declared facts and attachments."""
    if principal.role not in (None, Role.ENTERPRISE):
        raise PermissionDenied("applications are made by the enterprise itself (an enterprise user) or the system")
    if principal.role is Role.ENTERPRISE:
        if enterprise_id not in (None, principal.enterprise_id):
            raise PermissionDenied(f"you may apply only for your own enterprise {principal.enterprise_id}")
        enterprise_id = principal.enterprise_id
    if enterprise_id is None:
        raise ValidationFailed([FieldError("enterprise_id", "policy.enterprise_required", "say which enterprise")])
    key = client_key(client_ref)
    enterprise = enterprise_in_scope(uow, principal, enterprise_id)
    benefit = benefit_for(benefit_id, enterprise)
    parsed = parse_facts(facts)
    day = on or business_date(uow.clock)
    files = checked_files(attachments, 0)
    found = quote_facts(benefit, parsed, day)
    uow.audit.lock()
    if key is not None:
        existing = uow.policy.by_client_ref(enterprise.id, key)
        if existing is not None:
            if existing.benefit != benefit.id or dict(existing.facts) != parsed:
                raise Conflict(
                    f"client_ref {key!r} was used for {existing.ref} ({existing.benefit}) with other facts; "
                    "use a new client_ref for a new application",
                    code="policy.client_ref_reused",
                )
            return stamp(uow, existing)
    else:
        same = uow.policy.open_same(enterprise.id, benefit.id, day.year, parsed, Origin.APPLICATION)
        if same is not None and not files:
            return stamp(uow, same)
    return _create(
        uow, principal, enterprise, benefit, parsed, found, day, Origin.APPLICATION, {}, files, key, calendar
    )


def propose(
    uow: SqlUnitOfWork,
    *,
    enterprise_id: int,
    benefit_id: str,
    facts: Mapping[str, str | Decimal],
    on: date,
    evidence: Mapping[str, str],
    calendar: WorkdayCalendar | None = None,
) -> Application:
    """免申即享: the system proposes an award from platform data; it enters the district review
    with no applicant action. The same proposal again returns the open one."""
    enterprise = enterprise_in_scope(uow, SYSTEM, enterprise_id)
    benefit = benefit_for(benefit_id, enterprise)
    parsed = parse_facts({k: str(v) for k, v in facts.items()})
    found = quote_facts(benefit, parsed, on)
    uow.audit.lock()
    same = uow.policy.open_same(enterprise.id, benefit.id, on.year, parsed, Origin.PROPOSED)
    if same is not None:
        return stamp(uow, same)
    return _create(uow, SYSTEM, enterprise, benefit, parsed, found, on, Origin.PROPOSED, evidence, [], None, calendar)


def _create(
    uow: SqlUnitOfWork,
    principal: Principal,
    enterprise: Enterprise,
    benefit: Benefit,
    facts: dict[str, Decimal],
    found: Mapping[str, object],
    day: date,
    origin: Origin,
    evidence: Mapping[str, str],
    files: Sequence[NewAttachment],
    key: str | None,
    calendar: WorkdayCalendar | None,
) -> Application:
    now = uow.clock.now()
    due, _ = wf.due_dates(Status.SUBMITTED, business_date(uow.clock), calendar_or_default(calendar), wf.settings().sla)
    amount = found["amount"]
    draft = Application(
        id=0,
        ref="",
        benefit=benefit.id,
        document=benefit.document.id,
        clause=benefit.clause,
        title=benefit.title,
        enterprise_id=enterprise.id,
        enterprise_name=enterprise.name,
        credit_code=enterprise.uscc,
        city_code=enterprise.city_code,
        district_code=enterprise.district_code,
        year=day.year,
        on=day,
        origin=origin,
        status=Status.SUBMITTED,
        facts=facts,
        quote=found,
        amount_quoted=None if amount is None else Decimal(str(amount)),
        version=1,
        created_at=now,
        updated_at=now,
        pool=benefit.pool.id if benefit.pool else None,
        due_on=due,
        evidence=dict(evidence),
        client_ref=key,
    )
    stored = uow.policy.add(draft)
    for item in files:
        uow.policy.add_attachment(stored.id, item.name, item.content, hashlib.sha256(item.content).hexdigest(), now)
    data = {"amount_quoted": None if amount is None else str(amount), "attachments": len(files)}
    action = Action.APPLY if origin is Origin.APPLICATION else Action.PROPOSE
    uow.policy.add_event(stored.id, event_for(uow, principal, action, None, Status.SUBMITTED, "", data))
    record(
        uow,
        principal,
        f"policy.{action.value}",
        SUBJECT,
        stored.ref,
        after=stored.snapshot(),
        city_code=stored.city_code,
    )
    return commit_and_reload(uow, stored.id)


# --- the applicant ------------------------------------------------------------------------------


def resubmit(
    uow: SqlUnitOfWork,
    principal: Principal,
    ref: str,
    *,
    facts: Mapping[str, str],
    attachments: Sequence[NewAttachment] = (),
    calendar: WorkdayCalendar | None = None,
) -> Application:
    """The applicant corrects a returned application; it goes back to the step that returned it."""
    parsed = parse_facts(facts)
    uow.audit.lock()
    app = load(uow, principal, ref)
    if repeated(app, principal, Action.RESUBMIT, "") and dict(app.facts) == parsed and not attachments:
        return stamp(uow, app)
    move = wf.transition(
        app.status, Action.RESUBMIT, principal.role, has_district=app.has_district, returned_from=app.returned_from
    )
    benefit = benefit_for(app.benefit, None)
    files = checked_files(attachments, len(app.attachments))
    found = quote_facts(benefit, parsed, app.on)
    amount = found["amount"]
    quoted = None if amount is None else Decimal(str(amount))
    # A lower amount set by a step that is not repeated stays, unless the correction undercuts it.
    reviewed = app.amount_reviewed if quoted is None or (app.amount_reviewed or 0) <= quoted else None
    due, ends = wf.due_dates(move.to, business_date(uow.clock), calendar_or_default(calendar), wf.settings().sla)
    changed = replace(
        app,
        status=move.to,
        returned_from=None,
        facts=parsed,
        quote=found,
        amount_quoted=quoted,
        amount_reviewed=reviewed,
        due_on=due,
        notice_ends=ends if move.to is Status.PUBLICISED else app.notice_ends,
    )
    now = uow.clock.now()
    for item in files:
        uow.policy.add_attachment(app.id, item.name, item.content, hashlib.sha256(item.content).hexdigest(), now)
    data = {"resumes_at": app.returned_from.value if app.returned_from else None, "attachments": len(files)}
    return save(uow, principal, app, changed, Action.RESUBMIT, "", data)


def withdraw(uow: SqlUnitOfWork, principal: Principal, ref: str, *, reason: str) -> Application:
    """The applicant withdraws an application before approval (final)."""
    text = reason_text(reason, required=True)
    uow.audit.lock()
    app = load(uow, principal, ref)
    if repeated(app, principal, Action.WITHDRAW, text):
        return stamp(uow, app)
    move = wf.transition(app.status, Action.WITHDRAW, principal.role, has_district=app.has_district)
    changed = replace(app, status=move.to, due_on=None)
    return save(uow, principal, app, changed, Action.WITHDRAW, text, {})


# --- reviewers ----------------------------------------------------------------------------------


def review(
    uow: SqlUnitOfWork,
    principal: Principal,
    ref: str,
    *,
    decision: str,
    reason: str = "",
    amount: str | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Application:
    """District pre-review, city review, or an objection during the notice (``return``)."""
    try:
        action = Action(decision)
    except ValueError:
        action = Action.APPLY
    if action not in wf.REVIEW_DECISIONS:
        raise ValidationFailed(
            [FieldError("decision", "policy.decision", f"decision {decision!r} is not pass, return or reject")]
        )
    text = reason_text(reason, required=action is not Action.PASS)
    lower = None if amount is None or not amount.strip() else parse_decimal(amount, "amount")
    if lower is not None and action is not Action.PASS:
        raise ValidationFailed([FieldError("amount", "policy.amount_only_on_pass", "an amount goes with pass only")])
    uow.audit.lock()
    app = load(uow, principal, ref)
    try:
        move = wf.transition(app.status, action, principal.role, has_district=app.has_district)
    except (Conflict, PermissionDenied):
        if repeated(app, principal, action, text):
            return stamp(uow, app)
        raise
    benefit = benefit_for(app.benefit, None)
    reviewed = _reviewed_amount(app, benefit, lower)
    if move.to is Status.PUBLICISED and (reviewed or app.amount_quoted) is None:
        raise ValidationFailed(
            [
                FieldError(
                    "amount",
                    "policy.amount_required",
                    "the clause sets no amount; the city review sets it",
                    "pass with --amount, in CNY",
                )
            ]
        )
    due, ends = wf.due_dates(move.to, business_date(uow.clock), calendar_or_default(calendar), wf.settings().sla)
    changed = replace(
        app,
        status=move.to,
        returned_from=move.returned_from,
        amount_reviewed=reviewed,
        due_on=due,
        notice_ends=ends if move.to is Status.PUBLICISED else app.notice_ends,
    )
    data = {"amount_reviewed": str(reviewed)} if lower is not None else {}
    return save(uow, principal, app, changed, action, text, data)


def _reviewed_amount(app: Application, benefit: Benefit, lower: Decimal | None) -> Decimal | None:
    if lower is None:
        return app.amount_reviewed
    rounded = benefit.rounding.apply(lower)
    ceiling = app.amount_reviewed if app.amount_reviewed is not None else app.amount_quoted
    if rounded <= 0 or (ceiling is not None and rounded > ceiling):
        raise ValidationFailed(
            [
                FieldError(
                    "amount",
                    "policy.amount_range",
                    f"the amount must be above 0 and at most {ceiling}, got {rounded}",
                    "a review may lower the amount, never raise it",
                )
            ]
        )
    return rounded
