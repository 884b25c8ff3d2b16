"""``cbec demo seed``: reproducible demo enterprises and one account per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cbec.audit.model import EventDraft
from cbec.audit.services import record_many
from cbec.demo.generator import DemoEnterprise, demo_enterprises
from cbec.demo.policy import seed_policy_applications
from cbec.identity.model import SYSTEM, Role
from cbec.identity.services import NewUser, create_user
from cbec.registry.districts import DistrictBook
from cbec.registry.model import EnterpriseRole

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["DemoAccount", "seed_demo"]

DEMO_CITY = "330100"  # 杭州市
DEMO_DISTRICT = "330108"  # 滨江区


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    scope: str


def _seed_enterprises(uow: SqlUnitOfWork, items: list[DemoEnterprise]) -> int:
    fresh = uow.enterprises.existing_usccs(d.uscc for d in items)
    todo = [d.as_input() for d in items if d.uscc not in fresh]
    created = uow.enterprises.add_many(todo, uow.clock.now())
    record_many(
        uow,
        [
            EventDraft(SYSTEM.actor, "enterprise.create", "enterprise", str(e.id), None, e.snapshot(), e.city_code)
            for e in created
        ],
    )
    uow.commit()
    return len(todo)


def _demo_enterprise_id(uow: SqlUnitOfWork, items: list[DemoEnterprise]) -> int:
    """The enterprise the demo enterprise user belongs to: the first e-commerce firm in 滨江区."""
    pick = next(
        (d for d in items if d.district_code == DEMO_DISTRICT and EnterpriseRole.EBC in d.roles),
        next(d for d in items if d.city_code == DEMO_CITY),
    )
    found = uow.enterprises.get_by_uscc(pick.uscc)
    assert found is not None
    return found.id


def _accounts(enterprise_id: int, password: str) -> list[tuple[NewUser, str]]:
    city = f"city {DEMO_CITY} 杭州市"
    return [
        (
            NewUser("demo.enterprise", "演示企业用户", Role.ENTERPRISE, password, enterprise_id=enterprise_id),
            f"enterprise {enterprise_id}",
        ),
        (
            NewUser(
                "demo.officer",
                "滨江区经办人",
                Role.DISTRICT_OFFICER,
                password,
                city_code=DEMO_CITY,
                district_code=DEMO_DISTRICT,
            ),
            f"district {DEMO_DISTRICT} 滨江区",
        ),
        (NewUser("demo.admin", "杭州市管理员", Role.CITY_ADMIN, password, city_code=DEMO_CITY), city),
        (NewUser("demo.auditor", "杭州市审计", Role.AUDITOR, password, city_code=DEMO_CITY), city),
        (NewUser("demo.partner", "海关合作接口", Role.PARTNER, password, city_code=DEMO_CITY), city),
    ]


def seed_demo(
    new_uow: Callable[[], SqlUnitOfWork], districts: DistrictBook, *, seed: int, password: str, count: int = 300
) -> tuple[int, list[DemoAccount]]:
    """Idempotent: enterprises and accounts that already exist are left as they are."""
    items = demo_enterprises(count, seed=seed, districts=districts)
    with new_uow() as uow:
        created = _seed_enterprises(uow, items)
    with new_uow() as uow:
        enterprise_id = _demo_enterprise_id(uow, items)
    accounts = []
    for new, scope in _accounts(enterprise_id, password):
        with new_uow() as uow:
            if uow.users.by_username(new.username) is None:
                create_user(uow, new, districts)
        accounts.append(DemoAccount(new.username, Role(new.role), scope))
    seed_policy_applications(new_uow, [d.uscc for d in items if d.district_code == DEMO_DISTRICT])
    return created, accounts
