"""The benefit application workflow (政策兑现) as a pure state machine, with its time limits.

    submitted ──pass──▶ district_passed ──pass──▶ publicised ──approve──▶ approved ──disburse──▶ disbursed
        │                    │                     │ (公示 until notice_ends; approve after it)
        └──return / reject───┴──return / reject────┘──▶ returned (补正) ──resubmit──▶ the returning step
    withdraw (the applicant, before approval) ──▶ withdrawn

One review chain: a return remembers the step that returned it, and the corrected application
goes straight back to that step, so steps already passed are not repeated. An objection during
the notice period is the city's ``return`` at the ``notice`` step; the corrected application is
publicised again (a new notice period) rather than reviewed again.

Who acts: the district pre-review is the district officer's of the enterprise's district (the
city administrator's when the enterprise has none); city review, objection, approval and
disbursement are the city administrator's; the applicant resubmits and withdraws. The system
principal may act at every step (maintenance, seeding); read-only roles never act.

Time limits are working days from ``data/workflow.toml`` on the State Council calendar.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from cbec.identity.model import Role
from cbec.kernel.errors import Conflict, PermissionDenied
from cbec.kernel.workdays import WorkdayCalendar

__all__ = [
    "Action",
    "Application",
    "AttachmentInfo",
    "Event",
    "Move",
    "NewAttachment",
    "Origin",
    "Settings",
    "Status",
    "Step",
    "add_workdays",
    "due_dates",
    "settings",
    "transition",
]


class Status(enum.StrEnum):
    SUBMITTED = "submitted"  # awaiting the district pre-review (区县预审)
    DISTRICT_PASSED = "district_passed"  # awaiting the city review (市级审核)
    PUBLICISED = "publicised"  # 公示 until notice_ends, then awaiting approval
    APPROVED = "approved"  # awarded; awaiting disbursement (拨付)
    DISBURSED = "disbursed"
    RETURNED = "returned"  # awaiting the applicant's correction (补正)
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


FINAL = frozenset({Status.DISBURSED, Status.REJECTED, Status.WITHDRAWN})
AWARDED = frozenset({Status.APPROVED, Status.DISBURSED})


class Step(enum.StrEnum):
    """What an application waits for; also where a returned application goes back to."""

    DISTRICT_REVIEW = "district_review"
    CITY_REVIEW = "city_review"
    NOTICE = "notice"
    DISBURSEMENT = "disbursement"
    CORRECTION = "correction"


STEP_OF: Mapping[Status, Step] = {
    Status.SUBMITTED: Step.DISTRICT_REVIEW,
    Status.DISTRICT_PASSED: Step.CITY_REVIEW,
    Status.PUBLICISED: Step.NOTICE,
    Status.APPROVED: Step.DISBURSEMENT,
    Status.RETURNED: Step.CORRECTION,
}
RESUMES_AT: Mapping[Step, Status] = {
    Step.DISTRICT_REVIEW: Status.SUBMITTED,
    Step.CITY_REVIEW: Status.DISTRICT_PASSED,
    Step.NOTICE: Status.PUBLICISED,
}


class Origin(enum.StrEnum):
    APPLICATION = "application"  # the enterprise applied
    PROPOSED = "proposed"  # 免申即享: created by matching from platform data


class Action(enum.StrEnum):
    APPLY = "apply"
    PROPOSE = "propose"
    PASS = "pass"  # noqa: S105 - a review decision, not a password
    RETURN = "return"
    REJECT = "reject"
    APPROVE = "approve"
    DISBURSE = "disburse"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"


REVIEW_DECISIONS = (Action.PASS, Action.RETURN, Action.REJECT)


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    sla: Mapping[str, int]  # working days per step (and "approval")
    max_bytes: int
    max_count: int
    max_name: int
    cities: Mapping[str, str]  # document city name -> city code


@cache
def settings() -> Settings:
    text = resources.files("cbec.policy").joinpath("data", "workflow.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    sla = {str(k): int(v) for k, v in raw["sla"].items()}
    missing = {"district_review", "city_review", "notice", "approval", "disbursement", "correction"} - set(sla)
    if missing:  # a broken data file must fail loudly, not give applications no due date
        raise ValueError(f"policy/data/workflow.toml [sla] lacks {', '.join(sorted(missing))}")
    files = raw["attachments"]
    return Settings(sla, int(files["max_bytes"]), int(files["max_count"]), int(files["max_name"]), dict(raw["cities"]))


# --- time limits --------------------------------------------------------------------------------


def add_workdays(calendar: WorkdayCalendar, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    for _ in range(days):
        day = calendar.next_workday(day + timedelta(days=1))
    return day


def due_dates(
    status: Status, started: date, calendar: WorkdayCalendar, sla: Mapping[str, int]
) -> tuple[date | None, date | None]:
    """(due_on, notice_ends) for an application that entered ``status`` on ``started``.

    A publicised application is due for approval ``approval`` working days after its notice
    period ends; the notice itself is nobody's task, so it cannot be overdue."""
    step = STEP_OF.get(status)
    if step is None:
        return None, None
    if step is Step.NOTICE:
        ends = add_workdays(calendar, started, sla["notice"])
        return add_workdays(calendar, ends, sla["approval"]), ends
    return add_workdays(calendar, started, sla[step.value]), None


# --- transitions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    to: Status
    returned_from: Step | None


def _role_name(role: Role | None) -> str:
    return "the system" if role is None else role.value


def _actors(status: Status, action: Action, has_district: bool) -> frozenset[Role]:
    if action in (Action.RESUBMIT, Action.WITHDRAW):
        return frozenset({Role.ENTERPRISE})
    if status is Status.SUBMITTED:
        return frozenset({Role.DISTRICT_OFFICER if has_district else Role.CITY_ADMIN})
    return frozenset({Role.CITY_ADMIN})


_ALLOWED: Mapping[Action, frozenset[Status]] = {
    Action.PASS: frozenset({Status.SUBMITTED, Status.DISTRICT_PASSED}),
    Action.RETURN: frozenset({Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED}),
    Action.REJECT: frozenset({Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED}),
    Action.APPROVE: frozenset({Status.PUBLICISED}),
    Action.DISBURSE: frozenset({Status.APPROVED}),
    Action.RESUBMIT: frozenset({Status.RETURNED}),
    Action.WITHDRAW: frozenset({Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.RETURNED}),
}


def transition(
    status: Status, action: Action, role: Role | None, *, has_district: bool, returned_from: Step | None = None
) -> Move:
    """Where ``action`` by ``role`` (None: the system) takes an application in ``status``.

    Raises Conflict when the status does not allow the action, PermissionDenied when the role may
    not take it at this step."""
    allowed = _ALLOWED.get(action)
    if allowed is None:
        raise Conflict(f"{action.value} is not a workflow step", code="policy.unknown_action")
    if status not in allowed:
        states = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(
            f"the application is {status.value}; {action.value} applies only to: {states}",
            code="policy.wrong_status",
        )
    actors = _actors(status, action, has_district)
    if role is not None and role not in actors:
        step = STEP_OF.get(status, Step.CORRECTION).value
        raise PermissionDenied(
            f"{action.value} at step {step} is for {' or '.join(sorted(r.value for r in actors))}, "
            f"not {_role_name(role)}"
        )
    if action is Action.PASS:
        return Move(Status.DISTRICT_PASSED if status is Status.SUBMITTED else Status.PUBLICISED, None)
    if action is Action.RETURN:
        return Move(Status.RETURNED, STEP_OF[status])
    if action is Action.REJECT:
        return Move(Status.REJECTED, None)
    if action is Action.APPROVE:
        return Move(Status.APPROVED, None)
    if action is Action.DISBURSE:
        return Move(Status.DISBURSED, None)
    if action is Action.WITHDRAW:
        return Move(Status.WITHDRAWN, returned_from if status is Status.RETURNED else None)
    if returned_from is None or returned_from not in RESUMES_AT:  # RESUBMIT
        raise Conflict("the application does not say which step returned it", code="policy.no_return_step")
    return Move(RESUMES_AT[returned_from], None)


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAttachment:
    """A file the applicant attaches (a contract, an invoice); stored as bytes with its SHA-256."""

    name: str
    content: bytes


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    name: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Event:
    at: datetime
    actor: str
    role: str  # the acting role, or "system"
    action: str
    from_status: str | None
    to_status: str
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            "reason": self.reason,
            "data": dict(self.data),
        }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Application:
    """One application (or proposal) for one benefit by one enterprise, with its whole history."""

    id: int
    ref: str
    benefit: str
    document: str
    clause: str
    title: str
    enterprise_id: int
    enterprise_name: str
    credit_code: str
    city_code: str
    district_code: str
    year: int
    on: date
    origin: Origin
    status: Status
    facts: Mapping[str, Decimal]
    quote: Mapping[str, Any]
    amount_quoted: Decimal | None
    version: int
    created_at: datetime
    updated_at: datetime
    returned_from: Step | None = None
    amount_reviewed: Decimal | None = None
    amount_awarded: Decimal | None = None
    capped_by: str | None = None
    split: Mapping[str, str | None] | None = None
    pool: str | None = None
    due_on: date | None = None
    notice_ends: date | None = None
    voucher: str | None = None
    paid_on: date | None = None
    gate: Mapping[str, Any] | None = None
    evidence: Mapping[str, str] = field(default_factory=dict)
    client_ref: str | None = None
    attachments: tuple[AttachmentInfo, ...] = ()
    events: tuple[Event, ...] = ()
    as_of: date | None = None  # the business date ``overdue`` is judged on (set by the services)

    @property
    def step(self) -> Step | None:
        return STEP_OF.get(self.status)

    @property
    def overdue(self) -> bool:
        return self.as_of is not None and self.due_on is not None and self.as_of > self.due_on

    @property
    def has_district(self) -> bool:
        return bool(self.district_code)

    def snapshot(self) -> dict[str, object]:
        """What the audit trail keeps of a change (no history, no attachments' content)."""
        return {
            "ref": self.ref,
            "benefit": self.benefit,
            "enterprise_id": self.enterprise_id,
            "status": self.status.value,
            "returned_from": self.returned_from.value if self.returned_from else None,
            "facts": {k: str(v) for k, v in self.facts.items()},
            "amount_quoted": _money(self.amount_quoted),
            "amount_reviewed": _money(self.amount_reviewed),
            "amount_awarded": _money(self.amount_awarded),
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "version": self.version,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "benefit": self.benefit,
            "document": self.document,
            "clause": self.clause,
            "title": self.title,
            "enterprise": {"id": self.enterprise_id, "name": self.enterprise_name, "credit_code": self.credit_code},
            "city_code": self.city_code,
            "district_code": self.district_code,
            "year": self.year,
            "on": self.on.isoformat(),
            "origin": self.origin.value,
            "status": self.status.value,
            "step": self.step.value if self.step else None,
            "returned_from": self.returned_from.value if self.returned_from else None,
            "facts": {k: str(v) for k, v in self.facts.items()},
            "evidence": dict(self.evidence),
            "attachments": [a.as_dict() for a in self.attachments],
            "quote": dict(self.quote),
            "amount_quoted": _money(self.amount_quoted),
            "amount_reviewed": _money(self.amount_reviewed),
            "amount_awarded": _money(self.amount_awarded),
            "capped_by": self.capped_by,
            "split": dict(self.split) if self.split is not None else None,
            "pool": self.pool,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "overdue": self.overdue,
            "notice_ends": self.notice_ends.isoformat() if self.notice_ends else None,
            "disbursement": (
                {"voucher": self.voucher, "paid_on": self.paid_on.isoformat() if self.paid_on else None}
                if self.voucher is not None
                else None
            ),
            "gate": dict(self.gate) if self.gate is not None else None,
            "client_ref": self.client_ref,
            "events": [e.as_dict() for e in self.events],
        }
