"""The tiered cultivation database (梯度培育库) over JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from cbec.kernel.clock import business_date
from cbec.stats.refresh import open_lines
from cbec.stats.tier_views import tier_view
from cbec.web.deps import ApiIdentity, PlatformDep

router = APIRouter(prefix="/tiers", tags=["stats"])


@router.get("")
def get_tiers(identity: ApiIdentity, platform: PlatformDep, on: date | None = None) -> dict[str, Any]:
    """The caller's city board on ``on`` (default today): tier of each visible enterprise by
    trailing-12-month trade value, the gap to the next tier, who is close, moves since last month."""
    as_of = on or business_date(platform.clock)
    with platform.uow(read_only=True) as uow, open_lines(platform) as lines:
        view = tier_view(lines, uow, identity.principal, as_of)
    return view.as_dict()
