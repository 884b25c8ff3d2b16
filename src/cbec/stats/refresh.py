"""Keep the fact table current: drain the outbox of changed lists into the analytics store.

Every change to a list (a new version, a withdrawal, a customs receipt, a release, a return)
queues its document in ``stats_outbox`` in the same transaction as the change. ``refresh``
rebuilds the lines of the queued lists from their current state and replaces them in the store,
then removes them from the outbox. The store write comes first: if the commit then fails, the
lists are simply rebuilt again next time, with the same rows. So a message sent twice, or a
refresh run twice, never double-counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis.expr.types as ir

from cbec.stats.facts import lines_of, rows_of
from cbec.stats.fx import RateBook

if TYPE_CHECKING:
    from cbec.bootstrap import Platform

__all__ = ["RefreshReport", "open_lines", "rebuild", "refresh"]

BATCH = 2000


@dataclass(frozen=True)
class RefreshReport:
    lists: int  # lists rebuilt
    lines: int  # lines written
    batches: int


def _sync_dimensions(platform: Platform) -> None:
    with platform.uow(read_only=True) as uow:
        enterprises = uow.stats.enterprise_rows()
    platform.analytics.replace_dimension("enterprises_dim", enterprises)
    districts = [
        {"district_code": d.code, "city_code": c.code, "name": d.name, "city_name": c.name}
        for c in platform.districts.cities
        for d in c.districts
    ]
    platform.analytics.replace_dimension("districts_dim", districts)


def refresh(platform: Platform, batch: int = BATCH) -> RefreshReport:
    """Drain the outbox. A freshly created store queues every list first (a full rebuild)."""
    store = platform.analytics
    if store.needs_rebuild():
        with platform.uow() as uow:
            uow.stats.queue_all()
            uow.commit()
        store.mark_built()
    with platform.uow(read_only=True) as uow:
        rates = RateBook(uow.stats.rates())
    lists = lines = batches = 0
    while True:
        with platform.uow() as uow:
            ids = uow.stats.pending(batch)
            if not ids:
                break
            keys = uow.stats.list_keys_of(ids)
            sources = uow.stats.sources(keys)
            rows = rows_of(line for source in sources for line in lines_of(source, rates))
            store.replace(list(keys), rows)
            uow.stats.done(ids)
            uow.commit()
        lists += len(keys)
        lines += len(rows)
        batches += 1
    if batches:
        _sync_dimensions(platform)
    return RefreshReport(lists, lines, batches)


def rebuild(platform: Platform) -> RefreshReport:
    """Rebuild every list (after loading exchange rates, or to repair the store)."""
    with platform.uow() as uow:
        uow.stats.queue_all()
        uow.commit()
    return refresh(platform)


@contextmanager
def open_lines(platform: Platform, *, fresh: bool = True) -> Iterator[ir.Table]:
    """The fact table as an Ibis table on the store, refreshed first unless ``fresh=False``."""
    if fresh:
        refresh(platform)
    with platform.analytics.session() as con:
        yield con.table("list_lines")
