"""The policy budget (pool use, awards by benefit and district, the co-funding split) with its
simulation, and 政策找企业 (matches and 免申即享 proposals): the city's pages of policy cash-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.policy import application_services as aps
from cbec.policy import match_services as ms
from cbec.policy import workflow as wf
from cbec.policy.matching import Match
from cbec.policy.model import Recipient
from cbec.policy.simulation import Simulation
from cbec.stats.refresh import open_lines
from cbec.web.api.policy import policy_catalog
from cbec.web.deps import PageIdentity, PlatformDep, require_csrf
from cbec.web.pages.policy_apps import page_context, year_or_today
from cbec.web.templating import render

router = APIRouter(prefix="/policy")
MATCHES_PER_PAGE = 25


# --- the budget and its simulation ---------------------------------------------------------------


def _parameters(principal: Principal, year: int) -> list[tuple[str, str, str]]:
    """(id, unit, benefit title) of the parameters a simulation may change: the city's benefits."""
    cities = wf.settings().cities
    day = date(year, 12, 31)
    seen: dict[str, tuple[str, str, str]] = {}
    for b in policy_catalog().benefits.values():
        if cities.get(b.document.city) != principal.city_code or b.recipient is not Recipient.ENTERPRISE:
            continue
        for p in b.parameters:
            if p.id not in seen and p.at(day) is not None:
                seen[p.id] = (p.id, p.unit, b.title)
    return list(seen.values())


def _share(part: object, whole: object) -> str:
    """A pool's committed share as a percentage to one decimal ("5.7%"), or "" without a total."""
    if part is None or whole is None or Decimal(str(whole)) == 0:
        return ""
    percent = Decimal(str(part)) * 100 / Decimal(str(whole))
    return f"{percent.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


@router.get("/budget")
def budget_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    parameter: str = "",
    value: str = "",
) -> Response:
    principal = identity.principal
    chosen = year_or_today(platform, year)
    with platform.uow(read_only=True) as uow:
        found = aps.budget(uow, principal, year=chosen)
    simulation: Simulation | None = None
    errors: list[FieldError] = []
    if parameter.strip():
        try:
            with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
                simulation = ms.simulate_budget(
                    uow,
                    principal,
                    lines,
                    platform.districts,
                    year=chosen,
                    overrides={parameter.strip(): value.strip()},
                    catalog=policy_catalog(),
                )
        except ValidationFailed as invalid:
            errors = invalid.errors
    context: dict[str, Any] = {
        "year": chosen,
        "budget": found,
        "use": {str(p["id"]): _share(p.get("committed"), p.get("total")) for p in found.pools},
        "parameters": _parameters(principal, chosen),
        "parameter": parameter,
        "value": value,
        "simulation": simulation,
        "errors": errors,
        "titles": {b.id: b.title for b in policy_catalog().benefits.values()},
    }
    return render(request, "policy_budget.html", page_context(request, context), status_code=422 if errors else 200)


@dataclass(frozen=True)
class MatchRow:
    item: ms.EnterpriseMatches
    qualifies: list[Match]
    missing: list[Match]


# --- 政策找企业 ------------------------------------------------------------------------------------


@router.post("/matches/propose")
async def propose_matches(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    """免申即享 from the matches page: propose what the platform's data supports, then show the queue."""
    data = await request.form()
    require_csrf(request, identity, str(data.get("csrf_token", "")))
    year = year_or_today(platform, int(str(data.get("year", ""))) if str(data.get("year", "")).isdigit() else None)

    def _run() -> int:
        with open_lines(platform) as lines, platform.uow() as uow:
            created = ms.propose_in_scope(
                uow, identity.principal, lines, platform.districts, year=year, catalog=policy_catalog()
            )
        return len(created)

    created = await run_in_threadpool(_run)
    return RedirectResponse(f"/policy/review?proposed={created}", status_code=303)


@router.get("/matches")
def matches_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    only: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    principal = identity.principal
    chosen = year_or_today(platform, year)
    with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
        found = ms.match_enterprises(uow, principal, lines, platform.districts, year=chosen, catalog=policy_catalog())
    rows: list[MatchRow] = []
    for item in found:
        qualifies = [m for m in item.matches if m.status == "qualifies"]
        missing = [m for m in item.matches if m.status == "evidence_missing"]
        if only == "proposable" and not any(m.proposable for m in qualifies):
            continue
        if only == "qualifies" and not qualifies:
            continue
        rows.append(MatchRow(item, qualifies, missing))
    rows.sort(key=lambda r: (-len(r.qualifies), r.item.enterprise.id))
    start = (page - 1) * MATCHES_PER_PAGE
    context: dict[str, Any] = {
        "year": chosen,
        "only": only,
        "rows": rows[start : start + MATCHES_PER_PAGE],
        "total": len(rows),
        "page": page,
        "pages": max(1, -(-len(rows) // MATCHES_PER_PAGE)),
        "proposable": sum(1 for r in rows for m in r.qualifies if m.proposable),
    }
    return render(request, "policy_matches.html", page_context(request, context))
