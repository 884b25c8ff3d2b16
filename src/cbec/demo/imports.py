"""Reproducible retail-import traffic for demos, tests and benchmarks.

For each seed city an import channel (a platform that is also the e-commerce enterprise, a
payment company, a logistics company and a declaring agent) sends, per parcel, the order
(CEB311), payment (CEB411), waybill (CEB511) and inventory list (CEB621) over 24 months, with
seasonal peaks (618 in June, Double 11 in November), a mix of 9610 and 1210, about 1 % of orders
with broken arithmetic, and three injected fraud patterns per city:

- one ID number used for many consignees (刷单 with a stolen identity),
- orders just under the 5,000 single-transaction limit,
- a buyer whose year adds up to just under 26,000.

Everything is a pure function of the seed. All names, ID numbers and codes are synthetic; the
4-digit customs area codes are placeholders, not real 关区 codes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from stdnum.cn import ric

from cbec.exchange.model import Message, Unit
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import DistrictBook
from cbec.registry.model import EnterpriseInput, EnterpriseRole

__all__ = ["SIZES", "ImportChannel", "channel_enterprises", "channels", "import_stream"]

SIZES = {"small": 6, "city": 150, "peak": 1500}  # parcels per city per average month
SEASON = {1: 1.0, 2: 0.7, 3: 0.9, 4: 0.9, 5: 1.0, 6: 1.8, 7: 0.9, 8: 0.9, 9: 1.0, 10: 1.1, 11: 3.0, 12: 1.3}
CENT = Decimal("0.01")
# (name, gcode, unit, price range in yuan) — gcodes resolve in exchange/data/hs_rates.csv
PRODUCTS = (
    ("婴幼儿配方奶粉 900g", "1901101000", "122", (180, 420)),
    ("精华液 30ml", "3304990099", "142", (300, 1200)),
    ("香水 50ml", "3303000000", "142", (400, 1500)),
    ("复合维生素片 120粒", "2106909090", "140", (90, 320)),
    ("麦卢卡蜂蜜 250g", "0409000000", "122", (150, 600)),
    ("混合坚果 500g", "0802909000", "011", (60, 180)),
    ("电动牙刷", "8509809000", "007", (200, 900)),
    ("无线耳机", "8518300000", "007", (300, 1800)),
    ("纸尿裤 L码 54片", "9619001100", "140", (90, 200)),
    ("运动鞋", "6404110000", "025", (400, 1300)),
)
ORIGINS = ("116", "133", "304", "305", "502", "601", "609")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂"


@dataclass(frozen=True)
class Party:
    code: str
    name: str


@dataclass(frozen=True)
class ImportChannel:
    city_code: str
    district_code: str
    customs_area: str
    platform: Party
    payment: Party
    logistics: Party
    agent: Party


def channels(districts: DistrictBook) -> list[ImportChannel]:
    out = []
    for n, city in enumerate(districts.cities):
        short, prefix = city.name.removesuffix("市"), city.code[:4]
        district = next(d for d in city.districts if d.kind in ("区", "街道"))
        out.append(
            ImportChannel(
                city.code,
                district.code,
                f"{n + 1:02d}00",
                Party(f"{prefix}EP0001", f"{short}海淘优选跨境电子商务有限公司"),
                Party(f"{prefix}EY0001", f"{short}汇付通支付服务有限公司"),
                Party(f"{prefix}EL0001", f"{short}速达国际物流有限公司"),
                Party(f"{prefix}EA0001", f"{short}通关宝报关服务有限公司"),
            )
        )
    return out


def channel_enterprises(channel: ImportChannel) -> list[EnterpriseInput]:
    """The channel's four parties as registry records (platform = e-commerce enterprise too)."""
    roles = (
        (channel.platform, {EnterpriseRole.EBP, EnterpriseRole.EBC}),
        (channel.payment, {EnterpriseRole.PAYMENT}),
        (channel.logistics, {EnterpriseRole.LOGISTICS}),
        (channel.agent, {EnterpriseRole.DECLARING_AGENT}),
    )
    admin = channel.district_code[:6] if channel.district_code[:6].isdigit() else channel.city_code
    return [
        EnterpriseInput(
            uscc=uscc_with_check(f"91{admin}MA{i + 1:02d}{channel.city_code[:5]}"),
            name=party.name,
            city_code=channel.city_code,
            district_code=channel.district_code,
            roles=frozenset(r),
            registered_on=date(2018, 3, 1),
            customs_code=party.code,
        )
        for i, (party, r) in enumerate(roles)
    ]


@dataclass(frozen=True)
class Buyer:
    name: str
    id_number: str
    phone: str
    address: str


def _buyer(rng: random.Random, city: str) -> Buyer:
    born = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 11000))
    body = f"{city[:6]}{born:%Y%m%d}{rng.randrange(100, 999)}"
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    phone = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
    return Buyer(name, body + ric.calc_check_digit(body), phone, f"{name}收 示例路{rng.randrange(1, 999)}号")


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


@dataclass
class _Parcel:
    channel: ImportChannel
    buyer: Buyer
    consignee: Buyer
    at: datetime
    items: list[tuple[str, str, str, int, Decimal, str]]  # name, gcode, unit, qty, price, origin
    freight: Decimal
    trade_mode: str
    serial: int
    broken: bool = False


def _head(guid: str, at: datetime) -> dict[str, str]:
    return {"guid": guid, "appType": "1", "appTime": f"{at:%Y%m%d%H%M%S}", "appStatus": "2"}


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _order(p: _Parcel, rng: random.Random) -> Message:
    c, goods = p.channel, sum((price * qty for *_, qty, price, _ in p.items), Decimal(0))
    paid = goods + p.freight + (goods * Decimal("0.1") if p.broken else Decimal(0))
    head = _head(_guid(rng), p.at) | {
        "orderType": "I",
        "orderNo": f"O{c.city_code[:4]}{p.serial:010d}",
        "ebpCode": c.platform.code,
        "ebpName": c.platform.name,
        "ebcCode": c.platform.code,
        "ebcName": c.platform.name,
        "goodsValue": _money(goods),
        "freight": _money(p.freight),
        "discount": "0",
        "taxTotal": "0",
        "acturalPaid": _money(paid),
        "currency": "142",
        "buyerRegNo": f"u{p.buyer.phone}",
        "buyerName": p.buyer.name,
        "buyerTelephone": p.buyer.phone,
        "buyerIdType": "1",
        "buyerIdNumber": p.buyer.id_number,
        "payCode": c.payment.code,
        "payName": c.payment.name,
        "payTransactionId": f"P{c.city_code[:4]}{p.serial:012d}",
        "consignee": p.consignee.name,
        "consigneeTelephone": p.consignee.phone,
        "consigneeAddress": p.consignee.address,
    }
    rows = [
        {
            "gnum": str(i + 1),
            "itemNo": f"SKU{gcode[:6]}",
            "itemName": name,
            "gmodel": "1|零售包装",
            "unit": unit,
            "qty": str(qty),
            "price": _money(price),
            "totalPrice": _money(price * qty),
            "currency": "142",
            "country": origin,
        }
        for i, (name, gcode, unit, qty, price, origin) in enumerate(p.items)
    ]
    return Message("CEB311", _guid(rng), "1.0", [Unit(head, {"OrderList": rows})])


def _payment(p: _Parcel, order: Message, rng: random.Random) -> Message:
    o, c = order.units[0].head, p.channel
    head = _head(_guid(rng), p.at + timedelta(minutes=1)) | {
        "payCode": c.payment.code,
        "payName": c.payment.name,
        "payTransactionId": o["payTransactionId"],
        "orderNo": o["orderNo"],
        "ebpCode": c.platform.code,
        "ebpName": c.platform.name,
        "payerIdType": "1",
        "payerIdNumber": p.buyer.id_number,
        "payerName": p.buyer.name,
        "telephone": p.buyer.phone,
        "amountPaid": o["acturalPaid"],
        "currency": "142",
        "payTime": f"{p.at + timedelta(minutes=1):%Y%m%d%H%M%S}",
    }
    return Message("CEB411", _guid(rng), "1.0", [Unit(head)])


def _waybill(p: _Parcel, order: Message, rng: random.Random) -> Message:
    o, c = order.units[0].head, p.channel
    head = _head(_guid(rng), p.at + timedelta(hours=2)) | {
        "logisticsCode": c.logistics.code,
        "logisticsName": c.logistics.name,
        "logisticsNo": f"L{c.city_code[:4]}{p.serial:010d}",
        "orderNo": o["orderNo"],
        "freight": o["freight"],
        "insuredFee": "0",
        "currency": "142",
        "weight": "1.2",
        "packNo": "1",
        "goodsInfo": p.items[0][0],
        "consignee": p.consignee.name,
        "consigneeAddress": p.consignee.address,
        "consigneeTelephone": p.consignee.phone,
    }
    return Message("CEB511", _guid(rng), "1.0", [Unit(head)])


def _list(p: _Parcel, order: Message, waybill: Message, rng: random.Random) -> Message:
    o, w, c = order.units[0].head, waybill.units[0].head, p.channel
    at = p.at + timedelta(hours=3)
    head = _head(_guid(rng), at) | {
        "orderNo": o["orderNo"],
        "ebpCode": c.platform.code,
        "ebpName": c.platform.name,
        "ebcCode": c.platform.code,
        "ebcName": c.platform.name,
        "logisticsNo": w["logisticsNo"],
        "logisticsCode": c.logistics.code,
        "logisticsName": c.logistics.name,
        "copNo": f"C{c.city_code[:4]}{p.serial:010d}",
        "assureCode": c.agent.code,
        "ieFlag": "I",
        "declTime": f"{at:%Y%m%d}",
        "customsCode": c.customs_area,
        "portCode": c.customs_area,
        "buyerIdType": "1",
        "buyerIdNumber": p.buyer.id_number,
        "buyerName": p.buyer.name,
        "buyerTelephone": p.buyer.phone,
        "consigneeAddress": p.consignee.address,
        "agentCode": c.agent.code,
        "agentName": c.agent.name,
        "tradeMode": p.trade_mode,
        "trafMode": "5",
        "country": p.items[0][5],
        "freight": o["freight"],
        "insuredFee": "0",
        "currency": "142",
        "packNo": "1",
        "grossWeight": "1.2",
        "netWeight": "1.0",
    }
    if p.trade_mode == "1210":
        head |= {"emsNo": f"T{c.customs_area}W000001", "areaCode": c.agent.code}
    rows = [
        {
            "gnum": r["gnum"],
            "itemNo": r["itemNo"],
            "itemName": r["itemName"],
            "gcode": p.items[i][1],
            "gname": r["itemName"],
            "gmodel": r["gmodel"],
            "country": r["country"],
            "currency": "142",
            "qty": r["qty"],
            "unit": r["unit"],
            "qty1": r["qty"],
            "unit1": r["unit"],
            "price": r["price"],
            "totalPrice": r["totalPrice"],
        }
        for i, r in enumerate(order.units[0].lists["OrderList"])
    ]
    return Message("CEB621", _guid(rng), "1.0", [Unit(head, {"InventoryList": rows})])


def _messages(p: _Parcel, rng: random.Random) -> list[Message]:
    order = _order(p, rng)
    waybill = _waybill(p, order, rng)
    return [order, _payment(p, order, rng), waybill, _list(p, order, waybill, rng)]


def _items(rng: random.Random, budget: Decimal | None = None) -> list[tuple[str, str, str, int, Decimal, str]]:
    if budget is not None:  # one item priced to land just under a limit
        name, gcode, unit, _ = rng.choice(PRODUCTS)
        return [(name, gcode, unit, 1, budget, rng.choice(ORIGINS))]
    picks = rng.sample(PRODUCTS, rng.choice((1, 1, 1, 2, 2, 3)))
    return [
        (
            name,
            gcode,
            unit,
            rng.choice((1, 1, 2)),
            Decimal(rng.randrange(lo * 100, hi * 100)) / 100,
            rng.choice(ORIGINS),
        )
        for name, gcode, unit, (lo, hi) in picks
    ]


def _month_starts(start: date, months: int) -> Iterator[date]:
    for n in range(months):
        yield date(start.year + (start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1, 1)


def import_stream(
    chans: list[ImportChannel],
    *,
    size: str = "small",
    seed: int = 20241111,
    months: int = 24,
    start: date = date(2023, 1, 1),
) -> Iterator[Message]:
    """Messages in a plausible arrival order (per parcel: order, payment, waybill, list)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    serial = 0
    for channel in chans:
        buyers = [_buyer(rng, channel.district_code) for _ in range(max(40, SIZES[size] * 8))]
        for month in _month_starts(start, months):
            for _ in range(max(1, round(SIZES[size] * SEASON[month.month] * rng.uniform(0.8, 1.2)))):
                serial += 1
                buyer = rng.choice(buyers)
                at = datetime(
                    month.year,
                    month.month,
                    rng.randrange(1, 28),
                    rng.randrange(8, 23),
                    rng.randrange(60),
                    tzinfo=SHANGHAI,
                )
                parcel = _Parcel(
                    channel,
                    buyer,
                    buyer,
                    at,
                    _items(rng),
                    Decimal(rng.choice((0, 0, 8, 10, 15))),
                    rng.choice(("9610", "1210", "1210")),
                    serial,
                    broken=rng.random() < 0.01,
                )
                yield from _messages(parcel, rng)
        serial = yield from _fraud(channel, rng, start, serial)


def _fraud(channel: ImportChannel, rng: random.Random, start: date, serial: int) -> Generator[Message, None, int]:
    at = datetime(start.year + 1, 3, 5, 10, 0, tzinfo=SHANGHAI)
    stolen = _buyer(rng, channel.district_code)
    for k in range(12):  # one identity, many consignees
        serial += 1
        parcel = _Parcel(
            channel,
            stolen,
            _buyer(rng, channel.district_code),
            at + timedelta(days=k),
            _items(rng),
            Decimal(0),
            "9610",
            serial,
        )
        yield from _messages(parcel, rng)
    for k in range(8):  # just under the 5,000 single-transaction limit
        serial += 1
        price = Decimal(4990 - rng.randrange(0, 40))
        parcel = _Parcel(
            channel,
            _buyer(rng, channel.district_code),
            _buyer(rng, channel.district_code),
            at + timedelta(days=20 + k),
            _items(rng, price),
            Decimal(0),
            "1210",
            serial,
        )
        yield from _messages(parcel, rng)
    near = _buyer(rng, channel.district_code)
    for k in range(6):  # 6 × 4,300 = 25,800: close to, not over, the annual 26,000
        serial += 1
        parcel = _Parcel(
            channel, near, near, at + timedelta(days=40 + k), _items(rng, Decimal(4300)), Decimal(0), "1210", serial
        )
        yield from _messages(parcel, rng)
    return serial
