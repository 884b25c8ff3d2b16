"""The shipped reference data: the five seed cities and their districts."""

from __future__ import annotations

import csv
import re
from collections import Counter
from importlib import resources

import pytest

from cbec.registry.districts import DistrictBook, load_districts

ZHONGSHAN, GUANGZHOU, HANGZHOU, CHONGQING, JINAN = (
    "442000",
    "440100",
    "330100",
    "500000",
    "370100",
)
COUNTY_KINDS = {"区", "县", "县级市", "自治县"}


def _raw_rows() -> list[dict[str, str]]:
    text = resources.files("cbec.registry").joinpath("data/districts.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def book() -> DistrictBook:
    return load_districts()


def _kinds(book: DistrictBook, city_code: str) -> Counter[str]:
    city = book.city(city_code)
    assert city is not None
    return Counter(d.kind for d in city.districts)


def test_header_is_exact() -> None:
    text = resources.files("cbec.registry").joinpath("data/districts.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "city_code,city_name,code,name,kind"


def test_the_five_cities_with_their_names(book: DistrictBook) -> None:
    assert {c.code: c.name for c in book.cities} == {
        ZHONGSHAN: "中山市",
        GUANGZHOU: "广州市",
        HANGZHOU: "杭州市",
        CHONGQING: "重庆市",
        JINAN: "济南市",
    }


def test_county_level_counts(book: DistrictBook) -> None:
    assert _kinds(book, GUANGZHOU) == Counter({"区": 11})
    assert _kinds(book, HANGZHOU) == Counter({"区": 10, "县": 2, "县级市": 1})
    assert _kinds(book, CHONGQING) == Counter({"区": 26, "县": 8, "自治县": 4, "功能区": 2})
    assert _kinds(book, JINAN) == Counter({"区": 10, "县": 2, "功能区": 2})


def test_zhongshan_has_town_level_units_and_functional_areas(book: DistrictBook) -> None:
    assert _kinds(book, ZHONGSHAN) == Counter({"街道": 8, "镇": 15, "功能区": 2})
    city = book.city(ZHONGSHAN)
    assert city is not None
    towns = [d for d in city.districts if d.kind in {"街道", "镇"}]
    assert all(re.fullmatch(r"442000\d{3}", d.code) for d in towns)
    assert not any(d.kind in COUNTY_KINDS for d in city.districts)


def test_hangzhou_after_the_2021_adjustment(book: DistrictBook) -> None:
    city = book.city(HANGZHOU)
    assert city is not None
    assert {d.name: d.code for d in city.districts} == {
        "上城区": "330102",
        "拱墅区": "330105",
        "西湖区": "330106",
        "滨江区": "330108",
        "萧山区": "330109",
        "余杭区": "330110",
        "富阳区": "330111",
        "临安区": "330112",
        "临平区": "330113",
        "钱塘区": "330114",
        "桐庐县": "330122",
        "淳安县": "330127",
        "建德市": "330182",
    }


def test_jinan_includes_laiwu_and_gangcheng(book: DistrictBook) -> None:
    assert book.district_by_name(JINAN, "莱芜区") == book.district("370116")
    assert book.district_by_name(JINAN, "钢城区") == book.district("370117")
    assert book.district_by_name(JINAN, "章丘区") == book.district("370114")


def test_a_few_known_codes(book: DistrictBook) -> None:
    expected = {
        "440115": ("南沙区", GUANGZHOU),
        "440118": ("增城区", GUANGZHOU),
        "500154": ("开州区", CHONGQING),
        "500156": ("武隆区", CHONGQING),
        "500243": ("彭水苗族土家族自治县", CHONGQING),
        "442000118": ("小榄镇", ZHONGSHAN),
        "442000001": ("石岐街道", ZHONGSHAN),
    }
    for code, (name, city_code) in expected.items():
        district = book.district(code)
        assert district is not None, code
        assert (district.name, district.city_code) == (name, city_code)


def test_every_code_is_unique_and_well_formed() -> None:
    rows = _raw_rows()
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)) == 103
    for row in rows:
        kind, code, city = row["kind"], row["code"], row["city_code"]
        if kind in COUNTY_KINDS:
            assert re.fullmatch(r"\d{6}", code), row
            assert code[:2] == city[:2], row
        elif kind in {"街道", "镇"}:
            assert re.fullmatch(r"\d{9}", code), row
            assert code.startswith(city), row
        else:
            assert kind == "功能区", row
            assert re.fullmatch(re.escape(city) + r"-F\d\d", code), row


def test_names_are_unique_within_a_city() -> None:
    rows = _raw_rows()
    pairs = [(r["city_code"], r["name"]) for r in rows]
    assert len(pairs) == len(set(pairs))


def test_city_names_are_consistent_per_city_code() -> None:
    names: dict[str, set[str]] = {}
    for row in _raw_rows():
        names.setdefault(row["city_code"], set()).add(row["city_name"])
    assert all(len(v) == 1 for v in names.values())


def test_functional_areas(book: DistrictBook) -> None:
    areas = {(d.city_code, d.code, d.name) for c in book.cities for d in c.districts if d.kind == "功能区"}
    assert areas == {
        (ZHONGSHAN, "442000-F01", "火炬开发区"),
        (ZHONGSHAN, "442000-F02", "翠亨新区"),
        (CHONGQING, "500000-F01", "两江新区"),
        (CHONGQING, "500000-F02", "西部科学城重庆高新区"),
        (JINAN, "370100-F01", "高新区"),
        (JINAN, "370100-F02", "起步区"),
    }


def test_problems_accepts_a_district_of_its_city_only(book: DistrictBook) -> None:
    assert book.problems(HANGZHOU, "330114") == []
    [error] = book.problems(GUANGZHOU, "330114")
    assert error.code == "district.unknown"
