"""Scoped read use cases over stored export lists: the 103号 register of an enterprise, its monthly
file for the tax bureau, and the receipts-of-payment reconciliation (DOMAIN §6, §8)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cbec.export.model import RELEASED_STATUSES, ExportList
from cbec.export.reconciliation import Receipt, Reconciliation, reconcile_receipts
from cbec.export.services import month_range, scope_filter
from cbec.export.taxdata import load_customs_districts, load_fx_rates, load_pilot_zones, load_rebate_cancelled
from cbec.export.taxfile import month_rows, monthly_csv, monthly_workbook
from cbec.export.taxfree import (
    PASS,
    DeemedIncome,
    RegisterRow,
    Verdict,
    check_eligibility,
    deemed_income,
    register_rows,
    register_totals,
)
from cbec.identity.model import Principal
from cbec.kernel.errors import NotFound, PermissionDenied
from cbec.registry.model import EnterpriseStatus

if TYPE_CHECKING:
    from cbec.registry.model import Enterprise
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TaxRegister", "income", "income_dict", "reconcile", "tax_file", "tax_register"]


@dataclass(frozen=True)
class TaxRegister:
    enterprise: Enterprise
    rows: list[RegisterRow]
    totals: dict[str, Decimal]
    verdicts: dict[str, Verdict]  # invt_no → the 103号 conditions for that list

    def eligibility(self) -> dict[str, Any]:
        """How many lists meet the conditions, and each condition's outcomes with its reasons."""
        counts = Counter(v.eligible for v in self.verdicts.values())
        reasons: Counter[tuple[str, str, str, str]] = Counter(
            (r.rule, r.outcome, r.code, r.message if r.outcome != PASS else "")
            for v in self.verdicts.values()
            for r in v.reasons
        )
        return {
            "lists": {kind: counts.get(kind, 0) for kind in ("yes", "no", "unknown")},
            "reasons": [
                {"rule": rule, "outcome": outcome, "code": code, "lists": n, **({"example": text} if text else {})}
                for (rule, outcome, code, text), n in sorted(reasons.items())
            ],
            "unconfirmed_sources": sorted({s for v in self.verdicts.values() for s in v.unconfirmed}),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "enterprise": {"id": self.enterprise.id, "uscc": self.enterprise.uscc, "name": self.enterprise.name},
            "rows": len(self.rows),
            "totals": {currency: str(total) for currency, total in sorted(self.totals.items())},
            "eligibility": self.eligibility(),
        }


def _enterprise(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int) -> Enterprise:
    found = uow.enterprises.get(enterprise_id)
    if found is None:
        raise NotFound(f"no enterprise {enterprise_id}")
    if not principal.sees(found.id, found.city_code, found.district_code):
        raise PermissionDenied("this enterprise is outside your scope")
    return found


def _released(uow: SqlUnitOfWork, enterprise_id: int, start: date | None, end: date | None) -> list[ExportList]:
    lists = uow.exports.lists(enterprise_id=enterprise_id, statuses=RELEASED_STATUSES)
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
    lists = _released(uow, enterprise_id, start, end)
    rows = register_rows(lists)
    zones, cancelled, customs = load_pilot_zones(), load_rebate_cancelled(), load_customs_districts()
    active = enterprise.status is EnterpriseStatus.ACTIVE
    verdicts = {
        x.invt_no or x.cop_no: check_eligibility(
            enterprise.city_code, active, x, zones=zones, rebate_cancelled=cancelled, customs=customs
        )
        for x in lists
    }
    return TaxRegister(enterprise, rows, register_totals(rows), verdicts)


def income(uow: SqlUnitOfWork, principal: Principal, enterprise_id: int, *, since: str, until: str) -> DeemedIncome:
    """4 % deemed taxable income (公告2019年第36号) of the months [since, until], by export date."""
    _enterprise(uow, principal, enterprise_id)
    start, _ = month_range(since)
    _, end = month_range(until)
    return deemed_income(
        _released(uow, enterprise_id, start, end),
        period_start=start,
        period_end=end,
        rates=load_fx_rates(),
        enterprise_id=enterprise_id,
    )


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
    lists = uow.exports.lists(
        released_from=start, released_before=end, statuses=RELEASED_STATUSES, **scope_filter(principal)
    )
    receipts = [
        Receipt(r.order_no, r.ebc_code, r.charge, r.currency, r.accounting_date or start)
        for r in uow.exports.receipts_of_payment(x.order_no for x in lists)
    ]
    return reconcile_receipts(lists, receipts, unreceived_threshold=threshold, undeparted_threshold=threshold)


def income_dict(result: DeemedIncome) -> dict[str, Any]:
    """JSON form of a deemed-income result (amounts as decimal strings, unknown as null + reason)."""
    return {
        "enterprise_id": result.enterprise_id,
        "period": [result.period_start.isoformat(), result.period_end.isoformat()],
        "lists": result.list_count,
        "value_by_currency": {c: str(v) for c, v in result.value_by_currency.items()},
        "revenue_cny": None if result.revenue is None else str(result.revenue),
        "taxable_income_cny": None if result.taxable_income is None else str(result.taxable_income),
        "rate": None if result.rate is None else {"rate": str(result.rate.rate), "source": result.rate.source},
        "missing_rates": [list(pair) for pair in result.missing_rates],
        "unknown_reason": result.unknown_reason,
    }
