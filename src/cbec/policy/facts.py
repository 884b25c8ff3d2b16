"""Facts the platform itself holds about an enterprise, which benefit inputs may name as their source.

Matching (政策找企业 / 免申即享) computes these from released lists and filings for a calendar year;
an input with no platform source has to be declared by the applicant, with evidence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformFact:
    name: str
    unit: str
    description: str


PLATFORM_FACTS: dict[str, PlatformFact] = {
    f.name: f
    for f in (
        PlatformFact("export_value_cny", "CNY", "released export lists of the year, CNY (stats caliber)"),
        PlatformFact("import_value_cny", "CNY", "released import lists of the year, CNY (stats caliber)"),
        PlatformFact("trade_value_cny", "CNY", "released lists of the year, both directions, CNY"),
        PlatformFact("trade_value_usd", "USD", "trade_value_cny at the loaded USD rate of the year"),
        PlatformFact("export_lists", "count", "released export lists of the year"),
        PlatformFact("overseas_warehouses", "count", "overseas warehouses filed and not withdrawn (海外仓备案)"),
        PlatformFact("overseas_warehouse_area_m2", "m2", "total area of the filed overseas warehouses"),
    )
}
