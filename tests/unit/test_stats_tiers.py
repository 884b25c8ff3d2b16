"""Tier thresholds (tiers.toml), placement at and around the boundaries, USD, moves: exact values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cbec.stats.tiers import BELOW, PLACED, UNKNOWN, Move, load_tiers, moves, place

D = Decimal  # short for exact literals in tables of expected values

BOOK = load_tiers()


def test_every_city_has_its_sourced_thresholds() -> None:
    assert set(BOOK.cities) == {"330100", "500000", "442000", "370100"}
    assert BOOK.close_share == D("0.80")
    got = {c: [(t.threshold, t.currency, t.inclusive) for t in city.tiers] for c, city in BOOK.cities.items()}
    assert got == {
        "330100": [
            (D(100000000), "CNY", True),
            (D(500000000), "CNY", True),
            (D(1000000000), "CNY", True),
            (D(5000000000), "CNY", True),
        ],
        "500000": [
            (D(20000000), "CNY", True),
            (D(100000000), "CNY", True),
            (D(1000000000), "CNY", True),
        ],
        "442000": [(D(100000000), "CNY", False), (D(1000000000), "CNY", False)],
        "370100": [(D(10000000), "USD", False), (D(100000000), "CNY", False)],
    }
    assert BOOK.cities["500000"].clause == "Chongqing 一"
    assert BOOK.cities["330100"].clause == "Hangzhou 行动计划 1; Hangzhou support (一)"
    assert BOOK.cities["442000"].clause == "Zhongshan 3"
    assert BOOK.cities["370100"].clause == "Jinan 三(一)1; Jinan 三(二)3"
    assert BOOK.cities["500000"].tiers[0].name == "年交易規模在2000萬元以上的企業"


def test_inclusive_threshold_exactly_at_the_figure_qualifies() -> None:
    got = {
        p.enterprise_id: p
        for p in place({1: D("20000000"), 2: D("19999999.99"), 3: D("90000000")}, "500000", None, BOOK)
    }
    assert (got[1].status, got[1].level, got[1].next_threshold, got[1].gap, got[1].close) == (
        PLACED,
        1,
        D(100000000),
        D(80000000),
        False,
    )
    assert (got[2].status, got[2].level, got[2].tier, got[2].gap, got[2].close) == (
        BELOW,
        0,
        None,
        D("0.01"),
        True,
    )
    assert (got[3].level, got[3].gap, got[3].close) == (1, D(10000000), True)  # 9000万 >= 80 % of 1亿
    assert [p.enterprise_id for p in place({1: D(1), 2: D(5), 3: D(5)}, "500000", None, BOOK)] == [
        2,
        3,
        1,
    ]


def test_strict_threshold_exactly_at_the_figure_does_not_qualify() -> None:
    got = {p.enterprise_id: p for p in place({1: D("100000000"), 2: D("100000000.01")}, "442000", None, BOOK)}
    assert (got[1].status, got[1].level, got[1].gap) == (BELOW, 0, D(0))
    assert got[1].reason == "0 yuan short of 电商交易额超亿元的企业 (more than 100000000) — close"
    assert (got[2].status, got[2].level, got[2].tier) == (PLACED, 1, "电商交易额超亿元的企业")


def test_top_tier_has_no_next() -> None:
    (top,) = place({7: D("5000000000")}, "330100", None, BOOK)
    assert (top.level, top.tier, top.next_tier, top.gap, top.close) == (
        4,
        "年跨境电子商务交易额50亿元重点潜力企业",
        None,
        None,
        False,
    )


def test_usd_threshold_needs_a_given_rate() -> None:
    (unknown,) = place({1: D("500000000")}, "370100", None, BOOK)
    assert (unknown.status, unknown.tier, unknown.level) == (UNKNOWN, None, 0)
    assert "no USD rate was given" in unknown.reason
    rate = D("7.1")  # 1000万美元 = 7100万元 at this (test) rate
    got = {p.enterprise_id: p for p in place({1: D("71000000"), 2: D("71000000.01")}, "370100", rate, BOOK)}
    assert (got[1].level, got[1].next_threshold) == (0, D("71000000.00"))
    assert (got[2].level, got[2].next_tier, got[2].gap, got[2].close) == (
        1,
        "交易额过亿元的本土跨境电商企业",
        D("28999999.99"),
        False,
    )
    # at 12 CNY per USD the USD tier (1.2亿) sits above 1亿: the order follows the rate
    (high,) = place({3: D("110000000")}, "370100", D(12), BOOK)
    assert (high.level, high.tier, high.next_threshold) == (
        1,
        "交易额过亿元的本土跨境电商企业",
        D("120000000.00"),
    )
    with pytest.raises(ValueError, match="positive"):
        place({1: D(1)}, "370100", D(0), BOOK)
    with pytest.raises(KeyError):
        place({1: D(1)}, "440100", None, BOOK)


def test_close_share_is_configurable() -> None:
    (p,) = place({1: D("70000000")}, "500000", None, BOOK, close_share=D("0.70"))
    assert p.close is True
    (q,) = place({1: D("70000000")}, "500000", None, BOOK)
    assert q.close is False


def test_moves_up_down_new() -> None:
    before = place(
        {1: D("30000000"), 2: D("150000000"), 3: D("1000"), 4: D("30000000")},
        "500000",
        None,
        BOOK,
    )
    after = place(
        {
            1: D("120000000"),
            2: D("90000000"),
            3: D("25000000"),
            4: D("30000000"),
            5: D("20000000"),
        },
        "500000",
        None,
        BOOK,
    )
    assert moves(before, after) == [
        Move(1, "up", "年交易規模在2000萬元以上的企業", "年交易規模在1億元以上的企業", 1, 2),
        Move(2, "down", "年交易規模在1億元以上的企業", "年交易規模在2000萬元以上的企業", 2, 1),
        Move(3, "new", None, "年交易規模在2000萬元以上的企業", 0, 1),
        Move(5, "new", None, "年交易規模在2000萬元以上的企業", 0, 1),
    ]
    dropped = moves(after, [])
    assert [(m.enterprise_id, m.kind, m.to_level) for m in dropped] == [
        (1, "down", 0),
        (2, "down", 0),
        (3, "down", 0),
        (4, "down", 0),
        (5, "down", 0),
    ]
    jinan = place({1: D("500000000")}, "370100", None, BOOK)
    assert moves([], jinan) == []
