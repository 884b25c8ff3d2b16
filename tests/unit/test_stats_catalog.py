"""Every catalog metric on the fixed dataset (cbec.testing.stats), in DuckDB in memory, against
numbers worked out by hand from the table in that module's docstring.

Values are written as ``n * WAN`` (1万 yuan = 1,000,000 fen) because the dataset is in 万.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pytest

from cbec.stats.backends import duckdb_memory, run
from cbec.stats.catalog import CATALOG, DIMENSIONS, Scope, expression, ratio
from cbec.stats.facts import IMPORT, SourceItem, SourceList, lines_of
from cbec.stats.metrics_structure import SIZE_BANDS
from cbec.testing.stats import WAN, fixed_lines, fixed_rates, fixed_rows, unregistered_history_rows


@pytest.fixture(scope="module")
def lines() -> ir.Table:
    return duckdb_memory(fixed_rows())


def ask(lines: ir.Table, name: str, scope: Scope | None = None, by: tuple[str, ...] | None = None) -> list[Any]:
    return run(expression(lines, name, scope or Scope(), by))


def test_the_fixed_dataset_is_the_documented_one() -> None:
    found = fixed_lines()
    assert len(found) == 23  # 17 lists: L01 L04 L05 L08 L10 L11 have two items
    assert sum(1 for line in found if not line.released) == 3  # L14 L15 L16
    assert [line.line_key for line in found if line.cny_fen is None] == ["I:AGENTL13#1"]  # EUR, no rate
    assert {line.enterprise_id for line in found} == {1, 2, 3, 4, None}


def test_every_metric_is_described() -> None:
    assert set(CATALOG) == {
        "trade_value",
        "list_count",
        "yoy_growth",
        "mom_growth",
        "top_enterprises",
        "flag_split",
        "return_rate",
        "enterprise_count",
        "size_bands",
        "pipeline",
    }
    for found in CATALOG.values():
        assert found.title_zh
        assert found.title_en
        assert found.caliber.endswith(".")
        assert found.unit in {"fen", "count", "ratio"}
        assert set(found.default_by) <= found.allowed_by <= set(DIMENSIONS)


def test_trade_value_by_month(lines: ir.Table) -> None:
    assert ask(lines, "trade_value") == [
        {"month": "2023-03", "value_fen": 400 * WAN, "unconverted_lines": 0},  # L01 300 + 100
        {"month": "2023-04", "value_fen": 35 * WAN, "unconverted_lines": 0},  # L03 USD 5 x 7.0
        {"month": "2023-12", "value_fen": 5700 * WAN, "unconverted_lines": 0},  # L02 200 + L04 5000 + 500
        {"month": "2024-01", "value_fen": 7600 * WAN, "unconverted_lines": 0},  # L05 500 + 100 + L11 6000 + 1000
        {"month": "2024-03", "value_fen": 964 * WAN, "unconverted_lines": 0},  # 600 + 300 + 7.2 x (5 + 2.5) + 10
        {"month": "2024-04", "value_fen": 1505 * WAN, "unconverted_lines": 1},  # 5 + 1000 + 100 + 400; L13 EUR
    ]


def test_list_count_by_month_counts_lists_not_lines(lines: ir.Table) -> None:
    assert ask(lines, "list_count") == [
        {"month": "2023-03", "lists": 1},  # L01 (two lines)
        {"month": "2023-04", "lists": 1},  # L03
        {"month": "2023-12", "lists": 2},  # L02 L04
        {"month": "2024-01", "lists": 2},  # L05 L11
        {"month": "2024-03", "lists": 4},  # L06 L07 L08 L17
        {"month": "2024-04", "lists": 4},  # L09 L10 L12 L13 (unconverted still a list)
    ]


def test_yoy_growth(lines: ir.Table) -> None:
    rows = ask(lines, "yoy_growth")
    assert [(r["month"], r["value_fen"], r["previous_fen"], r["growth"]) for r in rows] == [
        ("2023-03", 400 * WAN, None, None),
        ("2023-04", 35 * WAN, None, None),
        ("2023-12", 5700 * WAN, None, None),
        ("2024-01", 7600 * WAN, None, None),  # no 2023-01
        ("2024-03", 964 * WAN, 400 * WAN, 1.41),  # (964 - 400) / 400 = 564 / 400
        ("2024-04", 1505 * WAN, 35 * WAN, 42.0),  # (1505 - 35) / 35 = 1470 / 35
    ]


def test_mom_growth_january_compares_with_december(lines: ir.Table) -> None:
    rows = ask(lines, "mom_growth")
    assert [(r["month"], r["previous_fen"], r["growth"]) for r in rows] == [
        ("2023-03", None, None),
        ("2023-04", 400 * WAN, -0.9125),  # (35 - 400) / 400 = -365 / 400
        ("2023-12", None, None),  # no 2023-11
        ("2024-01", 5700 * WAN, 0.3333),  # (7600 - 5700) / 5700 = 0.33333...
        ("2024-03", None, None),  # no 2024-02
        ("2024-04", 964 * WAN, 0.5612),  # (1505 - 964) / 964 = 541 / 964 = 0.561203...
    ]


def test_growth_with_an_extra_split_compares_like_with_like(lines: ir.Table) -> None:
    rows = ask(lines, "yoy_growth", by=("month", "city"))
    assert [(r["month"], r["city_code"], r["previous_fen"], r["growth"]) for r in rows if r["month"] >= "2024"] == [
        ("2024-01", "3301", None, None),
        ("2024-03", "3301", 400 * WAN, 1.275),  # 3301: (600 + 300 + 10 - 400) / 400 = 510 / 400
        ("2024-03", "3302", None, None),  # 3302 had nothing in 2023-03
        ("2024-04", "3301", None, None),  # 3301 had nothing in 2023-04
        ("2024-04", "3302", 35 * WAN, -0.8571),  # (5 - 35) / 35 = -0.857142...
    ]


def test_growth_by_enterprise_matches_null_with_null() -> None:
    table = duckdb_memory(unregistered_history_rows())
    assert run(expression(table, "mom_growth", Scope(), ("month", "enterprise"))) == [
        {"month": "2024-02", "enterprise_id": None, "value_fen": 10000, "previous_fen": None, "growth": None},
        {"month": "2024-03", "enterprise_id": 1, "value_fen": 5000, "previous_fen": None, "growth": None},
        # unregistered: (15000 - 10000) / 10000 fen; a plain = join would have lost the match
        {"month": "2024-03", "enterprise_id": None, "value_fen": 15000, "previous_fen": 10000, "growth": 0.5},
    ]


def test_history_metrics_see_last_year_when_the_period_starts_this_year(lines: ir.Table) -> None:
    scope = Scope(month_from="2024-01", month_to="2024-03")
    yoy = ask(lines, "yoy_growth", scope)
    assert [(r["month"], r["previous_fen"], r["growth"]) for r in yoy] == [
        ("2024-01", None, None),
        ("2024-03", 400 * WAN, 1.41),  # 2023-03 is outside the period but is the base
    ]
    mom = ask(lines, "mom_growth", scope)
    assert [(r["month"], r["previous_fen"], r["growth"]) for r in mom] == [
        ("2024-01", 5700 * WAN, 0.3333),  # December 2023 found although the period starts in January
        ("2024-03", None, None),
    ]


def test_top_enterprises_ranked_with_share_of_the_whole_scope(lines: ir.Table) -> None:
    # Scope total 16204万 = 400 + 35 + 5700 + 7600 + 964 + 1505, unregistered L17's 10 included.
    assert ask(lines, "top_enterprises") == [
        {"rank": 1, "enterprise_id": 4, "value_fen": 13600 * WAN, "share": 0.8393},  # 5500+7000+1100; 0.839299
        {"rank": 2, "enterprise_id": 1, "value_fen": 1600 * WAN, "share": 0.0987},  # 400+600+600; 0.098741
        {"rank": 3, "enterprise_id": 2, "value_fen": 900 * WAN, "share": 0.0555},  # 200+300+400; 0.055542
        {"rank": 4, "enterprise_id": 3, "value_fen": 94 * WAN, "share": 0.0058},  # 35+54+5; 0.005801
    ]


def test_top_enterprises_ties_go_to_the_lower_id() -> None:
    def source(key: str, enterprise: int) -> SourceList:
        item = SourceItem(1, "6109100000", "116", "142", Decimal(100))
        released_on = date(2024, 5, 6)
        return SourceList(
            IMPORT, key, "9610", "", "3301", "330101", enterprise, released_on, released_on, "800", (item,)
        )

    rows = [line.row() for key, ent in [("K1", 9), ("K2", 7)] for line in lines_of(source(key, ent), fixed_rates())]
    assert run(expression(duckdb_memory(rows), "top_enterprises", Scope())) == [
        {"rank": 1, "enterprise_id": 7, "value_fen": 10000, "share": 0.5},
        {"rank": 2, "enterprise_id": 9, "value_fen": 10000, "share": 0.5},
    ]


def test_flag_split_counts_released_9610_export_lists(lines: ir.Table) -> None:
    assert ask(lines, "flag_split") == [
        {"statistics_flag": "A", "lists": 2, "value_fen": 89 * WAN},  # L03 35 + L08 54; unreleased L15 not
        {"statistics_flag": "B", "lists": 2, "value_fen": 1105 * WAN},  # L09 5 + L10 1100
    ]


def test_return_rate_rounds_exact_halves_away_from_zero(lines: ir.Table) -> None:
    rows = ask(lines, "return_rate")
    assert [(r["month"], r["returned_fen"], r["value_fen"], r["rate"]) for r in rows] == [
        ("2023-03", 0, 400 * WAN, 0.0),
        ("2023-04", 0, 35 * WAN, 0.0),
        ("2023-12", 0, 5700 * WAN, 0.0),
        # 490,200 / 76,000,000 yuan = 0.00645 exactly: 0.0065 (a float round(0.00645, 4) gives 0.0064)
        ("2024-01", 49_020_000, 7600 * WAN, 0.0065),
        ("2024-03", 30 * WAN, 964 * WAN, 0.0311),  # 30 / 964 = 0.031120...
        ("2024-04", 100 * WAN, 1505 * WAN, 0.0664),  # 100 / 1505 = 0.066445...
    ]
    assert ask(lines, "return_rate", by=()) == [
        # (49.02 + 30 + 100) / 16204 = 0.011047...
        {"returned_fen": 179_020_000, "value_fen": 16204 * WAN, "rate": 0.011},
    ]


def test_ratio_is_exact_and_symmetric() -> None:
    con = ibis.duckdb.connect()
    cases = [(129, 20000, 0.0065), (-129, 20000, -0.0065), (1, 3, 0.3333), (2, 3, 0.6667), (5, 0, None)]
    for num, den, expected in cases:
        # to_pyarrow, not execute: execute goes through pandas, whose options Ibis sets trip
        # pandas 3's deprecation warning.
        found = con.to_pyarrow(ratio(ibis.literal(num, "int64"), ibis.literal(den, "int64"))).as_py()
        assert found == expected, (num, den)


def test_enterprise_count_counts_registered_enterprises(lines: ir.Table) -> None:
    assert ask(lines, "enterprise_count") == [
        {"month": "2023-03", "enterprises": 1},  # e1
        {"month": "2023-04", "enterprises": 1},  # e3
        {"month": "2023-12", "enterprises": 2},  # e2 e4
        {"month": "2024-01", "enterprises": 2},  # e1 e4
        {"month": "2024-03", "enterprises": 3},  # e1 e2 e3; the unregistered L17 not counted
        {"month": "2024-04", "enterprises": 3},  # e3 (L09, L13) e4 e2
    ]


def test_size_bands_list_every_band(lines: ir.Table) -> None:
    assert [band.band for band in SIZE_BANDS] == ["b1", "b2", "b3", "b4"]
    assert ask(lines, "size_bands") == [
        {"band": "b1", "enterprises": 1, "value_fen": 94 * WAN},  # e3 94 < 100
        {"band": "b2", "enterprises": 1, "value_fen": 900 * WAN},  # e2 900
        {"band": "b3", "enterprises": 1, "value_fen": 1600 * WAN},  # e1 1600
        {"band": "b4", "enterprises": 1, "value_fen": 13600 * WAN},  # e4 13600 >= 10000
    ]
    # 2024 only: e1 600+600, e2 300+400, e3 54+5, e4 7000+1100
    assert ask(lines, "size_bands", Scope(month_from="2024-01", month_to="2024-12")) == [
        {"band": "b1", "enterprises": 1, "value_fen": 59 * WAN},
        {"band": "b2", "enterprises": 1, "value_fen": 700 * WAN},
        {"band": "b3", "enterprises": 2, "value_fen": 9300 * WAN},  # 1200 + 8100
        {"band": "b4", "enterprises": 0, "value_fen": 0},
    ]


def test_pipeline_shows_unreleased_lists_whatever_the_period(lines: ir.Table) -> None:
    expected = [
        {"status": "120", "lists": 2, "lines": 2, "value_fen": 87_200_000, "unconverted_lines": 0},  # 80 + 7.2
        {"status": "500", "lists": 1, "lines": 1, "value_fen": 200 * WAN, "unconverted_lines": 0},  # L16
    ]
    assert ask(lines, "pipeline") == expected
    assert ask(lines, "pipeline", Scope(month_from="2024-01", month_to="2024-02")) == expected


def test_place_scopes(lines: ir.Table) -> None:
    assert ask(lines, "trade_value", Scope(city="3302")) == [  # district 330201, enterprise 3 only
        {"month": "2023-04", "value_fen": 35 * WAN, "unconverted_lines": 0},
        {"month": "2024-03", "value_fen": 54 * WAN, "unconverted_lines": 0},
        {"month": "2024-04", "value_fen": 5 * WAN, "unconverted_lines": 1},
    ]
    assert ask(lines, "trade_value", Scope(district="330102")) == [
        {"month": "2023-12", "value_fen": 200 * WAN, "unconverted_lines": 0},  # L02
        {"month": "2024-03", "value_fen": 310 * WAN, "unconverted_lines": 0},  # L07 300 + L17 10
        {"month": "2024-04", "value_fen": 400 * WAN, "unconverted_lines": 0},  # L12
    ]
    assert ask(lines, "top_enterprises", Scope(enterprise_id=1)) == [
        {"rank": 1, "enterprise_id": 1, "value_fen": 1600 * WAN, "share": 1.0},
    ]
    assert ask(lines, "list_count", Scope(directions=("export",), trade_modes=("9710", "9810")), by=()) == [
        {"lists": 3},  # L04 L11 (9710), L12 (9810)
    ]


def test_period_scope_by_city(lines: ir.Table) -> None:
    assert ask(lines, "trade_value", Scope(month_from="2024-03", month_to="2024-04"), by=("city",)) == [
        {"city_code": "3301", "value_fen": 2410 * WAN, "unconverted_lines": 0},  # 600 + 300 + 10 + 1100 + 400
        {"city_code": "3302", "value_fen": 59 * WAN, "unconverted_lines": 1},  # 54 + 5; L13
    ]


@pytest.mark.parametrize(
    ("name", "by"),
    [
        ("top_enterprises", ("month",)),
        ("yoy_growth", ("year",)),
        ("mom_growth", ("month", "year")),
        ("enterprise_count", ("enterprise",)),
        ("size_bands", ("enterprise",)),
        ("pipeline", ("month",)),
        ("trade_value", ("colour",)),
    ],
)
def test_splits_a_metric_does_not_allow_are_refused(lines: ir.Table, name: str, by: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=f"metric {name} cannot be split by"):
        expression(lines, name, Scope(), by)


def test_an_unknown_metric_is_a_key_error(lines: ir.Table) -> None:
    with pytest.raises(KeyError):
        expression(lines, "gdp", Scope())
