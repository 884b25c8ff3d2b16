from __future__ import annotations

from datetime import date

import pytest

from cbec.identity.model import SYSTEM, Principal, Role, binding_problems
from cbec.kernel.errors import PermissionDenied
from cbec.registry import scoping
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.ports import EnterpriseQuery

HZ, BINJIANG, XIHU = "330100", "330108", "330106"
ENT = Enterprise(7, "91110108551385082Q", "示例公司", HZ, BINJIANG, frozenset({EnterpriseRole.EBC}), date(2020, 1, 1))
OTHER = Enterprise(8, "91330106MA27XK4L2H", "别家公司", HZ, XIHU, frozenset({EnterpriseRole.EBC}), date(2020, 1, 1))

enterprise_user = Principal(1, "e", Role.ENTERPRISE, enterprise_id=7)
officer = Principal(2, "o", Role.DISTRICT_OFFICER, city_code=HZ, district_code=BINJIANG)
admin = Principal(3, "a", Role.CITY_ADMIN, city_code=HZ)
auditor = Principal(4, "u", Role.AUDITOR, city_code=HZ)
partner = Principal(5, "p", Role.PARTNER, city_code=HZ)
other_city_admin = Principal(6, "g", Role.CITY_ADMIN, city_code="440100")


def _input(e: Enterprise, **changes: object) -> EnterpriseInput:
    values = {
        "uscc": e.uscc,
        "name": e.name,
        "city_code": e.city_code,
        "district_code": e.district_code,
        "roles": e.roles,
        "registered_on": e.registered_on,
        "status": e.status,
    } | changes
    return EnterpriseInput(**values)  # type: ignore[arg-type]


def test_enterprise_user_query_is_pinned_to_its_enterprise() -> None:
    assert scoping.scoped_query(enterprise_user, EnterpriseQuery(city_code="440100")).only_id == 7


def test_officer_query_is_pinned_to_district() -> None:
    query = scoping.scoped_query(officer, EnterpriseQuery())
    assert (query.city_code, query.district_code) == (HZ, BINJIANG)


def test_officer_asking_for_another_district_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="district 330108"):
        scoping.scoped_query(officer, EnterpriseQuery(district_code=XIHU))


def test_city_roles_are_pinned_to_their_city_and_refuse_another() -> None:
    assert scoping.scoped_query(auditor, EnterpriseQuery(district_code=XIHU)).city_code == HZ
    with pytest.raises(PermissionDenied):
        scoping.scoped_query(admin, EnterpriseQuery(city_code="440100"))


def test_system_sees_everything() -> None:
    assert scoping.scoped_query(SYSTEM, EnterpriseQuery()) == EnterpriseQuery()


@pytest.mark.parametrize(
    ("principal", "own", "other"),
    [
        (enterprise_user, True, False),
        (officer, True, False),
        (admin, True, True),
        (auditor, True, True),
        (other_city_admin, False, False),
    ],
)
def test_view_scope(principal: Principal, own: bool, other: bool) -> None:
    assert scoping.in_scope(principal, ENT) is own
    assert scoping.in_scope(principal, OTHER) is other


def test_read_only_and_enterprise_roles_cannot_register() -> None:
    for principal in (auditor, partner, enterprise_user):
        with pytest.raises(PermissionDenied):
            scoping.check_create(principal, _input(ENT))


def test_officer_registers_only_in_own_district() -> None:
    scoping.check_create(officer, _input(ENT))
    with pytest.raises(PermissionDenied, match="district 330108"):
        scoping.check_create(officer, _input(OTHER))


def test_enterprise_user_may_edit_own_name_but_not_identifying_fields() -> None:
    scoping.check_edit(enterprise_user, ENT, _input(ENT, name="新名称"))
    with pytest.raises(PermissionDenied, match="status"):
        scoping.check_edit(enterprise_user, ENT, _input(ENT, status=EnterpriseStatus.CANCELLED))
    with pytest.raises(PermissionDenied, match="outside your scope"):
        scoping.check_edit(enterprise_user, OTHER, _input(OTHER))


def test_officer_cannot_move_an_enterprise_out_of_the_district() -> None:
    with pytest.raises(PermissionDenied):
        scoping.check_edit(officer, ENT, _input(ENT, district_code=XIHU))


def test_role_bindings() -> None:
    assert binding_problems(Role.ENTERPRISE, None, None, None) == ["enterprise_id is required for role enterprise"]
    assert binding_problems(Role.DISTRICT_OFFICER, None, HZ, BINJIANG) == []
    assert binding_problems(Role.CITY_ADMIN, 3, HZ, BINJIANG) == [
        "enterprise_id applies only to role enterprise",
        "district_code applies only to role district_officer",
    ]
