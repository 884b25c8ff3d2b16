"""Overseas-warehouse filing (海外仓备案) on real SQLite and PostgreSQL: filing numbers, duplicates,
updates, withdrawal, the public directory, audit events and who may do what."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from cbec.bootstrap import Platform
from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.clock import FixedClock
from cbec.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.services import create_enterprise, update_enterprise
from cbec.registry.warehouse_services import (
    WarehouseExists,
    directory,
    directory_countries,
    directory_entry,
    enterprise_id_by_uscc,
    file_warehouse,
    get_warehouse,
    update_warehouse,
    warehouse_by_filing_no,
    warehouses_of,
    withdraw_warehouse,
)
from cbec.registry.warehouses import OverseasWarehouse, WarehouseInput, WarehouseMode, WarehouseStatus

HANGZHOU, BINJIANG, XIHU = "330100", "330108", "330106"
GUANGZHOU, YUEXIU = "440100", "440104"
CountRows = Callable[[str], int]

LA = WarehouseInput(
    name="美西洛杉矶一号仓",
    country="502",
    overseas_city="Los Angeles",
    address="2150 E Harbor Logistics Ave, Ontario, CA 91761",
    area="12000.50",
    mode="public",
    operator="Westbay Fulfilment Inc.",
    available_area="3000",
    services="一件代发、退货换标",
    contact="王经理 +1 555 0100",
)
FRANKFURT = WarehouseInput(
    name="德国法兰克福仓",
    country="304",
    overseas_city="Frankfurt am Main",
    address="Logistikring 14, 65451 Kelsterbach",
    area="8000",
    mode="leased",
    operator="Rhein-Main Lager GmbH",
)


def enterprise_input(n: int, city: str, district: str) -> EnterpriseInput:
    return EnterpriseInput(
        uscc=uscc_with_check(f"91{city}MA{n:07d}"),
        name=f"测试跨境电子商务有限公司{n}",
        city_code=city,
        district_code=district,
        roles=frozenset({EnterpriseRole.EBC}),
        registered_on=date(2023, 5, 17),
    )


@pytest.fixture
def firms(platform: Platform) -> dict[str, Enterprise]:
    """Two enterprises in 滨江区, one in 西湖区 (杭州市) and one in 越秀区 (广州市)."""
    placed = {}
    for n, (key, city, district) in enumerate(
        (("bj1", HANGZHOU, BINJIANG), ("bj2", HANGZHOU, BINJIANG), ("xh", HANGZHOU, XIHU), ("gz", GUANGZHOU, YUEXIU)),
        start=1,
    ):
        with platform.uow() as uow:
            placed[key] = create_enterprise(uow, SYSTEM, enterprise_input(n, city, district), platform.districts)
    return placed


ADMIN = Principal(1, "admin", Role.CITY_ADMIN, city_code=HANGZHOU)
OFFICER = Principal(2, "officer", Role.DISTRICT_OFFICER, city_code=HANGZHOU, district_code=BINJIANG)
AUDITOR = Principal(3, "auditor", Role.AUDITOR, city_code=HANGZHOU)
PARTNER = Principal(4, "partner", Role.PARTNER, city_code=HANGZHOU)
GZ_ADMIN = Principal(5, "gz.admin", Role.CITY_ADMIN, city_code=GUANGZHOU)


def user_of(enterprise: Enterprise) -> Principal:
    return Principal(100 + enterprise.id, f"ent{enterprise.id}", Role.ENTERPRISE, enterprise_id=enterprise.id)


def file(platform: Platform, principal: Principal, enterprise: Enterprise, data: WarehouseInput) -> OverseasWarehouse:
    with platform.uow() as uow:
        return file_warehouse(uow, principal, enterprise.id, data)


def warehouse_events(platform: Platform) -> list[dict[str, object]]:
    with platform.uow(read_only=True) as uow:
        return [e.__dict__ for e in uow.audit.events() if e.subject_type == "warehouse"]


def listed(platform: Platform, **filters: object) -> tuple[list[str], int]:
    with platform.uow(read_only=True) as uow:
        entries, total = directory(uow, **filters)  # type: ignore[arg-type]
    return [e.warehouse.filing_no for e in entries], total


def test_an_enterprise_files_its_warehouse_and_the_filing_is_audited(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    bj1 = firms["bj1"]
    created = file(platform, user_of(bj1), bj1, LA)
    assert created.filing_no == "HWC330100202400001"
    with platform.uow(read_only=True) as uow:
        stored = warehouse_by_filing_no(uow, "HWC330100202400001")
    assert stored == created
    assert (stored.enterprise_id, stored.city_code, stored.status, stored.version) == (
        bj1.id,
        HANGZHOU,
        WarehouseStatus.FILED,
        1,
    )
    assert (stored.area, stored.available_area, stored.mode) == (
        Decimal("12000.50"),
        Decimal("3000.00"),
        WarehouseMode.PUBLIC,
    )
    assert (stored.name, stored.country, stored.overseas_city, stored.address, stored.operator) == (
        "美西洛杉矶一号仓",
        "502",
        "Los Angeles",
        "2150 E Harbor Logistics Ave, Ontario, CA 91761",
        "Westbay Fulfilment Inc.",
    )
    assert (stored.services, stored.contact) == ("一件代发、退货换标", "王经理 +1 555 0100")
    assert stored.filed_at == stored.updated_at == platform.clock.now()
    assert count_rows("overseas_warehouses") == 1
    [event] = warehouse_events(platform)
    assert (event["actor"], event["action"], event["subject_id"], event["city_code"]) == (
        f"user:{100 + bj1.id}:ent{bj1.id}",
        "warehouse.file",
        "HWC330100202400001",
        HANGZHOU,
    )
    assert event["before"] is None
    assert json.loads(str(event["after"])) == created.snapshot()


def test_serials_count_per_city_and_year(platform: Platform, firms: dict[str, Enterprise]) -> None:
    assert file(platform, ADMIN, firms["bj1"], LA).filing_no == "HWC330100202400001"
    assert file(platform, ADMIN, firms["xh"], LA).filing_no == "HWC330100202400002"
    assert file(platform, GZ_ADMIN, firms["gz"], LA).filing_no == "HWC440100202400001"
    assert file(platform, ADMIN, firms["bj1"], FRANKFURT).filing_no == "HWC330100202400003"
    clock = platform.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=36))  # 2025-01-01 in Shanghai
    assert file(platform, OFFICER, firms["bj2"], LA).filing_no == "HWC330100202500001"


def test_filing_the_same_country_and_address_again_is_a_conflict_naming_the_filing(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    bj1 = firms["bj1"]
    first = file(platform, user_of(bj1), bj1, LA)
    events_before = count_rows("audit_events")
    again = replace(LA, name="另一个名字", address="  2150 e harbor logistics AVE,   Ontario, CA 91761 ")
    with pytest.raises(WarehouseExists) as refused:
        file(platform, user_of(bj1), bj1, again)
    assert refused.value.code == "warehouse.exists"
    assert refused.value.filing_no == first.filing_no
    assert refused.value.as_dict() == {
        "code": "warehouse.exists",
        "message": f"enterprise {bj1.id} already filed a warehouse in country 502 at this address: filing number "
        "HWC330100202400001; edit that filing instead of filing again",
        "filing_no": "HWC330100202400001",
    }
    assert isinstance(refused.value, Conflict)
    assert count_rows("overseas_warehouses") == 1
    assert count_rows("audit_events") == events_before
    # Another enterprise at the same address, or the same address in another country, is a new filing.
    assert file(platform, ADMIN, firms["bj2"], LA).filing_no == "HWC330100202400002"
    assert file(platform, ADMIN, bj1, replace(LA, country="501")).filing_no == "HWC330100202400003"
    assert count_rows("overseas_warehouses") == 3


def test_an_invalid_filing_stores_nothing(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    events_before = count_rows("audit_events")
    with pytest.raises(ValidationFailed) as refused:
        file(platform, ADMIN, firms["bj1"], replace(LA, country="142", area="0", available_area="10", mode="rent"))
    assert [(e.path, e.code) for e in refused.value.errors] == [
        ("country", "warehouse.country_domestic"),
        ("area", "warehouse.area_not_positive"),
        ("mode", "warehouse.mode_unknown"),
    ]
    assert (count_rows("overseas_warehouses"), count_rows("audit_events")) == (0, events_before)


@pytest.mark.parametrize(
    ("who", "firm"),
    [
        ("auditor", "bj1"),
        ("partner", "bj1"),
        ("other_enterprise", "bj1"),
        ("officer", "xh"),
        ("gz_admin", "bj1"),
        ("admin", "gz"),
    ],
)
def test_who_may_not_file(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows, who: str, firm: str
) -> None:
    principal = {
        "auditor": AUDITOR,
        "partner": PARTNER,
        "other_enterprise": user_of(firms["bj2"]),
        "officer": OFFICER,
        "gz_admin": GZ_ADMIN,
        "admin": ADMIN,
    }[who]
    events_before = count_rows("audit_events")
    with pytest.raises(PermissionDenied):
        file(platform, principal, firms[firm], LA)
    assert (count_rows("overseas_warehouses"), count_rows("audit_events")) == (0, events_before)


def test_who_may_file(platform: Platform, firms: dict[str, Enterprise]) -> None:
    assert file(platform, OFFICER, firms["bj1"], LA).enterprise_id == firms["bj1"].id
    assert file(platform, ADMIN, firms["xh"], LA).enterprise_id == firms["xh"].id
    assert file(platform, SYSTEM, firms["gz"], LA).enterprise_id == firms["gz"].id


def test_an_unknown_or_inactive_enterprise_may_not_file(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    with platform.uow() as uow, pytest.raises(NotFound, match="no enterprise with id 999"):
        file_warehouse(uow, SYSTEM, 999, LA)
    with platform.uow() as uow:
        suspended = update_enterprise(
            uow,
            SYSTEM,
            firms["bj1"].id,
            replace(enterprise_input(1, HANGZHOU, BINJIANG), status=EnterpriseStatus.SUSPENDED),
            platform.districts,
        )
    with pytest.raises(Conflict) as refused:
        file(platform, ADMIN, suspended, LA)
    assert refused.value.code == "warehouse.enterprise_inactive"
    assert count_rows("overseas_warehouses") == 0
    with platform.uow(read_only=True) as uow, pytest.raises(ValidationFailed) as unknown:
        enterprise_id_by_uscc(uow, "91330100MA0000099X")
    assert [(e.path, e.code) for e in unknown.value.errors] == [("enterprise_uscc", "warehouse.enterprise_unknown")]
    with platform.uow(read_only=True) as uow:
        assert enterprise_id_by_uscc(uow, firms["xh"].uscc) == firms["xh"].id


def test_update_writes_one_event_with_before_and_after(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    bj1 = firms["bj1"]
    created = file(platform, user_of(bj1), bj1, LA)
    clock = platform.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=1))
    with platform.uow() as uow:
        updated = update_warehouse(
            uow, user_of(bj1), created.filing_no, replace(LA, area="15000", available_area="7500.25"), 1
        )
    assert (updated.area, updated.available_area, updated.version) == (Decimal("15000.00"), Decimal("7500.25"), 2)
    assert (updated.filing_no, updated.filed_at, updated.updated_at) == (
        created.filing_no,
        created.filed_at,
        clock.now(),
    )
    with platform.uow(read_only=True) as uow:
        assert get_warehouse(uow, OFFICER, created.filing_no) == updated
    events = warehouse_events(platform)
    assert [e["action"] for e in events] == ["warehouse.file", "warehouse.update"]
    assert json.loads(str(events[1]["before"])) == created.snapshot()
    assert json.loads(str(events[1]["after"])) == updated.snapshot()
    # The same data again changes nothing and writes nothing.
    with platform.uow() as uow:
        same = update_warehouse(uow, ADMIN, created.filing_no, updated.as_input())
    assert same == updated
    assert len(warehouse_events(platform)) == 2
    assert count_rows("overseas_warehouses") == 1


def test_update_refusals_change_nothing(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    bj1 = firms["bj1"]
    la = file(platform, ADMIN, bj1, LA)
    frankfurt = file(platform, ADMIN, bj1, FRANKFURT)
    events_before = count_rows("audit_events")
    cases: list[tuple[Principal, str, WarehouseInput, int | None, type[Exception], str]] = [
        (ADMIN, la.filing_no, replace(LA, name="新名字"), 2, Conflict, "warehouse.stale"),
        (ADMIN, la.filing_no, FRANKFURT, None, WarehouseExists, "warehouse.exists"),
        (ADMIN, la.filing_no, replace(LA, area="abc"), None, ValidationFailed, "validation_failed"),
        (AUDITOR, la.filing_no, replace(LA, name="新名字"), None, PermissionDenied, "permission_denied"),
        (user_of(firms["bj2"]), la.filing_no, replace(LA, name="新名字"), None, PermissionDenied, "permission_denied"),
        (ADMIN, "HWC330100202499999", LA, None, NotFound, "not_found"),
    ]
    for principal, filing_no, data, version, kind, code in cases:
        with platform.uow() as uow, pytest.raises(kind) as refused:
            update_warehouse(uow, principal, filing_no, data, version)
        assert refused.value.code == code  # type: ignore[attr-defined]
    with platform.uow(read_only=True) as uow:
        assert warehouse_by_filing_no(uow, la.filing_no) == la
        assert warehouse_by_filing_no(uow, frankfurt.filing_no) == frankfurt
    assert count_rows("audit_events") == events_before


def test_withdrawal_hides_the_filing_from_the_directory(
    platform: Platform, firms: dict[str, Enterprise], count_rows: CountRows
) -> None:
    bj1 = firms["bj1"]
    la = file(platform, user_of(bj1), bj1, LA)
    frankfurt = file(platform, user_of(bj1), bj1, FRANKFURT)
    assert listed(platform) == ([la.filing_no, frankfurt.filing_no], 2)
    with platform.uow() as uow:
        withdrawn = withdraw_warehouse(uow, user_of(bj1), la.filing_no)
    assert (withdrawn.status, withdrawn.version) == (WarehouseStatus.WITHDRAWN, 2)
    assert listed(platform) == ([frankfurt.filing_no], 1)
    with platform.uow(read_only=True) as uow:
        assert warehouse_by_filing_no(uow, la.filing_no) == withdrawn  # a 9810 check can say "withdrawn"
        assert warehouse_by_filing_no(uow, la.filing_no, filed_only=True) is None
        assert warehouse_by_filing_no(uow, "HWC330100202499999") is None
        assert directory_entry(uow, la.filing_no).public()["status"] == "withdrawn"
        assert [w.filing_no for w in warehouses_of(uow, user_of(bj1), bj1.id)] == [la.filing_no, frankfurt.filing_no]
    events = warehouse_events(platform)
    assert [e["action"] for e in events] == ["warehouse.file", "warehouse.file", "warehouse.withdraw"]
    assert json.loads(str(events[2]["before"]))["status"] == "filed"
    assert json.loads(str(events[2]["after"])) == withdrawn.snapshot()
    events_before = count_rows("audit_events")
    for action in (
        lambda uow: withdraw_warehouse(uow, ADMIN, la.filing_no),
        lambda uow: update_warehouse(uow, ADMIN, la.filing_no, LA),
    ):
        with platform.uow() as uow, pytest.raises(Conflict) as refused:
            action(uow)
        assert refused.value.code == "warehouse.withdrawn"
    assert count_rows("audit_events") == events_before
    with platform.uow() as uow, pytest.raises(PermissionDenied):
        withdraw_warehouse(uow, PARTNER, frankfurt.filing_no)
    # The address is free again: filing it anew gives a new number.
    assert file(platform, user_of(bj1), bj1, LA).filing_no == "HWC330100202400003"


def test_the_directory_filters_and_pages(platform: Platform, firms: dict[str, Enterprise]) -> None:
    offers = {"bj1": "99.99", "bj2": "100", "xh": "1000.00", "gz": None}
    numbers = {}
    for key, available in offers.items():
        principal = GZ_ADMIN if key == "gz" else ADMIN
        data = replace(LA, available_area=available, mode="public" if available else "own")
        numbers[key] = file(platform, principal, firms[key], data).filing_no
    numbers["de"] = file(platform, ADMIN, firms["bj1"], FRANKFURT).filing_no
    everything = [numbers[k] for k in ("bj1", "bj2", "xh", "gz", "de")]
    assert listed(platform) == (everything, 5)
    assert listed(platform, country="304") == ([numbers["de"]], 1)
    assert listed(platform, country="116") == ([], 0)
    assert listed(platform, mode=WarehouseMode.OWN) == ([numbers["gz"]], 1)
    assert listed(platform, min_available=Decimal("100")) == ([numbers["bj2"], numbers["xh"]], 2)
    assert listed(platform, min_available=Decimal("99.99")) == ([numbers["bj1"], numbers["bj2"], numbers["xh"]], 3)
    assert listed(platform, min_available=Decimal("1000.01")) == ([], 0)
    assert listed(platform, text="los angeles") == (everything[:4], 4)  # case does not matter
    assert listed(platform, text="KELSTERBACH") == ([numbers["de"]], 1)
    assert listed(platform, text=firms["xh"].name) == ([numbers["xh"]], 1)  # the enterprise's name
    assert listed(platform, text=numbers["gz"]) == ([numbers["gz"]], 1)
    assert listed(platform, text="100%") == ([], 0)  # LIKE wildcards are literal
    assert listed(platform, offset=1, limit=2) == (everything[1:3], 5)
    with platform.uow(read_only=True) as uow:
        entries, _ = directory(uow, country="304")
        assert directory_countries(uow) == ["304", "502"]
    [entry] = entries
    assert entry.enterprise_name == firms["bj1"].name
    assert entry.public() == {
        "filing_no": numbers["de"],
        "name": "德国法兰克福仓",
        "country": "304",
        "overseas_city": "Frankfurt am Main",
        "address": "Logistikring 14, 65451 Kelsterbach",
        "area": "8000.00",
        "available_area": None,
        "mode": "leased",
        "operator": "Rhein-Main Lager GmbH",
        "services": None,
        "status": "filed",
        "filed_at": platform.clock.now().isoformat(),
        "enterprise_name": firms["bj1"].name,
    }


def test_the_full_record_is_for_those_who_see_the_enterprise(platform: Platform, firms: dict[str, Enterprise]) -> None:
    xh = file(platform, ADMIN, firms["xh"], LA)
    with platform.uow(read_only=True) as uow:
        assert get_warehouse(uow, AUDITOR, xh.filing_no).contact == "王经理 +1 555 0100"
        assert get_warehouse(uow, user_of(firms["xh"]), xh.filing_no) == xh
        for outsider in (OFFICER, GZ_ADMIN, user_of(firms["bj1"])):
            with pytest.raises(PermissionDenied):
                get_warehouse(uow, outsider, xh.filing_no)
            with pytest.raises(PermissionDenied):
                warehouses_of(uow, outsider, firms["xh"].id)
        with pytest.raises(NotFound, match="no overseas warehouse has filing number HWC1"):
            directory_entry(uow, "HWC1")
        assert "contact" not in directory_entry(uow, xh.filing_no).public()


def test_concurrent_filings_get_distinct_serials(platform: Platform, firms: dict[str, Enterprise]) -> None:
    def one(n: int) -> str:
        firm = firms["bj1"] if n % 2 else firms["xh"]
        data = replace(LA, address=f"{n} Concurrent Way, Ontario, CA 91761")
        return file(platform, ADMIN, firm, data).filing_no

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(one, range(12)))
    assert sorted(numbers) == [f"HWC330100202400{n:03d}" for n in range(1, 13)]
    assert listed(platform)[1] == 12
    assert len(warehouse_events(platform)) == 12
