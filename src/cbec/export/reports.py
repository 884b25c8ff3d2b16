"""Scoped read use cases over stored export lists: the 103号 register of an enterprise, its monthly
file for the tax bureau, and the receipts-of-payment reconciliation (DOMAIN §6, §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cbec.export.model import ExportList
from cbec.export.reconciliation import Receipt, Reconciliation, reconcile_receipts
from cbec.export.services import month_range, scope_filter
from cbec.export.taxfile import month_rows, monthly_csv, monthly_workbook
from cbec.export.taxfree import RegisterRow, register_rows, register_totals
from cbec.identity.model import Principal
from cbec.kernel.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from cbec.registry.model import Enterprise
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TaxRegister", "reconcile", "tax_file", "tax_register"]

RELEASED = ("800", "899")


@dataclass(frozen=True)
class TaxRegister:
    enterprise: Enterprise
    rows: list[RegisterRow]
    totals: dict[str, Decimal]

    def as_dict(self) -> dict[str, Any]:
        return {
            "enterprise": {"id": self.enterprise.id, "uscc": self.enterprise.uscc, "name": self.enterprise.name},
            "rows": len(self.rows),
            "totals": {currency: str(total) for currency, total in sorted(self.totals.items())},
        }


def _enterprise(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> Enterprise:
    found = uow.enterprises.get(enterprise_id)
    if found is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    if not principal.sees(found.id, found.city_code, found.district_code):
        raise PermissionDenied("this enterprise is outside your scope")
    return found


def _released(uow: SqlUnitOfWork, enterprise_id: int, start: date | None, end: date | None) -> list[ExportList]:
    lists = uow.exports.lists(enterprise_id=enterprise_id, statuses=RELEASED)
    # The register is kept by export date (the list's ieDate, else its release date).
    return [
        x
        for x in lists
        if x.export_date and (start is None or start <= x.export_date) and (end is None or x.export_date < end)
    ]


def tax_register(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, *, month: str | None = None
) -> TaxRegister:
    enterprise = _enterprise(uow, principal, enterprise_id)
    start, end = month_range(month) if month else (None, None)
    rows = register_rows(_released(uow, enterprise_id, start, end))
    return TaxRegister(enterprise, rows, register_totals(rows))


def tax_file(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, month: str, kind: str) -> bytes:
    """The month's register for the tax bureau: ``xlsx`` or ``csv``, Chinese headers."""
    register = tax_register(uow, principal, enterprise_id, month=month)
    rows = month_rows(register.rows, month)
    if kind == "csv":
        return monthly_csv(rows, month=month)
    return monthly_workbook(rows, enterprise_name=register.enterprise.name, uscc=register.enterprise.uscc, month=month)


def reconcile(
    uow: SqlUnitOfWork, principal: Principal, *, since: str, until: str, threshold: Decimal
) -> Reconciliation:
    """Released lists of the months [since, until] in scope, with every receipt naming their orders."""
    start, _ = month_range(since)
    _, end = month_range(until)
    lists = uow.exports.lists(released_from=start, released_before=end, statuses=RELEASED, **scope_filter(principal))
    receipts = [
        Receipt(r.order_no, r.ebc_code, r.charge, r.currency, r.accounting_date or start)
        for r in uow.exports.receipts_of_payment(x.order_no for x in lists)
    ]
    return reconcile_receipts(lists, receipts, unreceived_threshold=threshold, undeparted_threshold=threshold)
