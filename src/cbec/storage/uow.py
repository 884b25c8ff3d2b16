"""The unit of work: one transaction, the repositories bound to it, commit or roll back."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from cbec.kernel.clock import Clock, SystemClock
from cbec.storage.exchange_repo import SqlBuyerLedger, SqlDocumentRepository
from cbec.storage.export_repo import SqlExportRepository
from cbec.storage.policy_repo import SqlPolicyRepository
from cbec.storage.report_repo import SqlReportRepository
from cbec.storage.repositories import (
    SqlAuditLog,
    SqlCredentialRepository,
    SqlEnterpriseRepository,
    SqlUserRepository,
)
from cbec.storage.stats_repo import SqlStatsRepository
from cbec.storage.target_repo import SqlTargetInputRepository
from cbec.storage.warehouse_repo import SqlWarehouseRepository

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """``with uow: ...; uow.commit()``. Leaving the block without commit rolls everything back,
    audit events included, so a failed use case leaves no trace but its error."""

    enterprises: SqlEnterpriseRepository
    users: SqlUserRepository
    credentials: SqlCredentialRepository
    audit: SqlAuditLog
    documents: SqlDocumentRepository
    ledger: SqlBuyerLedger
    exports: SqlExportRepository
    warehouses: SqlWarehouseRepository
    stats: SqlStatsRepository
    reports: SqlReportRepository
    targets: SqlTargetInputRepository
    policy: SqlPolicyRepository

    def __init__(self, engine: Engine, clock: Clock | None = None, *, read_only: bool = False) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.read_only = read_only
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._conn = self.engine.connect()
        # Read by the SQLite begin hook: readers take no write lock (see storage.db).
        self._conn.info["cbec_read_only"] = self.read_only
        self._conn.begin()
        self.enterprises = SqlEnterpriseRepository(self._conn)
        self.users = SqlUserRepository(self._conn)
        self.credentials = SqlCredentialRepository(self._conn)
        self.audit = SqlAuditLog(self._conn)
        self.documents = SqlDocumentRepository(self._conn)
        self.ledger = SqlBuyerLedger(self._conn)
        self.exports = SqlExportRepository(self._conn)
        self.warehouses = SqlWarehouseRepository(self._conn)
        self.stats = SqlStatsRepository(self._conn)
        self.reports = SqlReportRepository(self._conn)
        self.targets = SqlTargetInputRepository(self._conn)
        self.policy = SqlPolicyRepository(self._conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
        finally:
            self._conn.close()
            self._conn = None

    def commit(self) -> None:
        assert self._conn is not None, "commit outside the unit of work"
        self.audit.flush()
        self._conn.commit()
        self.audit.discard()  # the head lock ends with the transaction

    def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()
        self.audit.discard()
