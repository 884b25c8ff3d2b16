"""``cbec demo seed --size``: register the import channels and push their traffic through intake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cbec.audit.model import EventDraft
from cbec.audit.services import record_many
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.registry.districts import DistrictBook

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TrafficReport", "seed_traffic"]


@dataclass
class TrafficReport:
    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    repeats: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _register_channels(new_uow: Callable[[], SqlUnitOfWork], districts: DistrictBook) -> None:
    with new_uow() as uow:
        wanted = [e for c in channels(districts) for e in channel_enterprises(c)]
        taken = uow.enterprises.existing_usccs(e.uscc for e in wanted)
        created = uow.enterprises.add_many([e for e in wanted if e.uscc not in taken], uow.clock.now())
        drafts = [
            EventDraft(SYSTEM.actor, "enterprise.create", "enterprise", str(e.id), None, e.snapshot(), e.city_code)
            for e in created
        ]
        record_many(uow, drafts)
        uow.commit()


def seed_traffic(
    new_uow: Callable[[], SqlUnitOfWork],
    districts: DistrictBook,
    ctx: IntakeContext,
    *,
    size: str,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> TrafficReport:
    """Idempotent like any intake: running it twice stores nothing new (the second run is repeats)."""
    _register_channels(new_uow, districts)
    report = TrafficReport()
    for message in import_stream(channels(districts), size=size, seed=seed):
        with new_uow() as uow:
            result = ingest_message(uow, SYSTEM, to_xml(message), ctx, source=f"demo:{message.type}")
        report.messages += 1
        report.accepted += result.accepted
        report.rejected += not result.accepted
        report.repeats += result.repeat
        if progress is not None:
            progress(report.messages)
    return report
