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

__all__ = ["CATALOG", "DIMENSIONS", "LIST_LEVEL", "Metric", "Scope", "expression", "fact_schema", "metric", "scoped"]

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


def summarise(table: ir.Table, columns: list[str], **values: ir.Scalar) -> ir.Table:
    """``table.group_by(columns).aggregate(...)``, and one total row when there are no columns
    (Ibis refuses an empty group_by; ``by=()`` asks for the scope's total)."""
    return table.group_by(columns).aggregate(**values) if columns else table.aggregate(**values)


# Splits whose value is the same on every line of a list: counting lists within them is a sum of
# ``first_line``. Item-level splits (HS chapter, countries) count a list in each group its lines
# fall in, which only a distinct count of list keys gives.
LIST_LEVEL = frozenset({"month", "year", "city", "district", "enterprise", "code", "direction", "flag"})


def list_total(table: ir.Table, by: tuple[str, ...]) -> ir.IntegerScalar:
    """The number of distinct lists among ``table``'s lines within each group of ``by``."""
    if set(by) <= LIST_LEVEL:
        return table.count(where=table.first_line).cast("int64")
    return table.list_key.nunique().cast("int64")


def fen_sum(column: ir.IntegerColumn) -> ir.IntegerScalar:
    """Sum of a fen column as int64, 0 when there is nothing to sum. The cast matters: PostgreSQL
    sums bigint into numeric, which would come back as Decimal instead of int."""
    return column.sum().fill_null(0).cast("int64")


def ratio(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.FloatingValue:
    """numerator / denominator rounded half away from zero to four places; null unless the
    denominator is positive.

    Rounded in integer arithmetic, not with ``round(x, 4)`` on a float: the backends implement
    ``round`` on float64 differently (PostgreSQL goes through numeric, Spark through BigDecimal),
    and a ratio such as 0.00645 is 0.0064499... in binary, so a half could go either way. Here
    q = round(|n| * 10^4 / d) is found with an integer remainder (a - a % b is a multiple of b,
    so the quotient is an integer however the backend divides), and q / 10000.0 is one IEEE
    division, the same double everywhere. Limits: |n| below 4.6e14 fen (4.6万亿 yuan), else the
    int64 step overflows; q below 2^53 (ratios under 9e11), else it is no longer exact."""
    num = numerator.cast("int64")
    den = denominator.cast("int64")
    doubled = num.abs() * 20000 + den  # 2 * |n| * 10^4 + d: adding d/2 before flooring, doubled
    divisor = den * 2
    quotient = (doubled - doubled % divisor) / divisor  # exact: an integer-valued float64
    signed = ibis.ifelse(num < 0, -quotient, quotient)
    return ibis.ifelse(den > 0, signed / 10000.0, ibis.null("float64")).cast("float64")


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
    # Order by the requested dimensions, then by any grouping column a metric adds itself (growth
    # is always by month, bands and statuses are rows), so the row order is total and every
    # backend returns the same sequence.
    order = [DIMENSIONS[d] for d in dims if DIMENSIONS[d] in result.columns]
    order += [c for c in ("month", "rank", "band", "status") if c in result.columns and c not in order]
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
    return summarise(
        rel,
        _cols(by),
        value_fen=fen_sum(rel.cny_fen),
        unconverted_lines=rel.cny_fen.isnull().sum().fill_null(0).cast("int64"),  # 0, not null, on no lines
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
    return summarise(rel, _cols(by), lists=list_total(rel, by))


def fact_schema() -> ibis.Schema:
    from cbec.stats.facts import FACT_COLUMNS

    return ibis.schema(dict(FACT_COLUMNS))


# The other metrics live in their own modules to keep this one readable; importing them here
# registers them, so ``CATALOG`` is complete whenever this module is imported.
from cbec.stats import metrics_growth, metrics_structure  # noqa: E402, F401
