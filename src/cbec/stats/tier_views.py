"""The tiered cultivation database (梯度培育库) as each role may see it.

City roles see their city's board; a district officer the enterprises registered in their
district; an enterprise its own placement and the gap to the next tier. Thresholds in USD
(Jinan) are converted with the platform's own exchange-rate table (``fx_rates``) at the board's
date, and the rate's source is shown with the board; without a loaded rate those placements stay
``unknown`` — no rate is built in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from cbec.identity.model import Principal, Role
from cbec.kernel.errors import PermissionDenied
from cbec.stats.fx import FxRate, RateBook
from cbec.stats.target_services import TierBoard, tier_board

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TierView", "tier_view"]

USD = "502"


@dataclass(frozen=True)
class TierView:
    board: TierBoard
    rate: FxRate | None  # the USD rate used, when the city's thresholds need one
    names: dict[int, str]
    districts: dict[int, str]

    def as_dict(self) -> dict[str, Any]:
        made = self.board.as_dict()
        made["usd_rate_source"] = self.rate.source if self.rate else None
        for key in ("placements", "close", "moves"):
            for row in made[key]:
                row["enterprise_name"] = self.names.get(row["enterprise_id"], "")
        return made


def tier_view(lines: ir.Table, uow: SqlUnitOfWork, principal: Principal, as_of: date) -> TierView:
    city = principal.city_code
    if principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
        own = uow.enterprises.get(principal.enterprise_id)
        city = own.city_code if own else None
    if city is None:
        raise PermissionDenied("the tier board belongs to a city; sign in as a city's user")
    enterprises = [e for e in uow.stats.enterprise_rows() if e["city_code"] == city]
    rate = RateBook(uow.stats.rates()).find(USD, as_of)
    board = tier_board(lines, city, as_of, rate.cny_per_unit if rate else None)
    visible: set[int] | None = None
    if principal.role is Role.ENTERPRISE:
        visible = {principal.enterprise_id} if principal.enterprise_id is not None else set()
    elif principal.role is Role.DISTRICT_OFFICER:
        visible = {e["enterprise_id"] for e in enterprises if e["district_code"] == principal.district_code}
    if visible is not None:
        board = replace(
            board,
            placements=[p for p in board.placements if p.enterprise_id in visible],
            previous=[p for p in board.previous if p.enterprise_id in visible],
            moves=[m for m in board.moves if m.enterprise_id in visible],
        )
    if not board.city.needs_usd:
        rate = None
    return TierView(
        board,
        rate,
        {e["enterprise_id"]: e["name"] for e in enterprises},
        {e["enterprise_id"]: e["district_code"] for e in enterprises},
    )
