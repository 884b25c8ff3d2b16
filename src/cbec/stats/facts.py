"""The fact table: one row per line (item) of a current, not withdrawn inventory list.

Caliber (口径) shared by every metric (docs/stats.md):
- Lists are counted, not declarations (DOMAIN §3): a 9610 A list never becomes a declaration.
- A line belongs to the month of its customs release (放行, receipt 800; 899 结关 follows it).
  Lines not yet released are kept with ``released = false`` so the pipeline can be shown, but
  no trade metric counts them.
- Value is the line's declared total (import: totalPrice, export: FOB totalPrice), converted to
  CNY with the rate in force on the release date (``fx.RateBook``); a currency without a rate
  gives ``cny_fen = null`` and the line is reported as unconverted, never guessed.
- Money is integer fen in the table so every backend sums it exactly.

A line is keyed by its list's business key (direction + agentCode + copNo) and item number, so a
new version of a list replaces its lines and a message sent twice writes the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cbec.stats.fx import RateBook

__all__ = [
    "EXPORT",
    "FACT_COLUMNS",
    "IMPORT",
    "RELEASED_STATUSES",
    "FactLine",
    "SourceItem",
    "SourceList",
    "fen",
    "lines_of",
]

IMPORT = "import"
EXPORT = "export"
CNY = "142"
RELEASED_STATUSES = frozenset({"800", "899"})

# Column name -> Ibis type string. The order is the table's column order on every backend.
FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line_key", "string"),  # list_key + "#" + gnum
    ("list_key", "string"),  # "I:" or "E:" + the list's business key
    ("direction", "string"),  # import | export
    ("trade_mode", "string"),  # 9610 | 1210 | 9710 | 9810 | 1239
    ("statistics_flag", "string"),  # export 9610: A 汇总统计 | B 汇总申报; otherwise ""
    ("city_code", "string"),
    ("district_code", "string"),
    ("enterprise_id", "int64"),  # the e-commerce enterprise (import) or shipper (export); null if unregistered
    ("hs_code", "string"),
    ("hs_chapter", "string"),  # first two digits
    ("origin_country", "string"),  # import: item origin; export: 142
    ("destination_country", "string"),  # import: 142; export: item destination
    ("currency", "string"),
    ("value_fen", "int64"),  # declared currency, fen
    ("cny_fen", "int64"),  # null when no rate is loaded for the currency and date
    ("returned_fen", "int64"),  # CNY fen returned (import 退货 CEB625, export 退运); 0 if none
    ("declared_on", "date"),
    ("released_on", "date"),  # null until customs releases the list
    ("month", "string"),  # YYYY-MM of released_on; null until released
    ("year", "int32"),  # year of released_on; null until released
    ("status", "string"),  # the list's current status (customs receipt code or platform state)
    ("released", "boolean"),
    # True on exactly one line of each list (its lowest item number): counting lists by a
    # list-level split is then a sum, not a distinct count of strings, which dominated the
    # cockpit's time on a large store (docs/benchmarks.md).
    ("first_line", "boolean"),
)
COLUMN_NAMES = tuple(name for name, _ in FACT_COLUMNS)
FEN = Decimal("0.01")


def fen(amount: Decimal) -> int:
    """Decimal yuan -> integer fen, half up (the customs rounding of money amounts)."""
    return int((amount / FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class SourceItem:
    gnum: int
    hs_code: str
    country: str  # import: origin; export: final destination
    currency: str
    total: Decimal  # in ``currency``
    returned: Decimal = Decimal(0)  # value returned, in ``currency``


@dataclass(frozen=True)
class SourceList:
    """What the fact table needs of one current list, read by storage from either direction."""

    direction: str
    business_key: str  # the list's business key in the exchange (agentCode + copNo)
    trade_mode: str
    statistics_flag: str
    city_code: str | None
    district_code: str | None
    enterprise_id: int | None
    declared_on: date | None
    released_on: date | None
    status: str
    items: tuple[SourceItem, ...]

    @property
    def list_key(self) -> str:
        return f"{'I' if self.direction == IMPORT else 'E'}:{self.business_key}"


@dataclass(frozen=True)
class FactLine:
    line_key: str
    list_key: str
    direction: str
    trade_mode: str
    statistics_flag: str
    city_code: str
    district_code: str
    enterprise_id: int | None
    hs_code: str
    hs_chapter: str
    origin_country: str
    destination_country: str
    currency: str
    value_fen: int
    cny_fen: int | None
    returned_fen: int
    declared_on: date | None
    released_on: date | None
    month: str | None
    year: int | None
    status: str
    released: bool
    first_line: bool

    def row(self) -> dict[str, Any]:
        return asdict(self)


def lines_of(source: SourceList, rates: RateBook) -> list[FactLine]:
    """The fact lines of one list. The statistics date is the release date, else the declaration
    date (so an unreleased line still gets a provisional CNY value for the pipeline view)."""
    released = source.status in RELEASED_STATUSES and source.released_on is not None
    on = source.released_on or source.declared_on
    lines = []
    first_gnum = min((item.gnum for item in source.items), default=None)
    for item in source.items:
        rate = rates.rate(item.currency, on) if on is not None else None
        cny = None if rate is None else fen(item.total * rate)
        returned = 0 if rate is None or not item.returned else fen(item.returned * rate)
        origin, destination = (item.country, CNY) if source.direction == IMPORT else (CNY, item.country)
        lines.append(
            FactLine(
                line_key=f"{source.list_key}#{item.gnum}",
                list_key=source.list_key,
                direction=source.direction,
                trade_mode=source.trade_mode,
                statistics_flag=source.statistics_flag,
                city_code=source.city_code or "",
                district_code=source.district_code or "",
                enterprise_id=source.enterprise_id,
                hs_code=item.hs_code,
                hs_chapter=item.hs_code[:2],
                origin_country=origin,
                destination_country=destination,
                currency=item.currency,
                value_fen=fen(item.total),
                cny_fen=cny,
                returned_fen=returned,
                declared_on=source.declared_on,
                released_on=source.released_on if released else None,
                month=source.released_on.strftime("%Y-%m") if released and source.released_on else None,
                year=source.released_on.year if released and source.released_on else None,
                status=source.status,
                released=released,
                first_line=item.gnum == first_gnum,
            )
        )
    return lines


def rows_of(lines: Iterable[FactLine]) -> list[dict[str, Any]]:
    return [line.row() for line in lines]


def check_row(row: Mapping[str, Any]) -> None:
    """Guard for hand-built fixtures: every column present, nothing extra."""
    missing = set(COLUMN_NAMES) - set(row)
    extra = set(row) - set(COLUMN_NAMES)
    if missing or extra:
        raise ValueError(f"fact row columns: missing {sorted(missing)}, unexpected {sorted(extra)}")
