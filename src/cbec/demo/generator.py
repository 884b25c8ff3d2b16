"""Reproducible demo enterprises for the five seed cities.

Everything is drawn from one ``random.Random(seed)``: the same seed and the same district
book give the same list, item for item. Names, USCCs and customs codes are unique within a
list, every USCC passes :func:`cbec.kernel.ids.uscc_problem`, and every enterprise sits in a
real district of its city (from :func:`cbec.registry.districts.load_districts`).

The data is invented: any resemblance of a generated name or code to a real enterprise is
accidental. Use it for demos, screenshots and load tests, never as reference data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import City, District, DistrictBook, load_districts
from cbec.registry.model import EnterpriseInput, EnterpriseRole

__all__ = ["DemoEnterprise", "demo_enterprises"]

R = EnterpriseRole


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    customs_code: str | None
    name: str
    name_en: str | None
    city_code: str
    district_code: str
    park: str | None
    roles: frozenset[EnterpriseRole]
    registered_on: date

    def as_input(self) -> EnterpriseInput:
        """The record as a clerk would file it (the registry's input type)."""
        return EnterpriseInput(
            uscc=self.uscc,
            name=self.name,
            city_code=self.city_code,
            district_code=self.district_code,
            roles=self.roles,
            registered_on=self.registered_on,
            customs_code=self.customs_code,
            name_en=self.name_en,
            park=self.park,
        )


# Relative weight of each city, roughly by cross-border e-commerce trade volume.
# A city of the district book missing here gets weight 1.
_CITY_WEIGHT: dict[str, int] = {
    "440100": 32,  # 广州
    "330100": 30,  # 杭州
    "500000": 14,  # 重庆
    "442000": 12,  # 中山
    "370100": 12,  # 济南
}

_CITY_EN: dict[str, str] = {
    "440100": "Guangzhou",
    "330100": "Hangzhou",
    "500000": "Chongqing",
    "442000": "Zhongshan",
    "370100": "Jinan",
}

# Enterprises cluster in urban districts and functional areas.
_KIND_WEIGHT: dict[str, int] = {
    "区": 4,
    "功能区": 4,
    "街道": 3,
    "镇": 3,
    "县级市": 2,
    "县": 1,
    "自治县": 1,
}

# The single role of most enterprises, by weight.
_PRIMARY_ROLE: tuple[tuple[EnterpriseRole, int], ...] = (
    (R.EBC, 62),
    (R.LOGISTICS, 10),
    (R.DECLARING_AGENT, 8),
    (R.EBP, 6),
    (R.SERVICE_PROVIDER, 6),
    (R.WAREHOUSE_OPERATOR, 5),
    (R.PAYMENT, 3),
)

# Second roles that go together with a primary role in practice.
_SECOND_ROLE: dict[EnterpriseRole, tuple[EnterpriseRole, ...]] = {
    R.EBC: (R.EBP,),
    R.EBP: (R.EBC, R.SERVICE_PROVIDER),
    R.LOGISTICS: (R.DECLARING_AGENT, R.WAREHOUSE_OPERATOR),
    R.DECLARING_AGENT: (R.LOGISTICS, R.SERVICE_PROVIDER),
    R.WAREHOUSE_OPERATOR: (R.LOGISTICS,),
    R.SERVICE_PROVIDER: (R.DECLARING_AGENT,),
    R.PAYMENT: (R.SERVICE_PROVIDER,),
}
_TWO_ROLE_SHARE = 0.08

# Share of enterprises of a (primary) role that hold a customs registration code.
_CUSTOMS_SHARE: dict[EnterpriseRole, float] = {
    R.EBC: 0.85,
    R.EBP: 0.8,
    R.LOGISTICS: 0.95,
    R.DECLARING_AGENT: 1.0,
    R.WAREHOUSE_OPERATOR: 0.9,
    R.PAYMENT: 0.4,
    R.SERVICE_PROVIDER: 0.3,
}

# Name endings (行业 + 组织形式) per primary role, each with its English form.
_ENDINGS: dict[EnterpriseRole, tuple[tuple[str, str], ...]] = {
    R.EBC: (
        ("跨境电子商务有限公司", "Cross-border E-commerce Co., Ltd."),
        ("电子商务有限公司", "E-commerce Co., Ltd."),
        ("进出口贸易有限公司", "Import and Export Trading Co., Ltd."),
        ("国际贸易有限公司", "International Trading Co., Ltd."),
        ("贸易有限公司", "Trading Co., Ltd."),
        ("实业有限公司", "Industrial Co., Ltd."),
    ),
    R.EBP: (
        ("网络科技有限公司", "Network Technology Co., Ltd."),
        ("信息科技有限公司", "Information Technology Co., Ltd."),
        ("数字科技有限公司", "Digital Technology Co., Ltd."),
    ),
    R.LOGISTICS: (
        ("国际物流有限公司", "International Logistics Co., Ltd."),
        ("供应链管理有限公司", "Supply Chain Management Co., Ltd."),
        ("国际货运代理有限公司", "International Freight Forwarding Co., Ltd."),
        ("物流有限公司", "Logistics Co., Ltd."),
    ),
    R.DECLARING_AGENT: (
        ("报关有限公司", "Customs Brokerage Co., Ltd."),
        ("报关代理有限公司", "Customs Declaration Agency Co., Ltd."),
        ("关务服务有限公司", "Customs Services Co., Ltd."),
    ),
    R.WAREHOUSE_OPERATOR: (
        ("仓储有限公司", "Warehousing Co., Ltd."),
        ("仓储物流有限公司", "Warehousing and Logistics Co., Ltd."),
        ("保税仓储有限公司", "Bonded Warehousing Co., Ltd."),
    ),
    R.PAYMENT: (
        ("支付科技有限公司", "Payment Technology Co., Ltd."),
        ("电子支付有限公司", "E-payment Co., Ltd."),
    ),
    R.SERVICE_PROVIDER: (
        ("外贸综合服务有限公司", "Foreign Trade Services Co., Ltd."),
        ("企业管理咨询有限公司", "Business Consulting Co., Ltd."),
        ("供应链服务有限公司", "Supply Chain Services Co., Ltd."),
    ),
}

# Goods that an e-commerce enterprise (ebc) may put before its name ending.
_GOODS: tuple[tuple[str, str], ...] = (
    ("家居", "Home Furnishing"),
    ("服饰", "Apparel"),
    ("灯饰", "Lighting"),
    ("五金", "Hardware"),
    ("电器", "Electrical Appliances"),
    ("母婴用品", "Baby Products"),
    ("美妆", "Cosmetics"),
    ("箱包", "Luggage"),
    ("户外用品", "Outdoor Products"),
    ("宠物用品", "Pet Supplies"),
    ("食品", "Food"),
    ("玩具", "Toys"),
)

# The two characters of a trade name (字号), each with its pinyin.
_BRAND_FIRST: tuple[tuple[str, str], ...] = (
    ("盛", "sheng"),
    ("华", "hua"),
    ("远", "yuan"),
    ("鑫", "xin"),
    ("恒", "heng"),
    ("嘉", "jia"),
    ("瑞", "rui"),
    ("博", "bo"),
    ("安", "an"),
    ("泰", "tai"),
    ("宏", "hong"),
    ("凯", "kai"),
    ("德", "de"),
    ("佳", "jia"),
    ("锦", "jin"),
    ("星", "xing"),
    ("海", "hai"),
    ("云", "yun"),
    ("天", "tian"),
    ("金", "jin"),
    ("永", "yong"),
    ("卓", "zhuo"),
    ("汇", "hui"),
    ("润", "run"),
    ("昊", "hao"),
    ("易", "yi"),
    ("众", "zhong"),
    ("聚", "ju"),
    ("捷", "jie"),
    ("睿", "rui"),
    ("启", "qi"),
    ("立", "li"),
    ("广", "guang"),
    ("东", "dong"),
    ("明", "ming"),
)
_BRAND_SECOND: tuple[tuple[str, str], ...] = (
    ("达", "da"),
    ("通", "tong"),
    ("源", "yuan"),
    ("帆", "fan"),
    ("诚", "cheng"),
    ("信", "xin"),
    ("隆", "long"),
    ("丰", "feng"),
    ("发", "fa"),
    ("邦", "bang"),
    ("辉", "hui"),
    ("航", "hang"),
    ("途", "tu"),
    ("创", "chuang"),
    ("禾", "he"),
    ("峰", "feng"),
    ("川", "chuan"),
    ("朗", "lang"),
    ("新", "xin"),
    ("驰", "chi"),
    ("宇", "yu"),
    ("拓", "tuo"),
    ("合", "he"),
    ("瀚", "han"),
    ("盈", "ying"),
    ("程", "cheng"),
    ("迅", "xun"),
    ("优", "you"),
    ("品", "pin"),
    ("耀", "yao"),
)
# Trade names of well-known real enterprises that the two lists above can spell.
_AVOID_BRANDS = frozenset({"海信", "德邦", "汇通", "金发", "天合", "华发", "恒丰", "安邦"})

_PARKS: tuple[str, ...] = (
    "跨境电商产业园",
    "电子商务产业园",
    "跨境电商孵化基地",
    "数字贸易产业园",
    "跨境电商物流园",
)
_PARK_SHARE = 0.22

_FIRST_DAY = date(2015, 1, 1)
_LAST_DAY = date(2024, 6, 30)
# The unified social credit code replaced the separate organisation code from October 2015;
# enterprises registered since then have an organisation code part starting with "MA".
_USCC_START = date(2015, 10, 1)

# GB 11714 organisation code: value of each character and the weights of the first eight.
_ORG_VALUE = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters allowed in a USCC body (GB 32100: no I, O, S, V, Z).
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DIGITS = "0123456789"


def demo_enterprises(
    count: int = 300,
    *,
    seed: int = 20241101,
    districts: DistrictBook | None = None,
) -> list[DemoEnterprise]:
    """``count`` invented enterprises, identical for identical ``seed`` and ``districts``."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    book = districts if districts is not None else load_districts()
    cities = [c for c in book.cities if c.districts]
    if not cities:
        raise ValueError("the district book has no city with districts")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    city_weights = [_CITY_WEIGHT.get(c.code, 1) for c in cities]
    names: set[str] = set()
    usccs: set[str] = set()
    customs_codes: set[str] = set()
    result: list[DemoEnterprise] = []
    attempts = 0
    while len(result) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise RuntimeError(f"could not make {count} distinct demo enterprises")
        city = rng.choices(cities, weights=city_weights)[0]
        district = _pick_district(rng, city)
        roles, primary = _pick_roles(rng)
        registered_on = _FIRST_DAY + timedelta(days=rng.randint(0, (_LAST_DAY - _FIRST_DAY).days))
        name, name_en = _make_name(rng, city, primary)
        uscc = _make_uscc(rng, city, district, registered_on)
        customs_code = None
        if rng.random() < _CUSTOMS_SHARE[primary]:
            customs_code = _make_customs_code(rng, city)
        park = rng.choice(_PARKS) if rng.random() < _PARK_SHARE else None
        if name in names or uscc in usccs or customs_code in customs_codes:
            continue
        names.add(name)
        usccs.add(uscc)
        if customs_code is not None:
            customs_codes.add(customs_code)
        result.append(
            DemoEnterprise(
                uscc=uscc,
                customs_code=customs_code,
                name=name,
                name_en=name_en,
                city_code=city.code,
                district_code=district.code,
                park=park,
                roles=roles,
                registered_on=registered_on,
            )
        )
    return result


def _pick_district(rng: random.Random, city: City) -> District:
    weights = [_KIND_WEIGHT.get(d.kind, 1) for d in city.districts]
    return rng.choices(city.districts, weights=weights)[0]


def _pick_roles(
    rng: random.Random,
) -> tuple[frozenset[EnterpriseRole], EnterpriseRole]:
    primary = rng.choices([role for role, _ in _PRIMARY_ROLE], weights=[w for _, w in _PRIMARY_ROLE])[0]
    roles = {primary}
    if rng.random() < _TWO_ROLE_SHARE:
        roles.add(rng.choice(_SECOND_ROLE[primary]))
    return frozenset(roles), primary


def _city_short(city: City) -> str:
    """重庆市 -> 重庆: the form used inside enterprise names."""
    return city.name[:-1] if city.name.endswith("市") and len(city.name) > 2 else city.name


def _make_name(rng: random.Random, city: City, role: EnterpriseRole) -> tuple[str, str | None]:
    while True:
        first_zh, first_py = rng.choice(_BRAND_FIRST)
        second_zh, second_py = rng.choice(_BRAND_SECOND)
        brand = first_zh + second_zh
        if first_zh != second_zh and brand not in _AVOID_BRANDS:
            break
    brand_en = (first_py + second_py).capitalize()
    ending, ending_en = rng.choice(_ENDINGS[role])
    if role is R.EBC and rng.random() < 0.35:
        goods, goods_en = rng.choice(_GOODS)
        ending = goods + ending
        ending_en = f"{goods_en} {ending_en}"
    short = _city_short(city)
    city_en = _CITY_EN.get(city.code)
    form = rng.random()
    if form < 0.45:  # 广州市盛达跨境电子商务有限公司
        name = f"{city.name}{brand}{ending}"
    elif form < 0.80:  # 杭州盛达电子商务有限公司
        name = f"{short}{brand}{ending}"
    elif form < 0.95:  # 盛达（重庆）国际物流有限公司
        name = f"{brand}（{short}）{ending}"
    else:  # 盛达供应链管理有限公司: no place name, as registered by the national authority
        name = f"{brand}{ending}"
        city_en = None
    name_en = None
    if rng.random() < 0.4:
        place = f"{city_en} " if city_en else ""
        name_en = f"{place}{brand_en} {ending_en}"
    return name, name_en


def _org_code(rng: random.Random, registered_on: date) -> str:
    """A 9-character GB 11714 organisation code: 8 characters and a check character."""
    if registered_on >= _USCC_START:
        body = "MA" + "".join(rng.choice(_USCC_CHARS) for _ in range(6))
    else:
        body = "".join(rng.choice(_DIGITS) for _ in range(8))
    total = sum(_ORG_VALUE[c] * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _make_uscc(rng: random.Random, city: City, district: District, registered_on: date) -> str:
    # Zhongshan towns and every functional area register with the city-level authority.
    official = len(district.code) == 6 and district.code.isdigit()
    admin = district.code if official else city.code
    return uscc_with_check("9" + "1" + admin + _org_code(rng, registered_on))


def _make_customs_code(rng: random.Random, city: City) -> str:
    # 4 digits of the customs region (the city) + the economic-zone digit (mostly 9,
    # "other area") + 5 digits.
    zone = rng.choice("9999999343")
    return city.code[:4] + zone + "".join(rng.choice(_DIGITS) for _ in range(5))
