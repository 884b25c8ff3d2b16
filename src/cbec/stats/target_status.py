"""Judging a policy target (:mod:`cbec.stats.targets`) on a day: what was measured or entered
for it, its status, and the human text of its figures. Pure: no database, no Ibis;
``target_services`` measures and calls :func:`evaluate`.

Status (thresholds are data, ``[status]`` in targets.toml):

- ``unknown``         the target's figure was lost in the seed copy (never guessed)
- ``not_measurable``  nothing to judge: no figure entered yet, no trade in scope, or the metric
                      is not in the catalog
- ``achieved``        the value reached the target (judged at the deadline, or earlier when the
                      value to date already reaches it)
- ``expired``         the deadline passed and the target was not reached
- ``on_track`` / ``at_risk`` / ``off_track``  before the deadline, by the projected value over
                      the target: >= on_track_from, >= at_risk_from, below
Projection: measured money sums use :func:`cbec.stats.forecast.forecast`; enterprise counts
have no forecast and are judged on their trailing-12-month value; entered figures are compared
with a straight-line path from 0 at the period's start to the target at its deadline.
A value "reaches" a target when it is at least the target figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cbec.stats.forecast import MONEY, Forecast, add_months, forecast, month_range, percent
from cbec.stats.targets import (
    ACHIEVED,
    EXPIRED,
    NO_DATA,
    NOT_MEASURABLE,
    UNKNOWN,
    EnteredFigure,
    StatusThresholds,
    Target,
)

__all__ = ["Measured", "TargetStatus", "evaluate", "format_value", "last_complete_month"]

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class Measured:
    """What the services measured for one target: the monthly series (yuan, or counts) up to the
    last complete month for sums and growth, or a count for count measures; ``unavailable`` says
    why nothing could be measured."""

    monthly: Mapping[str, Decimal] = field(default_factory=dict)
    count: Decimal | None = None
    count_window: str = ""
    unconverted_lines: int = 0
    unavailable: str | None = None


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    status: str
    reason: str
    period: str  # "YYYY-MM..YYYY-MM"
    deadline: date
    as_of: str  # the last complete month, or the entered figure's date
    value_to_date: Decimal | None = None
    progress: Decimal | None = None  # value to date / target (growth: share of the required total)
    projected: Decimal | None = None  # at the deadline, in the target's unit
    ratio: Decimal | None = None  # what the status is judged on: projected (or current) / target
    method: str | None = None
    explanation: str | None = None
    unconverted_lines: int = 0

    def as_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:f}"

        return {
            "target": self.target.as_dict(),
            "status": self.status,
            "reason": self.reason,
            "period": self.period,
            "deadline": self.deadline.isoformat(),
            "as_of": self.as_of,
            "value_to_date": text(self.value_to_date),
            "progress": text(self.progress),
            "projected": text(self.projected),
            "ratio": text(self.ratio),
            "method": self.method,
            "explanation": self.explanation,
            "unconverted_lines": self.unconverted_lines,
        }


YI = Decimal(100_000_000)
WAN = Decimal(10_000)


def _trim(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: Decimal, unit: str) -> str:
    """Human text of a figure: yuan in 亿 or 万 (two places), ratios in per cent."""
    if unit == "CNY yuan":
        if abs(value) >= YI:
            return f"{_trim((value / YI).quantize(MONEY, rounding=ROUND_HALF_UP))}亿"
        if abs(value) >= WAN:
            return f"{_trim((value / WAN).quantize(MONEY, rounding=ROUND_HALF_UP))}万"
        return f"{_trim(value.quantize(MONEY, rounding=ROUND_HALF_UP))} yuan"
    if unit == "ratio":
        return percent(value)
    return f"{_trim(value)} {unit}"


def last_complete_month(today: date) -> str:
    return add_months(today.strftime("%Y-%m"), -1)


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(RATIO, rounding=ROUND_HALF_UP)


def evaluate(
    target: Target,
    measured: Measured | None,
    entered: Sequence[EnteredFigure],
    today: date,
    thresholds: StatusThresholds | None = None,
) -> TargetStatus:
    """The status of one target on ``today``. ``measured`` serves measured targets, ``entered``
    (figures for this target, any order) serves ``input`` targets."""
    limits = thresholds or StatusThresholds()
    first, last, deadline = target.period(today)
    period = f"{first}..{last}"
    cut = last_complete_month(today)

    def status(state: str, reason: str, **more: Any) -> TargetStatus:
        return TargetStatus(target, state, reason, period, deadline, more.pop("as_of", cut), **more)

    if target.value is None:
        return status(UNKNOWN, f"the target figure is unknown: {target.unknown}")
    goal = target.value
    goal_text = format_value(goal, target.unit)
    if target.is_input:
        return _evaluate_entered(target, goal, entered, today, first, deadline, limits, status)
    if measured is None or measured.unavailable:
        why = measured.unavailable if measured else "nothing was measured"
        return status(NOT_MEASURABLE, why or "nothing was measured")
    unconverted = measured.unconverted_lines
    if target.measure in {"enterprises_at_least", "count"}:
        if measured.count is None:
            return status(NOT_MEASURABLE, "no count was measured")
        count = measured.count
        ratio = _ratio(count, goal) if goal else Decimal(1)
        shown = f"{format_value(count, target.unit)} in {measured.count_window}"
        more = {"value_to_date": count, "progress": ratio, "ratio": ratio, "unconverted_lines": unconverted}
        if count >= goal:
            return status(ACHIEVED, f"{shown} reaches {goal_text}: achieved", **more)
        if today > deadline:
            return status(EXPIRED, f"deadline {deadline} passed with {shown}, {percent(ratio)} of {goal_text}", **more)
        state = limits.status(ratio)
        reason = (
            f"no forecast for enterprise counts: {shown} is {percent(ratio)} of {goal_text} due "
            f"{deadline}: {limits.describe(state)}"
        )
        return status(state, reason, **more)
    series = {m: v for m, v in measured.monthly.items() if m <= cut}
    if not any(series.values()):
        return status(NO_DATA, f"no released trade in scope up to {cut}: nothing to measure or forecast yet")
    months = month_range(first, last)
    done = [m for m in months if m <= cut]
    to_date = sum((series.get(m, Decimal(0)) for m in done), Decimal(0))
    outlook: Forecast | None = None
    rest = Decimal(0)
    if cut < last:
        outlook = forecast(series, last)
        rest = sum((v for m, v in outlook.months.items() if m >= first), Decimal(0))
    projected_total = to_date + rest
    method = outlook.method if outlook else None
    explanation = outlook.explanation if outlook else None
    upto = f"to {cut}" if done else f"(the period starts after {cut})"
    if target.measure == "yoy_growth":
        prior = sum((series.get(add_months(m, -12), Decimal(0)) for m in months), Decimal(0))
        if prior == 0:
            return status(NO_DATA, f"no trade in {add_months(first, -12)}..{add_months(last, -12)}: growth undefined")
        required = (prior * (1 + goal)).quantize(MONEY, rounding=ROUND_HALF_UP)
        prior_done = sum((series.get(add_months(m, -12), Decimal(0)) for m in done), Decimal(0))
        growth_to_date = _ratio(to_date, prior_done) - 1 if prior_done else None
        growth_projected = _ratio(projected_total, prior) - 1
        ratio = _ratio(projected_total, required)
        more = {
            "value_to_date": growth_to_date,
            "progress": _ratio(to_date, required),
            "projected": growth_projected,
            "ratio": ratio,
            "method": method,
            "explanation": explanation,
            "unconverted_lines": unconverted,
        }
        need = f"{format_value(required, 'CNY yuan')} needed for +{percent(goal)} on {format_value(prior, 'CNY yuan')}"
        if cut >= last or today > deadline:
            final = f"{first}..{last} total {format_value(to_date, 'CNY yuan')} is {percent(ratio)} of the {need}"
            return status(
                ACHIEVED if to_date >= required else EXPIRED,
                f"{final}: " + ("achieved" if to_date >= required else f"missed at the deadline {deadline}"),
                **more,
            )
        if to_date >= required:
            return status(ACHIEVED, f"{format_value(to_date, 'CNY yuan')} {upto} already reaches the {need}", **more)
        state = limits.status(ratio)
        reason = (
            f"forecast {format_value(projected_total, 'CNY yuan')} at {last} is {percent(ratio)} of the {need}: "
            f"{limits.describe(state)}"
        )
        return status(state, reason, **more)
    ratio = _ratio(projected_total, goal)
    more = {
        "value_to_date": to_date,
        "progress": _ratio(to_date, goal),
        "projected": projected_total,
        "ratio": ratio,
        "method": method,
        "explanation": explanation,
        "unconverted_lines": unconverted,
    }
    if cut >= last or today > deadline:
        final = f"{first}..{last} total {format_value(to_date, target.unit)} is {percent(ratio)} of {goal_text}"
        if to_date >= goal:
            return status(ACHIEVED, f"{final}: achieved", **more)
        return status(EXPIRED, f"{final}: missed at the deadline {deadline}", **more)
    if to_date >= goal:
        return status(ACHIEVED, f"{format_value(to_date, target.unit)} {upto} already reaches {goal_text}", **more)
    state = limits.status(ratio)
    reason = (
        f"forecast {format_value(projected_total, target.unit)} at {last} is {percent(ratio)} of {goal_text}: "
        f"{limits.describe(state)}"
    )
    return status(state, reason, **more)


def _evaluate_entered(
    target: Target,
    goal: Decimal,
    entered: Sequence[EnteredFigure],
    today: date,
    first: str,
    deadline: date,
    limits: StatusThresholds,
    status: Callable[..., TargetStatus],
) -> TargetStatus:
    start = date(int(first[:4]), int(first[5:]), 1)
    usable = [f for f in entered if f.target_id == target.id and start <= f.as_of <= min(today, deadline)]
    goal_text = format_value(goal, target.unit)
    if not usable:
        return status(
            NOT_MEASURABLE,
            f"no figure entered for {start}..{min(today, deadline)}: a city administrator of "
            f"{target.city_code} enters one (`target input`) with its source",
        )
    latest = max(usable, key=lambda f: f.as_of)
    value = latest.value
    shown = f"{format_value(value, target.unit)} entered as of {latest.as_of} ({latest.source})"
    progress = _ratio(value, goal) if goal else Decimal(1)
    more = {"as_of": latest.as_of.isoformat(), "value_to_date": value, "progress": progress}
    if value >= goal:
        return status(ACHIEVED, f"{shown} reaches {goal_text}: achieved", ratio=progress, **more)
    if today > deadline:
        return status(EXPIRED, f"deadline {deadline} passed with {shown}, {percent(progress)} of {goal_text}", **more)
    total_days = (deadline - start).days + 1
    elapsed = (latest.as_of - start).days + 1
    expected = (goal * elapsed / total_days).quantize(RATIO, rounding=ROUND_HALF_UP)
    ratio = _ratio(value, expected) if expected else Decimal(1)
    state = limits.status(ratio)
    reason = (
        f"{shown} is {percent(ratio)} of the {format_value(expected, target.unit)} a straight line from 0 on "
        f"{start} to {goal_text} on {deadline} expects by then: {limits.describe(state)}"
    )
    return status(state, reason, ratio=ratio, **more)
