"""A small, made-up policy catalog for the matching, gate and simulation tests (not seed policy).

The shipped catalog changes as documents are encoded; tests that assert exact amounts use this
one instead. ``Testcity`` maps to no real city; ``write_fixture_catalog(folder, city="Hangzhou")``
names a real one so the demo enterprises of that city match it.
"""

from __future__ import annotations

from pathlib import Path

from cbec.policy.catalog import Catalog, load_catalog

__all__ = ["FIXTURE_DOCUMENT", "fixture_catalog", "write_fixture_catalog"]

FIXTURE_DOCUMENT = "fixture-2024"


def _parameter(pid: str, unit: str, value: str) -> str:
    body = f'value = "{value}"' if not value.startswith("?") else f'unknown = "{value[1:]}"'
    return f"""
[[parameters]]
id = "{pid}"
unit = "{unit}"
description = "fixture parameter"
[[parameters.values]]
valid_from = 2024-01-01
valid_to = 2027-12-31
{body}
clause = "fixture"
quote = "fixture"
"""


def _toml(city: str, doc_id: str) -> str:
    p = f"{doc_id}."
    parts = [
        f"""
[document]
id = "{doc_id}"
city = "{city}"
seed_file = "fixture.txt"
title = "fixture policy for tests"
valid_from = 2024-01-01
valid_to = 2027-12-31
validity = "fixture"

[[measures]]
id = "{p}m"
clause = "fixture"
title = "fixture"
text = "fixture"
encoding = "fixture"
"""
    ]
    parts += [
        _parameter(f"{p}export.rate", "ratio", "0.01"),
        _parameter(f"{p}export.cap", "CNY", "200000"),
        _parameter(f"{p}export.min", "CNY", "1000000"),
        _parameter(f"{p}warehouse.amount", "CNY", "100000"),
        _parameter(f"{p}warehouse.min", "count", "1"),
        _parameter(f"{p}promotion.rate", "ratio", "0.25"),
        _parameter(f"{p}promotion.cap", "CNY", "500000"),
        _parameter(f"{p}promotion.pool", "CNY", "1000000"),
        _parameter(f"{p}share", "ratio", "0.5"),
        _parameter(f"{p}usd.ceiling", "CNY", "300000"),
        _parameter(f"{p}usd.min", "USD", "10000000"),
        _parameter(f"{p}lists.min", "count", "1"),
        _parameter(f"{p}logistics.rate", "ratio", "0.05"),
        _parameter(f"{p}logistics.min", "CNY", "500000"),
    ]
    benefit = f"""
[[benefits]]
id = "{{id}}"
clause = "fixture"
measure = "{p}m"
title = "{{title}}"
quote = "fixture"
"""
    parts.append(
        benefit.format(id=f"{p}export", title="export reward")
        + f"""formula = "rate_of_base"
base = "export_value"
rate = "{p}export.rate"
inputs = [{{ name = "export_value", unit = "CNY", description = "export value", platform = "export_value_cny" }}]
conditions = [{{ fact = "export_value", op = ">=", parameter = "{p}export.min" }}]
caps = [{{ id = "{p}export.cap", kind = "per_enterprise_per_year", parameter = "{p}export.cap" }}]
frequency = "per_year"
trade_based = true
"""
    )
    parts.append(
        benefit.format(id=f"{p}warehouse", title="overseas warehouse award")
        + f"""formula = "fixed"
amount = "{p}warehouse.amount"
inputs = [{{ name = "warehouses", unit = "count", description = "filed warehouses", platform = "overseas_warehouses" }}]
conditions = [{{ fact = "warehouses", op = ">=", parameter = "{p}warehouse.min" }}]
frequency = "once"
"""
    )
    parts.append(
        benefit.format(id=f"{p}promotion", title="promotion subsidy")
        + f"""formula = "rate_of_base"
base = "promotion_cost"
rate = "{p}promotion.rate"
inputs = [{{ name = "promotion_cost", unit = "CNY", description = "推广费用: promotion cost" }}]
caps = [{{ id = "{p}promotion.cap", kind = "per_enterprise_per_year", parameter = "{p}promotion.cap" }}]
pool = {{ id = "{p}pool", total = "{p}promotion.pool", allocation = "first_come_first_served" }}
co_funding = {{ city_share = "{p}share" }}
"""
    )
    parts.append(
        benefit.format(id=f"{p}usd", title="scale award in USD")
        + f"""formula = "up_to"
amount = "{p}usd.ceiling"
inputs = [{{ name = "trade_usd", unit = "USD", description = "trade value in USD", platform = "trade_value_usd" }}]
conditions = [{{ fact = "trade_usd", op = ">=", parameter = "{p}usd.min" }}]
"""
    )
    parts.append(
        benefit.format(id=f"{p}lists", title="support without a figure")
        + f"""formula = "unspecified"
amount_note = "给予一定支持"
inputs = [{{ name = "lists", unit = "count", description = "export lists", platform = "export_lists" }}]
conditions = [{{ fact = "lists", op = ">=", parameter = "{p}lists.min" }}]
"""
    )
    parts.append(
        benefit.format(id=f"{p}logistics", title="logistics subsidy for exporters")
        + f"""formula = "rate_of_base"
base = "logistics_fee"
rate = "{p}logistics.rate"
inputs = [
  {{ name = "logistics_fee", unit = "CNY", description = "物流费用: logistics fees" }},
  {{ name = "export_value", unit = "CNY", description = "export value of the year", platform = "export_value_cny" }},
]
conditions = [{{ fact = "export_value", op = ">=", parameter = "{p}logistics.min" }}]
trade_based = true
"""
    )
    return "".join(parts)


def write_fixture_catalog(folder: Path, *, city: str = "Hangzhou", other_city: str = "Zhongshan") -> Path:
    """Write the fixture catalog (one document for ``city``, a copy for ``other_city``) to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "fixture.toml").write_text(_toml(city, FIXTURE_DOCUMENT), encoding="utf-8")
    (folder / "fixture_other.toml").write_text(_toml(other_city, "fixture-other"), encoding="utf-8")
    return folder


def fixture_catalog(folder: Path, **cities: str) -> Catalog:
    return load_catalog(write_fixture_catalog(folder, **cities))
