"""The metric catalog (指标目录): every statistic the platform shows, as a pure Ibis function.

Each metric is ``compute(lines, by) -> Table`` over the fact table (``facts.FACT_COLUMNS``),
already limited to a place scope, grouped by the requested dimensions. Its caliber (口径) is
written beside it and shown wherever the number is shown. Nothing here knows which backend runs
it: DuckDB, PostgreSQL and Spark execute the same expressions (tests/integration/
test_stats_parity.py proves it).

Money columns are integer fen (``*_fen``); counts are integers; ratios are floats rounded to
four places by the metric itself so every backend returns the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

__all__ = ["CATALOG", "DIMENSIONS", "Metric", "Scope", "expression", "metric", "scoped"]

# Dimension name (CLI/API) -> fact column.
DIMENSIONS: Mapping[str, str] = {
    "month": "month",
    "year": "year",
    "city": "city_code",
    "district": "district_code",
    "enterprise": "enterprise_id",
    "code": "trade_mode",
    "direction": "direction",
    "flag": "statistics_flag",
    "hs_chapter": "hs_chapter",
    "origin": "origin_country",
    "destination": "destination_country",
}


@dataclass(frozen=True)
class Scope:
    """Which lines a question is about. Place (city, district, enterprise) filters the lines
    before any metric; the period (YYYY-MM, inclusive) filters release months, applied after
    computing for metrics that compare with earlier months (year-on-year needs last year)."""

    city: str | None = None
    district: str | None = None
    enterprise_id: int | None = None
    month_from: str | None = None
    month_to: str | None = None
    directions: tuple[str, ...] = ()  # empty = both
    trade_modes: tuple[str, ...] = ()  # empty = all


@dataclass(frozen=True)
class Metric:
    name: str
    title_zh: str
    title_en: str
    caliber: str  # 口径: what is counted, from which lines, in which unit
    unit: str  # fen | count | ratio
    compute: Callable[[ir.Table, tuple[str, ...]], ir.Table]
    default_by: tuple[str, ...] = ("month",)
    allowed_by: frozenset[str] = field(default_factory=lambda: frozenset(DIMENSIONS))
    uses_history: bool = False  # True: the period filter applies to the result, not the input
    value_columns: tuple[str, ...] = ("value",)


CATALOG: dict[str, Metric] = {}


def metric(**spec: Any) -> Callable[[Callable[[ir.Table, tuple[str, ...]], ir.Table]], Metric]:
    def register(fn: Callable[[ir.Table, tuple[str, ...]], ir.Table]) -> Metric:
        made = Metric(compute=fn, **spec)
        if made.name in CATALOG:
            raise ValueError(f"metric {made.name} defined twice")
        CATALOG[made.name] = made
        return made

    return register


def _cols(by: tuple[str, ...]) -> list[str]:
    return [DIMENSIONS[d] for d in by]


def released(lines: ir.Table) -> ir.Table:
    return lines.filter(lines.released)


def _in_period(table: ir.Table, scope: Scope) -> ir.Table:
    if scope.month_from:
        table = table.filter(table.month >= scope.month_from)
    if scope.month_to:
        table = table.filter(table.month <= scope.month_to)
    return table


def scoped(lines: ir.Table, scope: Scope, *, period: bool = True) -> ir.Table:
    """The lines a scope covers; ``period=False`` keeps every month (for history metrics)."""
    if scope.city:
        lines = lines.filter(lines.city_code == scope.city)
    if scope.district:
        lines = lines.filter(lines.district_code == scope.district)
    if scope.enterprise_id is not None:
        lines = lines.filter(lines.enterprise_id == scope.enterprise_id)
    if scope.directions:
        lines = lines.filter(lines.direction.isin(list(scope.directions)))
    if scope.trade_modes:
        lines = lines.filter(lines.trade_mode.isin(list(scope.trade_modes)))
    return _in_period(lines, scope) if period else lines


def expression(lines: ir.Table, name: str, scope: Scope, by: tuple[str, ...] | None = None) -> ir.Table:
    """The Ibis expression for one metric over a scope, ordered by its dimensions."""
    found = CATALOG.get(name)
    if found is None:
        raise KeyError(name)
    dims = found.default_by if by is None else by
    bad = [d for d in dims if d not in found.allowed_by]
    if bad:
        raise ValueError(f"metric {name} cannot be split by {', '.join(bad)}")
    if found.uses_history:
        result = found.compute(scoped(lines, scope, period=False), dims)
        if "month" in result.columns:
            result = _in_period(result, scope)
    else:
        result = found.compute(scoped(lines, scope), dims)
    order = [DIMENSIONS[d] for d in dims if DIMENSIONS[d] in result.columns]
    return result.order_by(order) if order else result


# ---- the metrics -----------------------------------------------------------------------------


@metric(
    name="trade_value",
    title_zh="进出口额",
    title_en="Trade value",
    caliber=(
        "Sum of the CNY value of released list lines (放行, receipt 800/899), in the month of release; "
        "import at declared totalPrice, export at FOB totalPrice; lists counted, not declarations "
        "(9610 A lists included). Lines without a loaded exchange rate are left out and counted in "
        "unconverted_lines."
    ),
    unit="fen",
    value_columns=("value_fen", "unconverted_lines"),
)
def trade_value(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    return rel.group_by(_cols(by)).aggregate(
        value_fen=rel.cny_fen.sum().fill_null(0),
        unconverted_lines=rel.cny_fen.isnull().sum().cast("int64"),
    )


@metric(
    name="list_count",
    title_zh="清单票数",
    title_en="Lists",
    caliber="Number of distinct released inventory lists (清单), in the month of release.",
    unit="count",
    value_columns=("lists",),
)
def list_count(lines: ir.Table, by: tuple[str, ...]) -> ir.Table:
    rel = released(lines)
    return rel.group_by(_cols(by)).aggregate(lists=rel.list_key.nunique().cast("int64"))


def fact_schema() -> ibis.Schema:
    from cbec.stats.facts import FACT_COLUMNS

    return ibis.schema(dict(FACT_COLUMNS))
