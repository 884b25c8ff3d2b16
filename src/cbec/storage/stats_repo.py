"""Reads and writes behind statistics: the outbox of lists whose fact lines must be rebuilt, the
exchange-rate table, and the read of a list's current state for the fact table."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cbec.exchange.model import date_of
from cbec.stats.facts import EXPORT, IMPORT, SourceItem, SourceList
from cbec.stats.fx import FxRate
from cbec.storage import tables as t

__all__ = ["STATS_TYPES", "SqlStatsRepository", "enqueue", "enqueue_if_list"]

# Documents whose change changes the fact table: import lists and their returns, export lists.
STATS_TYPES = ("CEB621", "CEB625", "CEB603")
D = t.documents.c
O = t.stats_outbox  # noqa: E741 — the outbox table


def _insert_ignore(conn: Connection) -> Any:
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return maker(O)


def enqueue(conn: Connection, document_ids: Iterable[int]) -> None:
    """Queue lists for the next refresh; a list already queued stays queued once."""
    now = datetime.now(UTC)
    rows = [{"document_id": i, "queued_at": now} for i in sorted(set(document_ids))]
    if rows:
        conn.execute(_insert_ignore(conn).on_conflict_do_nothing(index_elements=["document_id"]), rows)


def enqueue_if_list(conn: Connection, document_id: int) -> None:
    """Queue a document only when it is one of ``STATS_TYPES`` (one statement, no read first)."""
    chosen = select(D.id, literal(datetime.now(UTC), t.stats_outbox.c.queued_at.type)).where(
        D.id == document_id, D.message_type.in_(STATS_TYPES)
    )
    stmt = _insert_ignore(conn).from_select(["document_id", "queued_at"], chosen)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["document_id"]))


def _money(text: Any) -> Decimal:
    try:
        return Decimal(str(text)) if text not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


class SqlStatsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- outbox ------------------------------------------------------------------------------

    def queue_all(self) -> int:
        """Queue every current list (a full rebuild, e.g. after loading exchange rates)."""
        ids = self.conn.execute(select(D.id).where(D.is_current, D.message_type.in_(("CEB621", "CEB603")))).scalars()
        found = list(ids)
        enqueue(self.conn, found)
        return len(found)

    def pending(self, limit: int) -> list[int]:
        """The oldest queued documents, locked (PostgreSQL) so two refreshers take turns."""
        stmt = select(O.c.document_id).order_by(O.c.document_id).limit(limit).with_for_update()
        return list(self.conn.execute(stmt).scalars())

    def backlog(self) -> int:
        return len(list(self.conn.execute(select(O.c.document_id)).scalars()))

    def done(self, document_ids: Sequence[int]) -> None:
        if document_ids:
            self.conn.execute(delete(O).where(O.c.document_id.in_(list(document_ids))))

    # ---- the state of lists ------------------------------------------------------------------

    def list_keys_of(self, document_ids: Sequence[int]) -> dict[str, str]:
        """Direction-prefixed list keys touched by the documents: CEB625 returns point at the
        import list of the same business key."""
        rows = self.conn.execute(select(D.message_type, D.business_key).where(D.id.in_(list(document_ids))))
        keys: dict[str, str] = {}
        for message_type, business_key in rows:
            if message_type == "CEB603":
                keys[f"E:{business_key}"] = business_key
            else:
                keys[f"I:{business_key}"] = business_key
        return keys

    def sources(self, list_keys: dict[str, str]) -> list[SourceList]:
        """The current state of each list (none for a withdrawn or cancelled one)."""
        imports = [bk for key, bk in list_keys.items() if key.startswith("I:")]
        exports = [bk for key, bk in list_keys.items() if key.startswith("E:")]
        return self._imports(imports) + self._exports(exports)

    def _imports(self, business_keys: list[str]) -> list[SourceList]:
        if not business_keys:
            return []
        docs = self.conn.execute(
            select(
                D.id,
                D.business_key,
                D.enterprise_id,
                D.city_code,
                D.district_code,
                D.status,
                D.body,
                D.trade_mode,
                D.ebc_code,
            ).where(D.message_type == "CEB621", D.is_current, ~D.withdrawn, D.business_key.in_(business_keys))
        ).all()
        ids = [d.id for d in docs]
        # Import trade belongs to the e-commerce enterprise (电商企业, ebcCode), not to whoever sent
        # the list (usually a customs broker); the sender stands in when the ebc is unregistered.
        E = t.enterprises.c  # noqa: N806
        codes = sorted({d.ebc_code for d in docs if d.ebc_code})
        ebc = {
            code: (i, city, district)
            for i, code, city, district in self.conn.execute(
                select(E.id, E.customs_code, E.city_code, E.district_code).where(E.customs_code.in_(codes))
            )
        }
        released: dict[int, date | None] = {}
        if ids:
            for doc_id, return_time in self.conn.execute(
                select(t.receipts.c.document_id, t.receipts.c.return_time).where(
                    t.receipts.c.document_id.in_(ids),
                    t.receipts.c.origin == "customs",
                    t.receipts.c.return_status == "800",
                )
            ):
                released[doc_id] = date_of(return_time)
        refunds: dict[str, dict[int, Decimal]] = {}
        for business_key, body in self.conn.execute(
            select(D.business_key, D.body).where(
                D.message_type == "CEB625", D.is_current, ~D.withdrawn, D.business_key.in_(business_keys)
            )
        ):
            per_item = refunds.setdefault(business_key, {})
            for rows in json.loads(body).get("lists", {}).values():
                for row in rows:
                    gnum = int(row.get("gnum") or 0)
                    per_item[gnum] = per_item.get(gnum, Decimal(0)) + _money(row.get("totalPrice"))
        found = []
        for d in docs:
            if d.status == "cancelled":
                continue
            body = json.loads(d.body)
            head = body.get("head", {})
            returned = refunds.get(d.business_key, {})
            enterprise_id, city_code, district_code = ebc.get(
                d.ebc_code or "", (d.enterprise_id, d.city_code, d.district_code)
            )
            items = tuple(
                SourceItem(
                    gnum=int(row.get("gnum") or 0),
                    hs_code=str(row.get("gcode") or ""),
                    country=str(row.get("country") or head.get("country") or ""),
                    currency=str(row.get("currency") or head.get("currency") or ""),
                    total=_money(row.get("totalPrice")),
                    returned=returned.get(int(row.get("gnum") or 0), Decimal(0)),
                )
                for rows in body.get("lists", {}).values()
                for row in rows
            )
            found.append(
                SourceList(
                    direction=IMPORT,
                    business_key=d.business_key,
                    trade_mode=str(d.trade_mode or head.get("tradeMode") or ""),
                    statistics_flag="",
                    city_code=city_code,
                    district_code=district_code,
                    enterprise_id=enterprise_id,
                    declared_on=date_of(head.get("declTime") or head.get("appTime")),
                    released_on=released.get(d.id),
                    status=d.status,
                    items=items,
                )
            )
        return found

    def _exports(self, business_keys: list[str]) -> list[SourceList]:
        if not business_keys:
            return []
        L, LI = t.export_lists.c, t.export_list_items.c  # noqa: N806
        heads = self.conn.execute(
            select(t.export_lists, D.business_key)
            .join(t.documents, D.id == L.document_id)
            .where(D.is_current, ~D.withdrawn, D.business_key.in_(business_keys))
        ).all()
        ids = [h.document_id for h in heads]
        items: dict[int, list[Any]] = {}
        returned: dict[tuple[int, int], Decimal] = {}
        if ids:
            for row in self.conn.execute(select(t.export_list_items).where(LI.document_id.in_(ids))):
                items.setdefault(row.document_id, []).append(row)
            for doc_id, text in self.conn.execute(
                select(t.export_returns.c.document_id, t.export_returns.c["items"]).where(
                    t.export_returns.c.document_id.in_(ids)
                )
            ):
                for line in json.loads(text):
                    key = (doc_id, int(line["gnum"]))
                    returned[key] = returned.get(key, Decimal(0)) + _money(line.get("value"))
        found = []
        for h in heads:
            if h.status == "cancelled":
                continue
            found.append(
                SourceList(
                    direction=EXPORT,
                    business_key=h.business_key,
                    trade_mode=h.trade_mode,
                    statistics_flag=h.statistics_flag,
                    city_code=h.city_code,
                    district_code=h.district_code,
                    enterprise_id=h.enterprise_id,
                    declared_on=h.ie_date,
                    released_on=h.released_on,
                    status=h.status,
                    items=tuple(
                        SourceItem(
                            gnum=i.gnum,
                            hs_code=i.gcode,
                            country=i.country,
                            currency=i.currency,
                            total=i.total,
                            returned=returned.get((h.document_id, i.gnum), Decimal(0)),
                        )
                        for i in sorted(items.get(h.document_id, []), key=lambda i: i.gnum)
                    ),
                )
            )
        return found

    def enterprise_rows(self) -> list[dict[str, Any]]:
        E = t.enterprises.c  # noqa: N806
        rows = self.conn.execute(select(E.id, E.name, E.uscc, E.city_code, E.district_code))
        return [
            {"enterprise_id": i, "name": n, "uscc": u, "city_code": c, "district_code": d} for i, n, u, c, d in rows
        ]

    # ---- exchange rates ----------------------------------------------------------------------

    def rates(self) -> list[FxRate]:
        R = t.fx_rates.c  # noqa: N806
        rows = self.conn.execute(select(R.currency, R.valid_from, R.cny_per_unit, R.source))
        return [FxRate(c, v, Decimal(r), s) for c, v, r, s in rows]

    def load_rates(self, rates: Sequence[FxRate], now: datetime) -> tuple[int, int]:
        """Insert new rates and replace changed ones; return (added, changed)."""
        known = {(r.currency, r.valid_from): r for r in self.rates()}
        added = changed = 0
        for rate in rates:
            old = known.get((rate.currency, rate.valid_from))
            if old == rate:
                continue
            values = {
                "currency": rate.currency,
                "valid_from": rate.valid_from,
                "cny_per_unit": str(rate.cny_per_unit),
                "source": rate.source,
                "loaded_at": now,
            }
            if old is not None:
                self.conn.execute(
                    delete(t.fx_rates).where(
                        t.fx_rates.c.currency == rate.currency, t.fx_rates.c.valid_from == rate.valid_from
                    )
                )
                changed += 1
            else:
                added += 1
            self.conn.execute(insert(t.fx_rates), [values])
        return added, changed
