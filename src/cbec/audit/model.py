"""Audit events and the hash chain that makes tampering visible. Pure; stdlib only.

Each event's hash covers its own fields and the previous event's hash, so editing, deleting
or re-ordering any stored event breaks the chain at that point. A separate head record
(last sequence number and hash) catches deletion of the newest events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["GENESIS", "AuditEvent", "ChainReport", "EventDraft", "event_hash", "verify_chain"]

GENESIS = "0" * 64


@dataclass(frozen=True)
class EventDraft:
    """What a service records; the store assigns ``seq``, time and the chain."""

    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    #: The city whose auditors may read the event (the subject's city); None = platform-wide.
    city_code: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    occurred_at: str  # ISO 8601 UTC text, hashed as stored so no database rounds it
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: str | None  # canonical JSON
    after: str | None
    prev_hash: str
    hash: str
    city_code: str | None = None


def canonical_json(value: dict[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, seq: int, occurred_at: str, draft_fields: tuple[str, ...]) -> str:
    payload = json.dumps([prev_hash, seq, occurred_at, *draft_fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def hash_of(event: AuditEvent) -> str:
    """The city is hashed too, so an event cannot be moved out of an auditor's sight unnoticed."""
    fields = (
        event.actor,
        event.action,
        event.subject_type,
        event.subject_id,
        event.before or "",
        event.after or "",
        event.city_code or "",
    )
    return event_hash(event.prev_hash, event.seq, event.occurred_at, fields)


def chain(drafts: list[EventDraft], last_seq: int, prev_hash: str, occurred_at: str) -> list[AuditEvent]:
    """Number and link ``drafts`` after the event (``last_seq``, ``prev_hash``)."""
    events: list[AuditEvent] = []
    for seq, draft in enumerate(drafts, start=last_seq + 1):
        event = AuditEvent(
            seq=seq,
            occurred_at=occurred_at,
            actor=draft.actor,
            action=draft.action,
            subject_type=draft.subject_type,
            subject_id=draft.subject_id,
            before=canonical_json(draft.before),
            after=canonical_json(draft.after),
            prev_hash=prev_hash,
            hash="",
            city_code=draft.city_code,
        )
        prev_hash = hash_of(event)
        events.append(replace(event, hash=prev_hash))
    return events


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq, "problem": self.problem}


def verify_chain(events: Iterable[AuditEvent], head: tuple[int, str] | None) -> ChainReport:
    """Walk events in ``seq`` order; report the first one that is missing or altered."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, f"event {expected_seq} is missing (next stored event is {event.seq})"
            )
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.seq, f"event {event.seq} does not link to event {event.seq - 1}")
        if hash_of(event) != event.hash:
            return ChainReport(
                False, checked, event.seq, f"event {event.seq} was altered: its content does not match its hash"
            )
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    last_seq = expected_seq - 1
    head_seq, head_hash = head if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != prev:
        return ChainReport(
            False,
            checked,
            last_seq + 1,
            f"the chain head records event {head_seq} but the last stored event is {last_seq}: events were removed",
        )
    return ChainReport(True, checked)
