"""统计直报 reports (stat_reports table)."""

from __future__ import annotations

from sqlalchemy import Connection

__all__ = ["SqlReportRepository"]


class SqlReportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
