"""Demo benefit applications (政策兑现): a handful of Hangzhou applications by demo enterprises of
the demo district, one or two in each status, several on the capacity vouchers (hz-7) so the pool shows
use. Deterministic: fixed facts, each step taken by the demo account whose task it is, on a clock
set to that step's day. The days are counted back from the platform's today, so a bureau opening
the demo sees this year's awards, one application in its notice period and one disbursement
overdue, not a history that is all overdue; where today is too close to the start of the Hangzhou
measures (2024-11-01) for that — the tests' clock — the fixed 2025 dates are used. Idempotent: an
application whose client_ref exists is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from cbec.identity.model import SYSTEM, Principal
from cbec.kernel.clock import FixedClock, business_date
from cbec.policy import application_services as aps
from cbec.policy.application_queries import catalog
from cbec.policy.workflow import Application

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["seed_policy_applications"]


@dataclass(frozen=True)
class _Plan:
    key: str
    who: int  # index into the demo district's enterprises (0: the demo enterprise user's)
    benefit: str
    facts: dict[str, str]
    until: str  # the status it is left in
    start: date  # when today is too early for days_ago
    days_ago: int  # the day it is applied for, counted back from today


_PLANS: tuple[_Plan, ...] = (
    _Plan(
        "demo-policy-1",
        0,
        "hz-7-capacity-voucher",
        {"logistics_contract_fee": "4000000"},
        "disbursed",
        date(2025, 3, 3),
        75,
    ),
    _Plan(
        "demo-policy-2",
        1,
        "hz-7-capacity-voucher",
        {"logistics_contract_fee": "10000000"},
        "approved",
        date(2025, 3, 10),
        68,
    ),
    _Plan(
        "demo-policy-3",
        2,
        "hz-7-capacity-voucher",
        {"logistics_contract_fee": "30000000"},
        "approved",
        date(2025, 3, 17),
        20,
    ),
    _Plan(
        "demo-policy-4", 0, "hz-3-own-brand-promotion", {"promotion_cost": "600000"}, "publicised", date(2025, 4, 7), 8
    ),
    _Plan(
        "demo-policy-5",
        3,
        "hz-7-capacity-voucher",
        {"logistics_contract_fee": "2000000"},
        "district_passed",
        date(2025, 4, 14),
        6,
    ),
    _Plan(
        "demo-policy-6", 4, "hz-3-own-brand-promotion", {"promotion_cost": "200000"}, "returned", date(2025, 4, 21), 5
    ),
    _Plan("demo-policy-7", 1, "hz-12-trademark", {"trademark_fee": "100000"}, "submitted", date(2025, 5, 6), 1),
)
# Last: publicised long enough ago that its notice has ended, so it waits for the city's approval
# (25 days back keeps that true across a week of public holidays).
_PLANS += (
    _Plan(
        "demo-policy-8",
        4,
        "hz-3-platform-promotion",
        {"promotion_cost": "400000"},
        "publicised",
        date(2025, 4, 1),
        25,
    ),
)
_ORDER = ("submitted", "district_passed", "publicised", "approved", "disbursed")


RELATIVE_FROM = date(2024, 11, 1)  # Hangzhou support list in force from here (hangzhou_2024.toml)


def seed_policy_applications(new_uow: Callable[[], SqlUnitOfWork], usccs: list[str]) -> int:
    """Create the demo applications for enterprises ``usccs`` (of the demo district, in order);
    the demo enterprise user's enterprise goes first when it is one of them. Returns how many
    were created."""
    with new_uow() as uow:
        today = business_date(uow.clock)
        ids = [e.id for e in (uow.enterprises.get_by_uscc(u) for u in usccs) if e is not None]
        users = {name: uow.users.by_username(name) for name in ("demo.enterprise", "demo.officer", "demo.admin")}
    if any(u is None for u in users.values()) or not ids:
        return 0  # not the standard demo: nothing to stage applications on
    enterprise, officer, admin = (u.principal() for u in users.values() if u is not None)
    if enterprise.enterprise_id in ids:  # outside the demo district the officer could not review it
        ids.remove(enterprise.enterprise_id)
        ids.insert(0, enterprise.enterprise_id)
    relative = today - timedelta(days=max(p.days_ago for p in _PLANS)) >= RELATIVE_FROM
    created = 0
    for plan in _PLANS:
        benefit = catalog().benefits.get(plan.benefit)
        if benefit is None or benefit.trade_based:  # the catalog changed: skip rather than guess facts
            continue
        start = today - timedelta(days=plan.days_ago) if relative else plan.start
        created += _stage(new_uow, plan, start, ids[plan.who % len(ids)], enterprise, officer, admin)
    return created


def _at(new_uow: Callable[[], SqlUnitOfWork], day: date) -> SqlUnitOfWork:
    uow = new_uow()
    uow.clock = FixedClock(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))  # 10:00 in Hangzhou
    return uow


def _stage(
    new_uow: Callable[[], SqlUnitOfWork],
    plan: _Plan,
    start: date,
    enterprise_id: int,
    applicant: Principal,
    officer: Principal,
    admin: Principal,
) -> int:
    with new_uow() as uow:
        if uow.policy.by_client_ref(enterprise_id, plan.key) is not None:
            return 0
    who = applicant if applicant.enterprise_id == enterprise_id else SYSTEM
    day = start
    with _at(new_uow, day) as uow:
        app = aps.apply(
            uow,
            who,
            benefit_id=plan.benefit,
            facts=plan.facts,
            enterprise_id=enterprise_id,
            client_ref=plan.key,
            on=day,
        )
    if plan.until == "returned":
        with _at(new_uow, day + timedelta(days=2)) as uow:
            aps.review(uow, officer, app.ref, decision="return", reason="请补充推广合同及付款凭证")
        return 1
    steps: list[Callable[[SqlUnitOfWork, date], Application]] = [
        lambda u, d: aps.review(u, officer, app.ref, decision="pass"),
        lambda u, d: aps.review(u, admin, app.ref, decision="pass"),
        lambda u, d: aps.approve(u, admin, app.ref),
        lambda u, d: aps.disburse(u, admin, app.ref, voucher=f"HZCZ-{plan.key[-1]}-{d:%Y%m%d}", paid_on=d),
    ]
    for step in steps[: _ORDER.index(plan.until)]:
        day += timedelta(days=2)
        if app.notice_ends is not None and app.status.value == "publicised":
            day = app.notice_ends + timedelta(days=1)
        with _at(new_uow, day) as uow:
            app = step(uow, day)
    return 1
