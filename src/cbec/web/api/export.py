"""The export side over HTTP: the monthly summary (汇总申报), where each shipment stands, the
无票免税 register (财税〔2018〕103号) with its monthly tax-bureau file, the 4 % deemed income, the
receipts-of-payment reconciliation and export returns (退运).

Reads are scoped by the signed-in principal (``cbec.export.services.scope_filter``). Applying a
summary builds the CEB701 messages exactly as ``cbec export summarize --apply`` does and hands
each to intake in its own unit of work, on behalf of the principal (so intake's sender rules
still decide); only a city administrator may ask for it over HTTP.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cbec.bootstrap import Platform
from cbec.exchange.intake import ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.reconciliation import ListRef, Reconciliation
from cbec.export.reports import TaxRegister, income, income_dict, reconcile, tax_file, tax_register
from cbec.export.return_services import ReturnInput, record_return, returns_in_scope
from cbec.export.services import month_range, summary_applications, summary_overview
from cbec.export.taxfree import RegisterRow
from cbec.export.tracking import shipment_steps, shipments
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from cbec.web.deps import ApiIdentity, PlatformDep

__all__ = [
    "apply_summary",
    "income_report",
    "may_apply",
    "overview",
    "reconciliation_report",
    "register_file",
    "register_report",
    "returns_report",
    "router",
    "save_return",
]

router = APIRouter(prefix="/export", tags=["export"])
APPLIERS = frozenset({Role.CITY_ADMIN})


def may_apply(principal: Principal) -> bool:
    """City administrators (and the system itself) file summaries; everyone else only reads."""
    return principal.is_system or (not principal.read_only and principal.role in APPLIERS)


def overview(platform: Platform, principal: Principal, month: str, enterprise_id: int | None) -> dict[str, Any]:
    with platform.uow(read_only=True) as uow:
        return summary_overview(
            uow,
            principal,
            month,
            keys=platform.summary_keys,
            calendar=platform.calendar,
            today=business_date(platform.clock),
            enterprise_id=enterprise_id,
        )


def apply_summary(
    platform: Platform, principal: Principal, month: str, enterprise_id: int | None
) -> list[dict[str, Any]]:
    """File the month's CEB701 applications; one unit of work per message, results per message."""
    if not may_apply(principal):
        raise PermissionDenied("only a city administrator may file the monthly summary")
    month_range(month)  # a malformed month is a 422 before anything is built
    with platform.uow(read_only=True) as uow:
        messages = summary_applications(uow, principal, month, enterprise_id=enterprise_id)
    ctx = platform.intake_context()
    outcomes: list[dict[str, Any]] = []
    for message in messages:
        head = message.units[0].head
        with platform.uow() as uow:
            result = ingest_message(uow, principal, to_xml(message), ctx, source=f"summary:{month}")
        outcomes.append(
            {
                "cop_no": head["copNo"],
                "ebc_code": head["ebcCode"],
                "agent_code": head["agentCode"],
                "customs_code": head["customsCode"],
                "lists": len(message.units[0].lists["SummaryApplyList"]),
                "accepted": result.accepted,
                "repeat": result.repeat,
                "errors": [e.as_dict() for e in result.errors],
            }
        )
    return outcomes


class SummaryApply(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2024-05"])
    enterprise_id: int | None = None


@router.get("/summary", operation_id="export_summary")
def get_summary(
    identity: ApiIdentity,
    platform: PlatformDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    """The month's released export lists per shipper: A lists, B lists to summarise, the draft
    declarations, the summaries filed, and the deadline moved past rest days."""
    return overview(platform, identity.principal, month, enterprise_id)


@router.post("/summary/apply", operation_id="export_summary_apply")
async def post_summary_apply(body: SummaryApply, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """File the month's summary applications (CEB701) and answer with each one's outcome and the
    overview afterwards. City administrators only."""
    principal = identity.principal
    applications = await run_in_threadpool(apply_summary, platform, principal, body.month, body.enterprise_id)
    after = await run_in_threadpool(overview, platform, principal, body.month, body.enterprise_id)
    return {"applications": applications, "overview": after}


@router.get("/shipments", operation_id="export_shipments")
def list_shipments(
    identity: ApiIdentity,
    platform: PlatformDep,
    status: str | None = None,
    q: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Export lists in scope with each step of the 9610 flow done or missing."""
    with platform.uow(read_only=True) as uow:
        items, total = shipments(
            uow, identity.principal, status=status or None, text=(q or "").strip() or None, offset=offset, limit=limit
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.get("/shipments/{document_id}", operation_id="export_shipment")
def get_shipment(document_id: int, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    with platform.uow(read_only=True) as uow:
        return shipment_steps(uow, identity.principal, document_id)


# --- 无票免税 register, deemed income, reconciliation, returns -------------------------------

MONTH = r"^\d{4}-\d{2}$"
FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def own_enterprise(principal: Principal, enterprise_id: int | None) -> int:
    """The enterprise asked about: an enterprise user's own unless named; others must name one."""
    if enterprise_id is not None:
        return enterprise_id
    if principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
        return principal.enterprise_id
    raise ValidationFailed(
        [FieldError("enterprise_id", "field.required", "name the enterprise", "pass enterprise_id=<id>")]
    )


def _row(row: RegisterRow) -> dict[str, Any]:
    return {
        "export_date": row.export_date.isoformat() if row.export_date else None,
        "invt_no": row.invt_no,
        "gnum": row.gnum,
        "gname": row.gname,
        "unit": row.unit,
        "qty": str(row.qty),
        "price": str(row.price),
        "amount": str(row.amount),
        "declared_total": str(row.declared_total),
        "currency": row.currency,
        "trade_mode": row.trade_mode,
        "country": row.country,
        "ebc_code": row.ebc_code,
        "document_id": row.document_id,
    }


def register_dict(register: TaxRegister, month: str | None) -> dict[str, Any]:
    """``TaxRegister.as_dict()`` with the month asked for and the rows themselves (amounts as
    decimal strings); ``row_count`` keeps the count that ``as_dict`` calls ``rows``."""
    data = register.as_dict()
    return data | {"month": month, "row_count": data["rows"], "rows": [_row(r) for r in register.rows]}


def register_report(
    platform: Platform, principal: Principal, enterprise_id: int | None, month: str | None
) -> dict[str, Any]:
    wanted = own_enterprise(principal, enterprise_id)
    with platform.uow(read_only=True) as uow:
        return register_dict(tax_register(uow, principal, wanted, month=month), month)


def register_file(
    platform: Platform, principal: Principal, enterprise_id: int | None, month: str, kind: str
) -> tuple[bytes, str]:
    """The month's tax-bureau file and its download name ``103-register-{uscc}-{month}.{kind}``."""
    wanted = own_enterprise(principal, enterprise_id)
    with platform.uow(read_only=True) as uow:
        content = tax_file(uow, principal, wanted, month, kind)
        found = uow.enterprises.get(wanted)  # tax_file has checked that it exists and is in scope
    assert found is not None
    return content, f"103-register-{found.uscc}-{month}.{kind}"


def income_report(
    platform: Platform, principal: Principal, enterprise_id: int | None, since: str, until: str
) -> dict[str, Any]:
    wanted = own_enterprise(principal, enterprise_id)
    with platform.uow(read_only=True) as uow:
        return income_dict(income(uow, principal, wanted, since=since, until=until))


def _money(amounts: dict[str, Decimal]) -> dict[str, str]:
    return {currency: str(value) for currency, value in amounts.items()}


def _ref(ref: ListRef) -> dict[str, Any]:
    return {
        "document_id": ref.document_id,
        "invt_no": ref.invt_no,
        "order_no": ref.order_no,
        "released_on": ref.released_on.isoformat(),
        "value": str(ref.value),
        "currency": ref.currency,
    }


def reconciliation_dict(result: Reconciliation, names: dict[int, str]) -> dict[str, Any]:
    """JSON form of a reconciliation: amounts as decimal strings, shares as exact fractions."""
    return {
        "thresholds": {
            "amount_tolerance": str(result.amount_tolerance),
            "unreceived": str(result.unreceived_threshold),
            "undeparted": str(result.undeparted_threshold),
        },
        "months": [
            {
                "ebc_code": m.ebc_code,
                "enterprise_id": m.enterprise_id,
                "enterprise_name": names.get(m.enterprise_id) if m.enterprise_id is not None else None,
                "month": m.month,
                "lists": m.list_count,
                "released": _money(m.released),
                "received": _money(m.received),
                "departed": _money(m.departed),
                "unreceived": [_ref(r) for r in m.unreceived],
                "undeparted": [_ref(r) for r in m.undeparted],
                "mismatches": [
                    {
                        "list": _ref(x.list),
                        "received": _money(x.received),
                        "difference": None if x.difference is None else str(x.difference),
                    }
                    for x in m.mismatches
                ],
                "flags": [
                    {
                        "code": f.code,
                        "currency": f.currency,
                        "share": str(f.share),
                        "threshold": str(f.threshold),
                        "message": f.message,
                    }
                    for f in m.flags
                ],
                "flagged": m.flagged,
            }
            for m in result.months
        ],
        "orphan_receipts": {
            ebc: [
                {
                    "order_no": r.order_no,
                    "charge": str(r.charge),
                    "currency": r.currency,
                    "accounting_date": r.accounting_date.isoformat(),
                }
                for r in found
            ]
            for ebc, found in result.orphan_receipts.items()
        },
        "flagged_enterprises": sorted({m.ebc_code for m in result.months if m.flagged}),
    }


def reconciliation_report(platform: Platform, principal: Principal, since: str, until: str) -> dict[str, Any]:
    with platform.uow(read_only=True) as uow:
        result = reconcile(uow, principal, since=since, until=until, threshold=platform.settings.reconcile_threshold)
        names = {}
        for enterprise_id in {m.enterprise_id for m in result.months if m.enterprise_id is not None}:
            found = uow.enterprises.get(enterprise_id)
            if found is not None:
                names[enterprise_id] = found.name
    return reconciliation_dict(result, names) | {"period": [since, until]}


def returns_report(platform: Platform, principal: Principal) -> list[dict[str, Any]]:
    with platform.uow(read_only=True) as uow:
        return returns_in_scope(uow, principal)


def save_return(platform: Platform, principal: Principal, data: ReturnInput) -> dict[str, Any]:
    """Record one return (the service commits, and a repeated return number changes nothing)."""
    with platform.uow() as uow:
        return record_return(uow, principal, data)


@router.get("/register", operation_id="export_register")
def get_register(
    identity: ApiIdentity,
    platform: PlatformDep,
    enterprise_id: int | None = None,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
) -> dict[str, Any]:
    """The 无票免税 register (财税〔2018〕103号) of an enterprise: one row per goods line of its
    released lists by export date, totals per currency and the exemption conditions' outcomes.
    An enterprise user's own enterprise unless ``enterprise_id`` is given."""
    return register_report(platform, identity.principal, enterprise_id, month)


def _download(platform: Platform, principal: Principal, enterprise_id: int | None, month: str, kind: str) -> Response:
    content, filename = register_file(platform, principal, enterprise_id, month, kind)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=FILE_TYPES[kind], headers=headers)


@router.get("/register.xlsx", operation_id="export_register_xlsx")
def get_register_xlsx(
    identity: ApiIdentity,
    platform: PlatformDep,
    month: Annotated[str, Query(pattern=MONTH)],
    enterprise_id: int | None = None,
) -> Response:
    """The month's register file for the tax bureau (.xlsx, Chinese headers, totals per currency)."""
    return _download(platform, identity.principal, enterprise_id, month, "xlsx")


@router.get("/register.csv", operation_id="export_register_csv")
def get_register_csv(
    identity: ApiIdentity,
    platform: PlatformDep,
    month: Annotated[str, Query(pattern=MONTH)],
    enterprise_id: int | None = None,
) -> Response:
    """The month's register file for the tax bureau as CSV (UTF-8 with a byte-order mark)."""
    return _download(platform, identity.principal, enterprise_id, month, "csv")


@router.get("/income", operation_id="export_income")
def get_income(
    identity: ApiIdentity,
    platform: PlatformDep,
    since: Annotated[str, Query(alias="from", pattern=MONTH)],
    until: Annotated[str, Query(alias="to", pattern=MONTH)],
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    """4 % deemed taxable income (国家税务总局公告2019年第36号) of the months [from, to] by export
    date; revenue and income are null with ``unknown_reason`` when an exchange rate is missing."""
    return income_report(platform, identity.principal, enterprise_id, since, until)


@router.get("/reconciliation", operation_id="export_reconciliation")
def get_reconciliation(
    identity: ApiIdentity,
    platform: PlatformDep,
    since: Annotated[str, Query(alias="from", pattern=MONTH)],
    until: Annotated[str, Query(alias="to", pattern=MONTH)],
) -> dict[str, Any]:
    """Released value vs receipts of payment (CEB403) vs departures (CEB509) per shipper and month
    of release in scope, with the lists behind each gap and the months flagged over the threshold."""
    return reconciliation_report(platform, identity.principal, since, until)


class ReturnBody(BaseModel):
    return_no: str = Field(min_length=1, max_length=60, examples=["RT-2024-001"])
    invt_no: str = Field(min_length=1, max_length=60)
    returned_on: date
    reason: str = Field(examples=["unsold", "refused"])
    original_state: bool
    gnums: list[int] = Field(min_length=1)

    def as_input(self) -> ReturnInput:
        return ReturnInput(
            self.return_no, self.invt_no, self.returned_on, self.reason, self.original_state, tuple(self.gnums)
        )


@router.get("/returns", operation_id="export_returns")
def list_returns(identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """Export returns in scope, newest first, each with its tax-free return verdict."""
    items = returns_report(platform, identity.principal)
    return {"total": len(items), "items": items}


@router.post("/returns", operation_id="export_return_record", status_code=201)
def post_return(body: ReturnBody, identity: ApiIdentity, platform: PlatformDep) -> JSONResponse:
    """Record an export return (退运) against its original list and check 公告2023年第4号. A return
    number already recorded for the enterprise answers 200 with ``repeat: true`` and stores nothing."""
    stored = save_return(platform, identity.principal, body.as_input())
    return JSONResponse(stored, status_code=200 if stored["repeat"] else 201)
