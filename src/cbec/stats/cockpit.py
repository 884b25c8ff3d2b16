"""The cockpit (数据驾驶舱): the page data assembled from catalog metrics. No web framework here.

Every figure on the cockpit is a metric result (``services.run``), run for the principal so the
principal's scope is enforced by the same code as the API: an enterprise sees its own figures, a
district officer their district, city roles their city. Each figure keeps the metric's name and
caliber (口径) so the page shows where the number comes from. The only arithmetic done here is
on those results: sums of per-direction rows (the directions are disjoint, so lists and values
add up exactly) and the period growth, whose caliber says so.

Money stays integer fen / Decimal yuan until ``money_text`` formats it for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis.expr.types as ir

from cbec.identity.model import Principal, Role
from cbec.stats.catalog import CATALOG, Scope
from cbec.stats.services import MetricResult, run, yuan

__all__ = [
    "CODES",
    "GROWTH_CALIBER",
    "Breakdown",
    "Figure",
    "Overview",
    "Ranked",
    "TargetView",
    "latest_month",
    "money_text",
    "overview",
    "shift_month",
    "wan",
]

CITY_ROLES = frozenset({Role.CITY_ADMIN, Role.AUDITOR, Role.PARTNER})
CODES = ("9610", "1210", "9710", "9810")
TOP_N = 10
TREND_MONTHS = 24
RATIO_PLACES = Decimal("0.0001")
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CENT = Decimal("0.01")
GROWTH_CALIBER = (
    "Derived from trade_value: (value of the period - value of the same months one year earlier) / "
    "the earlier value, rounded half up to 4 places; not shown when the earlier value is 0."
)
ENTERPRISE_FALLBACK_CALIBER = (
    "Number of distinct registered enterprises with released list lines (from trade_value by enterprise; "
    "the enterprise_count metric was not available)."
)


def shift_month(month: str, months: int) -> str:
    """'2024-03' shifted by ``months`` (negative = earlier)."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def wan(value: Decimal) -> Decimal:
    """Yuan -> 万元 with two places (half up): the unit of every chart."""
    return (value / WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | None, lang: str = "zh") -> str:
    """Yuan for people: 亿元 from one hundred million up, else 万元, two places, grouped."""
    if value is None:
        return "—"
    if lang == "zh":
        if abs(value) >= YI:
            return f"{(value / YI).quantize(CENT, rounding=ROUND_HALF_UP):,} 亿元"
        return f"{wan(value):,} 万元"
    if abs(value) >= YI * 10:
        return f"CNY {(value / (YI * 10)).quantize(CENT, rounding=ROUND_HALF_UP):,} bn"
    return f"CNY {(value / Decimal(1_000_000)).quantize(CENT, rounding=ROUND_HALF_UP):,} m"


@dataclass(frozen=True)
class Figure:
    """One displayed number and where it comes from."""

    metric: str  # catalog metric name, or "derived:<what>" for growth
    caliber: str
    unit: str  # fen | count | ratio
    value: Decimal | int | None  # money: Decimal yuan; counts: int; ratios: Decimal
    fen: int | None = None  # money only: the exact integer fen
    month_from: str | None = None
    month_to: str | None = None


@dataclass(frozen=True)
class Breakdown:
    """A metric split by dimensions: the rows behind one chart and its data table."""

    metric: str
    caliber: str
    by: tuple[str, ...]
    rows: list[dict[str, Any]]  # ``MetricResult.records()``: money in Decimal yuan
    month_from: str | None
    month_to: str | None
    available: bool = True


@dataclass(frozen=True)
class Ranked:
    rank: int
    key: str  # district code or enterprise id (text)
    name: str
    value: Decimal  # yuan
    fen: int
    share: Decimal | None = None


@dataclass(frozen=True)
class TargetView:
    """A target's status as the cockpit shows it (from ``target_services.TargetStatus``)."""

    target_id: str
    title: str
    clause: str
    metric: str
    deadline: str
    value: Decimal | None  # value to date, in the target's unit
    ratio: Decimal | None  # progress: value to date / target
    forecast: Decimal | None  # projected value at the deadline, in the target's unit
    status: str
    reason: str
    unit: str = ""
    target_value: Decimal | None = None
    judged: Decimal | None = None  # the ratio the status is judged on (projected or current / target)
    as_of: str = ""


@dataclass(frozen=True)
class Overview:
    scope: Scope  # the scope actually shown (after the principal's limits)
    month_from: str
    month_to: str
    trade_value: Figure
    trade_value_last_year: Figure
    growth: Figure
    lists: Figure
    enterprises: Figure
    export_value: Figure
    import_value: Figure
    unconverted_lines: Figure
    trend: Breakdown  # month x direction, the last 24 months to month_to
    codes: Breakdown  # code x direction
    flags: Breakdown  # 9610 export A vs B
    districts: Breakdown | None  # city roles on a city view only
    district_ranking: list[Ranked] | None
    top_enterprises: Breakdown
    enterprise_ranking: list[Ranked] | None
    targets: list[TargetView] | None  # None: target statuses not available
    missing: tuple[str, ...] = field(default=())  # metrics the catalog did not have


def _money(result: MetricResult, column: str = "value_fen") -> int:
    return sum(int(row.get(column) or 0) for row in result.rows)


def latest_month(lines: ir.Table, principal: Principal, scope: Scope, today: date) -> str | None:
    """The latest release month with lists in the principal's scope, not after ``today``."""
    whole = replace(scope, month_from=None, month_to=None)
    result = run(lines, principal, "list_count", whole, ("month",))
    current = today.strftime("%Y-%m")
    months = [str(r["month"]) for r in result.rows if r.get("month") and str(r["month"]) <= current]
    return max(months) if months else None


def _period(lines: ir.Table, principal: Principal, scope: Scope, today: date) -> tuple[str, str]:
    last = scope.month_to or latest_month(lines, principal, scope, today) or today.strftime("%Y-%m")
    first = scope.month_from or f"{last[:4]}-01"
    if first > last:
        first = last
    return first, last


def _ratio_text(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(RATIO_PLACES)


class _Runner:
    """Runs metrics for one principal and remembers which ones the catalog lacks."""

    def __init__(self, lines: ir.Table, principal: Principal) -> None:
        self.lines = lines
        self.principal = principal
        self.missing: list[str] = []

    def has(self, name: str) -> bool:
        if name in CATALOG:
            return True
        if name not in self.missing:
            self.missing.append(name)
        return False

    def run(self, name: str, scope: Scope, by: tuple[str, ...]) -> MetricResult:
        return run(self.lines, self.principal, name, scope, by)

    def breakdown(self, name: str, scope: Scope, by: tuple[str, ...]) -> Breakdown:
        if not self.has(name):
            return Breakdown(name, "", by, [], scope.month_from, scope.month_to, available=False)
        result = self.run(name, scope, by)
        return Breakdown(name, result.metric.caliber, by, result.records(), scope.month_from, scope.month_to)


def _money_figure(name: str, caliber: str, fen: int, scope: Scope) -> Figure:
    return Figure(name, caliber, "fen", yuan(fen), fen, scope.month_from, scope.month_to)


def _growth(current: int, earlier: int, scope: Scope) -> Figure:
    value = None
    if earlier > 0:
        value = (Decimal(current - earlier) / Decimal(earlier)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    return Figure("derived:trade_value_growth", GROWTH_CALIBER, "ratio", value, None, scope.month_from, scope.month_to)


def _enterprise_figure(runner: _Runner, scope: Scope) -> Figure:
    if runner.has("enterprise_count"):
        result = runner.run("enterprise_count", scope, ("city",))
        column = result.metric.value_columns[0]
        count = sum(int(r.get(column) or 0) for r in result.rows)
        return Figure("enterprise_count", result.metric.caliber, "count", count, None, scope.month_from, scope.month_to)
    result = runner.run("trade_value", scope, ("enterprise",))
    count = sum(1 for r in result.rows if r.get("enterprise_id") is not None)
    return Figure("trade_value", ENTERPRISE_FALLBACK_CALIBER, "count", count, None, scope.month_from, scope.month_to)


def _flags(runner: _Runner, scope: Scope) -> Breakdown:
    if runner.has("flag_split"):
        return runner.breakdown("flag_split", scope, ("flag",))
    narrowed = replace(scope, directions=("export",), trade_modes=("9610",))
    result = runner.run("trade_value", narrowed, ("flag",))
    caliber = result.metric.caliber + " Limited to released 9610 export lines."
    return Breakdown("trade_value", caliber, ("flag",), result.records(), scope.month_from, scope.month_to)


def _district_ranking(result: Breakdown, names: Mapping[str, str]) -> list[Ranked]:
    rows = sorted(result.rows, key=lambda r: (-(r.get("value") or Decimal(0)), str(r.get("district") or "")))
    ranked = []
    for number, row in enumerate(rows, start=1):
        code = str(row.get("district") or "")
        value = row.get("value") or Decimal(0)
        ranked.append(Ranked(number, code, names.get(code, code or "—"), value, int(value * 100)))
    return ranked


def _enterprise_ranking(result: Breakdown, known: Mapping[int, str] | None) -> list[Ranked]:
    names: Mapping[int, str] = {} if known is None else known  # a lazy mapping may be empty until asked
    if result.metric == "top_enterprises":
        rows = sorted(result.rows, key=lambda r: int(r.get("rank") or 0))[:TOP_N]
    else:  # trade_value by enterprise: registered enterprises, largest first
        rows = [r for r in result.rows if r.get("enterprise") is not None]
        rows = sorted(rows, key=lambda r: (-(r.get("value") or Decimal(0)), int(r["enterprise"])))[:TOP_N]
    ranked = []
    for number, row in enumerate(rows, start=1):
        ident = int(row["enterprise"])
        value = row.get("value") or Decimal(0)
        rank = int(row.get("rank") or number)
        ranked.append(
            Ranked(
                rank, str(ident), names.get(ident, f"#{ident}"), value, int(value * 100), _ratio_text(row.get("share"))
            )
        )
    return ranked


def overview(
    lines: ir.Table,
    principal: Principal,
    scope: Scope,
    today: date,
    *,
    district_names: Mapping[str, str] | None = None,
    enterprise_names: Mapping[int, str] | None = None,
    targets: Sequence[TargetView] | None = None,
) -> Overview:
    """The cockpit for ``scope`` as ``principal`` may see it. Without a period the page shows the
    year to date of the latest month with data (never after ``today``)."""
    runner = _Runner(lines, principal)
    first, last = _period(lines, principal, scope, today)
    period = replace(scope, month_from=first, month_to=last)
    earlier = replace(scope, month_from=shift_month(first, -12), month_to=shift_month(last, -12))

    by_direction = runner.run("trade_value", period, ("direction",))
    seen = by_direction.scope
    caliber = by_direction.metric.caliber
    total = _money(by_direction)
    per_direction = {str(r["direction"]): int(r["value_fen"] or 0) for r in by_direction.rows}
    unconverted = _money(by_direction, "unconverted_lines")
    last_year = _money(runner.run("trade_value", earlier, ("direction",)))
    lists = runner.run("list_count", period, ("direction",))

    trend_scope = replace(scope, month_from=shift_month(last, 1 - TREND_MONTHS), month_to=last)
    city_view = principal.role in CITY_ROLES and scope.district is None and scope.enterprise_id is None
    districts = runner.breakdown("trade_value", period, ("district",)) if city_view else None
    own_only = principal.role is Role.ENTERPRISE or scope.enterprise_id is not None
    if own_only:
        top = Breakdown("top_enterprises", "", ("enterprise",), [], first, last, available=False)
    elif runner.has("top_enterprises"):
        top = runner.breakdown("top_enterprises", period, ("enterprise",))
    else:
        top = runner.breakdown("trade_value", period, ("enterprise",))
    return Overview(
        scope=replace(seen, month_from=first, month_to=last),
        month_from=first,
        month_to=last,
        trade_value=_money_figure("trade_value", caliber, total, period),
        trade_value_last_year=_money_figure("trade_value", caliber, last_year, earlier),
        growth=_growth(total, last_year, period),
        lists=Figure("list_count", lists.metric.caliber, "count", _money(lists, "lists"), None, first, last),
        enterprises=_enterprise_figure(runner, period),
        export_value=_money_figure("trade_value", caliber, per_direction.get("export", 0), period),
        import_value=_money_figure("trade_value", caliber, per_direction.get("import", 0), period),
        unconverted_lines=Figure("trade_value", caliber, "count", unconverted, None, first, last),
        trend=runner.breakdown("trade_value", trend_scope, ("month", "direction")),
        codes=runner.breakdown("trade_value", period, ("code", "direction")),
        flags=_flags(runner, period),
        districts=districts,
        district_ranking=None
        if districts is None
        else _district_ranking(districts, {} if district_names is None else district_names),
        top_enterprises=top,
        enterprise_ranking=None
        if own_only
        else _enterprise_ranking(top, {} if enterprise_names is None else enterprise_names),
        targets=None if targets is None else list(targets),
        missing=tuple(runner.missing),
    )
