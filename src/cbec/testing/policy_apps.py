"""Test helpers for benefit applications (政策兑现): Hangzhou enterprises, one user per role, and
applications walked up to the notice period through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from cbec.identity.model import SYSTEM, Principal, Role
from cbec.identity.services import NewUser, create_user
from cbec.kernel.ids import uscc_with_check
from cbec.policy import application_services as aps
from cbec.policy.workflow import Application
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole
from cbec.registry.services import create_enterprise

if TYPE_CHECKING:
    from cbec.bootstrap import Platform

__all__ = ["HANGZHOU", "OTHER_DISTRICT", "Actors", "actors", "hangzhou_enterprise", "publicised"]

HANGZHOU, BINJIANG, OTHER_DISTRICT = "330100", "330108", "330106"  # 杭州市, 滨江区, 西湖区
PASSWORD = "correct horse battery 9"  # noqa: S105 - test accounts only


def hangzhou_enterprise(platform: Platform, n: int, district: str = BINJIANG) -> Enterprise:
    data = EnterpriseInput(
        uscc=uscc_with_check(f"91{HANGZHOU}MA{n:07d}"),
        name=f"杭州政策测试跨境电商有限公司{n}",
        city_code=HANGZHOU,
        district_code=district,
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2023, 5, 17),
    )
    with platform.uow() as uow:
        return create_enterprise(uow, SYSTEM, data, platform.districts)


def _user(platform: Platform, new: NewUser) -> Principal:
    with platform.uow() as uow:
        return create_user(uow, new, platform.districts).principal()


@dataclass(frozen=True)
class Actors:
    enterprise: Principal  # the user of the first enterprise
    officer: Principal  # 滨江区
    other_officer: Principal  # 西湖区
    admin: Principal
    auditor: Principal


def actors(platform: Platform, enterprise: Enterprise) -> Actors:
    def user(name: str, role: Role, **scope: object) -> Principal:
        return _user(platform, NewUser(name, name, role.value, PASSWORD, **scope))  # type: ignore[arg-type]

    return Actors(
        user("pa.enterprise", Role.ENTERPRISE, enterprise_id=enterprise.id),
        user("pa.officer", Role.DISTRICT_OFFICER, city_code=HANGZHOU, district_code=BINJIANG),
        user("pa.officer2", Role.DISTRICT_OFFICER, city_code=HANGZHOU, district_code=OTHER_DISTRICT),
        user("pa.admin", Role.CITY_ADMIN, city_code=HANGZHOU),
        user("pa.auditor", Role.AUDITOR, city_code=HANGZHOU),
    )


def publicised(
    platform: Platform,
    who: Actors,
    enterprise_id: int,
    benefit: str,
    facts: dict[str, str],
    *,
    client_ref: str | None = None,
    amount: str | None = None,
) -> Application:
    """Apply (as the system, for ``enterprise_id``), pass the district and the city review."""
    with platform.uow() as uow:
        app = aps.apply(
            uow, SYSTEM, benefit_id=benefit, facts=facts, enterprise_id=enterprise_id, client_ref=client_ref
        )
    with platform.uow() as uow:
        aps.review(uow, who.officer, app.ref, decision="pass", calendar=platform.calendar)
    with platform.uow() as uow:
        return aps.review(uow, who.admin, app.ref, decision="pass", amount=amount, calendar=platform.calendar)


def after_notice(app: Application) -> timedelta:
    """How far to move a clock that shows the day ``app`` was publicised so the notice is over."""
    assert app.notice_ends is not None
    assert app.as_of is not None
    return app.notice_ends - app.as_of + timedelta(days=1)
