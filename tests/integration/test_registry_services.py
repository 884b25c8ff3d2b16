"""Registry use cases on real databases: scoping by role, validation, auditing, optimistic locking."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.ports import EnterpriseQuery
from cbec.registry.services import create_enterprise, get_enterprise, list_enterprises, update_enterprise

HANGZHOU, BINJIANG, XIHU = "330100", "330108", "330106"
GUANGZHOU, YUEXIU = "440100", "440104"

CountRows = Callable[[str], int]


def uscc(n: int, area: str = HANGZHOU) -> str:
    return uscc_with_check(f"91{area}MA{n:07d}")


def enterprise_input(n: int, city: str = HANGZHOU, district: str = BINJIANG, **changes: object) -> EnterpriseInput:
    data = EnterpriseInput(
        uscc=uscc(n, city),
        name=f"测试跨境电子商务有限公司{n}",
        city_code=city,
        district_code=district,
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2023, 5, 17),
        customs_code=f"3301{n:06d}",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


ADMIN = Principal(1, "admin", Role.CITY_ADMIN, city_code=HANGZHOU)
OFFICER = Principal(2, "officer", Role.DISTRICT_OFFICER, city_code=HANGZHOU, district_code=BINJIANG)
AUDITOR = Principal(3, "auditor", Role.AUDITOR, city_code=HANGZHOU)
PARTNER = Principal(4, "partner", Role.PARTNER, city_code=HANGZHOU)
GZ_ADMIN = Principal(5, "gz.admin", Role.CITY_ADMIN, city_code=GUANGZHOU)


def create(platform: Platform, principal: Principal, data: EnterpriseInput) -> Enterprise:
    with platform.uow() as uow:
        return create_enterprise(uow, principal, data, platform.districts)


def seed(platform: Platform) -> dict[str, list[Enterprise]]:
    """3 enterprises in 滨江区, 2 in 西湖区 (both 杭州市) and 2 in 越秀区 (广州市)."""
    placed: dict[str, list[Enterprise]] = {BINJIANG: [], XIHU: [], YUEXIU: []}
    n = 0
    for city, district, how_many in ((HANGZHOU, BINJIANG, 3), (HANGZHOU, XIHU, 2), (GUANGZHOU, YUEXIU, 2)):
        for _ in range(how_many):
            n += 1
            placed[district].append(create(platform, SYSTEM, enterprise_input(n, city, district)))
    return placed


def listing(platform: Platform, principal: Principal, **query: object) -> tuple[list[Enterprise], int]:
    with platform.uow(read_only=True) as uow:
        return list_enterprises(uow, principal, EnterpriseQuery(**query))  # type: ignore[arg-type]


def events(platform: Platform) -> list[dict[str, object]]:
    with platform.uow(read_only=True) as uow:
        return [e.__dict__ for e in uow.audit.events()]


def test_create_then_get_returns_the_stored_record_and_audits_it(platform: Platform, count_rows: CountRows) -> None:
    data = enterprise_input(
        1, park="跨境电商产业园", name_en="Test Co., Ltd.", roles=frozenset({EnterpriseRole.EBC, EnterpriseRole.EBP})
    )
    created = create(platform, OFFICER, data)
    assert created.id >= 1
    assert created.version == 1
    with platform.uow(read_only=True) as uow:
        got = get_enterprise(uow, OFFICER, created.id)
    assert got == created
    assert (got.uscc, got.name, got.city_code, got.district_code) == (data.uscc, data.name, HANGZHOU, BINJIANG)
    assert got.roles == frozenset({EnterpriseRole.EBC, EnterpriseRole.EBP})
    assert (got.registered_on, got.customs_code, got.name_en, got.park) == (
        date(2023, 5, 17),
        "3301000001",
        "Test Co., Ltd.",
        "跨境电商产业园",
    )
    assert got.status is EnterpriseStatus.ACTIVE
    assert count_rows("enterprises") == 1
    [event] = events(platform)
    assert (event["seq"], event["actor"], event["action"], event["subject_type"], event["subject_id"]) == (
        1,
        "user:2:officer",
        "enterprise.create",
        "enterprise",
        str(created.id),
    )
    assert event["before"] is None
    assert json.loads(str(event["after"])) == created.snapshot()


def test_get_of_a_missing_enterprise_is_not_found(platform: Platform) -> None:
    with platform.uow(read_only=True) as uow, pytest.raises(NotFound):
        get_enterprise(uow, ADMIN, 999)


def test_enterprise_user_sees_only_its_own(platform: Platform) -> None:
    placed = seed(platform)
    own, other = placed[BINJIANG][0], placed[BINJIANG][1]
    user = Principal(9, "ent", Role.ENTERPRISE, enterprise_id=own.id)
    with platform.uow(read_only=True) as uow:
        assert get_enterprise(uow, user, own.id) == own
        with pytest.raises(PermissionDenied):
            get_enterprise(uow, user, other.id)
    items, total = listing(platform, user)
    assert total == 1
    assert [e.id for e in items] == [own.id]
    items, total = listing(platform, user, district_code=BINJIANG)
    assert (total, [e.id for e in items]) == (1, [own.id])


def test_district_officer_lists_only_its_district(platform: Platform) -> None:
    placed = seed(platform)
    items, total = listing(platform, OFFICER)
    assert total == 3
    assert [e.id for e in items] == [e.id for e in placed[BINJIANG]]
    with pytest.raises(PermissionDenied):
        listing(platform, OFFICER, district_code=XIHU)
    with pytest.raises(PermissionDenied):
        listing(platform, OFFICER, city_code=GUANGZHOU)
    with platform.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
        get_enterprise(uow, OFFICER, placed[XIHU][0].id)


def test_city_admin_lists_city_wide(platform: Platform) -> None:
    placed = seed(platform)
    items, total = listing(platform, ADMIN)
    assert total == 5
    assert [e.id for e in items] == [e.id for e in placed[BINJIANG] + placed[XIHU]]
    assert listing(platform, ADMIN, district_code=XIHU)[1] == 2
    with pytest.raises(PermissionDenied):
        listing(platform, ADMIN, city_code=GUANGZHOU)
    assert listing(platform, GZ_ADMIN)[1] == 2
    assert listing(platform, SYSTEM)[1] == 7
    with platform.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
        get_enterprise(uow, ADMIN, placed[YUEXIU][0].id)


def test_listing_pages_and_filters(platform: Platform) -> None:
    placed = seed(platform)
    items, total = listing(platform, ADMIN, offset=1, limit=2)
    assert total == 5
    assert [e.id for e in items] == [e.id for e in placed[BINJIANG][1:3]]
    target = placed[XIHU][1]
    items, total = listing(platform, ADMIN, text=target.uscc)
    assert (total, [e.id for e in items]) == (1, [target.id])
    assert listing(platform, ADMIN, role=EnterpriseRole.LOGISTICS)[1] == 0
    assert listing(platform, ADMIN, role=EnterpriseRole.EBC)[1] == 5


@pytest.mark.parametrize("reader", [AUDITOR, PARTNER], ids=["auditor", "partner"])
def test_read_only_roles_read_city_wide_but_cannot_create_or_update(
    platform: Platform, count_rows: CountRows, reader: Principal
) -> None:
    placed = seed(platform)
    assert listing(platform, reader)[1] == 5
    rows, audit = count_rows("enterprises"), count_rows("audit_events")
    with pytest.raises(PermissionDenied):
        create(platform, reader, enterprise_input(50))
    target = placed[BINJIANG][0]
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        update_enterprise(uow, reader, target.id, enterprise_input(1, name="改名有限公司"), platform.districts)
    assert (count_rows("enterprises"), count_rows("audit_events")) == (rows, audit) == (7, 7)
    with platform.uow(read_only=True) as uow:
        assert get_enterprise(uow, ADMIN, target.id) == target


def test_enterprise_user_and_out_of_district_officer_cannot_create(platform: Platform, count_rows: CountRows) -> None:
    user = Principal(9, "ent", Role.ENTERPRISE, enterprise_id=1)
    with pytest.raises(PermissionDenied):
        create(platform, user, enterprise_input(1))
    with pytest.raises(PermissionDenied):
        create(platform, OFFICER, enterprise_input(2, district=XIHU))
    with pytest.raises(PermissionDenied):
        create(platform, ADMIN, enterprise_input(3, GUANGZHOU, YUEXIU))
    assert (count_rows("enterprises"), count_rows("audit_events")) == (0, 0)


def test_duplicate_uscc_is_refused_and_nothing_is_stored(platform: Platform, count_rows: CountRows) -> None:
    first = create(platform, ADMIN, enterprise_input(1))
    with pytest.raises(ValidationFailed) as caught:
        create(platform, ADMIN, enterprise_input(1, name="另一家有限公司", customs_code=None))
    assert [(e.path, e.code) for e in caught.value.errors] == [("uscc", "uscc.exists")]
    assert f"id {first.id}" in caught.value.errors[0].message
    assert (count_rows("enterprises"), count_rows("audit_events")) == (1, 1)


def test_invalid_uscc_is_refused_with_its_path(platform: Platform, count_rows: CountRows) -> None:
    good = uscc(1)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as caught:
        create(platform, ADMIN, enterprise_input(1, uscc=wrong_check))
    assert caught.value.code == "validation_failed"
    assert [(e.path, e.code) for e in caught.value.errors] == [("uscc", "uscc.invalid")]
    assert f"expected {good[17]}" in caught.value.errors[0].message
    assert (count_rows("enterprises"), count_rows("audit_events")) == (0, 0)


def test_several_broken_rules_are_reported_together(platform: Platform, count_rows: CountRows) -> None:
    bad = enterprise_input(
        1,
        uscc="123",
        name=" ",
        district_code="999999",
        roles=frozenset(),
        registered_on=date(2024, 11, 27),
        customs_code="abc",
    )
    with pytest.raises(ValidationFailed) as caught:
        create(platform, SYSTEM, bad)
    assert [(e.path, e.code) for e in caught.value.errors] == [
        ("uscc", "uscc.invalid"),
        ("customs_code", "customs_code.invalid"),
        ("name", "name.required"),
        ("roles", "roles.required"),
        ("district_code", "district.unknown"),
        ("registered_on", "registered_on.future"),
    ]
    assert (count_rows("enterprises"), count_rows("audit_events")) == (0, 0)


def test_update_writes_one_event_with_before_and_after(platform: Platform, count_rows: CountRows) -> None:
    created = create(platform, OFFICER, enterprise_input(1))
    changed = enterprise_input(1, name="滨江新名称跨境电子商务有限公司", park="数字贸易产业园")
    with platform.uow() as uow:
        updated = update_enterprise(uow, OFFICER, created.id, changed, platform.districts, expected_version=1)
    assert (updated.version, updated.name, updated.park) == (2, changed.name, "数字贸易产业园")
    with platform.uow(read_only=True) as uow:
        assert get_enterprise(uow, ADMIN, created.id) == updated
    assert (count_rows("enterprises"), count_rows("audit_events")) == (1, 2)
    event = events(platform)[1]
    assert (event["seq"], event["action"], event["actor"], event["subject_id"]) == (
        2,
        "enterprise.update",
        "user:2:officer",
        str(created.id),
    )
    before, after = json.loads(str(event["before"])), json.loads(str(event["after"]))
    assert before == created.snapshot()
    assert after == updated.snapshot()
    assert {k for k in before if before[k] != after[k]} == {"name", "park", "version"}


def test_update_with_no_change_writes_nothing(platform: Platform, count_rows: CountRows) -> None:
    created = create(platform, ADMIN, enterprise_input(1))
    with platform.uow() as uow:
        same = update_enterprise(uow, ADMIN, created.id, enterprise_input(1), platform.districts, expected_version=1)
    assert same == created
    assert same.version == 1
    assert count_rows("audit_events") == 1
    with platform.uow(read_only=True) as uow:
        assert get_enterprise(uow, ADMIN, created.id).version == 1


def test_stale_expected_version_is_a_conflict(platform: Platform, count_rows: CountRows) -> None:
    created = create(platform, ADMIN, enterprise_input(1))
    with platform.uow() as uow:
        update_enterprise(
            uow,
            ADMIN,
            created.id,
            enterprise_input(1, name="第一次修改有限公司"),
            platform.districts,
            expected_version=1,
        )
    with platform.uow() as uow, pytest.raises(Conflict) as caught:
        update_enterprise(
            uow,
            ADMIN,
            created.id,
            enterprise_input(1, name="第二次修改有限公司"),
            platform.districts,
            expected_version=1,
        )
    assert caught.value.code == "enterprise.stale"
    with platform.uow(read_only=True) as uow:
        stored = get_enterprise(uow, ADMIN, created.id)
    assert (stored.name, stored.version) == ("第一次修改有限公司", 2)
    assert count_rows("audit_events") == 2


def test_update_to_an_existing_uscc_is_refused(platform: Platform, count_rows: CountRows) -> None:
    first = create(platform, ADMIN, enterprise_input(1))
    second = create(platform, ADMIN, enterprise_input(2))
    with platform.uow() as uow, pytest.raises(ValidationFailed) as caught:
        update_enterprise(uow, ADMIN, second.id, enterprise_input(2, uscc=first.uscc), platform.districts)
    assert [(e.path, e.code) for e in caught.value.errors] == [("uscc", "uscc.exists")]
    assert count_rows("audit_events") == 2


def test_enterprise_user_may_edit_its_details_but_not_officer_fields(platform: Platform, count_rows: CountRows) -> None:
    own = create(platform, ADMIN, enterprise_input(1))
    user = Principal(9, "ent", Role.ENTERPRISE, enterprise_id=own.id)
    with platform.uow() as uow:
        updated = update_enterprise(uow, user, own.id, enterprise_input(1, name_en="Own Co., Ltd."), platform.districts)
    assert (updated.name_en, updated.version) == ("Own Co., Ltd.", 2)
    with platform.uow() as uow, pytest.raises(PermissionDenied) as caught:
        update_enterprise(
            uow,
            user,
            own.id,
            enterprise_input(1, district_code=XIHU, status=EnterpriseStatus.SUSPENDED),
            platform.districts,
        )
    assert "district_code, status" in caught.value.message
    assert count_rows("audit_events") == 2


def test_a_uscc_inserted_by_a_concurrent_writer_is_a_conflict_not_a_crash(
    platform: Platform, count_rows: CountRows
) -> None:
    # The service checked the USCC was free; another transaction then registered it first.
    create(platform, ADMIN, enterprise_input(1))
    with platform.uow() as uow, pytest.raises(Conflict) as caught:
        uow.enterprises.add(enterprise_input(1, name="并发写入有限公司"), uow.clock.now())
    assert caught.value.code == "uscc.exists"
    assert (count_rows("enterprises"), count_rows("audit_events")) == (1, 1)
