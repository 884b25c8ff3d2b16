"""The tiered cultivation database page (梯度培育库)."""

from __future__ import annotations

import calendar
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.stats.catalog import Scope
from cbec.stats.cockpit import latest_month
from cbec.stats.refresh import open_lines
from cbec.stats.target_status import format_value
from cbec.stats.tier_views import tier_view
from cbec.web.deps import PageIdentity, PlatformDep
from cbec.web.templating import render

router = APIRouter(prefix="/tiers")
SHOWN = 200  # the board lists the largest enterprises; the API and CLI give every one


@router.get("")
def tiers_page(request: Request, identity: PageIdentity, platform: PlatformDep, on: str = "") -> Response:
    as_of = business_date(platform.clock)
    if on:
        try:
            as_of = date.fromisoformat(on)
        except ValueError:
            raise ValidationFailed(
                [FieldError("on", "date.format", f"{on!r} is not a date", "write YYYY-MM-DD")]
            ) from None
    with platform.uow(read_only=True) as uow, open_lines(platform) as lines:
        if not on:  # as the cockpit: open on the latest month with released trade, not an empty window
            latest = latest_month(lines, identity.principal, Scope(), as_of)
            if latest is not None and latest < as_of.strftime("%Y-%m"):
                year, month = int(latest[:4]), int(latest[5:])
                as_of = date(year, month, calendar.monthrange(year, month)[1])
        view = tier_view(lines, uow, identity.principal, as_of)
    placed = sorted(view.board.placements, key=lambda p: (-p.value, p.enterprise_id))
    context = {
        "view": view,
        "board": view.board,
        "placed": placed[:SHOWN],
        "hidden": max(0, len(placed) - SHOWN),
        "close": [p for p in placed if p.close],
        "on": as_of.isoformat(),
        "yuan": lambda value: format_value(value, "CNY yuan"),
    }
    return render(request, "tiers.html", context)
