"""Platform facts (``policy.facts.PLATFORM_FACTS``) of enterprises for one calendar year.

The statistics caliber (docs/stats.md): released lists (放行 800/899) in the year of release,
each line converted to CNY at the rate in force on its release date. Two readers give the same
figures from the same monthly sums:

- :func:`platform_facts` reads the analytics store (one grouped query for any number of
  enterprises) — matching and simulation over a whole city;
- :func:`platform_facts_from_lists` rebuilds one enterprise's lines from the database with the
  store's own line builder (``stats.facts.lines_of``) — the anti-fraud gate, which must not
  depend on when the store was last refreshed.

A figure the platform cannot state is absent, with the reason: a released line without a loaded
rate for its currency leaves its direction's CNY total unknown (an incomplete sum is not the
figure), and ``trade_value_usd`` needs a loaded USD rate (customs code 502) for every month with
trade. Overseas warehouses are the filings (海外仓备案) filed by the year's end and still filed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import ibis.expr.types as ir

from cbec.export.model import RELEASED_STATUSES
from cbec.registry.warehouses import DirectoryQuery, OverseasWarehouse, WarehouseStatus
from cbec.stats.catalog import CATALOG
from cbec.stats.facts import EXPORT, IMPORT, FactLine, SourceItem, SourceList, lines_of
from cbec.stats.fx import RateBook

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["USD", "MonthSum", "PlatformFacts", "assemble", "platform_facts", "platform_facts_from_lists"]

USD = "502"
FEN = Decimal("0.01")
ALL_WAREHOUSES = 10**9  # the directory query's page size when every filing is wanted


@dataclass(frozen=True)
class MonthSum:
    """Released lines of one enterprise, direction and month of release."""

    direction: str
    month: str  # YYYY-MM
    cny_fen: int  # converted lines only
    unconverted: int  # lines without a rate for their currency
    lists: int


@dataclass(frozen=True)
class PlatformFacts:
    enterprise_id: int
    year: int
    values: Mapping[str, Decimal]  # fact name → value; a fact the platform cannot state is absent
    provenance: Mapping[str, str]  # fact name → metric, caliber, year
    unknown: Mapping[str, str] = field(default_factory=dict)  # fact name → why it is absent

    def get(self, name: str) -> Decimal | None:
        return self.values.get(name)

    def as_dict(self) -> dict[str, object]:
        names = sorted(set(self.values) | set(self.unknown))
        return {
            "enterprise_id": self.enterprise_id,
            "year": self.year,
            "facts": {
                n: {
                    "value": str(self.values[n]) if n in self.values else None,
                    "unknown": self.unknown.get(n),
                    "source": self.provenance.get(n, ""),
                }
                for n in names
            },
        }


def _month_end(month: str) -> date:
    first = date.fromisoformat(f"{month}-01")
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def assemble(
    enterprise_id: int,
    year: int,
    months: Iterable[MonthSum],
    warehouses: Iterable[OverseasWarehouse],
    rates: RateBook,
    reader: str,
) -> PlatformFacts:
    """Every platform fact from the monthly sums and the filings (pure; both readers end here)."""
    values: dict[str, Decimal] = {}
    unknown: dict[str, str] = {}
    provenance: dict[str, str] = {}
    caliber = CATALOG["trade_value"].caliber
    cny: dict[str, int] = {EXPORT: 0, IMPORT: 0}
    unconverted: dict[str, int] = {EXPORT: 0, IMPORT: 0}
    lists: dict[str, int] = {EXPORT: 0, IMPORT: 0}
    by_month: dict[str, int] = defaultdict(int)
    for m in months:
        cny[m.direction] += m.cny_fen
        unconverted[m.direction] += m.unconverted
        lists[m.direction] += m.lists
        by_month[m.month] += m.cny_fen
    for direction in (EXPORT, IMPORT):
        name = f"{direction}_value_cny"
        provenance[name] = f"trade_value[direction={direction}, year={year}] ({reader}): {caliber}"
        if unconverted[direction]:
            unknown[name] = (
                f"{unconverted[direction]} released {direction} lines of {year} have no exchange rate loaded "
                "for their currency; the CNY total would be incomplete"
            )
        else:
            values[name] = (Decimal(cny[direction]) / 100).quantize(FEN)
    provenance["trade_value_cny"] = f"trade_value[year={year}] ({reader}): export_value_cny + import_value_cny"
    if EXPORT + "_value_cny" in values and IMPORT + "_value_cny" in values:
        values["trade_value_cny"] = values["export_value_cny"] + values["import_value_cny"]
    else:
        unknown["trade_value_cny"] = "; ".join(
            unknown[f"{d}_value_cny"] for d in (EXPORT, IMPORT) if f"{d}_value_cny" in unknown
        )
    _usd(values, unknown, provenance, by_month, rates, year)
    provenance["export_lists"] = (
        f"list_count[direction=export, year={year}] ({reader}): {CATALOG['list_count'].caliber}"
    )
    values["export_lists"] = Decimal(lists[EXPORT])
    year_end = date(year, 12, 31)
    filed = [w for w in warehouses if w.is_filed and w.filed_at.date() <= year_end]
    values["overseas_warehouses"] = Decimal(len(filed))
    values["overseas_warehouse_area_m2"] = sum((w.area for w in filed), Decimal("0.00"))
    where = f"overseas warehouse filings (海外仓备案) filed by {year_end.isoformat()} and still filed"
    provenance["overseas_warehouses"] = f"overseas_warehouses.count: {where}"
    provenance["overseas_warehouse_area_m2"] = f"overseas_warehouses.area: {where}, m2"
    return PlatformFacts(enterprise_id, year, values, provenance, unknown)


def _usd(
    values: dict[str, Decimal],
    unknown: dict[str, str],
    provenance: dict[str, str],
    by_month: Mapping[str, int],
    rates: RateBook,
    year: int,
) -> None:
    name = "trade_value_usd"
    provenance[name] = (
        f"trade_value_cny of {year}, each month's CNY divided by the loaded USD rate (502) in force on the "
        "month's last day (stats fx), summed and rounded half up to the cent"
    )
    if "trade_value_cny" not in values:
        unknown[name] = f"trade_value_cny is unknown: {unknown['trade_value_cny']}"
        return
    total = Decimal(0)
    sources = set()
    for month, fen in sorted(by_month.items()):
        if not fen:
            continue
        rate = rates.find(USD, _month_end(month))
        if rate is None:
            unknown[name] = f"no USD rate (502) is loaded for {month}; load one with `cbec analytics rates --load`"
            return
        total += Decimal(fen) / 100 / rate.cny_per_unit
        sources.add(rate.source)
    values[name] = total.quantize(FEN, rounding=ROUND_HALF_UP)
    if sources:
        provenance[name] += f"; rates: {', '.join(sorted(sources))}"


def _filed_by_enterprise(uow: SqlUnitOfWork, wanted: set[int]) -> dict[int, list[OverseasWarehouse]]:
    entries, _ = uow.warehouses.search(DirectoryQuery(limit=ALL_WAREHOUSES), WarehouseStatus.FILED)
    found: dict[int, list[OverseasWarehouse]] = defaultdict(list)
    for entry in entries:
        if entry.warehouse.enterprise_id in wanted:
            found[entry.warehouse.enterprise_id].append(entry.warehouse)
    return found


def platform_facts(
    uow: SqlUnitOfWork, lines: ir.Table, enterprise_ids: Sequence[int], year: int
) -> dict[int, PlatformFacts]:
    """The platform facts of many enterprises for ``year`` from the analytics store's fact table:
    one grouped query for the trade figures, one for the filings, one for the rates."""
    wanted = sorted(set(enterprise_ids))
    if not wanted:
        return {}
    rel = lines.filter(lines.released, lines.year == year, lines.enterprise_id.isin(wanted))
    grouped = rel.group_by(["enterprise_id", "direction", "month"]).aggregate(
        cny_fen=rel.cny_fen.sum().fill_null(0).cast("int64"),
        unconverted=rel.cny_fen.isnull().sum().fill_null(0).cast("int64"),
        lists=rel.count(where=rel.first_line).cast("int64"),
    )
    months: dict[int, list[MonthSum]] = defaultdict(list)
    for row in grouped.to_pyarrow().to_pylist():
        months[int(row["enterprise_id"])].append(
            MonthSum(
                str(row["direction"]),
                str(row["month"]),
                int(row["cny_fen"]),
                int(row["unconverted"]),
                int(row["lists"]),
            )
        )
    warehouses = _filed_by_enterprise(uow, set(wanted))
    rates = RateBook(uow.stats.rates())
    return {i: assemble(i, year, months.get(i, ()), warehouses.get(i, ()), rates, "analytics store") for i in wanted}


def _month_sums(fact_lines: Iterable[FactLine], enterprise_id: int, year: int) -> list[MonthSum]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in fact_lines:
        if not line.released or line.year != year or line.enterprise_id != enterprise_id or line.month is None:
            continue
        found = sums[(line.direction, line.month)]
        if line.cny_fen is None:
            found[1] += 1
        else:
            found[0] += line.cny_fen
        found[2] += int(line.first_line)
    return [MonthSum(d, m, c, u, n) for (d, m), (c, u, n) in sorted(sums.items())]


def platform_facts_from_lists(uow: SqlUnitOfWork, enterprise_id: int, year: int) -> PlatformFacts:
    """One enterprise's platform facts for ``year`` straight from the database: its released export
    lists and the import lists naming it as e-commerce enterprise, rebuilt as fact lines exactly as
    the analytics store builds them."""
    rates = RateBook(uow.stats.rates())
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    sources = [
        SourceList(
            direction=EXPORT,
            business_key=f"{x.agent_code}{x.cop_no}",
            trade_mode=x.trade_mode,
            statistics_flag=x.statistics_flag,
            city_code=x.city_code,
            district_code=x.district_code,
            enterprise_id=x.enterprise_id,
            declared_on=x.ie_date,
            released_on=x.released_on,
            status=x.status,
            items=tuple(SourceItem(i.gnum, i.gcode, i.country, i.currency, i.total) for i in x.items),
        )
        for x in uow.exports.lists(
            enterprise_id=enterprise_id, statuses=RELEASED_STATUSES, released_from=start, released_before=end
        )
    ]
    enterprise = uow.enterprises.get(enterprise_id)
    if enterprise is not None and enterprise.customs_code:
        documents = uow.documents.current_of_type("CEB621", ebc_code=enterprise.customs_code)
        sources += uow.stats.sources({f"I:{d.business_key}": d.business_key for d in documents})
    fact_lines = [line for source in sources for line in lines_of(source, rates)]
    warehouses = uow.warehouses.of_enterprise(enterprise_id)
    return assemble(
        enterprise_id, year, _month_sums(fact_lines, enterprise_id, year), warehouses, rates, "platform database"
    )
