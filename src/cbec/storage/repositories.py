"""SQLAlchemy Core implementations of the domain ports. Rows in, frozen dataclasses out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from cbec.audit.model import AuditEvent, EventDraft, chain
from cbec.identity.model import Role, User
from cbec.kernel.errors import Conflict
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.ports import EnterpriseQuery
from cbec.storage import tables as t


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _roles_text(roles: frozenset[EnterpriseRole]) -> str:
    return "," + ",".join(sorted(r.value for r in roles)) + ","


def _enterprise(row: Any) -> Enterprise:
    return Enterprise(
        id=row.id,
        uscc=row.uscc,
        name=row.name,
        city_code=row.city_code,
        district_code=row.district_code,
        roles=frozenset(EnterpriseRole(r) for r in row.roles.strip(",").split(",") if r),
        registered_on=row.registered_on,
        customs_code=row.customs_code,
        name_en=row.name_en,
        park=row.park,
        status=EnterpriseStatus(row.status),
        version=row.version,
    )


def _enterprise_values(data: EnterpriseInput | Enterprise) -> dict[str, Any]:
    return {
        "uscc": data.uscc,
        "customs_code": data.customs_code,
        "name": data.name,
        "name_en": data.name_en,
        "roles": _roles_text(data.roles),
        "city_code": data.city_code,
        "district_code": data.district_code,
        "park": data.park,
        "registered_on": data.registered_on,
        "status": data.status.value,
    }


@contextmanager
def _uscc_race() -> Iterator[None]:
    """Services check USCCs before inserting; a concurrent insert of the same code can still win
    the race, and the unique constraint then speaks. Say so in domain terms, not as a crash."""
    try:
        yield
    except IntegrityError as error:
        raise Conflict(
            "an enterprise with this USCC was registered at the same moment; reload and check", code="uscc.exists"
        ) from error


class SqlEnterpriseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, enterprise_id: int) -> Enterprise | None:
        row = self.conn.execute(select(t.enterprises).where(t.enterprises.c.id == enterprise_id)).first()
        return _enterprise(row) if row else None

    def get_by_uscc(self, uscc: str) -> Enterprise | None:
        row = self.conn.execute(select(t.enterprises).where(t.enterprises.c.uscc == uscc)).first()
        return _enterprise(row) if row else None

    def by_customs_codes(self, codes: Iterable[str]) -> dict[str, Enterprise]:
        """Registered enterprises by their customs registration code (the codes messages carry)."""
        wanted = sorted({c for c in codes if c})
        if not wanted:
            return {}
        rows = self.conn.execute(select(t.enterprises).where(t.enterprises.c.customs_code.in_(wanted)))
        return {e.customs_code: e for e in map(_enterprise, rows) if e.customs_code}

    def existing_usccs(self, usccs: Iterable[str]) -> set[str]:
        wanted = list(set(usccs))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # stay under bind-parameter limits
            chunk = wanted[start : start + 500]
            found.update(
                self.conn.execute(select(t.enterprises.c.uscc).where(t.enterprises.c.uscc.in_(chunk))).scalars()
            )
        return found

    def add(self, data: EnterpriseInput, now: datetime) -> Enterprise:
        values = _enterprise_values(data) | {"version": 1, "created_at": now, "updated_at": now}
        with _uscc_race():
            new_id = self.conn.execute(insert(t.enterprises).values(**values)).inserted_primary_key
        assert new_id is not None
        created = self.get(new_id[0])
        assert created is not None
        return created

    def add_many(self, rows: list[EnterpriseInput], now: datetime) -> list[Enterprise]:
        if not rows:
            return []
        values = [_enterprise_values(r) | {"version": 1, "created_at": now, "updated_at": now} for r in rows]
        with _uscc_race():
            self.conn.execute(insert(t.enterprises), values)
        by_uscc = {e.uscc: e for e in self._by_usccs([r.uscc for r in rows])}
        return [by_uscc[r.uscc] for r in rows]

    def _by_usccs(self, usccs: list[str]) -> Iterator[Enterprise]:
        for start in range(0, len(usccs), 500):
            stmt = select(t.enterprises).where(t.enterprises.c.uscc.in_(usccs[start : start + 500]))
            yield from (_enterprise(r) for r in self.conn.execute(stmt))

    def update(self, enterprise: Enterprise, now: datetime) -> None:
        # Optimistic lock: the stored version must be the one the edit started from.
        result = self.conn.execute(
            update(t.enterprises)
            .where(and_(t.enterprises.c.id == enterprise.id, t.enterprises.c.version == enterprise.version - 1))
            .values(**_enterprise_values(enterprise), version=enterprise.version, updated_at=now)
        )
        if result.rowcount != 1:
            raise StaleWrite(f"enterprise {enterprise.id} was changed by someone else")

    def count_by(self, query: EnterpriseQuery, field: str) -> dict[str, int]:
        """Counts per value of ``field`` (city_code, district_code or status) within the query."""
        column = t.enterprises.c[field]
        rows = self.conn.execute(select(column, func.count()).where(self._where(query)).group_by(column))
        return {str(value): int(n) for value, n in rows}

    def search(self, query: EnterpriseQuery) -> tuple[list[Enterprise], int]:
        c = t.enterprises.c
        where = self._where(query)
        total = self.conn.execute(select(func.count()).select_from(t.enterprises).where(where)).scalar_one()
        rows = self.conn.execute(
            select(t.enterprises).where(where).order_by(c.id).offset(query.offset).limit(query.limit)
        )
        return [_enterprise(r) for r in rows], total

    def _where(self, query: EnterpriseQuery) -> Any:
        c = t.enterprises.c
        conds: list[Any] = []
        if query.text:
            conds.append(or_(*(col.contains(query.text, autoescape=True) for col in (c.name, c.uscc, c.name_en))))
        for column, value in (
            (c.city_code, query.city_code),
            (c.district_code, query.district_code),
            (c.id, query.only_id),
        ):
            if value is not None:
                conds.append(column == value)
        if query.role is not None:
            conds.append(c.roles.like(f"%,{query.role.value},%"))
        if query.status is not None:
            conds.append(c.status == query.status.value)
        return and_(True, *conds)


class StaleWrite(Exception):
    """The row changed between read and write; the caller retries or reports a conflict."""


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        password_hash=row.password_hash,
        enterprise_id=row.enterprise_id,
        city_code=row.city_code,
        district_code=row.district_code,
        is_active=row.is_active,
    )


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, user_id: int) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return _user(row) if row else None

    def by_username(self, username: str) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return _user(row) if row else None

    def add(self, user: User, now: datetime) -> User:
        values = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "password_hash": user.password_hash,
            "enterprise_id": user.enterprise_id,
            "city_code": user.city_code,
            "district_code": user.district_code,
            "is_active": user.is_active,
            "created_at": now,
        }
        key = self.conn.execute(insert(t.users).values(**values)).inserted_primary_key
        assert key is not None
        stored = self.get(key[0])
        assert stored is not None
        return stored

    def set_password(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash))

    def list(self) -> list[User]:
        return [_user(r) for r in self.conn.execute(select(t.users).order_by(t.users.c.id))]


class SqlCredentialRepository:
    """Web sessions, API tokens and failed sign-ins: the secrets are stored only as digests."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_session(self, digest: str, user_id: int, csrf: str, now: datetime, expires: datetime) -> None:
        self.conn.execute(
            insert(t.web_sessions).values(
                digest=digest, user_id=user_id, csrf_token=csrf, created_at=now, expires_at=expires
            )
        )

    def session(self, digest: str, now: datetime) -> tuple[int, str] | None:
        row = self.conn.execute(select(t.web_sessions).where(t.web_sessions.c.digest == digest)).first()
        if row is None or aware(row.expires_at) <= now:
            return None
        return row.user_id, row.csrf_token

    def drop_session(self, digest: str) -> None:
        self.conn.execute(delete(t.web_sessions).where(t.web_sessions.c.digest == digest))

    def add_token(self, user_id: int, name: str, digest: str, hint: str, now: datetime) -> int:
        key = self.conn.execute(
            insert(t.api_tokens).values(user_id=user_id, name=name, token_digest=digest, hint=hint, created_at=now)
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def token_user(self, digest: str, now: datetime) -> int | None:
        c = t.api_tokens.c
        row = self.conn.execute(
            select(c.id, c.user_id).where(and_(c.token_digest == digest, c.revoked_at.is_(None)))
        ).first()
        if row is None:
            return None
        self.conn.execute(update(t.api_tokens).where(c.id == row.id).values(last_used_at=now))
        return int(row.user_id)

    def tokens_of(self, user_id: int) -> list[dict[str, Any]]:
        c = t.api_tokens.c
        rows = self.conn.execute(
            select(c.id, c.name, c.hint, c.created_at, c.last_used_at, c.revoked_at)
            .where(c.user_id == user_id)
            .order_by(c.id)
        )
        return [dict(r._mapping) for r in rows]

    def revoke_token(self, user_id: int, token_id: int, now: datetime) -> bool:
        c = t.api_tokens.c
        result = self.conn.execute(
            update(t.api_tokens)
            .where(and_(c.id == token_id, c.user_id == user_id, c.revoked_at.is_(None)))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    def record_failure(self, username: str, client: str, now: datetime) -> None:
        self.conn.execute(insert(t.login_failures).values(username=username, client=client, at=now))

    def failures_since(self, username: str, client: str, since: datetime) -> tuple[int, int]:
        c = t.login_failures.c
        by_user = self.conn.execute(
            select(func.count()).where(and_(c.username == username, c.at >= since))
        ).scalar_one()
        by_client = self.conn.execute(select(func.count()).where(and_(c.client == client, c.at >= since))).scalar_one()
        return int(by_user), int(by_client)

    def clear_failures(self, username: str) -> None:
        self.conn.execute(delete(t.login_failures).where(t.login_failures.c.username == username))


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        row.seq,
        row.occurred_at,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        row.before,
        row.after,
        row.prev_hash,
        row.hash,
        row.city_code,
    )


class SqlAuditLog:
    """Appends lock the head row once per transaction and are written in one batch at commit
    (``flush``, called by the unit of work): fewer statements, the same chain."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._head: tuple[int, str] | None = None  # locked head, as advanced by pending events
        self._pending: list[AuditEvent] = []

    def append(self, draft: EventDraft, now: datetime) -> AuditEvent:
        return self.append_many([draft], now)[0]

    def lock(self) -> tuple[int, str]:
        """Lock the head row for the rest of the transaction (idempotent within it).

        Every audited write takes this lock, so writers queue on it. A use case that will also
        lock other rows takes it first, so all writers acquire locks in the same order and
        cannot deadlock."""
        if self._head is None:
            head = self.conn.execute(
                select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1).with_for_update()
            ).first()
            if head is None:  # created by migration 0001; missing means the schema is not migrated
                raise RuntimeError("audit_head row is missing: run `cbec db upgrade`")
            self._head = (head.seq, head.hash)
        return self._head

    def append_many(self, drafts: list[EventDraft], now: datetime) -> list[AuditEvent]:
        """Chain ``drafts`` after the head. Locking the head row serialises concurrent writers."""
        if not drafts:
            return []
        events = chain(drafts, *self.lock(), now.astimezone(UTC).isoformat(timespec="microseconds"))
        self._pending.extend(events)
        self._head = (events[-1].seq, events[-1].hash)
        return events

    def flush(self) -> None:
        """Write pending events and move the head; the caller's transaction commits them."""
        if not self._pending:
            return
        self.conn.execute(insert(t.audit_events), [e.__dict__ for e in self._pending])
        newest = self._pending[-1]
        stmt = update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=newest.seq, hash=newest.hash)
        self.conn.execute(stmt)
        self._pending.clear()

    def discard(self) -> None:
        """Forget pending events and the cached head (the transaction rolled back)."""
        self._pending.clear()
        self._head = None

    def events(self, batch: int = 5000) -> Iterator[AuditEvent]:
        self.flush()
        last = 0
        while True:
            rows = self.conn.execute(
                select(t.audit_events).where(t.audit_events.c.seq > last).order_by(t.audit_events.c.seq).limit(batch)
            ).all()
            if not rows:
                return
            yield from (_event(r) for r in rows)
            last = rows[-1].seq

    def head(self) -> tuple[int, str] | None:
        self.flush()
        row = self.conn.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).first()
        return (row.seq, row.hash) if row else None

    def recent(self, limit: int, city_code: str | None = None) -> list[AuditEvent]:
        """The newest events, newest first; only one city's when ``city_code`` is given."""
        self.flush()
        stmt = select(t.audit_events).order_by(t.audit_events.c.seq.desc()).limit(limit)
        if city_code is not None:
            stmt = stmt.where(t.audit_events.c.city_code == city_code)
        return [_event(r) for r in self.conn.execute(stmt)]

    def for_subject(self, subject_type: str, subject_id: str, limit: int = 50) -> list[AuditEvent]:
        self.flush()
        c = t.audit_events.c
        rows = self.conn.execute(
            select(t.audit_events)
            .where(and_(c.subject_type == subject_type, c.subject_id == subject_id))
            .order_by(c.seq.desc())
            .limit(limit)
        )
        return [_event(r) for r in rows]
