"""Checks and steps shared by the benefit application use cases (policy/application_services.py
and policy/application_approval.py): input parsing with field paths, scope, the event + audit +
commit of one step, and the recognition of a repeated request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from cbec.audit.services import record
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from cbec.policy import workflow as wf
from cbec.policy.application_queries import catalog, stamp
from cbec.policy.engine import parse_decimal, quote
from cbec.policy.model import Benefit, Recipient
from cbec.policy.workflow import Action, Application, Event, NewAttachment, Status
from cbec.registry.model import Enterprise

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "REASON_MAX",
    "SUBJECT",
    "benefit_for",
    "checked_files",
    "client_key",
    "commit_and_reload",
    "enterprise_in_scope",
    "event_for",
    "parse_facts",
    "quote_facts",
    "reason_text",
    "repeated",
    "save",
]

SUBJECT = "policy_application"
REASON_MAX = 1000


def event_for(
    uow: SqlUnitOfWork,
    principal: Principal,
    action: Action,
    before: Status | None,
    after: Status,
    reason: str,
    data: Mapping[str, object],
) -> Event:
    role = "system" if principal.role is None else principal.role.value
    return Event(
        uow.clock.now(),
        principal.actor,
        role,
        action.value,
        before.value if before else None,
        after.value,
        reason,
        dict(data),
    )


def save(
    uow: SqlUnitOfWork,
    principal: Principal,
    app: Application,
    changed: Application,
    action: Action,
    reason: str,
    data: Mapping[str, object],
) -> Application:
    stored = replace(changed, version=app.version + 1, updated_at=uow.clock.now())
    uow.policy.update(stored)
    uow.policy.add_event(app.id, event_for(uow, principal, action, app.status, stored.status, reason, data))
    after = stored.snapshot() | ({"reason": reason} if reason else {})
    record(
        uow,
        principal,
        f"policy.{action.value}",
        SUBJECT,
        app.ref,
        before=app.snapshot(),
        after=after,
        city_code=app.city_code,
    )
    return commit_and_reload(uow, app.id)


def commit_and_reload(uow: SqlUnitOfWork, application_id: int) -> Application:
    fresh = uow.policy.get(application_id)  # read inside the transaction, before it ends
    assert fresh is not None
    uow.commit()
    return stamp(uow, fresh)


def repeated(app: Application, principal: Principal, action: Action, reason: str) -> bool:
    """The last step of ``app`` is this very request by this user: a repeat, to be absorbed."""
    last = app.events[-1] if app.events else None
    return (
        last is not None
        and last.actor == principal.actor
        and last.action == action.value
        and last.reason == reason
        and last.to_status == app.status.value
    )


def enterprise_in_scope(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> Enterprise:
    found = uow.enterprises.get(enterprise_id)
    if found is None:
        raise ValidationFailed(
            [FieldError("enterprise_id", "policy.enterprise_unknown", f"no enterprise with id {enterprise_id}")]
        )
    if not principal.sees(found.id, found.city_code, found.district_code):
        raise PermissionDenied(f"enterprise {found.id} is outside your scope")
    return found


def benefit_for(benefit_id: str, enterprise: Enterprise | None) -> Benefit:
    benefit = catalog().benefits.get(benefit_id)
    if benefit is None:
        raise ValidationFailed(
            [
                FieldError(
                    "benefit_id",
                    "policy.benefit_unknown",
                    f"no benefit {benefit_id!r} in the catalog",
                    "see `cbec policy benefits DOCUMENT`",
                )
            ]
        )
    if enterprise is None:
        return benefit
    if benefit.recipient is not Recipient.ENTERPRISE:
        raise ValidationFailed(
            [
                FieldError(
                    "benefit_id",
                    "policy.not_for_enterprises",
                    f"{benefit.id} is granted to a {benefit.recipient.value}, not to enterprises",
                )
            ]
        )
    city = wf.settings().cities.get(benefit.document.city)
    if city != enterprise.city_code:
        raise ValidationFailed(
            [
                FieldError(
                    "benefit_id",
                    "policy.other_city",
                    f"{benefit.id} is a {benefit.document.city} benefit; "
                    f"enterprise {enterprise.id} is registered in city {enterprise.city_code}",
                    "choose a benefit of your city's documents",
                )
            ]
        )
    return benefit


def parse_facts(facts: Mapping[str, str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    errors: list[FieldError] = []
    for name, text in facts.items():
        try:
            out[name] = parse_decimal(str(text), f"facts.{name}")
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def quote_facts(benefit: Benefit, facts: Mapping[str, Decimal], on: date) -> dict[str, object]:
    found = quote(benefit, facts, on)
    if not found.eligible:
        raise ValidationFailed(
            [
                FieldError(
                    "facts",
                    "policy.not_eligible",
                    f"{benefit.id}: " + "; ".join(found.unmet),
                    "the benefit's conditions are not met by these facts",
                )
            ]
        )
    return found.as_dict()


def checked_files(files: Sequence[NewAttachment], existing: int) -> list[NewAttachment]:
    limits = wf.settings()
    errors: list[FieldError] = []
    if existing + len(files) > limits.max_count:
        errors.append(
            FieldError(
                "attachments",
                "policy.too_many_files",
                f"at most {limits.max_count} files per application; it has {existing} and {len(files)} more were sent",
            )
        )
    for n, item in enumerate(files):
        name = item.name.strip().replace("\\", "/").rsplit("/", 1)[-1]
        if not name or len(name) > limits.max_name:
            errors.append(
                FieldError(
                    f"attachments[{n}].name",
                    "policy.file_name",
                    f"a file name of 1 to {limits.max_name} characters is required",
                )
            )
        if not item.content:
            errors.append(FieldError(f"attachments[{n}].content", "policy.file_empty", f"{name} is empty"))
        elif len(item.content) > limits.max_bytes:
            errors.append(
                FieldError(
                    f"attachments[{n}].size",
                    "policy.file_too_large",
                    f"{name} has {len(item.content)} bytes; at most {limits.max_bytes} are accepted",
                    "split or compress the file",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return [NewAttachment(f.name.strip().replace("\\", "/").rsplit("/", 1)[-1], f.content) for f in files]


def client_key(client_ref: str | None) -> str | None:
    if client_ref is None or not client_ref.strip():
        return None
    if len(client_ref.strip()) > 100:
        raise ValidationFailed([FieldError("client_ref", "policy.client_ref", "client_ref is at most 100 characters")])
    return client_ref.strip()


def reason_text(reason: str, *, required: bool) -> str:
    text = reason.strip()
    if (required and not text) or len(text) > REASON_MAX:
        raise ValidationFailed(
            [
                FieldError(
                    "reason",
                    "policy.reason_required" if not text else "policy.reason_too_long",
                    f"say why, in 1 to {REASON_MAX} characters",
                    "name the fact or document and what is wrong",
                )
            ]
        )
    return text
