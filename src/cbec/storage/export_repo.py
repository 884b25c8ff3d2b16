"""Repository of the export side: the list projection, parcel events, summaries and returns."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from cbec.exchange.model import date_of
from cbec.export.model import ExportList, ListItem, to_fen
from cbec.storage import tables as t
from cbec.storage.stats_repo import enqueue

__all__ = ["ReceiptOfPayment", "SqlExportRepository", "StoredSummary"]

L = t.export_lists.c
LI = t.export_list_items.c
S = t.export_summaries.c
P = t.parcel_events.c
D = t.documents.c
BATCH = 2_000


@dataclass(frozen=True)
class ReceiptOfPayment:
    order_no: str
    ebc_code: str
    charge: Decimal
    currency: str
    accounting_date: date | None
    document_id: int


@dataclass(frozen=True)
class StoredSummary:
    id: int
    sum_no: str
    enterprise_id: int | None
    city_code: str | None
    district_code: str | None
    month: str
    ebc_code: str
    agent_code: str
    state: str
    draft: dict[str, Any]
    result: dict[str, Any] | None
    application_document_id: int | None
    created_at: datetime


def _item(row: Any) -> ListItem:
    return ListItem(
        gnum=row.gnum,
        gcode=row.gcode,
        gname=row.gname,
        unit=row.unit,
        qty=Decimal(row.qty),
        price=Decimal(row.price),
        total=Decimal(row.total),
        currency=row.currency,
        country=row.country,
        entry_id=row.entry_id,
        decl_seq_no=row.decl_seq_no,
        entry_gnum=row.entry_gnum,
    )


def _list(row: Any, items: tuple[ListItem, ...]) -> ExportList:
    return ExportList(
        document_id=row.document_id,
        agent_code=row.agent_code,
        cop_no=row.cop_no,
        invt_no=row.invt_no,
        enterprise_id=row.enterprise_id,
        city_code=row.city_code,
        district_code=row.district_code,
        order_no=row.order_no,
        logistics_code=row.logistics_code,
        logistics_no=row.logistics_no,
        ebc_code=row.ebc_code,
        ebc_name=row.ebc_name,
        owner_code=row.owner_code,
        trade_mode=row.trade_mode,
        statistics_flag=row.statistics_flag,
        customs_code=row.customs_code,
        port_code=row.port_code,
        traf_mode=row.traf_mode,
        country=row.country,
        currency=row.currency,
        ie_date=row.ie_date,
        released_on=row.released_on,
        departed_on=row.departed_on,
        status=row.status,
        items=items,
        warehouse_no=row.warehouse_no,
        sum_no=row.sum_no,
    )


def _summary(row: Any) -> StoredSummary:
    return StoredSummary(
        id=row.id,
        sum_no=row.sum_no,
        enterprise_id=row.enterprise_id,
        city_code=row.city_code,
        district_code=row.district_code,
        month=row.month,
        ebc_code=row.ebc_code,
        agent_code=row.agent_code,
        state=row.state,
        draft=json.loads(row.draft),
        result=json.loads(row.result) if row.result else None,
        application_document_id=row.application_document_id,
        created_at=row.created_at,
    )


class SqlExportRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- the list projection ----------------------------------------------------------------

    def save_list(self, export_list: ExportList) -> None:
        """Insert or replace the projection of one list (its items with it)."""
        row = {
            name: getattr(export_list, name)
            for name in t.export_lists.c.keys()  # noqa: SIM118 — a ColumnCollection, not a dict
            if name != "value"
        }
        row["value"] = export_list.value
        self.forget_list(export_list.agent_code, export_list.cop_no)
        self.conn.execute(insert(t.export_lists), [row])
        items = [
            {
                "document_id": export_list.document_id,
                "gnum": i.gnum,
                "gcode": i.gcode,
                "gname": i.gname,
                "unit": i.unit,
                "qty": str(i.qty),
                "price": str(i.price),
                "total": to_fen(i.total),
                "currency": i.currency,
                "country": i.country,
                "entry_id": i.entry_id,
                "decl_seq_no": i.decl_seq_no,
                "entry_gnum": i.entry_gnum,
            }
            for i in export_list.items
        ]
        if items:
            self.conn.execute(insert(t.export_list_items), items)
        enqueue(self.conn, [export_list.document_id])

    def forget_list(self, agent_code: str, cop_no: str) -> None:
        """Drop the projection of a list's earlier version (a change or a withdrawal replaces it)."""
        ids = select(L.document_id).where(L.agent_code == agent_code, L.cop_no == cop_no).scalar_subquery()
        self.conn.execute(delete(t.export_list_items).where(LI.document_id.in_(ids)))
        self.conn.execute(delete(t.export_lists).where(L.agent_code == agent_code, L.cop_no == cop_no))

    def update_list(self, document_id: int, **values: Any) -> None:
        self.conn.execute(update(t.export_lists).where(L.document_id == document_id).values(**values))
        enqueue(self.conn, [document_id])

    def get_list(self, document_id: int) -> ExportList | None:
        found = list(self._load(select(t.export_lists).where(L.document_id == document_id)))
        return found[0] if found else None

    def lists(
        self,
        *,
        enterprise_id: int | None = None,
        city_code: str | None = None,
        district_code: str | None = None,
        released_from: date | None = None,
        released_before: date | None = None,
        statuses: Iterable[str] | None = None,
        sum_no: str | None = None,
        invt_nos: Iterable[str] | None = None,
        logistics: tuple[str, str] | None = None,
    ) -> list[ExportList]:
        conds: list[Any] = []
        for column, value in (
            (L.enterprise_id, enterprise_id),
            (L.city_code, city_code),
            (L.district_code, district_code),
            (L.sum_no, sum_no),
        ):
            if value is not None:
                conds.append(column == value)
        if released_from is not None:
            conds.append(L.released_on >= released_from)
        if released_before is not None:
            conds.append(L.released_on < released_before)
        if statuses is not None:
            conds.append(L.status.in_(list(statuses)))
        if invt_nos is not None:
            conds.append(L.invt_no.in_(list(invt_nos)))
        if logistics is not None:
            conds.extend([L.logistics_code == logistics[0], L.logistics_no == logistics[1]])
        return list(self._load(select(t.export_lists).where(and_(True, *conds)).order_by(L.document_id)))

    def _load(self, stmt: Any) -> Iterator[ExportList]:
        # Heads stream in batches; each batch's items come in one query (no N+1 over a month).
        result = self.conn.execute(stmt)
        while rows := result.fetchmany(BATCH):
            ids = [r.document_id for r in rows]
            items: dict[int, list[ListItem]] = defaultdict(list)
            query = select(t.export_list_items).where(LI.document_id.in_(ids)).order_by(LI.document_id, LI.gnum)
            for item in self.conn.execute(query):
                items[item.document_id].append(_item(item))
            for r in rows:
                yield _list(r, tuple(items[r.document_id]))

    def page(
        self, *, scope: dict[str, Any], status: str | None, text: str | None, offset: int, limit: int
    ) -> tuple[list[ExportList], int]:
        """A page of lists, newest first, for the flow page and API."""
        conds: list[Any] = [t.export_lists.c[name] == value for name, value in scope.items()]
        if status:
            conds.append(L.status == status)
        if text:
            conds.append(
                or_(L.order_no == text, L.logistics_no == text, L.invt_no == text, L.cop_no == text, L.ebc_code == text)
            )
        where = and_(True, *conds)
        total = int(self.conn.execute(select(func.count()).select_from(t.export_lists).where(where)).scalar_one())
        stmt = select(t.export_lists).where(where).order_by(L.document_id.desc()).offset(offset).limit(limit)
        return list(self._load(stmt)), total

    def set_entries(self, document_id: int, gnum: int, *, entry_id: str, decl_seq_no: str, entry_gnum: int) -> None:
        self.conn.execute(
            update(t.export_list_items)
            .where(LI.document_id == document_id, LI.gnum == gnum)
            .values(entry_id=entry_id, decl_seq_no=decl_seq_no, entry_gnum=entry_gnum)
        )

    # ---- arrivals and departures ------------------------------------------------------------

    def add_parcel_event(self, logistics_code: str, logistics_no: str, kind: str, document_id: int, on: date) -> bool:
        """Record the first arrival / departure of a waybill; later ones change nothing."""
        if self.parcel_event(logistics_code, logistics_no, kind) is not None:
            return False
        self.conn.execute(
            insert(t.parcel_events),
            [
                {
                    "logistics_code": logistics_code,
                    "logistics_no": logistics_no,
                    "kind": kind,
                    "document_id": document_id,
                    "on": on,
                }
            ],
        )
        return True

    def parcel_event(self, logistics_code: str, logistics_no: str, kind: str) -> date | None:
        stmt = select(P.on).where(P.logistics_code == logistics_code, P.logistics_no == logistics_no, P.kind == kind)
        value: date | None = self.conn.execute(stmt).scalar_one_or_none()
        return value

    # ---- receipts of payment ----------------------------------------------------------------

    def receipts_of_payment(self, order_nos: Iterable[str]) -> list[ReceiptOfPayment]:
        """Current CEB403 receipts of payment naming any of the orders."""
        wanted = sorted(set(order_nos))
        found: list[ReceiptOfPayment] = []
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            stmt = select(D.id, D.order_no, D.ebc_code, D.body).where(
                D.message_type == "CEB403", D.is_current.is_(True), D.withdrawn.is_(False), D.order_no.in_(chunk)
            )
            for row in self.conn.execute(stmt):
                head = json.loads(row.body)["head"]
                found.append(
                    ReceiptOfPayment(
                        order_no=row.order_no,
                        ebc_code=row.ebc_code or "",
                        charge=Decimal(head.get("charge", "0")),
                        currency=head.get("currency", ""),
                        accounting_date=date_of(head.get("accountingDate")),
                        document_id=row.id,
                    )
                )
        return found

    # ---- returns ----------------------------------------------------------------------------

    def add_return(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(t.export_returns), [row])
        enqueue(self.conn, [row["document_id"]])

    def return_of(self, enterprise_id: int, return_no: str) -> dict[str, Any] | None:
        c = t.export_returns.c
        row = self.conn.execute(
            select(t.export_returns).where(c.enterprise_id == enterprise_id, c.return_no == return_no)
        ).first()
        return None if row is None else _return(row)

    def returns(self, *, scope: dict[str, Any], limit: int = 200) -> list[dict[str, Any]]:
        """Returns newest first, within a principal's scope (joined to their list's projection)."""
        c = t.export_returns.c
        conds = [t.export_lists.c[name] == value for name, value in scope.items()]
        stmt = (
            select(t.export_returns)
            .join(t.export_lists, L.document_id == c.document_id)
            .where(and_(True, *conds))
            .order_by(c.id.desc())
            .limit(limit)
        )
        return [_return(row) for row in self.conn.execute(stmt)]

    # ---- summaries --------------------------------------------------------------------------

    def add_summary(self, values: dict[str, Any]) -> StoredSummary:
        row = dict(values)
        row["draft"] = json.dumps(row["draft"], ensure_ascii=False, sort_keys=True)
        new_id = self.conn.execute(insert(t.export_summaries).values(**row)).inserted_primary_key
        assert new_id is not None
        found = self.summary(row["sum_no"])
        assert found is not None
        return found

    def summary(self, sum_no: str) -> StoredSummary | None:
        row = self.conn.execute(select(t.export_summaries).where(S.sum_no == sum_no)).first()
        return _summary(row) if row else None

    def set_summary_result(self, sum_no: str, state: str, result: dict[str, Any], at: datetime) -> None:
        text = json.dumps(result, ensure_ascii=False, sort_keys=True)
        self.conn.execute(
            update(t.export_summaries).where(S.sum_no == sum_no).values(state=state, result=text, declared_at=at)
        )

    def summaries(
        self,
        *,
        month: str | None = None,
        enterprise_id: int | None = None,
        city_code: str | None = None,
        district_code: str | None = None,
    ) -> list[StoredSummary]:
        conds: list[Any] = []
        for column, value in (
            (S.month, month),
            (S.enterprise_id, enterprise_id),
            (S.city_code, city_code),
            (S.district_code, district_code),
        ):
            if value is not None:
                conds.append(column == value)
        rows = self.conn.execute(select(t.export_summaries).where(and_(True, *conds)).order_by(S.id))
        return [_summary(r) for r in rows]

    def next_summary_serial(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.export_summaries)).scalar_one()) + 1


def _return(row: Any) -> dict[str, Any]:
    return {
        "return_no": row.return_no,
        "invt_no": row.invt_no,
        "returned_on": row.returned_on.isoformat(),
        "reason": row.reason,
        "original_state": row.original_state,
        "items": json.loads(row.items),
        "value": str(row.value),
        "eligible": row.eligible,
        "verdict": json.loads(row.verdict),
    }
