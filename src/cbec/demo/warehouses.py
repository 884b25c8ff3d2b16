"""Reproducible demo overseas warehouses (海外仓备案) for ``cbec demo seed``.

Each item is ``(owner, WarehouseInput)``. ``owner`` is an index: owner *k* is the *k*-th
e-commerce enterprise (role ebc) of the seeded demo enterprises, in their seed order; the owners
run from 0 to 5, so a demo list with six e-commerce enterprises is enough. Several warehouses
share an owner, as exporters with a few warehouses abroad do.

Names, addresses and operators are invented: any resemblance to a real warehouse or company is
accidental. Country codes are customs country codes (海关国别代码); the repository ships no code
table yet, so only codes also used by the import demo (116, 304, 305, 502, 601) and these well
known ones appear: 303 United Kingdom, 307 Italy, 309 Netherlands, 312 Spain, 501 Canada.
"""

from __future__ import annotations

import random

from cbec.registry.warehouses import WarehouseInput, WarehouseMode

__all__ = ["demo_warehouse_inputs"]

# (country code, city, address, operator, name)
_PLACES: tuple[tuple[str, str, str, str, str], ...] = (
    ("502", "Los Angeles", "2150 E Harbor Logistics Ave, Ontario, CA 91761", "Westbay Fulfilment Inc.", "美西洛杉矶仓"),
    ("502", "Newark", "88 Port Reading Blvd, Carteret, NJ 07008", "Eastgate Cargo Services LLC", "美东新泽西仓"),
    ("304", "Frankfurt am Main", "Logistikring 14, 65451 Kelsterbach", "Rhein-Main Lager GmbH", "德国法兰克福仓"),
    ("303", "Birmingham", "Unit 7, Meridian Park, Coleshill B46 1AA", "Midlands Parcel Hub Ltd", "英国伯明翰仓"),
    ("116", "Osaka", "3-12 Nanko-kita, Suminoe-ku, Osaka 559-0034", "Kansai Bay Souko K.K.", "日本大阪仓"),
    ("601", "Sydney", "41 Distribution Dr, Eastern Creek NSW 2766", "Southern Cross Fulfilment Pty Ltd", "澳洲悉尼仓"),
    ("305", "Lyon", "12 Rue des Entrepôts, 69800 Saint-Priest", "Rhône Logistique SAS", "法国里昂仓"),
    ("309", "Venlo", "Logistiekweg 5, 5928 RP Venlo", "Maas Fulfilment B.V.", "荷兰芬洛仓"),
    ("501", "Toronto", "6400 Airport Corridor Rd, Mississauga ON", "Great Lakes Warehousing Inc.", "加拿大多伦多仓"),
    ("312", "Madrid", "Calle de la Logística 22, 28830 Madrid", "Meseta Almacenes S.L.", "西班牙马德里仓"),
    ("307", "Milan", "Via dei Magazzini 9, 20090 Segrate MI", "Lombardia Depositi S.r.l.", "意大利米兰仓"),
)
_SERVICES = (
    "一件代发、退货换标、库内贴标",
    "FBA 中转、头程拼柜、退货维修",
    "仓储、分拣、尾程派送对接",
    "退货处理、二次销售、售后换新",
)
_OWNERS = 6


def demo_warehouse_inputs(seed: int) -> list[tuple[int, WarehouseInput]]:
    """Eleven valid filings, the same for the same seed: about a third public (公共海外仓), which
    offer part of their area to other sellers; the rest own (自营) or leased (租赁)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    items: list[tuple[int, WarehouseInput]] = []
    for index, (country, city, address, operator, name) in enumerate(_PLACES):
        mode = (WarehouseMode.PUBLIC, WarehouseMode.OWN, WarehouseMode.LEASED)[index % 3]
        area = rng.randrange(3000, 40001, 500)
        available = None
        if mode is WarehouseMode.PUBLIC:
            available = f"{rng.randrange(area // 10, area // 2, 100)}.00"
        data = WarehouseInput(
            name=name,
            country=country,
            overseas_city=city,
            address=address,
            area=f"{area}.00",
            mode=mode.value,
            operator=operator,
            available_area=available,
            services=rng.choice(_SERVICES),
            contact=None,  # demo data carries no personal data
        )
        items.append((index % _OWNERS, data))
    return items
