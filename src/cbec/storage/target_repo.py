"""Entered figures for targets the platform cannot measure (target_inputs table)."""

from __future__ import annotations

from sqlalchemy import Connection

__all__ = ["SqlTargetInputRepository"]


class SqlTargetInputRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
