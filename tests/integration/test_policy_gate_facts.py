"""Platform facts and the anti-fraud gate against real stored export lists, on SQLite and PostgreSQL.

The demo export traffic is sent through intake; the analytics store is refreshed; the facts read
from the store (matching) equal the facts rebuilt from the database (the gate) and the released
lists' own sums. A declaration the lists do not support is blocked with the reconciliation."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from cbec.bootstrap import Platform
from cbec.export.model import RELEASED_STATUSES
from cbec.policy.fact_sources import platform_facts, platform_facts_from_lists
from cbec.policy.gate import check
from cbec.stats.facts import fen
from cbec.stats.refresh import open_lines
from cbec.testing.policy_exports import USD_RATE, seed_exports
from cbec.testing.policy_match import fixture_catalog


def _expected(platform: Platform) -> dict[tuple[int, int], tuple[Decimal, int]]:
    """Released export value in CNY and list count per (enterprise, year of release), from the lists."""
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    with platform.uow(read_only=True) as uow:
        for x in uow.exports.lists(statuses=RELEASED_STATUSES):
            if x.enterprise_id is None or x.released_on is None:
                continue
            found = out[(x.enterprise_id, x.released_on.year)]
            for item in x.items:
                rate = Decimal(1) if item.currency == "142" else USD_RATE
                assert item.currency in ("142", "502")
                found[0] += fen(item.total * rate)
            found[1] += 1
    return {k: ((Decimal(v[0]) / 100).quantize(Decimal("0.01")), v[1]) for k, v in out.items()}


def test_platform_facts_and_the_gate_on_stored_lists(platform: Platform, tmp_path: Path) -> None:
    unpaid = seed_exports(platform)
    expected = _expected(platform)
    assert expected
    ids = sorted({e for e, _ in expected})
    years = sorted({y for _, y in expected})
    with open_lines(platform) as lines, platform.uow(read_only=True) as uow:
        for year in years:
            from_store = platform_facts(uow, lines, ids, year)
            for enterprise_id in ids:
                store = from_store[enterprise_id]
                database = platform_facts_from_lists(uow, enterprise_id, year)
                assert store.values == database.values, (enterprise_id, year)
                value, count = expected.get((enterprise_id, year), (Decimal("0.00"), 0))
                assert store.values["export_value_cny"] == value
                assert store.values["export_lists"] == count
                assert store.values["import_value_cny"] == Decimal("0.00")  # export traffic only
                usd = (value / USD_RATE).quantize(Decimal("0.01"), ROUND_HALF_UP)
                assert store.values["trade_value_usd"] == usd
                assert "year=" + str(year) in store.provenance["export_value_cny"]
    benefit = fixture_catalog(tmp_path / "catalog").benefits["fixture-2024.export"]
    threshold = platform.settings.reconcile_threshold
    (enterprise_id, year), (value, _) = max(expected.items(), key=lambda kv: kv[1][0])
    with platform.uow(read_only=True) as uow:
        enterprise = uow.enterprises.get(enterprise_id)
        assert enterprise is not None
        inflated = check(
            uow,
            benefit=benefit,
            enterprise_id=enterprise_id,
            facts={"export_value": value * 3},
            year=year,
            threshold=threshold,
        )
        honest = check(
            uow,
            benefit=benefit,
            enterprise_id=enterprise_id,
            facts={"export_value": value},
            year=year,
            threshold=threshold,
        )
    assert not inflated.passed
    assert inflated.reasons[0] == (
        f"export_value: declared {value * 3} CNY, the platform's export_value_cny for {year} is {value}: "
        f"a gap of 200.00% exceeds the threshold {(threshold * 100).quantize(Decimal('0.01'))}%"
    )
    shown = inflated.as_dict()
    assert shown["platform"]["export_value"]["value"] == str(value)
    assert shown["platform"]["export_value"]["gap"] == "2.0000"
    months = shown["reconciliation"]["months"]
    assert months
    assert {m["month"][:4] for m in months} == {str(year)}
    assert sum(m["lists"] for m in months) == expected[(enterprise_id, year)][1]
    assert honest.declared == {"export_value": str(value)}
    assert honest.platform["export_value"]["passed"] is True
    assert honest.passed is (enterprise.customs_code not in unpaid and not honest.reconciliation["flagged_months"])
    # The exporter whose goods are never paid for: flagged months block even an honest declaration.
    with platform.uow(read_only=True) as uow:
        owner = uow.enterprises.by_customs_codes(unpaid)
        bad = next(iter(owner.values()))
        bad_year = max((y for e, y in expected if e == bad.id), key=lambda y: expected[(bad.id, y)][0])
        bad_value = expected[(bad.id, bad_year)][0]
        blocked = check(
            uow,
            benefit=benefit,
            enterprise_id=bad.id,
            facts={"export_value": bad_value},
            year=bad_year,
            threshold=threshold,
        )
    assert not blocked.passed
    assert blocked.platform["export_value"]["passed"] is True
    assert blocked.reconciliation["flagged_months"]
    assert all("未收款清单货值占比" in r or "未离境" in r for r in blocked.reasons)
