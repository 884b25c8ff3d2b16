"""SQLAlchemy Core implementation of the direct-report port (统计直报, table ``stat_reports``).
Figures travel as JSON text: every value is decimal text, never a float."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from cbec.kernel.errors import Conflict
from cbec.registry.model import EnterpriseStatus
from cbec.stats.report_forms import load_forms
from cbec.stats.reporting import Obligation, ReportStatus, StatReport, figures_from_json, figures_to_json
from cbec.storage import tables as t
from cbec.storage.repositories import StaleWrite, aware

__all__ = ["SqlReportRepository"]

R = t.stat_reports
E = t.enterprises


def _report(row: Any) -> StatReport:
    return StatReport(
        id=row.id,
        enterprise_id=row.enterprise_id,
        city_code=row.city_code,
        district_code=row.district_code,
        form=row.form,
        period=row.period,
        status=ReportStatus(row.status),
        figures=figures_from_json(json.loads(row.figures)),
        version=row.version,
        created_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        submitted_at=aware(row.submitted_at) if row.submitted_at else None,
        submitted_by=row.submitted_by,
    )


def _figures_text(report: StatReport) -> str:
    form = load_forms().get(report.form)
    return json.dumps(figures_to_json(report.figures, form), ensure_ascii=False, sort_keys=True)


def _period_end(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


class SqlReportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, enterprise_id: int, form: str, period: str) -> StatReport | None:
        row = self.conn.execute(
            select(R).where(and_(R.c.enterprise_id == enterprise_id, R.c.form == form, R.c.period == period))
        ).first()
        return _report(row) if row else None

    def add(self, report: StatReport) -> StatReport:
        """Store a new report (its ``id`` is ignored); the stored one comes back."""
        try:
            self.conn.execute(
                insert(R).values(
                    enterprise_id=report.enterprise_id,
                    city_code=report.city_code,
                    district_code=report.district_code,
                    form=report.form,
                    period=report.period,
                    status=report.status.value,
                    figures=_figures_text(report),
                    submitted_at=report.submitted_at,
                    submitted_by=report.submitted_by,
                    version=report.version,
                    created_at=report.created_at,
                    updated_at=report.updated_at,
                )
            )
        except IntegrityError as error:  # services write under the audit lock; this is a safety net
            raise Conflict(
                f"enterprise {report.enterprise_id} got a {report.form} report for {report.period} at the same "
                "moment; reload it",
                code="report.race",
            ) from error
        stored = self.get(report.enterprise_id, report.form, report.period)
        assert stored is not None
        return stored

    def update(self, report: StatReport) -> None:
        """Write a changed report; the stored version must be the one the change started from."""
        result = self.conn.execute(
            update(R)
            .where(and_(R.c.id == report.id, R.c.version == report.version - 1))
            .values(
                status=report.status.value,
                figures=_figures_text(report),
                submitted_at=report.submitted_at,
                submitted_by=report.submitted_by,
                version=report.version,
                updated_at=report.updated_at,
            )
        )
        if result.rowcount != 1:
            raise StaleWrite(f"report {report.key} was changed by someone else")

    def of_enterprise(self, enterprise_id: int, form: str | None = None) -> list[StatReport]:
        """One enterprise's reports, newest period first."""
        stmt = select(R).where(R.c.enterprise_id == enterprise_id)
        if form is not None:
            stmt = stmt.where(R.c.form == form)
        return [_report(r) for r in self.conn.execute(stmt.order_by(R.c.period.desc(), R.c.form))]

    def for_period(self, period: str, filters: dict[str, Any], form: str | None = None) -> list[StatReport]:
        """The reports of a period within scope ``filters`` (``Principal.scope_filters``: column
        name -> value over enterprise_id, city_code, district_code)."""
        stmt = select(R).where(R.c.period == period)
        for column, value in filters.items():
            stmt = stmt.where(R.c[column] == value)
        if form is not None:
            stmt = stmt.where(R.c.form == form)
        return [_report(r) for r in self.conn.execute(stmt.order_by(R.c.district_code, R.c.enterprise_id))]

    def obligations(self, form: str, period: str, city_code: str | None, district_code: str | None) -> list[Obligation]:
        """Active enterprises registered by the end of ``period`` in the city (and district), each
        with the status of its report for ``form`` and ``period`` (None when it has none)."""
        joined = E.outerjoin(R, and_(R.c.enterprise_id == E.c.id, R.c.form == form, R.c.period == period))
        stmt = select(E.c.id, E.c.name, E.c.uscc, E.c.district_code, R.c.status).select_from(joined)
        stmt = stmt.where(E.c.status == EnterpriseStatus.ACTIVE.value, E.c.registered_on <= _period_end(period))
        if city_code is not None:
            stmt = stmt.where(E.c.city_code == city_code)
        if district_code is not None:
            stmt = stmt.where(E.c.district_code == district_code)
        rows = self.conn.execute(stmt.order_by(E.c.district_code, E.c.id))
        return [
            Obligation(r.id, r.name, r.uscc, r.district_code, None if r.status is None else ReportStatus(r.status))
            for r in rows
        ]
