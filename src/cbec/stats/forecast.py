"""An explainable monthly forecast for target early warning.

Method (chosen by the length of the history, and always named in the result):

- ``seasonal_naive_trend`` (13 months of history or more): each future month is the same month a
  year earlier times (1 + g), where g is the year-on-year growth of the trailing twelve months
  (sum of the last 12 months over the sum of the 12 months before them). With 13 to 23 months
  of history only the overlapping months are compared (the last n - 12 months against the same
  months a year earlier), and the explanation says so. Months beyond a year ahead build on
  months already forecast.
- ``trailing_3_month_average`` (1 to 12 months, or when the year-earlier months sum to zero):
  every future month is the average of the last three months (fewer when the history is shorter).
- ``no_history``: nothing to extrapolate; no months are forecast.

A month missing inside the history counts as zero (no released trade). Rounding is explicit:
g to six decimal places and every forecast month to the fen, both half up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "MONEY",
    "NO_HISTORY",
    "SEASONAL",
    "TRAILING_AVERAGE",
    "Forecast",
    "add_months",
    "forecast",
    "month_range",
    "percent",
]

MONEY = Decimal("0.01")
RATE = Decimal("0.000001")
SEASONAL = "seasonal_naive_trend"
TRAILING_AVERAGE = "trailing_3_month_average"
NO_HISTORY = "no_history"


def add_months(month: str, n: int) -> str:
    """``add_months("2024-11", 3) == "2025-02"``."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` inclusive (empty when last < first)."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def percent(ratio: Decimal) -> str:
    """0.94 -> "94 %", 0.9956 -> "99.6 %" (one place, half up, trailing zero dropped)."""
    shown = (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{shown:f}"
    return f"{text[:-2] if text.endswith('.0') else text} %"


@dataclass(frozen=True)
class Forecast:
    method: str
    explanation: str
    months: dict[str, Decimal] = field(default_factory=dict)  # future month -> forecast value
    growth: Decimal | None = None  # g of the seasonal method
    history_months: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.months.values(), Decimal(0))


def forecast(monthly: Mapping[str, Decimal], until: str) -> Forecast:
    """Forecast every month after the last month of ``monthly`` up to ``until`` (YYYY-MM)."""
    if not monthly:
        return Forecast(NO_HISTORY, "no history: nothing to extrapolate, no month forecast")
    first, last = min(monthly), max(monthly)
    history = {m: Decimal(monthly.get(m, 0)) for m in month_range(first, last)}
    n = len(history)
    future = month_range(add_months(last, 1), until)
    span = f"{n} month{'s' if n != 1 else ''} of history {first}..{last}"
    if n >= 13:
        k = min(12, n - 12)
        recent_from = add_months(last, -(k - 1))
        earlier_from, earlier_to = add_months(recent_from, -12), add_months(last, -12)
        recent = sum((history[m] for m in month_range(recent_from, last)), Decimal(0))
        earlier = sum((history[m] for m in month_range(earlier_from, earlier_to)), Decimal(0))
        if earlier > 0:
            g = (recent / earlier - 1).quantize(RATE, rounding=ROUND_HALF_UP)
            values = dict(history)
            months: dict[str, Decimal] = {}
            for month in future:
                value = (values[add_months(month, -12)] * (1 + g)).quantize(MONEY, rounding=ROUND_HALF_UP)
                values[month] = months[month] = value
            partial = (
                "" if k == 12 else f" (only {k} overlapping month{'s' if k != 1 else ''}: under 24 months of history)"
            )
            explanation = (
                f"seasonal naive with trend: each month = the same month a year earlier × (1 + g), "
                f"g = {percent(g)} = year-on-year growth of {recent_from}..{last} over "
                f"{earlier_from}..{earlier_to}{partial}; {span}"
            )
            return Forecast(SEASONAL, explanation, months, g, n)
        reason = f"the year-earlier months {earlier_from}..{earlier_to} sum to 0, so growth is undefined; "
    else:
        reason = "under 13 months of history; "
    window = month_range(add_months(last, -(min(3, n) - 1)), last)
    average = (sum((history[m] for m in window), Decimal(0)) / len(window)).quantize(MONEY, rounding=ROUND_HALF_UP)
    explanation = (
        f"trailing {len(window)}-month average: {reason}each month = the average of "
        f"{window[0]}..{window[-1]} = {average:f}; {span}"
    )
    return Forecast(TRAILING_AVERAGE, explanation, dict.fromkeys(future, average), None, n)
