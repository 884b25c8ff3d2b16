"""``cbec demo seed --size``: register the import channels and push their traffic through intake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cbec.audit.model import EventDraft
from cbec.audit.services import record_many
from cbec.demo.exports import ExportChannel, export_channel_enterprises, export_channels, export_stream
from cbec.demo.imports import channel_enterprises, channels, import_stream
from cbec.demo.warehouses import demo_warehouse_inputs
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.model import RELEASED_STATUSES
from cbec.export.return_services import ReturnInput, record_return
from cbec.identity.model import SYSTEM
from cbec.registry.districts import DistrictBook
from cbec.registry.model import EnterpriseInput
from cbec.registry.warehouse_services import file_warehouse, warehouses_of

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TrafficReport", "record_demo_returns", "seed_export_parties", "seed_traffic"]


@dataclass
class TrafficReport:
    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    repeats: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _register_channels(new_uow: Callable[[], SqlUnitOfWork], wanted: list[EnterpriseInput]) -> None:
    with new_uow() as uow:
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
    _register_channels(new_uow, [e for c in channels(districts) for e in channel_enterprises(c)])
    exporters, warehouse_nos = seed_export_parties(new_uow, districts, seed)
    report = TrafficReport()
    streams = (
        import_stream(channels(districts), size=size, seed=seed),
        export_stream(exporters, size=size, seed=seed, warehouse_nos=warehouse_nos),
    )
    for stream in streams:
        for message in stream:
            with new_uow() as uow:
                result = ingest_message(uow, SYSTEM, to_xml(message), ctx, source=f"demo:{message.type}")
            report.messages += 1
            report.accepted += result.accepted
            report.rejected += not result.accepted
            report.repeats += result.repeat
            if progress is not None:
                progress(report.messages)
    record_demo_returns(new_uow)
    return report


def seed_export_parties(
    new_uow: Callable[[], SqlUnitOfWork], districts: DistrictBook, seed: int
) -> tuple[list[ExportChannel], list[str]]:
    """Register the export channels and file their overseas warehouses (idempotent)."""
    exporters = export_channels(districts)
    _register_channels(new_uow, [e for c in exporters for e in export_channel_enterprises(c)])
    return exporters, _file_warehouses(new_uow, [x.party.code for c in exporters for x in c.exporters], seed)


def _file_warehouses(new_uow: Callable[[], SqlUnitOfWork], owner_codes: list[str], seed: int) -> list[str]:
    """File the demo overseas warehouses once (by name per owner); return their filing numbers."""
    numbers: list[str] = []
    for owner, data in demo_warehouse_inputs(seed):
        with new_uow() as uow:
            enterprise = uow.enterprises.by_customs_codes([owner_codes[owner]])[owner_codes[owner]]
            known = {w.name: w.filing_no for w in warehouses_of(uow, SYSTEM, enterprise.id) if w.is_filed}
            numbers.append(known.get(data.name) or file_warehouse(uow, SYSTEM, enterprise.id, data).filing_no)
    return numbers


def record_demo_returns(new_uow: Callable[[], SqlUnitOfWork]) -> None:
    """A few export returns (退运): every 40th released list comes back unsold a month later."""
    with new_uow() as uow:
        released = uow.exports.lists(statuses=RELEASED_STATUSES)[::40]
    for listed in released:
        if listed.invt_no is None or listed.released_on is None:
            continue
        data = ReturnInput(
            return_no=f"RT{listed.invt_no}",
            invt_no=listed.invt_no,
            returned_on=listed.released_on + timedelta(days=30),
            reason="unsold",
            original_state=True,
            gnums=(listed.items[0].gnum,),
        )
        with new_uow() as uow:
            record_return(uow, SYSTEM, data)
