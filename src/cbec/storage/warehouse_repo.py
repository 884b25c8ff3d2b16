"""SQLAlchemy Core implementation of the overseas-warehouse port (海外仓备案). Rows in, frozen
dataclasses out; areas travel as exact decimal text, two places."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Numeric, and_, cast, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from cbec.kernel.errors import Conflict
from cbec.registry.warehouses import (
    DirectoryEntry,
    DirectoryQuery,
    OverseasWarehouse,
    WarehouseInput,
    WarehouseMode,
    WarehouseStatus,
    parse_area,
)
from cbec.storage import tables as t
from cbec.storage.repositories import StaleWrite, aware

__all__ = ["SqlWarehouseRepository"]

W = t.overseas_warehouses
E = t.enterprises
# Large enough for AREA_DIGITS_MAX whole digits and two decimals.
_AREA_NUMBER = Numeric(16, 2)


def _area_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _warehouse(row: Any) -> OverseasWarehouse:
    return OverseasWarehouse(
        id=row.id,
        filing_no=row.filing_no,
        enterprise_id=row.enterprise_id,
        city_code=row.city_code,
        name=row.name,
        country=row.country,
        overseas_city=row.overseas_city,
        address=row.address,
        area=Decimal(row.area),
        mode=WarehouseMode(row.mode),
        operator=row.operator,
        filed_at=aware(row.filed_at),
        updated_at=aware(row.updated_at),
        available_area=None if row.available_area is None else Decimal(row.available_area),
        services=row.services,
        contact=row.contact,
        status=WarehouseStatus(row.status),
        version=row.version,
    )


def _values(w: OverseasWarehouse) -> dict[str, Any]:
    return {
        "name": w.name,
        "country": w.country,
        "overseas_city": w.overseas_city,
        "address": w.address,
        "area": _area_text(w.area),
        "available_area": _area_text(w.available_area),
        "mode": w.mode.value,
        "operator": w.operator,
        "services": w.services,
        "contact": w.contact,
        "status": w.status.value,
    }


class SqlWarehouseRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, filing_no: str) -> OverseasWarehouse | None:
        row = self.conn.execute(select(W).where(W.c.filing_no == filing_no)).first()
        return _warehouse(row) if row else None

    def of_enterprise(self, enterprise_id: int) -> list[OverseasWarehouse]:
        rows = self.conn.execute(select(W).where(W.c.enterprise_id == enterprise_id).order_by(W.c.id))
        return [_warehouse(r) for r in rows]

    def last_serial(self, prefix: str) -> int:
        """The highest serial among filing numbers that start with ``prefix`` (0 when none).
        Serials are fixed-width, so the text maximum is the numeric one."""
        stmt = select(func.max(W.c.filing_no)).where(W.c.filing_no.startswith(prefix, autoescape=True))
        last: str | None = self.conn.execute(stmt).scalar_one()
        return int(last[len(prefix) :]) if last else 0

    def add(
        self, *, filing_no: str, enterprise_id: int, city_code: str, data: WarehouseInput, now: datetime
    ) -> OverseasWarehouse:
        """Store a validated filing as filed, version 1."""
        values = {
            "filing_no": filing_no,
            "enterprise_id": enterprise_id,
            "city_code": city_code,
            "name": data.name,
            "country": data.country,
            "overseas_city": data.overseas_city,
            "address": data.address,
            "area": _area_text(parse_area(data.area)),
            "available_area": _area_text(parse_area(data.available_area)),
            "mode": WarehouseMode(data.mode).value,
            "operator": data.operator,
            "services": data.services or None,
            "contact": data.contact or None,
            "status": WarehouseStatus.FILED.value,
            "version": 1,
            "filed_at": now,
            "updated_at": now,
        }
        try:
            self.conn.execute(insert(W).values(**values))
        except IntegrityError as error:  # services allocate under the audit lock; this is a safety net
            raise Conflict(
                f"filing number {filing_no} was taken at the same moment; file again", code="warehouse.filing_race"
            ) from error
        created = self.get(filing_no)
        assert created is not None
        return created

    def update(self, warehouse: OverseasWarehouse, now: datetime) -> None:
        """Write a changed filing; the stored version must be the one the change started from."""
        result = self.conn.execute(
            update(W)
            .where(and_(W.c.id == warehouse.id, W.c.version == warehouse.version - 1))
            .values(**_values(warehouse), version=warehouse.version, updated_at=now)
        )
        if result.rowcount != 1:
            raise StaleWrite(f"warehouse {warehouse.filing_no} was changed by someone else")

    def entry(self, filing_no: str) -> DirectoryEntry | None:
        row = self.conn.execute(
            select(W, E.c.name.label("enterprise_name"))
            .join(E, E.c.id == W.c.enterprise_id)
            .where(W.c.filing_no == filing_no)
        ).first()
        return DirectoryEntry(_warehouse(row), row.enterprise_name) if row else None

    def search(self, query: DirectoryQuery, status: WarehouseStatus) -> tuple[list[DirectoryEntry], int]:
        where = self._where(query, status)
        joined = W.join(E, E.c.id == W.c.enterprise_id)
        total = self.conn.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
        rows = self.conn.execute(
            select(W, E.c.name.label("enterprise_name"))
            .select_from(joined)
            .where(where)
            .order_by(W.c.id)
            .offset(query.offset)
            .limit(query.limit)
        )
        return [DirectoryEntry(_warehouse(r), r.enterprise_name) for r in rows], int(total)

    def countries(self, status: WarehouseStatus) -> list[str]:
        rows = self.conn.execute(select(W.c.country).where(W.c.status == status.value).distinct().order_by(W.c.country))
        return list(rows.scalars())

    def _where(self, query: DirectoryQuery, status: WarehouseStatus) -> Any:
        conds: list[Any] = [W.c.status == status.value]
        if query.country is not None:
            conds.append(W.c.country == query.country)
        if query.mode is not None:
            conds.append(W.c.mode == query.mode.value)
        if query.min_available is not None:
            conds.append(cast(W.c.available_area, _AREA_NUMBER) >= query.min_available)
        if query.text:
            columns = (W.c.name, W.c.overseas_city, W.c.address, W.c.operator, W.c.filing_no, E.c.name)
            conds.append(or_(*(col.icontains(query.text, autoescape=True) for col in columns)))
        return and_(*conds)
