"""Where each export shipment stands in the 9610 flow and what it still lacks, for the enterprise.

Steps, in the order the flow needs them: order (CEB303), waybill (CEB505), list (CEB603) and its
match, customs clearance (399), arrival (CEB507), release (800), departure (CEB509 → 899), the
receipt of payment (CEB403) and, for B lists, the monthly summary (CEB701 → CEB792).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cbec.export.model import B_FLAG, RELEASED_STATUSES, ExportList
from cbec.export.services import scope_filter
from cbec.identity.model import Principal
from cbec.kernel.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["Step", "shipment_steps", "shipments"]

CLEARED_OR_LATER = RELEASED_STATUSES | {"399"}


@dataclass(frozen=True)
class Step:
    name: str  # order | waybill | list | clearance | arrival | release | departure | receipt | summary
    done: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "done": self.done, "detail": self.detail}


def _steps(uow: SqlUnitOfWork, listed: ExportList, paid: bool) -> list[Step]:
    docs = uow.documents
    order = docs.find_current("CEB303", order_no=listed.order_no, ebc_code=listed.ebc_code)
    waybill = docs.find_current("CEB505", logistics_code=listed.logistics_code, logistics_no=listed.logistics_no)
    arrived = uow.exports.parcel_event(listed.logistics_code, listed.logistics_no, "arrival")
    steps = [
        Step("order", order is not None, listed.order_no),
        Step("waybill", waybill is not None, listed.logistics_no),
        Step("list", listed.status not in ("waiting", "100"), f"status {listed.status}"),
        Step("clearance", listed.status in CLEARED_OR_LATER, listed.invt_no or ""),
        Step("arrival", arrived is not None, arrived.isoformat() if arrived else ""),
        Step(
            "release", listed.status in RELEASED_STATUSES, listed.released_on.isoformat() if listed.released_on else ""
        ),
        Step("departure", listed.departed_on is not None, listed.departed_on.isoformat() if listed.departed_on else ""),
        Step("receipt", paid, ""),
    ]
    if listed.statistics_flag == B_FLAG:
        steps.append(Step("summary", listed.sum_no is not None, listed.sum_no or ""))
    return steps


def _row(listed: ExportList, steps: list[Step]) -> dict[str, Any]:
    return {
        "document_id": listed.document_id,
        "cop_no": listed.cop_no,
        "invt_no": listed.invt_no,
        "order_no": listed.order_no,
        "logistics_no": listed.logistics_no,
        "ebc_code": listed.ebc_code,
        "ebc_name": listed.ebc_name,
        "trade_mode": listed.trade_mode,
        "statistics_flag": listed.statistics_flag,
        "status": listed.status,
        "value": str(listed.value),
        "currency": listed.currency,
        "released_on": listed.released_on.isoformat() if listed.released_on else None,
        "steps": [s.as_dict() for s in steps],
        "missing": [s.name for s in steps if not s.done],
    }


def shipments(
    uow: SqlUnitOfWork,
    principal: Principal,
    *,
    status: str | None = None,
    text: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    page, total = uow.exports.page(scope=scope_filter(principal), status=status, text=text, offset=offset, limit=limit)
    paid = {r.order_no for r in uow.exports.receipts_of_payment(x.order_no for x in page)}
    return [_row(x, _steps(uow, x, x.order_no in paid)) for x in page], total


def shipment_steps(uow: SqlUnitOfWork, principal: Principal, document_id: int) -> dict[str, Any]:
    listed = uow.exports.get_list(document_id)
    if listed is None:
        raise NotFound(f"no export list {document_id}")
    if not principal.sees(listed.enterprise_id, listed.city_code, listed.district_code):
        raise PermissionDenied("this export list belongs to an enterprise outside your scope")
    paid = bool(uow.exports.receipts_of_payment([listed.order_no]))
    row = _row(listed, _steps(uow, listed, paid))
    row["items"] = [
        {
            "gnum": i.gnum,
            "gcode": i.gcode,
            "gname": i.gname,
            "qty": str(i.qty),
            "unit": i.unit,
            "price": str(i.price),
            "total": str(i.total),
            "currency": i.currency,
            "country": i.country,
            "entry_id": i.entry_id,
            "entry_gnum": i.entry_gnum,
        }
        for i in listed.items
    ]
    return row
