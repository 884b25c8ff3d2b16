"""The targets page: each policy target with its clause, progress, forecast and early warning, and
the form a city administrator uses for the figures the platform cannot measure."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from cbec.identity.model import Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.stats.refresh import open_lines
from cbec.stats.target_services import enter_target_input, targets_for
from cbec.web.deps import PageIdentity, PlatformDep, require_csrf
from cbec.web.templating import render

router = APIRouter(prefix="/targets")
STATUS_ORDER = ("off_track", "at_risk", "on_track", "achieved", "expired", "no_data", "not_measurable", "unknown")


def _page(
    request: Request, identity: PageIdentity, platform: PlatformDep, errors: list[FieldError], values: dict[str, str]
) -> Response:
    today = business_date(platform.clock)
    with platform.uow(read_only=True) as uow, open_lines(platform) as lines:
        statuses = targets_for(lines, uow, identity.principal, today)
    counts = {state: sum(1 for s in statuses if s.status == state) for state in STATUS_ORDER}
    context = {
        "statuses": statuses,
        "counts": counts,
        "today": today,
        "can_enter": identity.principal.role is Role.CITY_ADMIN,
        "errors": errors,
        "values": values,
    }
    return render(request, "targets.html", context, status_code=422 if errors else 200)


@router.get("")
def targets_page(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    return _page(request, identity, platform, [], {})


@router.post("/figures")
def enter_figure(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    csrf_token: Annotated[str, Form()],
    target_id: Annotated[str, Form()],
    as_of: Annotated[str, Form()],
    value: Annotated[str, Form()],
    source: Annotated[str, Form()],
) -> Response:
    require_csrf(request, identity, csrf_token)
    values = {"target_id": target_id, "as_of": as_of, "value": value, "source": source}
    try:
        day = date.fromisoformat(as_of.strip())
    except ValueError:
        error = FieldError("as_of", "date.format", f"{as_of!r} is not a date", "write YYYY-MM-DD")
        return _page(request, identity, platform, [error], values)
    try:
        with platform.uow() as uow:
            enter_target_input(uow, identity.principal, target_id.strip(), day, value, source)
            uow.commit()
    except ValidationFailed as failed:
        return _page(request, identity, platform, failed.errors, values)
    return RedirectResponse(f"/targets#target-{target_id.strip()}", status_code=303)
