"""SQLAlchemy Core store of benefit applications (政策兑现): applications, their events and
attachments, cap usage and pools. Facts, quotes and gate results travel as JSON text whose
numbers are decimal strings, never floats; money columns are whole fen (``Money``).

Pools and caps are debited with one conditional UPDATE each (``… SET used = used + :amount WHERE
… AND used + :amount <= :limit``): the database checks and debits in one step, so two
approvals committing at once can never take a pool or a cap past its limit, on PostgreSQL or
SQLite, whatever the services read before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, insert, literal, select, update

from cbec.policy.awards import PriorAward
from cbec.policy.workflow import (
    AWARDED,
    Application,
    AttachmentInfo,
    Event,
    Origin,
    Status,
    Step,
)
from cbec.storage import tables as t
from cbec.storage.repositories import StaleWrite, aware

__all__ = ["SqlPolicyRepository", "format_ref", "parse_ref"]

A = t.policy_applications
V = t.policy_events
F = t.policy_attachments
C = t.policy_cap_usage
P = t.policy_pools
E = t.enterprises


def format_ref(year: int, id_: int) -> str:
    return f"PA-{year}-{id_:06d}"


def parse_ref(ref: str) -> tuple[int, int] | None:
    """(year, id) of ``PA-2025-000042``; None when ``ref`` has not that shape."""
    parts = ref.strip().upper().split("-")
    if len(parts) != 3 or parts[0] != "PA" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1]), int(parts[2])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row_values(app: Application) -> dict[str, Any]:
    return {
        "status": app.status.value,
        "returned_from": app.returned_from.value if app.returned_from else None,
        "facts": _json({k: str(v) for k, v in app.facts.items()}),
        "evidence": _json(dict(app.evidence)),
        "quote": _json(dict(app.quote)),
        "amount_quoted": app.amount_quoted,
        "amount_reviewed": app.amount_reviewed,
        "amount_awarded": app.amount_awarded,
        "capped_by": app.capped_by,
        "split": None if app.split is None else _json(dict(app.split)),
        "pool_id": app.pool,
        "due_on": app.due_on,
        "notice_ends": app.notice_ends,
        "voucher": app.voucher,
        "paid_on": app.paid_on,
        "gate": None if app.gate is None else _json(dict(app.gate)),
        "version": app.version,
        "updated_at": app.updated_at,
    }


def _event(row: Any) -> Event:
    return Event(
        at=aware(row.at),
        actor=row.actor,
        role=row.role,
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        reason=row.reason,
        data=json.loads(row.data),
    )


def _application(row: Any, events: Sequence[Event], files: Sequence[AttachmentInfo]) -> Application:
    return Application(
        id=row.id,
        ref=format_ref(row.year, row.id),
        benefit=row.benefit_id,
        document=row.document_id,
        clause=row.clause,
        title=row.title,
        enterprise_id=row.enterprise_id,
        enterprise_name=row.enterprise_name,
        credit_code=row.credit_code,
        city_code=row.city_code,
        district_code=row.district_code,
        year=row.year,
        on=row.on,
        origin=Origin(row.origin),
        status=Status(row.status),
        returned_from=Step(row.returned_from) if row.returned_from else None,
        facts={k: Decimal(v) for k, v in json.loads(row.facts).items()},
        evidence=json.loads(row.evidence),
        quote=json.loads(row.quote),
        amount_quoted=row.amount_quoted,
        amount_reviewed=row.amount_reviewed,
        amount_awarded=row.amount_awarded,
        capped_by=row.capped_by,
        split=json.loads(row.split) if row.split else None,
        pool=row.pool_id,
        due_on=row.due_on,
        notice_ends=row.notice_ends,
        voucher=row.voucher,
        paid_on=row.paid_on,
        gate=json.loads(row.gate) if row.gate else None,
        client_ref=row.client_ref,
        version=row.version,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        attachments=tuple(files),
        events=tuple(events),
    )


_SELECT = select(A, E.c.name.label("enterprise_name"), E.c.uscc.label("credit_code")).select_from(
    A.join(E, E.c.id == A.c.enterprise_id)
)


class SqlPolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- applications -----------------------------------------------------------------------

    def _load(self, stmt: Any) -> list[Application]:
        rows = list(self.conn.execute(stmt))
        if not rows:
            return []
        ids = [r.id for r in rows]
        events: dict[int, list[Event]] = {i: [] for i in ids}
        for chunk in _chunks(ids, 500):
            for r in self.conn.execute(select(V).where(V.c.application_id.in_(chunk)).order_by(V.c.id)):
                events[r.application_id].append(_event(r))
        files: dict[int, list[AttachmentInfo]] = {i: [] for i in ids}
        for chunk in _chunks(ids, 500):
            cols = select(F.c.id, F.c.application_id, F.c.name, F.c.size, F.c.sha256)
            for r in self.conn.execute(cols.where(F.c.application_id.in_(chunk)).order_by(F.c.id)):
                files[r.application_id].append(AttachmentInfo(r.id, r.name, r.size, r.sha256))
        return [_application(r, events[r.id], files[r.id]) for r in rows]

    def get(self, application_id: int) -> Application | None:
        found = self._load(_SELECT.where(A.c.id == application_id))
        return found[0] if found else None

    def by_ref(self, ref: str) -> Application | None:
        parsed = parse_ref(ref)
        if parsed is None:
            return None
        found = self.get(parsed[1])
        return found if found is not None and found.year == parsed[0] else None

    def by_client_ref(self, enterprise_id: int, client_ref: str) -> Application | None:
        found = self._load(_SELECT.where(A.c.enterprise_id == enterprise_id, A.c.client_ref == client_ref))
        return found[0] if found else None

    def open_same(
        self, enterprise_id: int, benefit_id: str, year: int, facts: Mapping[str, Decimal], origin: Origin
    ) -> Application | None:
        """An application still in the workflow with equal facts (a repeated request). Compared as
        numbers, so "1000" and "1000.00" are the same fact."""
        stmt = _SELECT.where(
            A.c.enterprise_id == enterprise_id,
            A.c.benefit_id == benefit_id,
            A.c.year == year,
            A.c.origin == origin.value,
            A.c.status.in_([Status.SUBMITTED.value, Status.DISTRICT_PASSED.value, Status.PUBLICISED.value]),
        )
        return next((a for a in self._load(stmt.order_by(A.c.id)) if dict(a.facts) == dict(facts)), None)

    def add(self, app: Application) -> Application:
        """Store a new application (its ``id`` and ``ref`` are ignored); the stored one comes back."""
        values = _row_values(app) | {
            "benefit_id": app.benefit,
            "document_id": app.document,
            "clause": app.clause,
            "title": app.title,
            "enterprise_id": app.enterprise_id,
            "city_code": app.city_code,
            "district_code": app.district_code,
            "year": app.year,
            "on": app.on,
            "origin": app.origin.value,
            "client_ref": app.client_ref,
            "created_at": app.created_at,
        }
        key = self.conn.execute(insert(A).values(**values)).inserted_primary_key
        assert key is not None
        new_id = key[0]
        stored = self.get(new_id)
        assert stored is not None
        return stored

    def update(self, app: Application) -> None:
        """Write a changed application; the stored version must be the one the change started from."""
        result = self.conn.execute(
            update(A).where(and_(A.c.id == app.id, A.c.version == app.version - 1)).values(**_row_values(app))
        )
        if result.rowcount != 1:
            raise StaleWrite(f"application {app.ref} was changed by someone else")

    def add_event(self, application_id: int, event: Event) -> None:
        self.conn.execute(
            insert(V).values(
                application_id=application_id,
                at=event.at,
                actor=event.actor,
                role=event.role,
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
                reason=event.reason,
                data=_json(dict(event.data)),
            )
        )

    def add_attachment(self, application_id: int, name: str, content: bytes, sha256: str, now: datetime) -> None:
        self.conn.execute(
            insert(F).values(
                application_id=application_id,
                name=name,
                size=len(content),
                sha256=sha256,
                content=content,
                created_at=now,
            )
        )

    def attachment(self, application_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes] | None:
        row = self.conn.execute(select(F).where(F.c.application_id == application_id, F.c.id == attachment_id)).first()
        if row is None:
            return None
        return AttachmentInfo(row.id, row.name, row.size, row.sha256), bytes(row.content)

    def listing(
        self,
        filters: Mapping[str, Any],
        *,
        statuses: Iterable[Status] | None = None,
        year: int | None = None,
        benefit_id: str | None = None,
        due_before: date | None = None,
    ) -> list[Application]:
        """Applications within scope ``filters`` (Principal.scope_filters columns), oldest first."""
        stmt = _SELECT
        for column, value in filters.items():
            stmt = stmt.where(A.c[column] == value)
        if statuses is not None:
            stmt = stmt.where(A.c.status.in_([s.value for s in statuses]))
        if year is not None:
            stmt = stmt.where(A.c.year == year)
        if benefit_id is not None:
            stmt = stmt.where(A.c.benefit_id == benefit_id)
        if due_before is not None:
            stmt = stmt.where(A.c.due_on < due_before)
        return self._load(stmt.order_by(A.c.id))

    def prior_awards(self, enterprise_id: int, benefit_id: str, exclude_id: int) -> list[PriorAward]:
        rows = self.conn.execute(
            select(A.c.id, A.c.year, A.c.amount_awarded)
            .where(
                A.c.enterprise_id == enterprise_id,
                A.c.benefit_id == benefit_id,
                A.c.id != exclude_id,
                A.c.status.in_([s.value for s in AWARDED]),
            )
            .order_by(A.c.id)
        )
        return [PriorAward(format_ref(r.year, r.id), r.year, r.amount_awarded) for r in rows]

    # --- caps and pools ---------------------------------------------------------------------

    def debit_cap(self, cap_id: str, enterprise_id: int, period: str, limit: Decimal, amount: Decimal) -> bool:
        """Add ``amount`` to the enterprise's use of the cap unless that would pass ``limit``."""
        key = and_(C.c.cap_id == cap_id, C.c.enterprise_id == enterprise_id, C.c.period == period)
        if self.conn.execute(select(C.c.used).where(key)).first() is None:
            # Services write under the audit head lock, so no second insert of this key can race.
            self.conn.execute(
                insert(C).values(
                    cap_id=cap_id, enterprise_id=enterprise_id, period=period, cap_limit=limit, used=Decimal(0)
                )
            )
        # Both sides typed Money, so the comparison runs in whole fen (never yuan against fen).
        debit, cap = literal(amount, t.Money()), literal(limit, t.Money())
        result = self.conn.execute(update(C).where(key, C.c.used + debit <= cap).values(used=C.c.used + debit))
        return result.rowcount == 1

    def cap_used(self, cap_id: str, enterprise_id: int, period: str) -> Decimal:
        found = self.conn.execute(
            select(C.c.used).where(C.c.cap_id == cap_id, C.c.enterprise_id == enterprise_id, C.c.period == period)
        ).scalar()
        return found if found is not None else Decimal("0.00")

    def ensure_pool(self, pool_id: str, total: Decimal, now: datetime) -> None:
        """Create the pool's row from the catalog's total the first time an award draws on it."""
        if self.conn.execute(select(P.c.id).where(P.c.id == pool_id)).first() is None:
            self.conn.execute(
                insert(P).values(id=pool_id, total=total, committed=Decimal(0), created_at=now, updated_at=now)
            )

    def pool(self, pool_id: str) -> tuple[Decimal, Decimal] | None:
        """(total, committed) of a pool that has a row."""
        row = self.conn.execute(select(P.c.total, P.c.committed).where(P.c.id == pool_id)).first()
        return None if row is None else (row.total, row.committed)

    def pools(self) -> dict[str, tuple[Decimal, Decimal]]:
        return {r.id: (r.total, r.committed) for r in self.conn.execute(select(P.c.id, P.c.total, P.c.committed))}

    def debit_pool(self, pool_id: str, amount: Decimal, now: datetime) -> bool:
        """Commit ``amount`` of the pool unless that would pass its total; False when it would."""
        result = self.conn.execute(
            update(P)
            .where(P.c.id == pool_id, P.c.committed + literal(amount, t.Money()) <= P.c.total)
            .values(committed=P.c.committed + literal(amount, t.Money()), updated_at=now)
        )
        return result.rowcount == 1


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
