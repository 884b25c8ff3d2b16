from __future__ import annotations

from datetime import date

from cbec.registry.districts import load_districts
from cbec.registry.model import EnterpriseInput, EnterpriseRole, validate_enterprise
from cbec.web.i18n import CATALOGS, explain, translate

TODAY = date(2024, 11, 26)


def _input(**changes: object) -> EnterpriseInput:
    values: dict[str, object] = {
        "uscc": "91110108551385082Q",
        "name": "杭州示例跨境电子商务有限公司",
        "city_code": "330100",
        "district_code": "330108",
        "roles": frozenset({EnterpriseRole.EBC}),
        "registered_on": date(2020, 5, 1),
    } | changes
    return EnterpriseInput(**values)  # type: ignore[arg-type]


def _codes(data: EnterpriseInput) -> list[tuple[str, str]]:
    return [(e.path, e.code) for e in validate_enterprise(data, load_districts(), today=TODAY)]


def test_valid_enterprise_has_no_errors() -> None:
    assert _codes(_input()) == []


def test_every_broken_rule_is_reported_with_its_path() -> None:
    data = _input(
        uscc="91110108551385082A",
        name=" ",
        customs_code="abc",
        roles=frozenset(),
        district_code="440106",
        registered_on=date(2025, 1, 1),
    )
    assert _codes(data) == [
        ("uscc", "uscc.invalid"),
        ("customs_code", "customs_code.invalid"),
        ("name", "name.required"),
        ("roles", "roles.required"),
        ("district_code", "district.unknown"),
        ("registered_on", "registered_on.future"),
    ]


def test_unknown_city_is_named() -> None:
    assert _codes(_input(city_code="310000")) == [("city_code", "city.unknown")]


def test_both_languages_have_the_same_keys() -> None:
    assert set(CATALOGS["zh"]) == set(CATALOGS["en"])


def test_translation_formats_and_falls_back_to_chinese() -> None:
    assert translate("en", "list.count", n=3) == "3 in total"
    assert translate("fr", "nav.home") == "首页"
    assert translate("zh", "no.such.key") == "no.such.key"


def test_error_codes_from_validation_have_chinese_reasons() -> None:
    data = _input(
        uscc="91110108551385082A",
        name=" ",
        customs_code="abc",
        roles=frozenset(),
        district_code="440106",
        registered_on=date(2025, 1, 1),
    )
    codes = [e.code for e in validate_enterprise(data, load_districts(), today=TODAY)]
    assert [explain("zh", c) for c in codes] == [
        "统一社会信用代码不正确",
        "海关注册编码应为 10 位数字或大写字母",
        "企业名称必填",
        "请至少选择一个企业角色",
        "区县/镇街/功能区不属于所选城市",
        "备案日期不能晚于今天",
    ]
    assert explain("en", "uscc.invalid") == ""
