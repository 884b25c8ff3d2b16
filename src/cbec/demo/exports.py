"""Reproducible export (出口) traffic for demos, tests and benchmarks — the twin of ``imports``.

For each seed city one export channel: a platform (ebp), five exporters (ebc, 收发货人) in five
districts, a collecting payment firm (收款), a logistics company, a declaring agent and the
operator of the supervised site (监管场所) where parcels arrive. Over the same 24 months as
``import_stream`` each shipment is, in time order: order CEB303 (goodsValue FOB), waybill CEB505,
list CEB603; that evening one arrival CEB507 per channel lists the day's waybills; the next day
one departure CEB509 per channel and transport mode lists them again (a departure has one
trafMode); days to weeks later the receipt of payment CEB403 (charge = the order's goods value).

Mix: about 70 % 9610 B2C (statisticsFlag A 40 %, B 60 %; a fifth in USD 502), 18 % 9710 B2B
direct and 12 % 9810 overseas warehouse (both flag B, CNY, at most 5,000 CNY a list). 9810 lists
name one of the ``warehouse_nos`` given; without any, those shipments go out as 9710, so the
message counts do not depend on the warehouses. The CEB303 of a 9810 shipment stands for its
warehouse booking (订仓单): the spec admits only orderType E. No CEB605 cancellations: a
cancellation must quote the invtNo customs assigns in its CEB604 receipt, and this stream
emulates no customs.

Injected anomalies (DOMAIN §8), fixed by position, returned by :func:`export_anomalies`:

- ``no_receipts``: per city the fourth exporter is never paid — no CEB403 at all (买单出口
  suspicion: exports that earn rewards but bring no money home).
- ``no_departures``: per city the fifth exporter's parcels arrive but never leave (no CEB509).
- ``volume_spike``: in Hangzhou (else the first city) the second exporter ships about 8 times
  its monthly average in December of the first full calendar year (:func:`spike_month`) — the
  last month of a calendar-year reward period, where a bought-data spike would land.

Everything is a pure function of the seed. Names, codes and numbers are synthetic: customs
areas reuse the ``imports`` placeholders (``NN00``; ``NN01`` for the sea/rail exit port), POD is
the destination's country code (not a real port code), and the seasonal weights are
illustrative, not measured.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cbec.demo.imports import Party
from cbec.exchange.export_rules import B2B_LIST_LIMIT
from cbec.exchange.model import Message, Unit
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.ids import uscc_with_check
from cbec.registry.districts import DistrictBook
from cbec.registry.model import EnterpriseInput, EnterpriseRole

__all__ = [
    "NO_DEPARTURES",
    "NO_RECEIPTS",
    "SIZES",
    "SPIKE_FACTOR",
    "VOLUME_SPIKE",
    "ExportChannel",
    "ExportSize",
    "Exporter",
    "export_anomalies",
    "export_channel_enterprises",
    "export_channels",
    "export_stream",
    "spike_month",
]


@dataclass(frozen=True)
class ExportSize:
    parcels: int  # shipments per city in an average month
    ship_days: int  # days a month the channel consolidates and ships (one arrival per day)


SIZES = {"small": ExportSize(2, 1), "city": ExportSize(100, 8), "peak": ExportSize(1000, 22)}
# Spring Festival lull in February; overseas peak-season stocking (Black Friday, Christmas) in Q4.
SEASON = {1: 1.0, 2: 0.6, 3: 0.9, 4: 0.9, 5: 1.0, 6: 1.1, 7: 1.0, 8: 1.1, 9: 1.2, 10: 1.3, 11: 1.5, 12: 1.2}
NO_RECEIPTS, NO_DEPARTURES, VOLUME_SPIKE = "no_receipts", "no_departures", "volume_spike"
SPIKE_FACTOR = 8
SPIKE_CITY = "330100"  # Hangzhou
CENT, GRAM = Decimal("0.01"), Decimal("0.001")
CHUNK = 500  # waybills per arrival / departure message; bigger days split (msgCount, msgSeqNo)
# (name, 10-digit gcode, unit, retail price range in yuan, kg per unit). Three gcodes and the unit
# codes are the ones ``imports`` uses; 8518220000 (speakers) and 3926909090 (other plastic
# articles) are common export declarations. Demo data, not classification advice.
PRODUCTS = (
    ("无线蓝牙耳机", "8518300000", "007", (80, 300), Decimal("0.15")),
    ("便携蓝牙音箱", "8518220000", "007", (90, 400), Decimal("0.6")),
    ("运动鞋", "6404110000", "025", (120, 400), Decimal("0.9")),
    ("电动牙刷", "8509809000", "007", (60, 220), Decimal("0.3")),
    ("手机保护壳", "3926909090", "007", (15, 60), Decimal("0.05")),
)
# Customs country codes: the origins ``imports`` uses plus 303 UK, 307 Italy, 312 Spain, 501 Canada.
DESTINATIONS = ("502", "303", "304", "305", "307", "312", "116", "133", "601", "609", "501")
EXPORTER_NAMES = ("星帆电子商务", "远航进出口贸易", "云途科技", "锦程供应链管理", "恒跃实业")
_SPIKE_AT, _NO_RECEIPTS_AT, _NO_DEPARTURES_AT = 1, 3, 4
_SITE_KINDS = ("区", "街道")


@dataclass(frozen=True)
class Exporter:
    party: Party
    district_code: str


@dataclass(frozen=True)
class ExportChannel:
    city_code: str
    district_code: str  # where the service firms are registered
    customs_area: str
    platform: Party
    payment: Party
    logistics: Party
    agent: Party
    operator: Party  # 监管场所 operator: files the arrivals
    exporters: tuple[Exporter, ...]
    spikes: bool = False  # whether this city carries the volume spike

    @property
    def anomalies(self) -> dict[str, str]:
        """{kind: ebc customs code} of the anomalies this channel's stream carries."""
        out = {NO_RECEIPTS: self.exporters[_NO_RECEIPTS_AT].party.code}
        out[NO_DEPARTURES] = self.exporters[_NO_DEPARTURES_AT].party.code
        return out | ({VOLUME_SPIKE: self.exporters[_SPIKE_AT].party.code} if self.spikes else {})


def export_channels(districts: DistrictBook) -> list[ExportChannel]:
    spike_city = SPIKE_CITY if districts.city(SPIKE_CITY) else districts.cities[0].code
    out = []
    for n, city in enumerate(districts.cities):
        short, prefix = city.name.removesuffix("市"), city.code[:4]
        sites = [d for d in city.districts if d.kind in _SITE_KINDS]
        places = [*sites, *(d for d in city.districts if d not in sites)][: len(EXPORTER_NAMES)]
        if len(places) < len(EXPORTER_NAMES):
            raise ValueError(f"{city.name} has fewer than {len(EXPORTER_NAMES)} districts for its exporters")
        exporters = tuple(
            Exporter(Party(f"{prefix}XC{k + 1:04d}", f"{short}{word}有限公司"), place.code)
            for k, (word, place) in enumerate(zip(EXPORTER_NAMES, places, strict=True))
        )
        out.append(
            ExportChannel(
                city.code,
                places[0].code,
                f"{n + 1:02d}00",
                Party(f"{prefix}XP0001", f"{short}出海优品跨境电商平台有限公司"),
                Party(f"{prefix}XY0001", f"{short}汇收宝跨境收款服务有限公司"),
                Party(f"{prefix}XL0001", f"{short}环球快线国际物流有限公司"),
                Party(f"{prefix}XA0001", f"{short}关捷报关服务有限公司"),
                Party(f"{prefix}XW0001", f"{short}跨境电商监管中心运营有限公司"),
                exporters,
                spikes=city.code == spike_city,
            )
        )
    return out


def _admin(district_code: str, city_code: str) -> str:
    return district_code[:6] if district_code[:6].isdigit() else city_code


def export_channel_enterprises(channel: ExportChannel) -> list[EnterpriseInput]:
    """The channel's service firms and exporters as registry records, each with the role it plays."""
    services = (
        (channel.platform, EnterpriseRole.EBP),
        (channel.payment, EnterpriseRole.PAYMENT),
        (channel.logistics, EnterpriseRole.LOGISTICS),
        (channel.agent, EnterpriseRole.DECLARING_AGENT),
        (channel.operator, EnterpriseRole.WAREHOUSE_OPERATOR),
    )
    rows = [(party, role, channel.district_code, date(2018, 9, 1)) for party, role in services]
    # Registered years before the stream starts: a firm registered just before a reward period
    # is a separate red flag (DOMAIN §8) that these exporters must not raise by accident.
    rows += [
        (e.party, EnterpriseRole.EBC, e.district_code, date(2019, 3 + k, 1)) for k, e in enumerate(channel.exporters)
    ]
    return [
        EnterpriseInput(
            # "ME" keeps these organisation codes apart from the import channels' "MA".
            uscc=uscc_with_check(f"91{_admin(district, channel.city_code)}ME{i + 1:02d}{channel.city_code[:5]}"),
            name=party.name,
            city_code=channel.city_code,
            district_code=district,
            roles=frozenset({role}),
            registered_on=registered_on,
            customs_code=party.code,
        )
        for i, (party, role, district, registered_on) in enumerate(rows)
    ]


def export_anomalies(chans: Sequence[ExportChannel]) -> dict[str, list[str]]:
    """{kind: the ebc customs codes that carry it}, for tests that check the reconciliation."""
    out: dict[str, list[str]] = {NO_RECEIPTS: [], NO_DEPARTURES: [], VOLUME_SPIKE: []}
    for channel in chans:
        for kind, code in channel.anomalies.items():
            out[kind].append(code)
    return out


def spike_month(start: date) -> date:
    """December of the first full calendar year the stream covers."""
    return date(start.year if (start.month, start.day) == (1, 1) else start.year + 1, 12, 1)


@dataclass(frozen=True)
class _Item:
    name: str
    gcode: str  # as declared: 10 digits, or 4 (9610 A) / 6 (9710, 9810) where allowed
    unit: str
    qty: int
    price: Decimal
    weight: Decimal  # kg per unit


@dataclass(frozen=True)
class _Parcel:
    channel: ExportChannel
    exporter: Party
    at: datetime
    serial: int
    trade_mode: str
    flag: str
    currency: str
    country: str
    traf_mode: str
    items: tuple[_Item, ...]
    warehouse_no: str | None

    def number(self, kind: str) -> str:
        return f"{kind}{self.channel.city_code[:4]}{self.serial:010d}"

    @property
    def value(self) -> Decimal:
        return sum((i.price * i.qty for i in self.items), Decimal(0))

    @property
    def net_weight(self) -> Decimal:
        return max(GRAM, sum((i.weight * i.qty for i in self.items), Decimal(0)).quantize(GRAM, ROUND_HALF_UP))

    @property
    def gross_weight(self) -> Decimal:  # packaging: a tenth more and 50 g a parcel
        return (self.net_weight * Decimal("1.1") + Decimal("0.05")).quantize(GRAM, ROUND_HALF_UP)

    @property
    def packages(self) -> int:
        return max(1, sum(i.qty for i in self.items) // 20)

    @property
    def b2c(self) -> bool:
        return self.trade_mode == "9610"


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()


def _message(
    type_: str, head: dict[str, str], at: datetime, rng: random.Random, **lists: list[dict[str, str]]
) -> Message:
    stamp = {"guid": _guid(rng), "appType": "1", "appTime": f"{at:%Y%m%d%H%M%S}", "appStatus": "2"}
    return Message(type_, _guid(rng), "1.0", [Unit(stamp | head, dict(lists))])


def _ebp_ebc(p: _Parcel) -> dict[str, str]:
    c = p.channel
    return {
        "ebpCode": c.platform.code,
        "ebpName": c.platform.name,
        "ebcCode": p.exporter.code,
        "ebcName": p.exporter.name,
    }


def _order(p: _Parcel, rng: random.Random) -> Message:
    head = {"orderType": "E", "orderNo": p.number("EO"), **_ebp_ebc(p)}
    head |= {"goodsValue": _money(p.value), "freight": "0", "currency": p.currency}  # FOB: no freight in the value
    rows = [
        {
            "gnum": str(n + 1),
            "itemNo": f"SKU{item.gcode[:4]}{n + 1:02d}",
            "itemName": item.name,
            "unit": item.unit,
            "currency": p.currency,
            "qty": str(item.qty),
            "price": _money(item.price),
            "totalPrice": _money(item.price * item.qty),
        }
        for n, item in enumerate(p.items)
    ]
    return _message("CEB303", head, p.at, rng, OrderList=rows)


def _waybill(p: _Parcel, rng: random.Random) -> Message:
    c = p.channel
    charge = Decimal(18 + 7 * len(p.items)) if p.b2c else Decimal(60) + p.gross_weight * 4
    head = {"logisticsCode": c.logistics.code, "logisticsName": c.logistics.name, "logisticsNo": p.number("EL")}
    head |= {"freight": _money(charge), "insuredFee": "0", "currency": "142", "grossWeight": str(p.gross_weight)}
    head |= {"packNo": str(p.packages), "goodsInfo": p.items[0].name}
    return _message("CEB505", head, p.at + timedelta(minutes=30), rng)


def _list(p: _Parcel, rng: random.Random) -> Message:
    c = p.channel
    port = c.customs_area if p.traf_mode in ("4", "5") else f"{c.customs_area[:2]}01"
    head = {"customsCode": c.customs_area, "ebpCode": c.platform.code, "ebpName": c.platform.name}
    head |= {"orderNo": p.number("EO"), "logisticsCode": c.logistics.code, "logisticsName": c.logistics.name}
    head |= {"logisticsNo": p.number("EL"), "copNo": p.number("EC"), "ieFlag": "E", "portCode": port}
    head |= {"ieDate": f"{p.at:%Y%m%d}", "statisticsFlag": p.flag, "agentCode": c.agent.code, "agentName": c.agent.name}
    head |= {"ebcCode": p.exporter.code, "ebcName": p.exporter.name}
    head |= {"ownerCode": p.exporter.code, "ownerName": p.exporter.name}  # sells its own goods
    head |= {"tradeMode": p.trade_mode, "trafMode": p.traf_mode, "country": p.country, "POD": p.country}
    head |= {"freight": "0", "fCurrency": p.currency, "fFlag": "3", "insuredFee": "0", "iCurrency": p.currency}
    head |= {"iFlag": "3", "packNo": str(p.packages), "grossWeight": str(p.gross_weight)}
    head |= {"netWeight": str(p.net_weight)}
    if p.warehouse_no is not None:
        head["warehouseFilingNo"] = p.warehouse_no
    rows = [
        {
            "gnum": str(n + 1),
            "itemNo": f"SKU{item.gcode[:4]}{n + 1:02d}",
            "itemName": item.name,
            "gcode": item.gcode,
            "gname": item.name,
            "gmodel": "零售包装" if p.b2c else "批量包装",
            "country": p.country,  # final destination = the country of arrival for a direct sale
            "currency": p.currency,
            "qty": str(item.qty),
            "qty1": str(item.qty),
            "unit": item.unit,
            "unit1": item.unit,
            "price": _money(item.price),
            "totalPrice": _money(item.price * item.qty),
        }
        for n, item in enumerate(p.items)
    ]
    return _message("CEB603", head, p.at + timedelta(hours=1), rng, InventoryList=rows)


def _receipt(p: _Parcel, at: datetime, rng: random.Random) -> Message:
    c = p.channel
    head = {**_ebp_ebc(p), "orderNo": p.number("EO"), "payCode": c.payment.code, "payName": c.payment.name}
    head |= {"payNo": p.number("ER"), "charge": _money(p.value), "currency": p.currency}
    head |= {"accountingDate": f"{at:%Y%m%d%H%M%S}"}
    return _message("CEB403", head, at, rng)


def _parcel_rows(parcels: Sequence[_Parcel]) -> list[dict[str, str]]:
    return [
        {"gnum": str(n + 1), "totalPackageNo": str(p.packages), "logisticsNo": p.number("EL")}
        for n, p in enumerate(parcels)
    ]


def _arrivals(
    c: ExportChannel, day: date, parcels: Sequence[_Parcel], at: datetime, rng: random.Random
) -> list[Message]:
    parts = [parcels[i : i + CHUNK] for i in range(0, len(parcels), CHUNK)]
    heads = [
        {"customsCode": c.customs_area, "copNo": f"AR{c.city_code[:4]}{day:%Y%m%d}{n + 1:02d}"}
        | {"operatorCode": c.operator.code, "operatorName": c.operator.name, "logisticsCode": c.logistics.code}
        | {"logisticsName": c.logistics.name, "msgCount": str(len(parts)), "msgSeqNo": str(n + 1)}
        for n in range(len(parts))
    ]
    return [
        _message("CEB507", h, at, rng, ArrivalList=_parcel_rows(part)) for h, part in zip(heads, parts, strict=True)
    ]


def _departures(
    c: ExportChannel, day: date, parcels: Sequence[_Parcel], at: datetime, rng: random.Random
) -> list[Message]:
    out = []
    for mode in sorted({p.traf_mode for p in parcels}):
        same = [p for p in parcels if p.traf_mode == mode]
        parts = [same[i : i + CHUNK] for i in range(0, len(same), CHUNK)]
        for n, part in enumerate(parts):
            cop = f"DP{c.city_code[:4]}{day:%Y%m%d}{mode}{n + 1:02d}"
            head = {"customsCode": c.customs_area, "copNo": cop, "logisticsCode": c.logistics.code}
            head |= {"logisticsName": c.logistics.name, "trafMode": mode, "billNo": f"MB{cop[2:]}"}
            head |= {"leaveTime": f"{at:%Y%m%d%H%M%S}", "msgCount": str(len(parts)), "msgSeqNo": str(n + 1)}
            out.append(_message("CEB509", head, at + timedelta(minutes=30), rng, DepartureList=_parcel_rows(part)))
    return out


def _b2c_items(rng: random.Random, usd: bool, flag: str) -> tuple[_Item, ...]:
    short = flag == "A" and rng.random() < 0.5  # an A list may stop at the 4-digit heading
    picks = rng.sample(PRODUCTS, rng.choice((1, 1, 1, 2, 2, 3)))
    return tuple(
        _Item(name, gcode[:4] if short else gcode, unit, rng.choice((1, 1, 2, 3)), _price(rng, span, usd), kg)
        for name, gcode, unit, span, kg in picks
    )


def _price(rng: random.Random, span: tuple[int, int], usd: bool, scale: int = 100) -> Decimal:
    # scale is cents per yuan of the retail range: 100 retail, 60 wholesale; USD about 1/7.
    lo, hi = (span[0] * scale, span[1] * scale)
    return Decimal(rng.randrange(lo // 7, hi // 7) if usd else rng.randrange(lo, hi)) / 100


def _b2b_items(rng: random.Random) -> tuple[_Item, ...]:
    short = rng.random() < 0.5  # 9710/9810 lists may declare the 6-digit subheading in a pilot zone
    picks = rng.sample(PRODUCTS, rng.choice((1, 2)))
    # Each item gets a share of a total under the list limit and at most fills it: qty × price ≤ share.
    share = Decimal(rng.randrange(1500, int(B2B_LIST_LIMIT) - 100)) / len(picks)
    items = []
    for name, gcode, unit, span, kg in picks:
        price = _price(rng, span, usd=False, scale=60)
        items.append(_Item(name, gcode[:6] if short else gcode, unit, max(1, int(share / price)), price, kg))
    return tuple(items)


def _parcel(
    c: ExportChannel, exporter: Party, at: datetime, serial: int, rng: random.Random, warehouse_nos: Sequence[str]
) -> _Parcel:
    roll, pick = rng.random(), rng.random()  # both drawn always: warehouses change modes, not the stream
    if roll < 0.70:
        flag = "A" if rng.random() < 0.4 else "B"
        usd = rng.random() < 0.2
        items, traf = _b2c_items(rng, usd, flag), rng.choice("5554")  # air mostly, some by road
        return _Parcel(
            c, exporter, at, serial, "9610", flag, "502" if usd else "142", rng.choice(DESTINATIONS), traf, items, None
        )
    warehouse = warehouse_nos[int(pick * len(warehouse_nos))] if roll >= 0.88 and warehouse_nos else None
    mode = "9710" if warehouse is None else "9810"
    items, country, traf = _b2b_items(rng), rng.choice(DESTINATIONS), rng.choice("2235")  # sea, rail, air
    return _Parcel(c, exporter, at, serial, mode, "B", "142", country, traf, items, warehouse)


class _Outbox:
    """Messages waiting for their time: a receipt is written weeks after its parcel, so it waits
    here until the days before it have been generated, which keeps the stream in time order."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Message]] = []
        self._count = 0

    def put(self, at: datetime, message: Message) -> None:
        heapq.heappush(self._heap, (at, self._count, message))
        self._count += 1

    def before(self, moment: datetime | None) -> Iterator[Message]:
        while self._heap and (moment is None or self._heap[0][0] < moment):
            yield heapq.heappop(self._heap)[2]


def _month_starts(start: date, months: int) -> Iterator[date]:
    for n in range(months):
        yield date(start.year + (start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1, 1)


def _month_plan(
    c: ExportChannel, month: date, size: ExportSize, rng: random.Random, spike: bool
) -> list[tuple[date, list[Party]]]:
    """Which exporter ships on which of the month's ship days."""
    count = max(1, round(size.parcels * SEASON[month.month] * rng.uniform(0.8, 1.2)))
    shippers = [rng.choice(c.exporters).party for _ in range(count)]
    if spike:  # on top of its ordinary share, SPIKE_FACTOR months' worth at once
        usual = size.parcels * SEASON[month.month] / len(c.exporters)
        shippers += [c.exporters[_SPIKE_AT].party] * max(1, round(SPIKE_FACTOR * usual))
    days = sorted(rng.sample(range(1, 29), min(size.ship_days, 28)))
    plan: dict[int, list[Party]] = {d: [] for d in days}
    for shipper in shippers:
        plan[rng.choice(days)].append(shipper)
    return [(month.replace(day=d), plan[d]) for d in days if plan[d]]


def _ship_day(
    c: ExportChannel,
    day: date,
    shippers: list[Party],
    serial: int,
    rng: random.Random,
    box: _Outbox,
    warehouse_nos: Sequence[str],
) -> int:
    opening = datetime.combine(day, time(8), tzinfo=SHANGHAI)
    minutes = sorted(rng.randrange(0, 540) for _ in shippers)
    parcels = []
    for shipper, minute in zip(shippers, minutes, strict=True):
        serial += 1
        p = _parcel(c, shipper, opening + timedelta(minutes=minute), serial, rng, warehouse_nos)
        parcels.append(p)
        for offset, message in ((0, _order(p, rng)), (30, _waybill(p, rng)), (60, _list(p, rng))):
            box.put(p.at + timedelta(minutes=offset), message)
        if shipper.code != c.exporters[_NO_RECEIPTS_AT].party.code:
            lag = rng.randint(2, 10) if p.b2c else rng.randint(7, 30)  # B2B buyers pay on terms
            paid = opening + timedelta(days=lag, hours=rng.randrange(1, 9))
            box.put(paid, _receipt(p, paid, rng))
    evening = opening + timedelta(hours=11, minutes=rng.randrange(0, 60))
    for message in _arrivals(c, day, parcels, evening, rng):
        box.put(evening, message)
    leaving = [p for p in parcels if p.exporter.code != c.exporters[_NO_DEPARTURES_AT].party.code]
    leave = opening + timedelta(hours=18 + rng.randrange(0, 10))
    for message in _departures(c, day, leaving, leave, rng):
        box.put(leave + timedelta(minutes=30), message)
    return serial


def export_stream(
    chans: Sequence[ExportChannel],
    *,
    size: str = "small",
    seed: int = 20241111,
    months: int = 24,
    start: date = date(2023, 1, 1),
    warehouse_nos: Sequence[str] = (),
) -> Iterator[Message]:
    """Messages per channel in time order; ``start``/``months`` as in ``import_stream``.

    ``warehouse_nos`` are filed overseas-warehouse numbers (海外仓备案) for the 9810 lists; with
    none, there are no 9810 lists (those shipments go out as 9710) and nothing else changes.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    serial, spike = 0, spike_month(start)
    for channel in chans:
        box = _Outbox()
        for month in _month_starts(start, months):
            for day, shippers in _month_plan(channel, month, SIZES[size], rng, channel.spikes and month == spike):
                yield from box.before(datetime.combine(day, time(0), tzinfo=SHANGHAI))
                serial = _ship_day(channel, day, shippers, serial, rng, box, warehouse_nos)
        yield from box.before(None)
