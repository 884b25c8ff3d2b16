"""Measuring policy targets with the metric catalog: what :func:`cbec.stats.target_status.evaluate`
judges a measured target on. Pure apart from running Ibis expressions on the fact table the
caller opens (``cbec.stats.refresh.open_lines``); fen become Decimal yuan exactly (fen / 100).

:func:`measure` asks the catalog about one target (several queries). :func:`measure_targets`
answers for many targets at once with two grouped ``trade_value`` queries (the monthly series
up to the last complete month; the trade of each enterprise over the trailing windows) split by
just the dimensions the targets filter on, then sums each target's rows in Python with integer
fen. Both give equal :class:`Measured` values; a ``count`` of any metric but
``enterprise_count`` falls back to :func:`measure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from cbec.stats.catalog import CATALOG, Scope, expression
from cbec.stats.forecast import add_months
from cbec.stats.target_status import Measured, last_complete_month
from cbec.stats.targets import Target

__all__ = ["fen_yuan", "measure", "measure_targets", "table_rows", "trailing_values"]

HUNDRED = Decimal(100)
_SERIES = frozenset({"sum", "yoy_growth"})
Row = dict[str, Any]


def fen_yuan(fen: Any) -> Decimal:
    """Integer fen (None as 0) -> Decimal yuan, exactly."""
    return Decimal(int(fen or 0)) / HUNDRED


def table_rows(table: ir.Table) -> list[Row]:
    rows: list[Row] = table.to_pyarrow().to_pylist()
    return rows


def _scope(target: Target, month_from: str | None = None, month_to: str | None = None) -> Scope:
    return Scope(
        city=target.city_code,
        district=target.district,
        month_from=month_from,
        month_to=month_to,
        directions=target.directions,
        trade_modes=target.trade_modes,
    )


def _window(target: Target, today: date) -> tuple[str, str]:
    """The trailing 12 complete months a count measure is judged on."""
    _, last, _ = target.period(today)
    end = min(last_complete_month(today), last)
    return add_months(end, -11), end


def _window_text(window: tuple[str, str]) -> str:
    return f"the 12 months {window[0]}..{window[1]}"


def _is_distinct_count(target: Target) -> bool:
    return target.measure == "count" and target.metric == "enterprise_count"


def measure(lines: ir.Table, target: Target, today: date) -> Measured:
    """What the catalog says about one measured target on ``today`` (complete months only)."""
    cut = last_complete_month(today)
    if target.metric not in CATALOG:
        return Measured(unavailable=f"metric {target.metric} is not in the catalog yet: cannot measure")
    if target.measure in _SERIES:
        rows = table_rows(expression(lines, "trade_value", _scope(target, month_to=cut), ("month",)))
        monthly = {r["month"]: fen_yuan(r["value_fen"]) for r in rows if r["month"]}
        unconverted = sum(int(r["unconverted_lines"] or 0) for r in rows)
        return Measured(monthly=monthly, unconverted_lines=unconverted)
    start, end = _window(target, today)
    if target.measure == "enterprises_at_least":
        values = trailing_values(lines, _scope(target), start, end)
        return Measured(count=_passing(target, values.values()), count_window=_window_text((start, end)))
    found = CATALOG[target.metric]
    column = found.value_columns[0]
    rows = table_rows(expression(lines, target.metric, _scope(target, start, end), ("city",)))
    count = sum((Decimal(int(r.get(column) or 0)) for r in rows), Decimal(0))
    return Measured(count=count, count_window=_window_text((start, end)))


def _passing(target: Target, values: Iterable[Decimal]) -> Decimal:
    limit = target.threshold
    assert limit is not None
    return Decimal(sum(1 for v in values if (v >= limit if target.threshold_inclusive else v > limit)))


def trailing_values(lines: ir.Table, scope: Scope, first: str, last: str) -> dict[int, Decimal]:
    """Trade value (yuan) per registered enterprise over the months first..last."""
    bounded = Scope(
        city=scope.city,
        district=scope.district,
        month_from=first,
        month_to=last,
        directions=scope.directions,
        trade_modes=scope.trade_modes,
    )
    rows = table_rows(expression(lines, "trade_value", bounded, ("enterprise",)))
    return {int(r["enterprise_id"]): fen_yuan(r["value_fen"]) for r in rows if r["enterprise_id"] is not None}


# ---- many targets at once ----------------------------------------------------------------------


def _split(targets: Sequence[Target]) -> tuple[str, ...]:
    """The dimensions (besides city) the targets' scopes filter on."""
    dims = []
    if any(t.district for t in targets):
        dims.append("district")
    if any(t.directions for t in targets):
        dims.append("direction")
    if any(t.trade_modes for t in targets):
        dims.append("code")
    return tuple(dims)


def _grouped(lines: ir.Table, targets: Sequence[Target], scope: Scope, by: tuple[str, ...]) -> list[Row]:
    """trade_value over the targets' cities within ``scope``'s months, by city and ``by``."""
    cities = sorted({t.city_code for t in targets})
    mine = lines.filter(lines.city_code.isin(cities))
    return table_rows(expression(mine, "trade_value", scope, ("city", *by, *_split(targets))))


def _matches(row: Row, target: Target) -> bool:
    """The row lies in the target's place and trade scope (as ``catalog.scoped`` filters)."""
    if row["city_code"] != target.city_code:
        return False
    if target.district and row["district_code"] != target.district:
        return False
    if target.directions and row["direction"] not in target.directions:
        return False
    return not target.trade_modes or row["trade_mode"] in target.trade_modes


def _series(rows: Sequence[Row], target: Target) -> Measured:
    fen: dict[str, int] = {}
    unconverted = 0
    for row in rows:
        if _matches(row, target):
            unconverted += int(row["unconverted_lines"] or 0)
            if row["month"]:
                fen[row["month"]] = fen.get(row["month"], 0) + int(row["value_fen"] or 0)
    return Measured(monthly={m: fen_yuan(fen[m]) for m in sorted(fen)}, unconverted_lines=unconverted)


def _trailing(rows: Sequence[Row], target: Target, window: tuple[str, str]) -> Measured:
    start, end = window
    fen: dict[int, int] = {}
    for row in rows:
        month = row.get("month", start)  # no month column: the query held one window only
        if row["enterprise_id"] is None or not month or not start <= month <= end or not _matches(row, target):
            continue
        eid = int(row["enterprise_id"])
        fen[eid] = fen.get(eid, 0) + int(row["value_fen"] or 0)
    distinct = _is_distinct_count(target)
    count = Decimal(len(fen)) if distinct else _passing(target, (fen_yuan(v) for v in fen.values()))
    return Measured(count=count, count_window=_window_text(window))


def measure_targets(lines: ir.Table, targets: Sequence[Target], today: date) -> dict[str, Measured]:
    """``{target.id: measure(lines, target, today)}`` for measured targets, from two grouped
    queries (fewer when no target needs one) instead of several per target."""
    out: dict[str, Measured] = {}
    series: list[Target] = []
    windowed: dict[str, tuple[Target, tuple[str, str]]] = {}
    for target in targets:
        if target.metric not in CATALOG or not (
            target.measure in _SERIES or target.measure == "enterprises_at_least" or _is_distinct_count(target)
        ):
            out[target.id] = measure(lines, target, today)
        elif target.measure in _SERIES:
            series.append(target)
        else:
            windowed[target.id] = (target, _window(target, today))
    if series:
        rows = _grouped(lines, series, Scope(month_to=last_complete_month(today)), ("month",))
        out.update({t.id: _series(rows, t) for t in series})
    if windowed:
        windows = {w for _, w in windowed.values()}
        scope = Scope(month_from=min(w[0] for w in windows), month_to=max(w[1] for w in windows))
        by = ("enterprise", "month") if len(windows) > 1 else ("enterprise",)
        rows = _grouped(lines, [t for t, _ in windowed.values()], scope, by)
        out.update({tid: _trailing(rows, t, w) for tid, (t, w) in windowed.items()})
    return {t.id: out[t.id] for t in targets}
