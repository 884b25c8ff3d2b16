"""Test helper: the demo's export traffic sent through intake, with a USD rate loaded, so policy
facts and the anti-fraud gate can be checked against real stored lists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from cbec.demo.exports import NO_RECEIPTS, export_anomalies, export_stream
from cbec.demo.traffic import seed_export_parties
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import SYSTEM
from cbec.stats.fx import FxRate

if TYPE_CHECKING:
    from cbec.bootstrap import Platform

__all__ = ["USD_RATE", "seed_exports"]

USD_RATE = Decimal("7.1")


def seed_exports(platform: Platform) -> list[str]:
    """Send the small demo export stream; return the customs codes of the exporters never paid."""
    channels, warehouses = seed_export_parties(platform.uow, platform.districts, seed=7)
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))
    for message in export_stream(channels, size="small", seed=7, warehouse_nos=warehouses):
        with platform.uow() as uow:
            ingest_message(uow, SYSTEM, to_xml(message), ctx)
    with platform.uow() as uow:
        uow.stats.load_rates(
            [FxRate("502", date(2020, 1, 1), USD_RATE, "test: not an official rate")], datetime.now(UTC)
        )
        uow.commit()
    return export_anomalies(channels)[NO_RECEIPTS]
