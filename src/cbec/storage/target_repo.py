"""Entered figures for targets the platform cannot measure (target_inputs table). Values travel
as exact decimal text; one figure per target and date (a second one is a conflict)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from cbec.kernel.errors import Conflict
from cbec.stats.targets import EnteredFigure
from cbec.storage import tables as t
from cbec.storage.repositories import aware

__all__ = ["SqlTargetInputRepository"]

T = t.target_inputs


def _figure(row: Any) -> EnteredFigure:
    return EnteredFigure(
        target_id=row.target_id,
        as_of=row.as_of,
        value=Decimal(row.value),
        source=row.source,
        id=row.id,
        entered_by=row.entered_by,
        entered_at=aware(row.entered_at),
    )


class SqlTargetInputRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, target_id: str, as_of: date) -> EnteredFigure | None:
        row = self.conn.execute(select(T).where(T.c.target_id == target_id, T.c.as_of == as_of)).first()
        return _figure(row) if row else None

    def add(self, figure: EnteredFigure, *, entered_by: int, now: datetime) -> EnteredFigure:
        values = {
            "target_id": figure.target_id,
            "as_of": figure.as_of,
            "value": f"{figure.value:f}",
            "source": figure.source,
            "entered_by": entered_by,
            "entered_at": now,
        }
        try:
            result = self.conn.execute(insert(T).values(**values))
        except IntegrityError as error:
            raise Conflict(
                f"target {figure.target_id} already has a figure as of {figure.as_of}",
                code="target_input.exists",
            ) from error
        (new_id,) = result.inserted_primary_key or (None,)
        found = self.conn.execute(select(T).where(T.c.id == new_id)).one()
        return _figure(found)

    def list(self, target_ids: list[str] | None = None) -> list[EnteredFigure]:
        """Entered figures (of these targets, or all), by target then date."""
        stmt = select(T).order_by(T.c.target_id, T.c.as_of, T.c.id)
        if target_ids is not None:
            stmt = stmt.where(T.c.target_id.in_(target_ids))
        return [_figure(r) for r in self.conn.execute(stmt)]
