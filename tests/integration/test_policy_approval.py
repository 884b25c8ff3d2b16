"""Approvals on real SQLite and PostgreSQL: caps across applications, the pool (also under fifty
concurrent approvals on PostgreSQL), the anti-fraud gate, and refusals that store nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, update

from cbec.bootstrap import Platform
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import Conflict
from cbec.policy import application_services as aps
from cbec.policy import application_steps, gate
from cbec.policy.application_queries import catalog
from cbec.policy.workflow import Application, Status
from cbec.storage import tables as t
from cbec.testing.policy_apps import Actors, actors, after_notice, hangzhou_enterprise, publicised

VOUCHER = "hz-7-capacity-voucher"  # 5 % of the logistics contract fee, 100万 per year, pool hz-7-pool 3000万
PROMOTION = "hz-3-own-brand-promotion"
TOTAL = Decimal("30000000.00")


@pytest.fixture
def who(platform: Platform) -> Actors:
    return actors(platform, hangzhou_enterprise(platform, 1))


def _fee(award: str) -> dict[str, str]:
    return {"logistics_contract_fee": str(Decimal(award) * 20)}


def _state(platform: Platform) -> tuple[object, ...]:
    """Everything an approval may change, to compare before and after a refusal."""
    with platform.engine.connect() as conn:
        apps = conn.execute(
            select(t.policy_applications.c.status, t.policy_applications.c.version, t.policy_applications.c.gate)
        ).all()
        return (
            tuple(apps),
            conn.execute(select(t.policy_pools.c.committed)).scalars().all(),
            conn.execute(select(t.policy_cap_usage.c.used)).scalars().all(),
            conn.execute(select(func.count()).select_from(t.policy_events)).scalar_one(),
            conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one(),
        )


def _set_committed(platform: Platform, committed: Decimal) -> None:
    with platform.uow() as uow:
        uow.policy.ensure_pool("hz-7-pool", TOTAL, uow.clock.now())
        uow.commit()
    with platform.engine.begin() as conn:
        conn.execute(update(t.policy_pools).where(t.policy_pools.c.id == "hz-7-pool").values(committed=committed))


def _approve(platform: Platform, who: Actors, app: Application) -> Application:
    with platform.uow() as uow:
        return aps.approve(uow, who.admin, app.ref, calendar=platform.calendar)


def test_the_per_year_cap_binds_across_applications(platform: Platform, who: Actors, fixed_clock: FixedClock) -> None:
    first = publicised(platform, who, 1, VOUCHER, _fee("800000.00"))
    second = publicised(platform, who, 1, VOUCHER, _fee("333333.34"))
    fixed_clock.advance(after_notice(first))
    assert str(_approve(platform, who, first).amount_awarded) == "800000.00"
    got = _approve(platform, who, second)
    assert (str(got.amount_quoted), str(got.amount_awarded), got.capped_by) == (
        "333333.34",
        "200000.00",
        "hz-7-capacity-voucher.cap",
    )
    assert got.split == {"city": None, "district": None, "unknown": got.split["unknown"]}  # type: ignore[index]
    approval = got.events[-1].data
    assert approval["caps"] == [
        {
            "cap": "hz-7-capacity-voucher.cap",
            "kind": "per_enterprise_per_year",
            "period": "2024",
            "limit": "1000000.00",
            "used": "800000.00",
            "debit": "200000.00",
        }
    ]
    with platform.engine.connect() as conn:
        assert conn.execute(select(t.policy_cap_usage.c.used)).scalars().all() == [Decimal("1000000.00")]
        assert conn.execute(select(t.policy_pools.c.committed)).scalars().all() == [Decimal("1000000.00")]
    with platform.uow(read_only=True) as uow:
        budget = aps.budget(uow, who.admin, year=2024).as_dict()
    assert budget["pools"] == [
        {
            "id": "hz-7-pool",
            "benefit": VOUCHER,
            "total": "30000000.00",
            "committed": "1000000.00",
            "remaining": "29000000.00",
        }
    ]
    assert budget["by_benefit"] == [
        {
            "benefit": VOUCHER,
            "title": "Capacity vouchers for logistics (运力券)",
            "count": 2,
            "awarded": "1000000.00",
            "disbursed": "0.00",
        }
    ]
    assert budget["by_district"] == [{"district_code": "330108", "count": 2, "awarded": "1000000.00"}]
    assert budget["co_funding"] == {"city": "0.00", "district": "0.00", "unknown": "1000000.00"}


def test_a_refused_approval_stores_nothing_and_says_why(
    platform: Platform, who: Actors, fixed_clock: FixedClock
) -> None:
    app = publicised(platform, who, 1, VOUCHER, _fee("10000.00"))
    _set_committed(platform, TOTAL - Decimal("5000.00"))
    fixed_clock.advance(after_notice(app))
    before = _state(platform)
    with pytest.raises(Conflict) as refused:
        _approve(platform, who, app)
    assert refused.value.code == "award.pool_exhausted"
    assert refused.value.message == (
        "PA-2024-000001 cannot be approved: pool hz-7-pool has 5000.00 left; this award needs 10000.00 "
        "(first come, first served: the pool is not split)"
    )
    assert _state(platform) == before
    # A reviewer's lower amount that fits is approved.
    fixed_clock.advance(timedelta(days=-7))
    lower = publicised(platform, who, 1, VOUCHER, _fee("10000.00"), client_ref="lower", amount="5000")
    fixed_clock.advance(after_notice(lower))
    assert str(_approve(platform, who, lower).amount_awarded) == "5000.00"


def test_the_gate_refusal_stores_the_gate_result_and_nothing_else(
    platform: Platform, who: Actors, fixed_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    trade = replace(catalog().benefits[PROMOTION], trade_based=True)
    patched = replace(catalog(), benefits={**catalog().benefits, PROMOTION: trade})
    monkeypatch.setattr(application_steps, "catalog", lambda: patched)
    failed = gate.GateResult(
        False,
        ("export_value_cny: declared 5000000 CNY, the platform's export_value_cny for 2024 is 1000000.00",),
        {"export_value_cny": "5000000"},
        {"export_value_cny": {"fact": "export_value_cny", "value": "1000000.00", "gap": "4.0000", "passed": False}},
        {"months": [{"month": "2024-11", "flagged": True}]},
    )
    calls: list[dict[str, object]] = []

    def check(uow: object, **kwargs: object) -> gate.GateResult:
        calls.append(kwargs)
        return failed

    monkeypatch.setattr(gate, "check", check)
    app = publicised(platform, who, 1, PROMOTION, {"promotion_cost": "40000"})
    fixed_clock.advance(after_notice(app))
    with pytest.raises(Conflict) as refused:
        _approve(platform, who, app)
    assert refused.value.code == "policy.gate_failed"
    assert "declared 5000000 CNY" in refused.value.message
    assert calls == [
        {
            "benefit": trade,
            "enterprise_id": 1,
            "facts": {"promotion_cost": Decimal("40000")},
            "year": 2024,
            "threshold": Decimal("0.05"),
        }
    ]
    with platform.uow(read_only=True) as uow:
        stored = aps.get(uow, who.admin, app.ref)
        audit = [e.action for e in uow.audit.events()][-1]
    assert stored.gate == failed.as_dict()
    assert (stored.status, stored.amount_awarded, stored.version, len(stored.events)) == (
        Status.PUBLICISED,
        None,
        app.version + 1,
        len(app.events),
    )
    assert audit == "policy.approve_refused"
    with platform.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.policy_cap_usage)).scalar_one() == 0


@pytest.fixture
def pooled(platform: Platform) -> Iterator[Platform]:
    """The same database through an engine with a connection per thread."""
    engine = create_engine(platform.settings.database_url, pool_size=50, max_overflow=0)
    try:
        yield Platform(platform.settings, engine, platform.districts, platform.clock)
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_fifty_concurrent_approvals_never_overspend_the_pool(
    platform: Platform, pooled: Platform, who: Actors, fixed_clock: FixedClock, count_rows: Callable[[str], int]
) -> None:
    others = [hangzhou_enterprise(platform, n) for n in range(2, 6)]
    owners = [1, *(e.id for e in others)]
    apps = [
        publicised(platform, who, owners[n % 5], VOUCHER, _fee("10000.00"), client_ref=f"batch-{n}") for n in range(50)
    ]
    assert len({a.ref for a in apps}) == 50
    _set_committed(platform, TOTAL - Decimal("150000.00"))
    fixed_clock.advance(after_notice(apps[0]))

    def approve(app: Application) -> str:
        try:
            with pooled.uow() as uow:
                return str(aps.approve(uow, who.admin, app.ref).amount_awarded)
        except Conflict as refused:
            return f"{refused.code}: {refused.message}"

    with ThreadPoolExecutor(50) as threads:
        outcomes = list(threads.map(approve, apps))

    granted = [o for o in outcomes if o == "10000.00"]
    refused = [o for o in outcomes if o != "10000.00"]
    assert (len(granted), len(refused)) == (15, 35)
    for outcome, app in zip(outcomes, apps, strict=True):
        if outcome != "10000.00":
            assert outcome == (
                f"award.pool_exhausted: {app.ref} cannot be approved: pool hz-7-pool has 0.00 left; this award "
                "needs 10000.00 (first come, first served: the pool is not split)"
            )
    with platform.engine.connect() as conn:
        assert conn.execute(select(t.policy_pools.c.committed)).scalar_one() == TOTAL
        awarded = conn.execute(
            select(func.count(), func.sum(t.policy_applications.c.amount_awarded)).where(
                t.policy_applications.c.status == Status.APPROVED.value
            )
        ).one()
        assert tuple(awarded) == (15, Decimal("150000.00"))
        used = conn.execute(select(func.sum(t.policy_cap_usage.c.used))).scalar_one()
        assert used == Decimal("150000.00")
        still = conn.execute(
            select(func.count()).where(t.policy_applications.c.status == Status.PUBLICISED.value)
        ).scalar_one()
    assert still == 35
    assert count_rows("policy_events") == 50 * 3 + 15
