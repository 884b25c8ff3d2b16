"""Audit use cases: record (inside the caller's transaction) and verify the chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from cbec.audit.model import AuditEvent, ChainReport, EventDraft, verify_chain
from cbec.identity.model import Principal

__all__ = ["AuditLog", "record", "record_many", "verify"]


class AuditLog(Protocol):
    def append(self, draft: EventDraft, now: datetime) -> AuditEvent: ...

    def append_many(self, drafts: list[EventDraft], now: datetime) -> list[AuditEvent]: ...

    def events(self, batch: int = 5000) -> Iterator[AuditEvent]: ...

    def head(self) -> tuple[int, str] | None: ...


class _HasAudit(Protocol):
    audit: Any
    clock: Any


def record(
    uow: _HasAudit,
    principal: Principal,
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    city_code: str | None = None,
) -> AuditEvent:
    """Write one event in the caller's open transaction; it commits or rolls back with it.

    ``city_code`` is the subject's city (who may audit it); it defaults to the actor's city.
    """
    city = city_code or principal.city_code
    draft = EventDraft(principal.actor, action, subject_type, str(subject_id), before, after, city)
    event: AuditEvent = uow.audit.append(draft, uow.clock.now())
    return event


def record_many(uow: _HasAudit, drafts: list[EventDraft]) -> list[AuditEvent]:
    """Several events in one write, e.g. one per row of a bulk import."""
    events: list[AuditEvent] = uow.audit.append_many(drafts, uow.clock.now())
    return events


def verify(log: AuditLog) -> ChainReport:
    return verify_chain(log.events(), log.head())
