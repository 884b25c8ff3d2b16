"""The demo enterprise generator: reproducible, unique and valid."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from cbec.demo.generator import DemoEnterprise, demo_enterprises
from cbec.kernel.ids import customs_code_problem, uscc_problem
from cbec.registry.districts import City, District, DistrictBook, load_districts
from cbec.registry.model import EnterpriseInput, EnterpriseRole, validate_enterprise

LOGISTICS_WORDS = ("物流", "供应链", "货运")


@pytest.fixture(scope="module")
def enterprises() -> list[DemoEnterprise]:
    return demo_enterprises()


def test_default_is_300(enterprises: list[DemoEnterprise]) -> None:
    assert len(enterprises) == 300


def test_same_seed_gives_the_same_list(enterprises: list[DemoEnterprise]) -> None:
    assert demo_enterprises() == enterprises
    assert demo_enterprises(50, seed=7) == demo_enterprises(50, seed=7)


def test_different_seed_gives_a_different_list(enterprises: list[DemoEnterprise]) -> None:
    other = demo_enterprises(seed=1)
    assert other != enterprises
    assert {e.uscc for e in other} != {e.uscc for e in enterprises}


def test_count_is_respected() -> None:
    assert demo_enterprises(0) == []
    assert len(demo_enterprises(17, seed=3)) == 17
    with pytest.raises(ValueError, match="count must not be negative"):
        demo_enterprises(-1)


def test_a_prefix_of_a_longer_list_is_the_shorter_list() -> None:
    assert demo_enterprises(40, seed=5) == demo_enterprises(80, seed=5)[:40]


def test_names_uscc_and_customs_codes_are_unique(
    enterprises: list[DemoEnterprise],
) -> None:
    assert len({e.name for e in enterprises}) == 300
    assert len({e.uscc for e in enterprises}) == 300
    customs = [e.customs_code for e in enterprises if e.customs_code is not None]
    assert len(customs) == len(set(customs))


def test_every_uscc_is_valid_and_carries_the_district(
    enterprises: list[DemoEnterprise],
) -> None:
    for e in enterprises:
        assert uscc_problem(e.uscc) is None, e.uscc
        assert e.uscc[:2] == "91"
        expected_admin = e.district_code if len(e.district_code) == 6 else e.city_code
        assert e.uscc[2:8] == expected_admin, e


def test_zhongshan_usccs_use_the_city_code(enterprises: list[DemoEnterprise]) -> None:
    zhongshan = [e for e in enterprises if e.city_code == "442000"]
    assert zhongshan
    assert all(e.uscc[2:8] == "442000" for e in zhongshan)


def test_customs_codes_have_the_city_prefix(enterprises: list[DemoEnterprise]) -> None:
    with_code = [e for e in enterprises if e.customs_code is not None]
    assert 0 < len(with_code) < 300
    for e in with_code:
        assert e.customs_code is not None
        assert customs_code_problem(e.customs_code) is None
        assert re.fullmatch(r"\d{10}", e.customs_code)
        assert e.customs_code[:4] == e.city_code[:4]


def test_every_district_belongs_to_its_city(enterprises: list[DemoEnterprise]) -> None:
    book = load_districts()
    for e in enterprises:
        assert book.problems(e.city_code, e.district_code) == [], e


def test_all_five_cities_present_and_weighted(enterprises: list[DemoEnterprise]) -> None:
    per_city = Counter(e.city_code for e in enterprises)
    assert set(per_city) == {"442000", "440100", "330100", "500000", "370100"}
    biggest_two = {code for code, _ in per_city.most_common(2)}
    assert biggest_two == {"440100", "330100"}


def test_roles_mostly_ebc_some_with_two(enterprises: list[DemoEnterprise]) -> None:
    assert all(1 <= len(e.roles) <= 2 for e in enterprises)
    ebc = sum(EnterpriseRole.EBC in e.roles for e in enterprises)
    assert ebc > 150
    assert any(len(e.roles) == 2 for e in enterprises)
    seen = {role for e in enterprises for role in e.roles}
    assert seen == set(EnterpriseRole)


def test_logistics_only_enterprises_are_named_like_logistics_companies(
    enterprises: list[DemoEnterprise],
) -> None:
    logistics = [e for e in enterprises if e.roles == {EnterpriseRole.LOGISTICS}]
    assert logistics
    assert all(any(w in e.name for w in LOGISTICS_WORDS) for e in logistics)


def test_names_look_like_chinese_company_names(
    enterprises: list[DemoEnterprise],
) -> None:
    for e in enterprises:
        assert e.name.endswith("有限公司"), e.name
        if e.name_en is not None:
            assert e.name_en.endswith("Co., Ltd."), e.name_en


def test_dates_parks_and_validation(enterprises: list[DemoEnterprise]) -> None:
    book = load_districts()
    parks = [e.park for e in enterprises if e.park is not None]
    assert 0 < len(parks) < 150
    for e in enterprises:
        assert date(2015, 1, 1) <= e.registered_on <= date(2024, 6, 30)
        data = EnterpriseInput(
            uscc=e.uscc,
            name=e.name,
            city_code=e.city_code,
            district_code=e.district_code,
            roles=e.roles,
            registered_on=e.registered_on,
            customs_code=e.customs_code,
            name_en=e.name_en,
            park=e.park,
        )
        assert validate_enterprise(data, book, today=date(2024, 11, 1)) == []


def test_a_custom_district_book_is_used() -> None:
    one = DistrictBook(
        [
            City("440100", "广州市", (District("440106", "天河区", "区", "440100"),)),
        ]
    )
    result = demo_enterprises(20, seed=9, districts=one)
    assert {(e.city_code, e.district_code) for e in result} == {("440100", "440106")}
    assert all(e.uscc[2:8] == "440106" for e in result)
