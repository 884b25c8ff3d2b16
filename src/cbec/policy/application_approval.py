"""Approval and disbursement of benefit applications (政策兑现).

Approval runs, in this order: the notice period must be over; the anti-fraud gate for
trade-based benefits (:mod:`cbec.policy.gate`; a failure is stored on the application and
refuses); the frequency and the caps across the enterprise's awards and the benefit's pool
(:mod:`cbec.policy.awards`); then the debits in the database, each one conditional UPDATE, so two
approvals committing at once can never overspend a pool or a cap. Every other refusal raises
``Conflict`` saying why and stores nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from cbec.audit.services import record
from cbec.identity.model import Principal
from cbec.kernel.clock import SHANGHAI, business_date
from cbec.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cbec.kernel.workdays import WorkdayCalendar
from cbec.policy import awards
from cbec.policy import workflow as wf
from cbec.policy.application_queries import calendar_or_default, load, stamp
from cbec.policy.application_steps import SUBJECT, benefit_for, repeated, save
from cbec.policy.model import Benefit
from cbec.policy.workflow import Action, Application, Status

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["DEFAULT_THRESHOLD", "approve", "disburse"]

DEFAULT_THRESHOLD = Decimal("0.05")  # Settings.reconcile_threshold's default; entry points pass theirs


def approve(
    uow: SqlUnitOfWork,
    principal: Principal,
    ref: str,
    *,
    threshold: Decimal = DEFAULT_THRESHOLD,
    calendar: WorkdayCalendar | None = None,
) -> Application:
    """Award after the notice period: gate (trade-based benefits), frequency, caps, then the pool.
    A refusal raises Conflict saying why and stores nothing (the gate's result excepted)."""
    uow.audit.lock()
    app = load(uow, principal, ref)
    try:
        wf.transition(app.status, Action.APPROVE, principal.role, has_district=app.has_district)
    except (Conflict, PermissionDenied):
        if repeated(app, principal, Action.APPROVE, ""):
            return stamp(uow, app)
        raise
    today = business_date(uow.clock)
    if app.notice_ends is not None and today <= app.notice_ends:
        raise Conflict(
            f"{app.ref} is publicised (公示) until {app.notice_ends.isoformat()}; approve it after that day",
            code="policy.notice_running",
        )
    benefit = benefit_for(app.benefit, None)
    gate_result = _gate(uow, principal, app, benefit, threshold) if benefit.trade_based else None
    requested = app.amount_reviewed if app.amount_reviewed is not None else app.amount_quoted
    if requested is None:
        raise Conflict(f"{app.ref} has no amount to award; return it to the city review", code="policy.no_amount")
    committed = None
    if benefit.pool is not None:
        total = awards.pool_total(benefit, app.on)
        if isinstance(total, Decimal):
            uow.policy.ensure_pool(benefit.pool.id, total, uow.clock.now())
            row = uow.policy.pool(benefit.pool.id)
            committed = row[1] if row is not None else None
    prior = uow.policy.prior_awards(app.enterprise_id, app.benefit, app.id)
    outcome = awards.grant(benefit, requested, on=app.on, year=app.year, prior=prior, pool_committed=committed)
    if isinstance(outcome, awards.Refusal):
        raise Conflict(f"{app.ref} cannot be approved: {outcome.message}", code=outcome.code)
    _debit(uow, app, outcome)
    due, _ = wf.due_dates(Status.APPROVED, today, calendar_or_default(calendar), wf.settings().sla)
    changed = replace(
        app,
        status=Status.APPROVED,
        amount_awarded=outcome.amount,
        capped_by=outcome.capped_by,
        split=outcome.split,
        due_on=due,
        gate=gate_result if gate_result is not None else app.gate,
    )
    return save(uow, principal, app, changed, Action.APPROVE, "", outcome.as_dict())


def _debit(uow: SqlUnitOfWork, app: Application, outcome: awards.Grant) -> None:
    """Debit caps and pool in the database; a failed conditional UPDATE is a refusal (rolled back)."""
    for use in outcome.caps:
        if not uow.policy.debit_cap(use.cap, app.enterprise_id, use.period, use.limit, use.debit):
            used = uow.policy.cap_used(use.cap, app.enterprise_id, use.period)
            raise Conflict(
                f"{app.ref} cannot be approved: cap {use.cap} has {use.limit - used} left for enterprise "
                f"{app.enterprise_id} ({use.period}); this award needs {use.debit}",
                code="award.cap_used_up",
            )
    if outcome.pool is not None and not uow.policy.debit_pool(outcome.pool.pool, outcome.amount, uow.clock.now()):
        total, committed = uow.policy.pool(outcome.pool.pool) or (Decimal(0), Decimal(0))
        message = awards.pool_message(outcome.pool.pool, total - committed, outcome.amount)
        raise Conflict(f"{app.ref} cannot be approved: {message}", code="award.pool_exhausted")


def _gate(
    uow: SqlUnitOfWork, principal: Principal, app: Application, benefit: Benefit, threshold: Decimal
) -> dict[str, object]:
    """Run the anti-fraud gate; a failure is stored on the application (and audited) and refuses."""
    from cbec.policy import gate  # imported here: the gate is optional to load this module

    result = gate.check(
        uow, benefit=benefit, enterprise_id=app.enterprise_id, facts=app.facts, year=app.year, threshold=threshold
    )
    found: dict[str, object] = result.as_dict()
    if result.passed:
        return found
    refused = replace(app, gate=found, version=app.version + 1, updated_at=uow.clock.now())
    uow.policy.update(refused)
    record(
        uow,
        principal,
        "policy.approve_refused",
        SUBJECT,
        app.ref,
        before=app.snapshot(),
        after=refused.snapshot() | {"gate": found},
        city_code=app.city_code,
    )
    uow.commit()
    raise Conflict(
        f"{app.ref} cannot be approved: the anti-fraud gate failed: {'; '.join(result.reasons)}",
        code="policy.gate_failed",
    )


def disburse(uow: SqlUnitOfWork, principal: Principal, ref: str, *, voucher: str, paid_on: date) -> Application:
    """Record the payment (拨付) of an approved award: the payment voucher and the date paid."""
    text = voucher.strip()
    if not text or len(text) > 100:
        raise ValidationFailed(
            [FieldError("voucher", "policy.voucher", "give the payment voucher number, 1 to 100 characters")]
        )
    today = business_date(uow.clock)
    if paid_on > today:
        raise ValidationFailed(
            [
                FieldError(
                    "paid_on",
                    "policy.paid_in_future",
                    f"paid_on {paid_on} is after today ({today})",
                    "record a payment once it is made",
                )
            ]
        )
    uow.audit.lock()
    app = load(uow, principal, ref)
    try:
        wf.transition(app.status, Action.DISBURSE, principal.role, has_district=app.has_district)
    except (Conflict, PermissionDenied):
        if repeated(app, principal, Action.DISBURSE, "") and app.voucher == text and app.paid_on == paid_on:
            return stamp(uow, app)
        raise
    approvals = [e.at.astimezone(SHANGHAI).date() for e in app.events if e.action == Action.APPROVE.value]
    approved_on = approvals[-1] if approvals else None
    if approved_on is not None and paid_on < approved_on:
        raise ValidationFailed(
            [
                FieldError(
                    "paid_on",
                    "policy.paid_before_approval",
                    f"paid_on {paid_on} is before the approval ({approved_on})",
                )
            ]
        )
    changed = replace(app, status=Status.DISBURSED, voucher=text, paid_on=paid_on, due_on=None)
    return save(uow, principal, app, changed, Action.DISBURSE, "", {"voucher": text, "paid_on": paid_on.isoformat()})
