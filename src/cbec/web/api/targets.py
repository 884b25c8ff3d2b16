"""Policy targets over JSON: progress, forecast and early-warning status; figures entered for the
targets the platform's data cannot measure."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cbec.kernel.clock import business_date
from cbec.stats.refresh import open_lines
from cbec.stats.target_services import enter_target_input, targets_for
from cbec.web.deps import ApiIdentity, PlatformDep

router = APIRouter(prefix="/targets", tags=["targets"])


@router.get("")
def list_targets(identity: ApiIdentity, platform: PlatformDep, on: date | None = None) -> dict[str, Any]:
    """Every target the caller follows, judged on ``on`` (default today)."""
    today = on or business_date(platform.clock)
    with platform.uow(read_only=True) as uow, open_lines(platform) as lines:
        statuses = targets_for(lines, uow, identity.principal, today)
    return {"on": today.isoformat(), "targets": [s.as_dict() for s in statuses]}


class FigureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="the date the figure was reached, YYYY-MM-DD")
    value: str = Field(description='decimal text in the target\'s unit, e.g. "3200"')
    source: str = Field(description="where the figure comes from (report, notice, department)")


@router.post("/{target_id}/figures", status_code=201)
def enter_figure(target_id: str, body: FigureIn, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    """A city administrator enters the figure an unmeasurable target reached (audited)."""
    with platform.uow() as uow:
        figure = enter_target_input(uow, identity.principal, target_id, body.as_of, body.value, body.source)
        uow.commit()
    return figure.as_dict()
