"""``cbec policy match | simulate | gate`` in a real subprocess over demo accounts and export traffic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from cbec.bootstrap import Platform
from cbec.demo.exports import export_stream
from cbec.demo.traffic import seed_export_parties
from cbec.exchange.customs import SimulatedCustoms, SimulationRates
from cbec.exchange.intake import IntakeContext, ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.model import RELEASED_STATUSES
from cbec.identity.model import SYSTEM
from cbec.stats.facts import fen
from cbec.stats.fx import FxRate
from cbec.testing.cli import run_json
from cbec.testing.policy_match import write_fixture_catalog

USD_RATE = Decimal("7.1")
HANGZHOU = "330100"


@pytest.fixture
def seeded(demo_platform: Callable[[int], Platform], tmp_path: Path) -> dict[str, Any]:
    platform = demo_platform(10)
    channels, warehouses = seed_export_parties(platform.uow, platform.districts, seed=7)
    ctx = IntakeContext(platform.protector, SimulatedCustoms(SimulationRates(0, 0)))
    for message in export_stream(channels, size="small", seed=7, warehouse_nos=warehouses):
        with platform.uow() as uow:
            ingest_message(uow, SYSTEM, to_xml(message), ctx)
    with platform.uow() as uow:
        uow.stats.load_rates(
            [FxRate("502", date(2020, 1, 1), USD_RATE, "test: not an official rate")], datetime.now(UTC)
        )
        uow.commit()
    values: dict[tuple[int, int], int] = defaultdict(int)
    with platform.uow(read_only=True) as uow:
        for x in uow.exports.lists(statuses=RELEASED_STATUSES, city_code=HANGZHOU):
            if x.enterprise_id is not None and x.released_on is not None:
                for item in x.items:
                    rate = Decimal(1) if item.currency == "142" else USD_RATE
                    values[(x.enterprise_id, x.released_on.year)] += fen(item.total * rate)
    # the fixture catalog is in force from 2024
    (enterprise_id, year), top = max(((k, v) for k, v in values.items() if k[1] >= 2024), key=lambda kv: kv[1])
    return {
        "url": str(platform.settings.database_url),
        "catalog": str(write_fixture_catalog(tmp_path / "catalog")),
        "enterprise": enterprise_id,
        "year": year,
        "value": (Decimal(top) / 100).quantize(Decimal("0.01")),
        "all": values,
    }


def _run(tmp_path: Path, url: str, *args: str, code: int = 0) -> Any:
    return run_json(tmp_path, url, "policy", *args, code=code)


def test_match_simulate_and_gate(seeded: dict[str, Any], tmp_path: Path) -> None:
    url, catalog, enterprise, year, value = (seeded[k] for k in ("url", "catalog", "enterprise", "year", "value"))
    out = _run(tmp_path, url, "match", "--enterprise", str(enterprise), "--year", str(year), "--catalog", catalog)
    (found,) = out["enterprises"]
    assert found["enterprise"]["id"] == enterprise
    assert found["platform_facts"]["export_value_cny"]["value"] == str(value)
    benefits = {b["benefit"]: b for b in found["benefits"]}
    export = benefits["fixture-2024.export"]
    expected = min((value * Decimal("0.01")).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("200000.00"))
    if value >= Decimal("1000000"):
        assert (export["status"], export["amount"], export["proposable"]) == ("qualifies", str(expected), True)
    else:
        assert export["status"] == "not_eligible"
    assert benefits["fixture-2024.promotion"]["missing"][0]["name"] == "promotion_cost"

    gate = _run(
        tmp_path,
        url,
        "gate",
        "--enterprise",
        str(enterprise),
        "--benefit",
        "fixture-2024.export",
        "--fact",
        f"export_value={value * 3}",
        "--year",
        str(year),
        "--catalog",
        catalog,
    )
    assert gate["passed"] is False
    assert gate["reasons"][0].startswith(f"export_value: declared {value * 3} CNY")
    assert gate["platform"]["export_value"]["value"] == str(value)
    assert gate["reconciliation"]["months"]
    assert all(m["month"].startswith(str(year)) for m in gate["reconciliation"]["months"])

    sim = _run(
        tmp_path,
        url,
        "simulate",
        "--year",
        str(year),
        "--set",
        "fixture-2024.export.rate=0.02",
        "--city",
        "Hangzhou",
        "--catalog",
        catalog,
    )
    assert sim["overrides"] == [
        {"parameter": "fixture-2024.export.rate", "unit": "ratio", "baseline": "0.01", "draft": "0.02"}
    ]
    rows = {r["benefit"]: r for r in sim["by_benefit"]}
    amounts = [Decimal(v) / 100 for (e, y), v in seeded["all"].items() if y == year]
    base = sum(
        (
            min((a * Decimal("0.01")).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("200000"))
            for a in amounts
            if a >= 1000000
        ),
        Decimal("0.00"),
    )
    draft = sum(
        (
            min((a * Decimal("0.02")).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("200000"))
            for a in amounts
            if a >= 1000000
        ),
        Decimal("0.00"),
    )
    assert rows["fixture-2024.export"]["baseline"] == str(base)
    assert rows["fixture-2024.export"]["draft"] == str(draft)


def test_scope_and_refusals(seeded: dict[str, Any], tmp_path: Path) -> None:
    url, catalog, year = seeded["url"], seeded["catalog"], str(seeded["year"])
    mine = _run(tmp_path, url, "match", "--as", "demo.enterprise", "--year", year, "--catalog", catalog)
    assert len(mine["enterprises"]) == 1
    refused = _run(
        tmp_path,
        url,
        "match",
        "--as",
        "demo.enterprise",
        "--enterprise",
        str(seeded["enterprise"]),
        "--year",
        year,
        code=1,
    )
    assert refused["error"]["code"] == "permission_denied"
    city = _run(tmp_path, url, "match", "--as", "demo.admin", "--year", year, "--catalog", catalog)
    assert {e["enterprise"]["city_code"] for e in city["enterprises"]} == {HANGZHOU}
    bad = _run(tmp_path, url, "simulate", "--year", year, "--set", "nope=1", "--catalog", catalog, code=1)
    assert bad["error"]["errors"][0]["path"] == "set.nope"
    proposed = _run(tmp_path, url, "match", "--year", year, "--propose")
    assert proposed["proposed"]  # 免申即享: every fact from the platform, no application needed
    assert {(a["origin"], a["status"]) for a in proposed["proposed"]} == {("proposed", "submitted")}
    for a in proposed["proposed"]:
        assert a["facts"]
        assert a["year"] == int(year)
    again = _run(tmp_path, url, "match", "--year", year, "--propose")
    assert again["proposed"] == []  # proposing twice changes nothing
