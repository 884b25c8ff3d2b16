"""The export side over HTTP: the monthly summary (汇总申报) and where each shipment stands.

Reads are scoped by the signed-in principal (``cbec.export.services.scope_filter``). Applying a
summary builds the CEB701 messages exactly as ``cbec export summarize --apply`` does and hands
each to intake in its own unit of work, on behalf of the principal (so intake's sender rules
still decide); only a city administrator may ask for it over HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cbec.bootstrap import Platform
from cbec.exchange.intake import ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.services import month_range, summary_applications, summary_overview
from cbec.export.tracking import shipment_steps, shipments
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import PermissionDenied
from cbec.web.deps import ApiIdentity, PlatformDep

__all__ = ["apply_summary", "may_apply", "overview", "router"]

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
