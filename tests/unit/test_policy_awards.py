"""Awards across applications, to the fen: per-year and one-off caps, frequency, the pool (先到先得,
never split) and the co-funding split."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest

from cbec.policy import awards
from cbec.policy.awards import Grant, PriorAward, Refusal
from cbec.policy.catalog import load_catalog
from cbec.policy.model import CoFunding, DatedValue, Frequency, Parameter, Rounding, Source

CATALOG = load_catalog()
# Frequency and co-funding are pinned here: the catalog may encode them differently over time,
# and these tests are about the arithmetic, not the catalog.
VOUCHER = replace(CATALOG.benefits["hz-7-capacity-voucher"], frequency=Frequency.UNLIMITED)  # 5 %, 100万/year, pool
TRADEMARK = replace(CATALOG.benefits["hz-12-trademark"], frequency=Frequency.UNLIMITED, co_funding=None)  # one-off 20万
ON = date(2025, 6, 30)


def _granted(result: Grant | Refusal) -> Grant:
    assert isinstance(result, Grant), result
    return result


def _refused(result: Grant | Refusal) -> Refusal:
    assert isinstance(result, Refusal), result
    return result


def test_the_per_year_cap_counts_the_same_award_year_only() -> None:
    prior = [
        PriorAward("PA-2025-000001", 2025, Decimal("600000.00")),
        PriorAward("PA-2025-000002", 2025, Decimal("333333.33")),
        PriorAward("PA-2024-000003", 2024, Decimal("999999.99")),  # another year: not counted
    ]
    got = _granted(awards.grant(VOUCHER, Decimal("100000.00"), on=ON, year=2025, prior=prior))
    assert (got.amount, got.capped_by) == (Decimal("66666.67"), "hz-7-capacity-voucher.cap")
    assert [(c.period, c.limit, c.used, c.debit) for c in got.caps] == [
        ("2025", Decimal("1000000.00"), Decimal("933333.33"), Decimal("66666.67"))
    ]
    assert got.pool is not None
    assert got.pool.debit == Decimal("66666.67")
    # Another year starts from nothing: the full request, no cap binding.
    fresh = _granted(awards.grant(VOUCHER, Decimal("100000.00"), on=ON, year=2026, prior=prior))
    assert (fresh.amount, fresh.capped_by) == (Decimal("100000.00"), None)


def test_a_used_up_cap_refuses_and_says_how_much_was_awarded() -> None:
    prior = [PriorAward("PA-2025-000001", 2025, Decimal("1000000.00"))]
    refused = _refused(awards.grant(VOUCHER, Decimal("0.01"), on=ON, year=2025, prior=prior))
    assert refused.code == "award.cap_used_up"
    assert refused.message == (
        "cap hz-7-capacity-voucher.cap (per_enterprise_per_year) is used up in 2025: "
        "1000000.00 of 1000000.00 already awarded"
    )


def test_a_one_off_cap_counts_every_year() -> None:
    prior = [PriorAward("PA-2025-000007", 2025, Decimal("150000.00"))]
    got = _granted(awards.grant(TRADEMARK, Decimal("70000.00"), on=date(2026, 3, 2), year=2026, prior=prior))
    assert (got.amount, got.capped_by) == (Decimal("50000.00"), "hz-12-trademark.cap")
    assert got.caps[0].period == "life"
    assert got.pool is None
    prior.append(PriorAward("PA-2026-000008", 2026, Decimal("50000.00")))
    refused = _refused(awards.grant(TRADEMARK, Decimal("1.00"), on=date(2027, 3, 1), year=2027, prior=prior))
    assert refused.message.endswith("is used up while the document is in force: 200000.00 of 200000.00 already awarded")


def test_the_pool_is_never_split_and_the_refusal_names_what_is_left() -> None:
    committed = Decimal("29970000.00")  # 30000.00 left of 3000万
    refused = _refused(awards.grant(VOUCHER, Decimal("50000.00"), on=ON, year=2025, prior=[], pool_committed=committed))
    assert refused.code == "award.pool_exhausted"
    assert refused.message == (
        "pool hz-7-pool has 30000.00 left; this award needs 50000.00 (first come, first served: the pool is not split)"
    )
    exact = _granted(awards.grant(VOUCHER, Decimal("30000.00"), on=ON, year=2025, prior=[], pool_committed=committed))
    assert exact.pool is not None
    assert (exact.pool.total, exact.pool.remaining, exact.pool.debit) == (
        Decimal("30000000.00"),
        Decimal("30000.00"),
        Decimal("30000.00"),
    )


def test_frequency_once_and_per_year() -> None:
    prior = [PriorAward("PA-2025-000004", 2025, Decimal("10.00"))]
    once = _refused(
        awards.grant(replace(VOUCHER, frequency=Frequency.ONCE), Decimal("10.00"), on=ON, year=2026, prior=prior)
    )
    assert (once.code, once.message) == (
        "award.frequency",
        "hz-7-capacity-voucher is granted once per enterprise (一次性); already awarded by PA-2025-000004",
    )
    yearly = replace(VOUCHER, frequency=Frequency.PER_YEAR)
    assert _refused(awards.grant(yearly, Decimal("10.00"), on=ON, year=2025, prior=prior)).code == "award.frequency"
    assert _granted(awards.grant(yearly, Decimal("10.00"), on=ON, year=2026, prior=prior)).amount == Decimal("10.00")


def test_rounding_is_data() -> None:
    assert _granted(awards.grant(VOUCHER, Decimal("1000.005"), on=ON, year=2025, prior=[])).amount == Decimal("1000.01")
    down = replace(VOUCHER, rounding=Rounding(Decimal("0.01"), ROUND_DOWN))
    assert _granted(awards.grant(down, Decimal("1000.005"), on=ON, year=2025, prior=[])).amount == Decimal("1000.00")
    assert _refused(awards.grant(VOUCHER, Decimal("0.004"), on=ON, year=2025, prior=[])).code == "award.nothing"


def _share(value: str) -> Parameter:
    source = Source("test", "Hangzhou", "test", "test clause")
    return Parameter("test.city-share", "ratio", "test", (DatedValue(date(2024, 1, 1), None, Decimal(value), source),))


@pytest.mark.parametrize(
    ("share", "amount", "city", "district"),
    [
        ("0.6", "333333.33", "200000.00", "133333.33"),  # 199999.998 rounds half up to the fen
        ("0.5", "0.01", "0.01", "0.00"),  # half a fen rounds up; the district pays the rest
        ("0.3", "100000.00", "30000.00", "70000.00"),
    ],
)
def test_the_split_always_adds_up(share: str, amount: str, city: str, district: str) -> None:
    benefit = replace(VOUCHER, co_funding=CoFunding(_share(share)))
    assert awards.split(benefit, Decimal(amount), ON) == {"city": city, "district": district}
    assert Decimal(city) + Decimal(district) == Decimal(amount)


def test_an_unknown_share_leaves_the_split_unknown() -> None:
    got = _granted(awards.grant(VOUCHER, Decimal("10000.00"), on=ON, year=2025, prior=[]))
    assert got.split == {
        "city": None,
        "district": None,
        "unknown": "the text says 按现行财政体制共同承担 and states no ratio",
    }
    assert awards.split(TRADEMARK, Decimal("1.00"), ON) is None  # no co-funding stated at all
