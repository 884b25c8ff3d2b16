"""Policy targets (目标) with early warning: the catalog in ``data/targets.toml``, its checks,
and the evaluation of one target against measured or entered figures. Pure: no database, no
Ibis; ``target_services`` measures and calls :func:`evaluate`.

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

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from typing import Any

from cbec.stats.forecast import MONEY, Forecast, add_months, forecast, month_range, percent

__all__ = [
    "ACHIEVED",
    "AT_RISK",
    "EXPIRED",
    "MEASURES",
    "NOT_MEASURABLE",
    "OFF_TRACK",
    "ON_TRACK",
    "UNKNOWN",
    "Document",
    "EnteredFigure",
    "Measured",
    "StatusThresholds",
    "Target",
    "TargetCatalog",
    "TargetDataError",
    "TargetStatus",
    "evaluate",
    "format_value",
    "last_complete_month",
    "load_targets",
]

ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
ACHIEVED, EXPIRED, NOT_MEASURABLE, UNKNOWN = "achieved", "expired", "not_measurable", "unknown"
MEASURES = frozenset({"sum", "yoy_growth", "enterprises_at_least", "count", "entered"})
RATIO = Decimal("0.0001")
INPUT = "input"


class TargetDataError(ValueError):
    """targets.toml breaks a rule; the message lists every problem."""


@dataclass(frozen=True)
class Document:
    key: str
    city_code: str
    seed: str
    title: str
    issued: date
    in_force_until: date | None = None
    no_targets: str | None = None


@dataclass(frozen=True)
class StatusThresholds:
    on_track_from: Decimal = Decimal("1.00")
    at_risk_from: Decimal = Decimal("0.90")

    def status(self, ratio: Decimal) -> str:
        if ratio >= self.on_track_from:
            return ON_TRACK
        return AT_RISK if ratio >= self.at_risk_from else OFF_TRACK

    def describe(self, status: str) -> str:
        on, risk = percent(self.on_track_from), percent(self.at_risk_from)
        return {
            ON_TRACK: f"on track (at least {on})",
            AT_RISK: f"at risk (between {risk} and {on})",
            OFF_TRACK: f"off track (below {risk})",
        }[status]


@dataclass(frozen=True)
class Target:
    id: str
    city_code: str
    document: Document
    clause: str
    wording: str
    metric: str  # catalog metric name, or "input"
    measure: str
    value: Decimal | None
    unit: str
    deadline: date
    scope: str
    confirmed: bool
    note: str = ""
    unknown: str | None = None
    value_max: Decimal | None = None
    directions: tuple[str, ...] = ()
    trade_modes: tuple[str, ...] = ()
    district: str | None = None
    period_from: str | None = None
    period_to: str | None = None
    recurs: str | None = None
    first_year: int | None = None
    last_year: int | None = None
    baseline: str | None = None
    threshold: Decimal | None = None
    threshold_inclusive: bool = True
    deadline_basis: str | None = None

    @property
    def seed(self) -> str:
        return self.document.seed

    @property
    def is_input(self) -> bool:
        return self.metric == INPUT

    def period(self, today: date) -> tuple[str, str, date]:
        """(first month, last month, deadline) of the period judged on ``today``. A yearly target
        is judged for today's year, kept within first_year..last_year."""
        if self.recurs == "yearly":
            assert self.first_year is not None
            assert self.last_year is not None
            year = min(max(today.year, self.first_year), self.last_year)
            return f"{year:04d}-01", f"{year:04d}-12", date(year, 12, 31)
        first = self.period_from or self.document.issued.strftime("%Y-%m")
        last = self.period_to or self.deadline.strftime("%Y-%m")
        return first, last, self.deadline

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "city_code": self.city_code,
            "seed": self.seed,
            "document": self.document.title,
            "clause": self.clause,
            "wording": self.wording,
            "metric": self.metric,
            "measure": self.measure,
            "directions": list(self.directions),
            "trade_modes": list(self.trade_modes),
            "district": self.district,
            "value": None if self.value is None else f"{self.value:f}",
            "value_max": None if self.value_max is None else f"{self.value_max:f}",
            "unit": self.unit,
            "baseline": self.baseline,
            "deadline": self.deadline.isoformat(),
            "deadline_basis": self.deadline_basis,
            "recurs": self.recurs,
            "scope": self.scope,
            "confirmed": self.confirmed,
            "unknown": self.unknown,
            "note": self.note,
        }


@dataclass(frozen=True)
class TargetCatalog:
    targets: tuple[Target, ...]
    documents: Mapping[str, Document]
    thresholds: StatusThresholds

    def get(self, target_id: str) -> Target | None:
        return next((t for t in self.targets if t.id == target_id), None)

    def of_city(self, city_code: str | None) -> list[Target]:
        return [t for t in self.targets if city_code is None or t.city_code == city_code]


@dataclass(frozen=True)
class EnteredFigure:
    """A figure a city administrator entered for an ``input`` target (table target_inputs)."""

    target_id: str
    as_of: date
    value: Decimal
    source: str
    id: int | None = None
    entered_by: int | None = None
    entered_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target_id": self.target_id,
            "as_of": self.as_of.isoformat(),
            "value": f"{self.value:f}",
            "source": self.source,
            "entered_by": self.entered_by,
            "entered_at": None if self.entered_at is None else self.entered_at.isoformat(),
        }


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


# ---- loading -------------------------------------------------------------------------------


def _decimal(raw: Any, where: str, problems: list[str]) -> Decimal | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.append(f"{where}: write the figure as decimal text in quotes, got {raw!r}")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(f"{where}: {raw!r} is not a decimal number")
        return None
    if not value.is_finite() or value < 0:
        problems.append(f"{where}: {raw!r} must be a finite number >= 0")
        return None
    return value


def _month_ok(raw: Any) -> bool:
    return isinstance(raw, str) and len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit()


def _target(raw: dict[str, Any], documents: Mapping[str, Document], problems: list[str]) -> Target | None:
    tid = str(raw.get("id") or "")
    where = f"target {tid or '?'}"
    for key in ("id", "city_code", "document", "clause", "wording", "metric", "measure", "unit", "scope"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{where}: {key} is required (text)")
    if not isinstance(raw.get("confirmed"), bool):
        problems.append(f"{where}: confirmed must be true or false")
    deadline = raw.get("deadline")
    if not isinstance(deadline, date):
        problems.append(f"{where}: deadline must be a date (YYYY-MM-DD)")
    document = documents.get(str(raw.get("document")))
    if document is None:
        problems.append(f"{where}: document {raw.get('document')!r} is not a [[document]] key")
    elif document.city_code != raw.get("city_code"):
        problems.append(f"{where}: city_code {raw.get('city_code')} differs from its document's {document.city_code}")
    value = _decimal(raw.get("value"), f"{where} value", problems)
    unknown = raw.get("unknown")
    if unknown is not None and (not isinstance(unknown, str) or not unknown.strip()):
        problems.append(f"{where}: unknown must give the reason the figure is missing")
    if (raw.get("value") is None) == (unknown is None):
        problems.append(f"{where}: give either value (decimal text) or unknown (the reason), exactly one")
    metric, measure = raw.get("metric"), raw.get("measure")
    if measure not in MEASURES:
        problems.append(f"{where}: measure {measure!r} is not one of {sorted(MEASURES)}")
    if (metric == INPUT) != (measure == "entered"):
        problems.append(f"{where}: metric 'input' goes with measure 'entered' and only with it")
    recurs = raw.get("recurs")
    if recurs is not None:
        if recurs != "yearly":
            problems.append(f"{where}: recurs must be 'yearly'")
        if not isinstance(raw.get("first_year"), int) or not isinstance(raw.get("last_year"), int):
            problems.append(f"{where}: a yearly target needs first_year and last_year")
    for key in ("period_from", "period_to"):
        if raw.get(key) is not None and not _month_ok(raw[key]):
            problems.append(f"{where}: {key} must be YYYY-MM")
    measured = measure in {"sum", "yoy_growth", "enterprises_at_least", "count"}
    if measured and recurs is None and (raw.get("period_from") is None or raw.get("period_to") is None):
        problems.append(f"{where}: a measured target needs period_from and period_to (or recurs)")
    threshold = _decimal(raw.get("threshold"), f"{where} threshold", problems)
    if measure == "enterprises_at_least" and threshold is None:
        problems.append(f"{where}: enterprises_at_least needs a threshold (yuan)")
    value_max = _decimal(raw.get("value_max"), f"{where} value_max", problems)
    if problems or document is None or not isinstance(deadline, date):
        return None
    return Target(
        id=tid,
        city_code=raw["city_code"],
        document=document,
        clause=raw["clause"],
        wording=raw["wording"],
        metric=raw["metric"],
        measure=raw["measure"],
        value=value,
        unit=raw["unit"],
        deadline=deadline,
        scope=raw["scope"],
        confirmed=raw["confirmed"],
        note=raw.get("note", ""),
        unknown=unknown,
        value_max=value_max,
        directions=tuple(raw.get("directions", ())),
        trade_modes=tuple(raw.get("trade_modes", ())),
        district=raw.get("district"),
        period_from=raw.get("period_from"),
        period_to=raw.get("period_to"),
        recurs=recurs,
        first_year=raw.get("first_year"),
        last_year=raw.get("last_year"),
        baseline=raw.get("baseline"),
        threshold=threshold,
        threshold_inclusive=bool(raw.get("threshold_inclusive", True)),
        deadline_basis=raw.get("deadline_basis"),
    )


def load_targets(text: str | None = None) -> TargetCatalog:
    """Parse and check targets.toml (the packaged file unless ``text`` is given)."""
    if text is None:
        text = resources.files("cbec.stats").joinpath("data", "targets.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[str] = []
    documents: dict[str, Document] = {}
    for raw in data.get("document", []):
        doc = Document(
            key=raw["key"],
            city_code=raw["city_code"],
            seed=raw["seed"],
            title=raw["title"],
            issued=raw["issued"],
            in_force_until=raw.get("in_force_until"),
            no_targets=raw.get("no_targets"),
        )
        if doc.key in documents:
            problems.append(f"document {doc.key} defined twice")
        documents[doc.key] = doc
    targets: list[Target] = []
    seen: set[str] = set()
    for raw in data.get("target", []):
        local: list[str] = []
        made = _target(raw, documents, local)
        problems.extend(local)
        if made is None:
            continue
        if made.id in seen:
            problems.append(f"target {made.id}: id used twice")
        seen.add(made.id)
        targets.append(made)
    status = data.get("status", {})
    on = _decimal(status.get("on_track_from", "1.00"), "status.on_track_from", problems)
    risk = _decimal(status.get("at_risk_from", "0.90"), "status.at_risk_from", problems)
    if on is not None and risk is not None and risk > on:
        problems.append("status: at_risk_from must not exceed on_track_from")
    if problems:
        raise TargetDataError("targets.toml: " + "; ".join(problems))
    assert on is not None
    assert risk is not None
    return TargetCatalog(tuple(targets), documents, StatusThresholds(on, risk))


# ---- evaluation ----------------------------------------------------------------------------

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
        return status(NOT_MEASURABLE, f"no released trade in scope up to {cut}: nothing to measure or forecast")
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
            return status(
                NOT_MEASURABLE, f"no trade in {add_months(first, -12)}..{add_months(last, -12)}: growth undefined"
            )
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
