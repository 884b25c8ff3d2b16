"""Builders of export messages for tests and integrators: one shipment's documents, by hand.

``Shipment`` holds what the documents of one parcel share; its methods return the
``Message`` each party would send, valid against the export specs, with fields overridable.
``PARTIES`` are synthetic enterprises (valid check characters) to register first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cbec.exchange.model import Message, Unit
from cbec.export.model import ExportList, ListItem
from cbec.kernel.ids import uscc_with_check
from cbec.registry.model import EnterpriseInput, EnterpriseRole

__all__ = ["PARTIES", "Item", "Shipment", "arrival", "departure", "party_inputs", "released_list"]

R = EnterpriseRole
#: code → (name, roles, district): two exporters, their platform, logistics, payment, agent, site.
PARTIES: dict[str, tuple[str, frozenset[EnterpriseRole], str]] = {
    "3301E00001": ("杭州甲出口贸易有限公司", frozenset({R.EBC}), "330108"),
    "3301E00002": ("杭州乙跨境电商有限公司", frozenset({R.EBC}), "330106"),
    "3301E00003": ("杭州丙工厂有限公司", frozenset({R.EBC}), "330110"),
    "3301P00001": ("杭州出口平台有限公司", frozenset({R.EBP}), "330108"),
    "3301L00001": ("杭州国际物流有限公司", frozenset({R.LOGISTICS}), "330108"),
    "3301Y00001": ("杭州收款服务有限公司", frozenset({R.PAYMENT}), "330108"),
    "3301A00001": ("杭州报关代理有限公司", frozenset({R.DECLARING_AGENT}), "330108"),
    "3301S00001": ("杭州出口监管场所有限公司", frozenset({R.WAREHOUSE_OPERATOR}), "330108"),
}


def party_inputs() -> list[EnterpriseInput]:
    return [
        EnterpriseInput(
            uscc=uscc_with_check(f"91330100MA2E{index:05d}"),
            name=name,
            city_code="330100",
            district_code=district,
            roles=roles,
            registered_on=date(2020, 1, 1),
            customs_code=code,
        )
        for index, (code, (name, roles, district)) in enumerate(sorted(PARTIES.items()), start=1)
    ]


def _guid() -> str:
    return str(uuid.uuid4()).upper()


def _declared(app_time: str) -> dict[str, str]:
    return {"guid": _guid(), "appType": "1", "appTime": app_time, "appStatus": "2"}


BASE = {"copCode": "3301A00001", "copName": "杭州报关代理有限公司", "dxpMode": "DXP", "dxpId": "DXPENT0000000001"}


@dataclass(frozen=True)
class Item:
    gcode: str
    gname: str
    qty: str
    price: str
    unit: str = "007"
    currency: str = "142"
    country: str = "502"

    @property
    def total(self) -> str:
        return str(Decimal(self.qty) * Decimal(self.price))


@dataclass
class Shipment:
    number: str  # makes order, waybill and list numbers unique
    ship_on: date
    ebc: str = "3301E00001"
    owner: str = "3301E00001"
    trade_mode: str = "9610"
    flag: str = "B"
    country: str = "502"
    port: str = "2991"
    traf_mode: str = "5"
    items: list[Item] = field(default_factory=lambda: [Item("8517130000", "智能手机", "2", "150.00")])
    warehouse_no: str | None = None
    currency: str = "142"

    @property
    def day(self) -> str:
        return self.ship_on.strftime("%Y%m%d")

    @property
    def order_no(self) -> str:
        return f"EO{self.number}"

    @property
    def logistics_no(self) -> str:
        return f"EL{self.number}"

    @property
    def cop_no(self) -> str:
        return f"EC{self.number}"

    def _name(self, code: str) -> str:
        return PARTIES[code][0]

    def order(self, **head: str) -> Message:
        goods = sum((Decimal(i.total) for i in self.items), Decimal(0))
        values = {
            **_declared(self.day + "090000"),
            "orderType": "E",
            "orderNo": self.order_no,
            "ebpCode": "3301P00001",
            "ebpName": self._name("3301P00001"),
            "ebcCode": self.ebc,
            "ebcName": self._name(self.ebc),
            "goodsValue": str(goods),
            "freight": "0",
            "currency": self.currency,
        } | head
        rows = [
            {
                "gnum": str(n),
                "itemName": i.gname,
                "unit": i.unit,
                "currency": i.currency,
                "qty": i.qty,
                "price": i.price,
                "totalPrice": i.total,
            }
            for n, i in enumerate(self.items, start=1)
        ]
        return Message("CEB303", _guid(), "1.0", [Unit(values, {"OrderList": rows})], dict(BASE))

    def waybill(self, **head: str) -> Message:
        values = {
            **_declared(self.day + "100000"),
            "logisticsCode": "3301L00001",
            "logisticsName": self._name("3301L00001"),
            "logisticsNo": self.logistics_no,
            "currency": "142",
            "grossWeight": "1.5",
            "packNo": "1",
        } | head
        return Message("CEB505", _guid(), "1.0", [Unit(values)], dict(BASE))

    def inventory(self, **head: str) -> Message:
        values = {
            **_declared(self.day + "110000"),
            "customsCode": "2991",
            "ebpCode": "3301P00001",
            "ebpName": self._name("3301P00001"),
            "orderNo": self.order_no,
            "logisticsCode": "3301L00001",
            "logisticsName": self._name("3301L00001"),
            "logisticsNo": self.logistics_no,
            "copNo": self.cop_no,
            "ieFlag": "E",
            "portCode": self.port,
            "ieDate": self.day,
            "statisticsFlag": self.flag,
            "agentCode": "3301A00001",
            "agentName": self._name("3301A00001"),
            "ebcCode": self.ebc,
            "ebcName": self._name(self.ebc),
            "ownerCode": self.owner,
            "ownerName": self._name(self.owner),
            "tradeMode": self.trade_mode,
            "trafMode": self.traf_mode,
            "country": self.country,
            "POD": "USLAX",
            "freight": "0",
            "fCurrency": "142",
            "fFlag": "3",
            "insuredFee": "0",
            "iCurrency": "142",
            "iFlag": "3",
            "packNo": "1",
            "grossWeight": "1.5",
            "netWeight": "1.2",
        }
        if self.warehouse_no:
            values["warehouseFilingNo"] = self.warehouse_no
        values |= head
        rows = [
            {
                "gnum": str(n),
                "gcode": i.gcode,
                "gname": i.gname,
                "gmodel": "标准型",
                "country": i.country,
                "currency": i.currency,
                "qty": i.qty,
                "qty1": i.qty,
                "unit": i.unit,
                "unit1": i.unit,
                "price": i.price,
                "totalPrice": i.total,
            }
            for n, i in enumerate(self.items, start=1)
        ]
        return Message("CEB603", _guid(), "1.0", [Unit(values, {"InventoryList": rows})], dict(BASE))

    def receipt_of_payment(self, charge: str | None = None, **head: str) -> Message:
        goods = sum((Decimal(i.total) for i in self.items), Decimal(0))
        values = {
            **_declared(self.day + "120000"),
            "ebpCode": "3301P00001",
            "ebpName": self._name("3301P00001"),
            "ebcCode": self.ebc,
            "ebcName": self._name(self.ebc),
            "orderNo": self.order_no,
            "payCode": "3301Y00001",
            "payName": self._name("3301Y00001"),
            "payNo": f"PAY{self.number}",
            "charge": charge or str(goods),
            "currency": self.currency,
            "accountingDate": self.day + "120000",
        } | head
        return Message("CEB403", _guid(), "1.0", [Unit(values)], dict(BASE))

    def cancel(self, reason: str = "买家取消订单") -> Message:
        values = {
            **_declared(self.day + "130000"),
            "customsCode": "2991",
            "copNo": self.cop_no,
            "invtNo": "0",
            "agentCode": "3301A00001",
            "agentName": self._name("3301A00001"),
            "ebcCode": self.ebc,
            "ebcName": self._name(self.ebc),
            "reason": reason,
        }
        return Message("CEB605", _guid(), "1.0", [Unit(values)], dict(BASE))


def arrival(shipments: list[Shipment], on: date, cop_no: str) -> Message:
    head = {
        **_declared(on.strftime("%Y%m%d") + "150000"),
        "customsCode": "2991",
        "copNo": cop_no,
        "operatorCode": "3301S00001",
        "operatorName": PARTIES["3301S00001"][0],
        "logisticsCode": "3301L00001",
        "logisticsName": PARTIES["3301L00001"][0],
    }
    rows = [{"gnum": str(n), "logisticsNo": s.logistics_no} for n, s in enumerate(shipments, start=1)]
    return Message("CEB507", _guid(), "1.0", [Unit(head, {"ArrivalList": rows})], dict(BASE))


def departure(shipments: list[Shipment], on: date, cop_no: str) -> Message:
    stamp = on.strftime("%Y%m%d")
    head = {
        **_declared(stamp + "180000"),
        "customsCode": "2991",
        "copNo": cop_no,
        "logisticsCode": "3301L00001",
        "logisticsName": PARTIES["3301L00001"][0],
        "trafMode": "5",
        "leaveTime": stamp + "200000",
    }
    rows = [{"gnum": str(n), "logisticsNo": s.logistics_no} for n, s in enumerate(shipments, start=1)]
    return Message("CEB509", _guid(), "1.0", [Unit(head, {"DepartureList": rows})], dict(BASE))


def released_list(
    document_id: int,
    value: str,
    released_on: date | None,
    *,
    ebc: str = "3301E00001",
    enterprise_id: int = 1,
    currency: str = "142",
    departed: bool = True,
    status: str = "800",
) -> ExportList:
    """A one-line 9610 export list (蓝牙耳机) of ``value`` in ``currency``, released and, unless
    ``departed`` is False, departed on ``released_on`` — for reconciliation and gate tests."""
    line = ListItem(1, "8518300000", "蓝牙耳机", "011", Decimal(1), Decimal(value), Decimal(value), currency, "502")
    return ExportList(
        document_id=document_id,
        agent_code="3301A00001",
        cop_no=f"COP{document_id}",
        invt_no=f"29282024E{document_id:09d}",
        enterprise_id=enterprise_id,
        city_code="330100",
        district_code="330108",
        order_no=f"O{document_id}",
        logistics_code="3301L00001",
        logistics_no=f"L{document_id}",
        ebc_code=ebc,
        ebc_name="示例出口企业",
        owner_code=ebc,
        trade_mode="9610",
        statistics_flag="A",
        customs_code="2928",
        port_code="2928",
        traf_mode="5",
        country="502",
        currency=currency,
        ie_date=released_on,
        released_on=released_on,
        departed_on=released_on if departed and released_on else None,
        status=status,
        items=(line,),
    )
