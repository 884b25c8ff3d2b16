"""Done-when: an approval whose declared exports the platform's data does not support is blocked,
with the reconciliation shown — through the real services, the real gate and real stored lists,
on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.identity.services import NewUser, create_user
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import Conflict
from cbec.policy import application_services as aps
from cbec.policy.application_queries import catalog
from cbec.policy.fact_sources import platform_facts_from_lists
from cbec.policy.gate import check
from cbec.policy.workflow import Application
from cbec.storage import tables as t
from cbec.testing.policy_apps import Actors, actors, after_notice, hangzhou_enterprise
from cbec.testing.policy_exports import seed_exports

SITE = "hz-3-independent-site"  # up to 200万, one-off; independent-site exports are part of all exports


def _exporters(platform: Platform, unpaid: list[str], year: int) -> tuple[int, Decimal, int | None]:
    """The Hangzhou exporter with the most released exports in ``year`` and no flagged month, its
    export value, and a Hangzhou exporter never paid for its goods (None if the demo placed none)."""
    with platform.engine.connect() as conn:
        ids = conn.execute(select(t.enterprises.c.id).where(t.enterprises.c.city_code == "330100")).scalars().all()
    site = catalog().benefits[SITE]
    best: tuple[int, Decimal] | None = None
    with platform.uow(read_only=True) as uow:
        unpaid_ids = {e.id for e in uow.enterprises.by_customs_codes(unpaid).values() if e.city_code == "330100"}
        for enterprise_id in sorted(ids):
            value = platform_facts_from_lists(uow, enterprise_id, year).get("export_value_cny") or Decimal(0)
            if value == 0 or (best is not None and value <= best[1]):
                continue
            clean = check(
                uow,
                benefit=site,
                enterprise_id=enterprise_id,
                facts={"independent_site_export_value": value},
                year=year,
                threshold=platform.settings.reconcile_threshold,
            )
            if clean.passed:
                best = (enterprise_id, value)
    assert best is not None
    return best[0], best[1], min(unpaid_ids, default=None)


def _officer(platform: Platform, enterprise_id: int) -> Principal:
    """A district officer of the exporter's own district (the demo places exporters anywhere in the city)."""
    with platform.uow() as uow:
        enterprise = uow.enterprises.get(enterprise_id)
        assert enterprise is not None
        existing = uow.users.by_username(f"officer.{enterprise.district_code}")
        if existing is not None:
            return existing.principal()
        new = NewUser(
            f"officer.{enterprise.district_code}",
            "区县经办人",
            Role.DISTRICT_OFFICER.value,
            "correct horse battery 9",
            city_code=enterprise.city_code,
            district_code=enterprise.district_code,
        )
        return create_user(uow, new, platform.districts).principal()


def _publicised(platform: Platform, who: Actors, officer: Principal, enterprise_id: int, value: Decimal) -> Application:
    facts = {"independent_site_export_value": str(value)}
    with platform.uow() as uow:
        app = aps.apply(uow, SYSTEM, benefit_id=SITE, facts=facts, enterprise_id=enterprise_id)
    with platform.uow() as uow:
        aps.review(uow, officer, app.ref, decision="pass", calendar=platform.calendar)
    with platform.uow() as uow:
        return aps.review(uow, who.admin, app.ref, decision="pass", calendar=platform.calendar)


def _awards(platform: Platform) -> tuple[object, ...]:
    with platform.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(t.policy_cap_usage)).scalar_one(),
            conn.execute(
                select(func.count())
                .select_from(t.policy_applications)
                .where(t.policy_applications.c.status == "approved")
            ).scalar_one(),
        )


def test_declared_exports_the_lists_do_not_support_block_approval(platform: Platform, fixed_clock: FixedClock) -> None:
    unpaid = seed_exports(platform)
    year = fixed_clock.now().year
    enterprise_id, exports, unpaid_id = _exporters(platform, unpaid, year)
    who = actors(platform, hangzhou_enterprise(platform, 1))
    officer = _officer(platform, enterprise_id)
    inflated = _publicised(platform, who, officer, enterprise_id, exports * 3)
    fixed_clock.advance(after_notice(inflated))
    before = _awards(platform)
    with platform.uow() as uow, pytest.raises(Conflict) as refused:
        aps.approve(uow, who.admin, inflated.ref, calendar=platform.calendar)
    assert refused.value.code == "policy.gate_failed"
    assert f"is only {exports}" in str(refused.value)
    assert _awards(platform) == before  # nothing awarded, no cap used
    with platform.uow(read_only=True) as uow:
        shown = aps.get(uow, who.admin, inflated.ref)
    assert shown.status.value == "publicised"
    gate = shown.gate
    assert gate is not None
    assert gate["passed"] is False
    assert gate["declared"] == {"independent_site_export_value": str(exports * 3)}
    row = gate["platform"]["independent_site_export_value"]
    assert (row["fact"], row["value"], row["gap"], row["passed"]) == ("export_value_cny", str(exports), "2.0000", False)
    months = gate["reconciliation"]["months"]  # the reviewer sees the lists, receipts and departures behind it
    assert months
    assert {m["month"][:4] for m in months} == {str(year)}
    assert gate["reconciliation"]["flagged_months"] == []

    honest = _publicised(platform, who, officer, enterprise_id, exports)
    fixed_clock.advance(after_notice(honest))
    with platform.uow() as uow:
        approved = aps.approve(uow, who.admin, honest.ref, calendar=platform.calendar)
    assert (approved.status.value, str(approved.amount_awarded)) == ("approved", "2000000.00")
    assert approved.gate is not None
    assert approved.gate["passed"] is True

    # An honest declaration by the Hangzhou exporter never paid for its goods: the reconciliation blocks it.
    assert unpaid_id is not None
    with platform.uow(read_only=True) as uow:
        value = platform_facts_from_lists(uow, unpaid_id, year).get("export_value_cny")
    assert value
    app = _publicised(platform, who, _officer(platform, unpaid_id), unpaid_id, value)
    fixed_clock.advance(after_notice(app))
    with platform.uow() as uow, pytest.raises(Conflict) as blocked:
        aps.approve(uow, who.admin, app.ref, calendar=platform.calendar)
    assert blocked.value.code == "policy.gate_failed"
    with platform.uow(read_only=True) as uow:
        gate = aps.get(uow, who.admin, app.ref).gate
    assert gate is not None
    assert gate["platform"]["independent_site_export_value"]["passed"] is True
    assert gate["reconciliation"]["flagged_months"]
    assert all("未收款清单货值占比" in r or "未离境" in r for r in gate["reasons"])
