"""Export lists as the export domain sees them, whatever store they come from.

``ExportList`` is the released (or still travelling) CEB603 list with the head fields that the
summary groups by and the dates that drive the 9610 flow; ``ListItem`` one of its goods lines.
Amounts are Decimal exactly as declared; ``value`` is the list's total rounded to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "A_FLAG",
    "B_FLAG",
    "CNY",
    "EXPORT_TRADE_MODES",
    "FEN",
    "RELEASED_STATUSES",
    "ExportList",
    "ListItem",
    "to_fen",
]

FEN = Decimal("0.01")
CNY = "142"
A_FLAG = "A"  # 简化申报 / 汇总统计: counted in statistics, never summarised
B_FLAG = "B"  # 汇总申报: merged into export declarations by the 15th of the next month
#: A list customs has released (800 放行) or closed after departure (899 结关): it counts as exported.
RELEASED_STATUSES = frozenset({"800", "899"})
#: Supervision codes a CEB603 export list may carry (DOMAIN §2).
EXPORT_TRADE_MODES = frozenset({"9610", "9710", "9810", "1210"})


def to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, ROUND_HALF_UP)


@dataclass(frozen=True)
class ListItem:
    gnum: int
    gcode: str  # HS code as declared (10 digits; 4 for 9610 A lists, 6 for 9710/9810 in a zone)
    gname: str
    unit: str
    qty: Decimal
    price: Decimal
    total: Decimal  # totalPrice as declared
    currency: str
    country: str  # final destination country (最终目的国)
    entry_id: str | None = None  # set once a CEB792 result names the item
    decl_seq_no: str | None = None
    entry_gnum: int | None = None


@dataclass(frozen=True)
class ExportList:
    document_id: int
    agent_code: str
    cop_no: str
    invt_no: str | None
    enterprise_id: int | None  # the shipper's (收发货人, ebcCode) registry id
    city_code: str | None
    district_code: str | None
    order_no: str
    logistics_code: str
    logistics_no: str
    ebc_code: str
    ebc_name: str
    owner_code: str  # 生产销售单位
    trade_mode: str
    statistics_flag: str
    customs_code: str  # 申报海关
    port_code: str  # 出境关别
    traf_mode: str
    country: str  # 运抵国
    currency: str
    ie_date: date | None
    released_on: date | None
    departed_on: date | None
    status: str
    items: tuple[ListItem, ...]
    warehouse_no: str | None = None
    sum_no: str | None = None

    @property
    def value(self) -> Decimal:
        """The list's goods value in its currency, rounded to the fen (FOB, DOMAIN §1)."""
        return to_fen(sum((item.total for item in self.items), Decimal(0)))

    @property
    def export_date(self) -> date | None:
        """The export date of record: the declared ieDate, else the release date."""
        return self.ie_date or self.released_on
