"""A small, fixed fact dataset whose every metric can be worked out by hand.

Values are round numbers of 万 yuan (1万 = 10,000 yuan = 1,000,000 fen) so sums read easily.
Places: city 3301 (districts 330101, 330102) and city 3302 (district 330201). Enterprises 1-4
and one unregistered shipper (enterprise None). USD (502) is 7.0 from 2023-01-01 and 7.2 from
2024-01-01; EUR (300) has no rate, so its line is unconverted. Countries: 116 Japan, 133 Korea,
303 UK, 502 USA.

Released lines by month, CNY 万 (tests/unit/test_stats_catalog.py relies on these):

    2023-03  L01 I 9610 e1 330101  61: 300, 33: 100                              = 400
    2023-04  L03 E 9610A e3 330201 85: USD 5 x 7.0 = 35                          =  35
    2023-12  L02 I 1210 e2 330102  33: 200 (899)
             L04 E 9710 e4 330101  94: 5000, 94: 500                             = 5700
    2024-01  L05 I 9610 e1 330101  61: 500 (returned 49.02), 33: 100
             L11 E 9710 e4 330101  94: 6000, 94: 1000                            = 7600
    2024-03  L06 I 9610 e1 330101  61: 600
             L07 I 1210 e2 330102  33: 300 (returned 30)
             L08 E 9610A e3 330201 85: USD 5 x 7.2 = 36, 85: USD 2.5 x 7.2 = 18
             L17 I 9610 None 330102 61: 10                                       = 964
    2024-04  L09 E 9610B e3 330201 85: 5
             L10 E 9610B e4 330101 94: 1000 (returned 100), 95: 100 (899)
             L12 E 9810 e2 330102  84: 400
             L13 I 9610 e3 330201  33: EUR 5, no rate -> unconverted           = 1505

Not released (pipeline): L14 I 9610 e1 status 120, CNY 80; L15 E 9610A e3 status 120,
USD 1 x 7.2 = 7.2 (declared 2024-04-28); L16 E 9710 e4 status 500, CNY 200.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cbec.stats.facts import EXPORT, IMPORT, FactLine, SourceItem, SourceList, lines_of
from cbec.stats.fx import FxRate, RateBook

__all__ = ["WAN", "fixed_lines", "fixed_rates", "fixed_rows", "unregistered_history_rows"]

WAN = 1_000_000  # fen in 1万 yuan, for expected values written as "400 * WAN"
USD, EUR, CNY = "502", "300", "142"


def fixed_rates() -> RateBook:
    return RateBook(
        [
            FxRate(USD, date(2023, 1, 1), Decimal("7.0"), "test: not an official rate"),
            FxRate(USD, date(2024, 1, 1), Decimal("7.2"), "test: not an official rate"),
        ]
    )


def _item(gnum: int, hs_code: str, country: str, wan: str, currency: str = CNY, returned: str = "0") -> SourceItem:
    """An item of ``wan`` 万 in ``currency`` (returned likewise)."""
    return SourceItem(gnum, hs_code, country, currency, Decimal(wan) * 10_000, Decimal(returned) * 10_000)


def _list(
    key: str,
    direction: str,
    trade_mode: str,
    enterprise: int | None,
    district: str,
    released_on: date | None,
    items: tuple[SourceItem, ...],
    *,
    flag: str = "",
    status: str = "800",
    declared_on: date | None = None,
) -> SourceList:
    declared = declared_on or (released_on - timedelta(days=2) if released_on else None)
    return SourceList(
        direction=direction,
        business_key=f"AGENT{key}",
        trade_mode=trade_mode,
        statistics_flag=flag,
        city_code=district[:4],
        district_code=district,
        enterprise_id=enterprise,
        declared_on=declared,
        released_on=released_on,
        status=status,
        items=items,
    )


def _sources() -> list[SourceList]:
    d = date
    return [
        _list(
            "L01",
            IMPORT,
            "9610",
            1,
            "330101",
            d(2023, 3, 10),
            (_item(1, "6109100000", "116", "300"), _item(2, "3304990000", "133", "100")),
        ),
        _list(
            "L02", IMPORT, "1210", 2, "330102", d(2023, 12, 5), (_item(1, "3304990000", "116", "200"),), status="899"
        ),
        _list("L03", EXPORT, "9610", 3, "330201", d(2023, 4, 20), (_item(1, "8517620000", "502", "5", USD),), flag="A"),
        _list(
            "L04",
            EXPORT,
            "9710",
            4,
            "330101",
            d(2023, 12, 15),
            (_item(1, "9403600000", "303", "5000"), _item(2, "9401710000", "502", "500")),
        ),
        _list(
            "L05",
            IMPORT,
            "9610",
            1,
            "330101",
            d(2024, 1, 8),
            (_item(1, "6109100000", "116", "500", returned="49.02"), _item(2, "3304990000", "133", "100")),
        ),
        _list("L06", IMPORT, "9610", 1, "330101", d(2024, 3, 12), (_item(1, "6110200000", "116", "600"),)),
        _list(
            "L07", IMPORT, "1210", 2, "330102", d(2024, 3, 18), (_item(1, "3304990000", "116", "300", returned="30"),)
        ),
        _list(
            "L08",
            EXPORT,
            "9610",
            3,
            "330201",
            d(2024, 3, 22),
            (_item(1, "8517620000", "502", "5", USD), _item(2, "8518300000", "303", "2.5", USD)),
            flag="A",
        ),
        _list("L09", EXPORT, "9610", 3, "330201", d(2024, 4, 2), (_item(1, "8517620000", "303", "5"),), flag="B"),
        _list(
            "L10",
            EXPORT,
            "9610",
            4,
            "330101",
            d(2024, 4, 9),
            (_item(1, "9403600000", "502", "1000", returned="100"), _item(2, "9503000000", "502", "100")),
            flag="B",
            status="899",
        ),
        _list(
            "L11",
            EXPORT,
            "9710",
            4,
            "330101",
            d(2024, 1, 16),
            (_item(1, "9403600000", "303", "6000"), _item(2, "9401710000", "116", "1000")),
        ),
        _list("L12", EXPORT, "9810", 2, "330102", d(2024, 4, 25), (_item(1, "8471300000", "502", "400"),)),
        _list("L13", IMPORT, "9610", 3, "330201", d(2024, 4, 27), (_item(1, "3304990000", "133", "5", EUR),)),
        _list(
            "L14",
            IMPORT,
            "9610",
            1,
            "330101",
            None,
            (_item(1, "6109100000", "116", "80"),),
            status="120",
            declared_on=d(2024, 4, 26),
        ),
        _list(
            "L15",
            EXPORT,
            "9610",
            3,
            "330201",
            None,
            (_item(1, "8517620000", "502", "1", USD),),
            flag="A",
            status="120",
            declared_on=d(2024, 4, 28),
        ),
        _list(
            "L16",
            EXPORT,
            "9710",
            4,
            "330101",
            None,
            (_item(1, "9403600000", "303", "200"),),
            status="500",
            declared_on=d(2024, 4, 29),
        ),
        _list("L17", IMPORT, "9610", None, "330102", d(2024, 3, 28), (_item(1, "6109100000", "116", "10"),)),
    ]


def fixed_lines() -> list[FactLine]:
    """The 23 fact lines of the 17 lists above."""
    rates = fixed_rates()
    return [line for source in _sources() for line in lines_of(source, rates)]


def fixed_rows() -> list[dict[str, Any]]:
    return [line.row() for line in fixed_lines()]


def unregistered_history_rows() -> list[dict[str, Any]]:
    """Three released lists of one line each, for growth split by enterprise when the enterprise is
    null: unregistered CNY 100 yuan in 2024-02 and 150 in 2024-03, enterprise 1 CNY 50 in 2024-03.
    Month on month, the unregistered 2024-03 row compares with its 2024-02 row: (150 - 100) / 100."""
    sources = [
        _list("U1", IMPORT, "9610", None, "330102", date(2024, 2, 10), (_item(1, "6109100000", "116", "0.01"),)),
        _list("U2", IMPORT, "9610", None, "330102", date(2024, 3, 10), (_item(1, "6109100000", "116", "0.015"),)),
        _list("U3", IMPORT, "9610", 1, "330101", date(2024, 3, 11), (_item(1, "6109100000", "116", "0.005"),)),
    ]
    rates = fixed_rates()
    return [line.row() for source in sources for line in lines_of(source, rates)]
