"""Reads of benefit applications (政策兑现), scoped by the principal: an enterprise user sees its
own applications, a district officer its district's, city administrators and auditors their
city's, the system all. A record outside the scope is refused (403), a missing one is 404.

Every application handed out carries ``as_of`` (today's business date), so its ``overdue`` flag
is judged on the same day as the listing that contains it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.kernel.workdays import WorkdayCalendar, load_calendar
from cbec.policy import awards
from cbec.policy import workflow as wf
from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.model import Benefit, Unknown
from cbec.policy.workflow import AWARDED, Application, AttachmentInfo, Status

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "Budget",
    "applications",
    "attachment",
    "budget",
    "calendar_or_default",
    "catalog",
    "get",
    "load",
    "overdue",
    "queue",
    "stamp",
]

OPEN = (Status.SUBMITTED, Status.DISTRICT_PASSED, Status.PUBLICISED, Status.APPROVED, Status.RETURNED)
ZERO = Decimal("0.00")


@cache
def catalog() -> Catalog:
    """The shipped policy catalog, loaded once per process (it is read-only data)."""
    return load_catalog()


@cache
def _packaged_calendar() -> WorkdayCalendar:
    return load_calendar()


def calendar_or_default(calendar: WorkdayCalendar | None) -> WorkdayCalendar:
    """The caller's calendar (Platform.calendar, with a bureau's own holiday files), else the packaged one."""
    return calendar if calendar is not None else _packaged_calendar()


def stamp(uow: SqlUnitOfWork, app: Application) -> Application:
    return replace(app, as_of=business_date(uow.clock))


def load(uow: SqlUnitOfWork, principal: Principal, ref: str) -> Application:
    app = uow.policy.by_ref(ref)
    if app is None:
        raise NotFound(f"no application {ref!r}; refs look like PA-2025-000042")
    if not principal.sees(app.enterprise_id, app.city_code, app.district_code):
        raise PermissionDenied(f"application {app.ref} is outside your scope")
    return app


def get(uow: SqlUnitOfWork, principal: Principal, ref: str) -> Application:
    """One application with every event, as the applicant and the reviewers see it."""
    return stamp(uow, load(uow, principal, ref))


def attachment(uow: SqlUnitOfWork, principal: Principal, ref: str, attachment_id: int) -> tuple[AttachmentInfo, bytes]:
    app = load(uow, principal, ref)
    found = uow.policy.attachment(app.id, attachment_id)
    if found is None:
        raise NotFound(f"{app.ref} has no attachment {attachment_id}")
    return found


def applications(
    uow: SqlUnitOfWork, principal: Principal, *, status: str | None = None, year: int | None = None
) -> list[Application]:
    """The applications the principal sees, oldest first, optionally of one status and award year."""
    statuses = None
    if status is not None:
        try:
            statuses = [Status(status)]
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise ValidationFailed(
                [FieldError("status", "policy.status", f"unknown status {status!r}", f"one of: {known}")]
            ) from None
    found = uow.policy.listing(principal.scope_filters(), statuses=statuses, year=year)
    return [stamp(uow, a) for a in found]


def queue(uow: SqlUnitOfWork, principal: Principal) -> list[Application]:
    """What awaits this principal's action, the earliest due first."""
    today = business_date(uow.clock)
    scope = principal.scope_filters()
    if principal.is_system:
        found = uow.policy.listing(scope, statuses=OPEN)
    elif principal.role is Role.ENTERPRISE:
        found = uow.policy.listing(scope, statuses=[Status.RETURNED])
    elif principal.role is Role.DISTRICT_OFFICER:
        found = uow.policy.listing(scope, statuses=[Status.SUBMITTED])
    elif principal.role is Role.CITY_ADMIN:
        found = [
            a
            for a in uow.policy.listing(scope, statuses=OPEN[:4])
            if (a.status is not Status.SUBMITTED or not a.has_district)
            and (a.status is not Status.PUBLICISED or (a.notice_ends is not None and a.notice_ends < today))
        ]
    else:
        found = []  # read-only roles act on nothing
    return sorted((stamp(uow, a) for a in found), key=lambda a: (a.due_on or date.max, a.id))


def overdue(uow: SqlUnitOfWork, principal: Principal) -> list[Application]:
    """Overdue applications: an enterprise's and an officer's own tasks; for the city-wide roles and
    the system every overdue step in scope (the city supervises the districts)."""
    if principal.role in (Role.ENTERPRISE, Role.DISTRICT_OFFICER):
        return [a for a in queue(uow, principal) if a.overdue]
    today = business_date(uow.clock)
    found = uow.policy.listing(principal.scope_filters(), statuses=OPEN, due_before=today)
    return sorted((stamp(uow, a) for a in found), key=lambda a: (a.due_on or date.max, a.id))


# --- budget -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    year: int
    pools: tuple[dict[str, object], ...]
    by_benefit: tuple[dict[str, object], ...]
    by_district: tuple[dict[str, object], ...]
    co_funding: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "pools": list(self.pools),
            "by_benefit": list(self.by_benefit),
            "by_district": list(self.by_district),
            "co_funding": dict(self.co_funding),
        }


def _in_year(benefit: Benefit, year: int) -> date | None:
    """The last day of ``year`` the benefit is in force, or None when it is not in force that year."""
    last = min(date(year, 12, 31), benefit.valid_to or date.max)
    return last if last >= max(date(year, 1, 1), benefit.valid_from) else None


def _pools(uow: SqlUnitOfWork, principal: Principal, year: int) -> list[dict[str, object]]:
    stored = uow.policy.pools()
    cities = wf.settings().cities
    found: dict[str, dict[str, object]] = {}
    for benefit in catalog().benefits.values():
        day = _in_year(benefit, year)
        if benefit.pool is None or day is None:
            continue
        if not principal.is_system and cities.get(benefit.document.city) != principal.city_code:
            continue
        if benefit.pool.id in found:
            found[benefit.pool.id]["benefit"] = f"{found[benefit.pool.id]['benefit']}, {benefit.id}"
            continue
        total: Decimal | None
        if benefit.pool.id in stored:
            total, committed = stored[benefit.pool.id]
        else:
            value = awards.pool_total(benefit, day)
            total, committed = (None if value is None or isinstance(value, Unknown) else value), ZERO
        found[benefit.pool.id] = {
            "id": benefit.pool.id,
            "benefit": benefit.id,
            "total": None if total is None else str(total),
            "committed": str(committed),
            "remaining": None if total is None else str(total - committed),
        }
    return [found[k] for k in sorted(found)]


def budget(uow: SqlUnitOfWork, principal: Principal, *, year: int) -> Budget:
    """Pools, awards per benefit and district, and who funds them (city, district, not stated)."""
    if principal.role is Role.ENTERPRISE:
        raise PermissionDenied("the budget overview is for officers, administrators and auditors")
    awarded = [
        a
        for a in uow.policy.listing(principal.scope_filters(), statuses=AWARDED, year=year)
        if a.amount_awarded is not None
    ]
    per_benefit: dict[str, list[Application]] = defaultdict(list)
    per_district: dict[str, list[Application]] = defaultdict(list)
    funding = {"city": ZERO, "district": ZERO, "unknown": ZERO}
    for a in awarded:
        per_benefit[a.benefit].append(a)
        per_district[a.district_code].append(a)
        amount = a.amount_awarded or ZERO
        city = a.split.get("city") if a.split else None
        district = a.split.get("district") if a.split else None
        if city is None or district is None:
            funding["unknown"] += amount
        else:
            funding["city"] += Decimal(city)
            funding["district"] += Decimal(district)
    by_benefit = [
        {
            "benefit": benefit,
            "title": items[0].title,
            "count": len(items),
            "awarded": str(sum((a.amount_awarded or ZERO for a in items), ZERO)),
            "disbursed": str(sum((a.amount_awarded or ZERO for a in items if a.status is Status.DISBURSED), ZERO)),
        }
        for benefit, items in sorted(per_benefit.items())
    ]
    by_district = [
        {
            "district_code": code,
            "count": len(items),
            "awarded": str(sum((a.amount_awarded or ZERO for a in items), ZERO)),
        }
        for code, items in sorted(per_district.items())
    ]
    return Budget(
        year,
        tuple(_pools(uow, principal, year)),
        tuple(by_benefit),
        tuple(by_district),
        {k: str(v) for k, v in funding.items()},
    )
