"""Fact lines and dated exchange rates: the arithmetic of the fact table, to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cbec.kernel.errors import ValidationFailed
from cbec.stats.backends import duckdb_memory, run
from cbec.stats.catalog import Scope, expression
from cbec.stats.facts import EXPORT, IMPORT, SourceItem, SourceList, fen, lines_of
from cbec.stats.fx import FxRate, RateBook, parse_rates_csv

USD = "502"
BOOK = RateBook(
    [
        FxRate(USD, date(2024, 1, 1), Decimal("7.1000"), "test January"),
        FxRate(USD, date(2024, 2, 1), Decimal("7.2000"), "test February"),
    ]
)


def _list(direction: str, status: str, released_on: date | None, *items: SourceItem) -> SourceList:
    return SourceList(
        direction=direction,
        business_key="3301A0001:C001",
        trade_mode="9610",
        statistics_flag="A" if direction == EXPORT else "",
        city_code="330100",
        district_code="330108",
        enterprise_id=7,
        declared_on=date(2024, 1, 30),
        released_on=released_on,
        status=status,
        items=items,
    )


def test_rate_in_force_on_a_date() -> None:
    assert BOOK.rate(USD, date(2023, 12, 31)) is None  # before the first rate: unknown, not guessed
    assert BOOK.rate(USD, date(2024, 1, 31)) == Decimal("7.1000")
    assert BOOK.rate(USD, date(2024, 2, 1)) == Decimal("7.2000")
    assert BOOK.rate(USD, date(2030, 1, 1)) == Decimal("7.2000")
    assert BOOK.rate("142", date(1990, 1, 1)) == Decimal(1)
    assert BOOK.rate("303", date(2024, 2, 1)) is None


def test_fen_rounds_half_up() -> None:
    assert fen(Decimal("0.005")) == 1
    assert fen(Decimal("0.0049")) == 0
    assert fen(Decimal("71.0355")) == 7104


def test_export_line_converted_at_the_release_date_rate() -> None:
    source = _list(
        EXPORT,
        "899",
        date(2024, 2, 3),
        SourceItem(1, "6109100010", "502", USD, Decimal("10.01"), returned=Decimal("1.00")),
        SourceItem(2, "4202210000", "303", "142", Decimal("3.00")),
    )
    first, second = lines_of(source, BOOK)
    assert first.line_key == "E:3301A0001:C001#1"
    assert (first.value_fen, first.cny_fen, first.returned_fen) == (1001, 7207, 720)  # 10.01 × 7.2 = 72.072
    assert (first.origin_country, first.destination_country, first.hs_chapter) == ("142", "502", "61")
    assert (first.month, first.year, first.released) == ("2024-02", 2024, True)
    assert (second.cny_fen, second.currency) == (300, "142")


def test_unreleased_line_has_no_month_and_a_provisional_value() -> None:
    (line,) = lines_of(_list(IMPORT, "120", None, SourceItem(1, "3304990000", "601", USD, Decimal("100.00"))), BOOK)
    assert (line.released, line.month, line.year, line.released_on) == (False, None, None, None)
    assert line.cny_fen == 71000  # declared 2024-01-30 at 7.1
    assert (line.origin_country, line.destination_country) == ("601", "142")


def test_a_release_without_a_rate_is_unconverted() -> None:
    item = SourceItem(1, "3304990000", "601", "300", Decimal("5"))
    (line,) = lines_of(_list(IMPORT, "800", date(2024, 3, 1), item), BOOK)
    assert (line.released, line.cny_fen, line.value_fen) == (True, None, 500)


def test_rates_file_errors_name_row_and_field() -> None:
    text = (
        "currency,valid_from,cny_per_unit,source\n"
        "502,2024-01-01,7.1,notice 1\n"
        "50,2024-01-01,7.1,notice 2\n"
        "502,2024-13-01,7.1,notice 3\n"
        "502,2024-02-01,-1,notice 4\n"
        "502,2024-03-01,7.1,\n"
        "502,2024-01-01,7.2,notice 6\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        parse_rates_csv(text)
    assert [(e.path, e.code) for e in caught.value.errors] == [
        ("row[3]/currency", "rates.currency"),
        ("row[4]/valid_from", "rates.date"),
        ("row[5]/cny_per_unit", "rates.value"),
        ("row[6]/source", "rates.source"),
        ("row[7]", "rates.duplicate"),
    ]
    assert parse_rates_csv("\ufeffcurrency,valid_from,cny_per_unit,source\n502,2024-01-01,7.1,n\n") == [
        FxRate(USD, date(2024, 1, 1), Decimal("7.1"), "n")
    ]


def test_a_list_counts_once_by_list_level_splits_and_in_each_chapter_by_item_level_ones() -> None:
    two_chapters = _list(
        EXPORT,
        "800",
        date(2024, 2, 3),
        SourceItem(2, "6109100010", "502", "142", Decimal("1.00")),
        SourceItem(1, "8517130000", "502", "142", Decimal("2.00")),
    )
    rows = [line.row() for line in lines_of(two_chapters, BOOK)]
    assert [r["first_line"] for r in rows] == [False, True]  # the lowest item number carries the list
    lines = duckdb_memory(rows)
    assert run(expression(lines, "list_count", Scope(), ("month", "code"))) == [
        {"month": "2024-02", "trade_mode": "9610", "lists": 1}
    ]
    assert run(expression(lines, "list_count", Scope(), ("hs_chapter",))) == [
        {"hs_chapter": "61", "lists": 1},
        {"hs_chapter": "85", "lists": 1},
    ]
