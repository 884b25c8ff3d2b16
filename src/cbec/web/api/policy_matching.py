"""政策找企业 over JSON: what each enterprise likely qualifies for from platform data, 免申即享
proposals (city administrators), and the budget simulation of draft parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from cbec.policy import match_services as ms
from cbec.stats.refresh import open_lines
from cbec.web.api.policy import FactText, YearQuery, policy_catalog, today
from cbec.web.deps import ApiIdentity, PlatformDep

router = APIRouter(prefix="/policy", tags=["policy"])


# --- matching (政策找企业) and simulation ----------------------------------------------------------


@router.get("/matches", operation_id="policy_matches")
def matches(
    identity: ApiIdentity,
    platform: PlatformDep,
    year: YearQuery = None,
    enterprise_id: int | None = None,
    city: Annotated[str | None, Query(description="city code, within your scope")] = None,
) -> dict[str, Any]:
    """The benefits each enterprise in scope likely qualifies for, from platform data: estimated
    amount, missing evidence, and which can be proposed without an application (免申即享)."""
    chosen = year or today(platform).year
    with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
        found = ms.match_enterprises(
            uow,
            identity.principal,
            lines,
            platform.districts,
            year=chosen,
            enterprise_id=enterprise_id,
            city=city,
            catalog=policy_catalog(),
        )
    return {"year": chosen, "enterprises": [m.as_dict() for m in found]}


class ProposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100)


@router.post("/proposals", operation_id="policy_propose")
def propose(body: ProposeIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """免申即享 (city administrators): every award the platform's data alone supports, with no
    application yet this year, is proposed into the review chain; sending it again creates nothing."""
    chosen = body.year or today(platform).year
    with open_lines(platform) as lines, platform.uow() as uow:
        created = ms.propose_in_scope(
            uow, identity.principal, lines, platform.districts, year=chosen, catalog=policy_catalog()
        )
    return {"year": chosen, "created": [a.as_dict() for a in created]}


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100)
    overrides: dict[str, FactText] = Field(
        default_factory=dict, description='parameter id → draft value, e.g. {"hz-7-capacity-voucher.rate": "0.06"}'
    )
    city: str | None = None


@router.post("/simulate", operation_id="policy_simulate")
def simulate(body: SimulateIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """The year's budget under draft parameter values against the baseline, by benefit, district
    and pool (nothing is stored)."""
    chosen = body.year or today(platform).year
    with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
        found = ms.simulate_budget(
            uow,
            identity.principal,
            lines,
            platform.districts,
            year=chosen,
            overrides=dict(body.overrides),
            city=body.city,
            catalog=policy_catalog(),
        )
    return found.as_dict()
