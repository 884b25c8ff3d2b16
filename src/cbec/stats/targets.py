"""Policy targets (目标): the catalog in ``data/targets.toml`` (documents, targets, status
thresholds), its checks, and the figures a city administrator enters for ``input`` targets.
Pure: no database, no Ibis. :mod:`cbec.stats.target_status` judges a target,
``target_services`` measures it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from cbec.stats.forecast import percent

__all__ = [
    "ACHIEVED",
    "AT_RISK",
    "EXPIRED",
    "MEASURES",
    "NOT_MEASURABLE",
    "NO_DATA",
    "OFF_TRACK",
    "ON_TRACK",
    "UNKNOWN",
    "Document",
    "EnteredFigure",
    "StatusThresholds",
    "Target",
    "TargetCatalog",
    "TargetDataError",
    "load_targets",
]

ON_TRACK, AT_RISK, OFF_TRACK = "on_track", "at_risk", "off_track"
ACHIEVED, EXPIRED, NOT_MEASURABLE, UNKNOWN = "achieved", "expired", "not_measurable", "unknown"
# Measurable from platform data, but nothing is released in scope yet (or a growth base is zero):
# distinct from NOT_MEASURABLE, which means the platform's data cannot measure the target at all.
NO_DATA = "no_data"
MEASURES = frozenset({"sum", "yoy_growth", "enterprises_at_least", "count", "entered"})
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
