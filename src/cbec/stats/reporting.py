"""Statistical direct reporting (统计直报): monthly forms an enterprise files with its commerce
bureau, pre-filled from what the platform already knows. Pure: no storage, no framework.

Guangzhou (二十五) asks for a 电子商务统计直报系统; DOMAIN §8 asks that an enterprise report
"at most once" (最多报一次): every figure the platform can compute from data already filed —
released lists in the fact table, filed overseas warehouses — is filled in by the platform and
never asked for again. Each figure keeps its source:

- ``platform``: the metric it came from, that metric's caliber (口径) and when it was taken;
- ``entered``: who typed it in and when.

The enterprise cannot overwrite a platform figure (it would make the report disagree with the
customs data the platform holds). When it thinks one is wrong it attaches a correction request
(更正说明) to that figure; the request travels with the report to the officer, and the figure
stays as the platform computed it. A correction of the data itself goes through the filing that
produced it (a list, a warehouse filing).

Forms live in ``data/report_forms.toml``: fields, units, rules, the deadline and the seed clause
each form serves.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cbec.kernel.errors import FieldError, NotFound
from cbec.kernel.workdays import WorkdayCalendar

__all__ = [
    "CORRECTION_MAX",
    "DueRule",
    "FieldSpec",
    "Figure",
    "Obligation",
    "PlatformFigure",
    "Reminder",
    "ReportForm",
    "ReportStatus",
    "StatReport",
    "Submission",
    "Urgency",
    "apply_submission",
    "check_period",
    "due_date",
    "figures_from_json",
    "figures_to_json",
    "get_form",
    "load_forms",
    "parse_forms",
    "period_of",
    "prefill",
    "previous_period",
    "reminders",
    "same_figures",
    "validate",
    "working_days_left",
]

PLATFORM = "platform"
ENTERED = "entered"
KINDS = frozenset({"decimal", "integer"})
PLATFORM_SOURCES = frozenset(
    {
        "trade_value.export",
        "trade_value.import",
        "list_count.export",
        "list_count.import",
        "warehouse_area",
        "warehouse_count",
    }
)
CORRECTION_MAX = 500
_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # 草稿: pre-filled, not yet submitted
    SUBMITTED = "submitted"  # 已报送
    RETURNED = "returned"  # 已退回: an officer sent it back; the enterprise submits again


# --- forms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    id: str
    label_zh: str
    label_en: str
    unit: str  # yuan | count | m2 | persons
    kind: str  # decimal | integer
    source: str  # "platform:<what>" or "entered"
    required: bool = True
    places: int = 0  # decimals allowed (0 for integers)
    min: Decimal | None = None
    max: Decimal | None = None
    caliber: str = ""  # for platform sources not in the metric catalog (the catalog's caliber wins there)
    help_zh: str = ""
    help_en: str = ""

    @property
    def is_platform(self) -> bool:
        return self.source.startswith(PLATFORM + ":")

    @property
    def platform_source(self) -> str:
        """``trade_value.export`` for ``platform:trade_value.export``; "" for an entered field."""
        return self.source.partition(":")[2] if self.is_platform else ""

    def quantize(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1).scaleb(-self.places))

    def text(self, value: Decimal | None) -> str | None:
        return None if value is None else str(self.quantize(value))

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "unit": self.unit,
            "kind": self.kind,
            "places": self.places,
            "required": self.required,
            "min": None if self.min is None else str(self.min),
            "max": None if self.max is None else str(self.max),
            "source": self.source,
            "caliber": self.caliber or None,
            "help_zh": self.help_zh or None,
            "help_en": self.help_en or None,
        }


@dataclass(frozen=True)
class DueRule:
    working_day_of_next_month: int
    remind_within_working_days: int
    note: str

    def as_dict(self) -> dict[str, object]:
        return {
            "working_day_of_next_month": self.working_day_of_next_month,
            "remind_within_working_days": self.remind_within_working_days,
            "note": self.note,
        }


@dataclass(frozen=True)
class ReportForm:
    id: str
    title_zh: str
    title_en: str
    frequency: str
    serves: str
    due: DueRule
    fields: tuple[FieldSpec, ...]

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)

    @property
    def platform_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.is_platform)

    @property
    def entered_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.is_platform)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "frequency": self.frequency,
            "serves": self.serves,
            "due": self.due.as_dict(),
            "fields": [f.as_dict() for f in self.fields],
        }


def _decimal(raw: object, where: str) -> Decimal | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _NUMBER.match(raw):
        raise ValueError(f'{where}: write numbers as decimal text, e.g. "0", found {raw!r}')
    return Decimal(raw)


def _field(raw: Mapping[str, Any], where: str) -> FieldSpec:
    try:
        spec = FieldSpec(
            id=str(raw["id"]),
            label_zh=str(raw["label_zh"]),
            label_en=str(raw["label_en"]),
            unit=str(raw["unit"]),
            kind=str(raw["kind"]),
            source=str(raw["source"]),
            required=bool(raw.get("required", True)),
            places=int(raw.get("places", 0)),
            min=_decimal(raw.get("min"), f"{where}.min"),
            max=_decimal(raw.get("max"), f"{where}.max"),
            caliber=str(raw.get("caliber", "")),
            help_zh=str(raw.get("help_zh", "")),
            help_en=str(raw.get("help_en", "")),
        )
    except KeyError as missing:
        raise ValueError(f"{where}: missing key {missing}") from missing
    if spec.kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {sorted(KINDS)}, found {spec.kind!r}")
    if spec.kind == "integer" and spec.places:
        raise ValueError(f"{where}: an integer field has no decimal places")
    if spec.is_platform and spec.platform_source not in PLATFORM_SOURCES:
        raise ValueError(f"{where}: unknown platform source {spec.source!r}; known: {sorted(PLATFORM_SOURCES)}")
    if not spec.is_platform and spec.source != ENTERED:
        raise ValueError(f"{where}: source must be 'entered' or 'platform:<what>', found {spec.source!r}")
    return spec


def parse_forms(text: str, origin: str = "report_forms.toml") -> dict[str, ReportForm]:
    """Parse forms from TOML text; any mistake raises ValueError naming ``origin`` and the place."""
    data = tomllib.loads(text)
    forms: dict[str, ReportForm] = {}
    for i, raw in enumerate(data.get("form", [])):
        where = f"{origin}: form[{i}]"
        due = raw.get("due", {})
        fields = tuple(_field(f, f"{where}.field[{j}]") for j, f in enumerate(raw.get("field", [])))
        ids = [f.id for f in fields]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{where}: field ids repeat")
        form = ReportForm(
            id=str(raw["id"]),
            title_zh=str(raw["title_zh"]),
            title_en=str(raw["title_en"]),
            frequency=str(raw.get("frequency", "monthly")),
            serves=str(raw["serves"]),
            due=DueRule(
                int(due["working_day_of_next_month"]),
                int(due.get("remind_within_working_days", 3)),
                str(due.get("note", "")),
            ),
            fields=fields,
        )
        if form.frequency != "monthly":
            raise ValueError(f"{where}: only monthly forms are supported, found {form.frequency!r}")
        if not 1 <= form.due.working_day_of_next_month <= 20:
            raise ValueError(f"{where}: due.working_day_of_next_month must be 1..20")
        if form.id in forms:
            raise ValueError(f"{where}: form {form.id} defined twice")
        forms[form.id] = form
    return forms


@cache
def load_forms(path: Path | None = None) -> dict[str, ReportForm]:
    """The packaged forms, or those of ``path``."""
    if path is not None:
        return parse_forms(path.read_text(encoding="utf-8"), str(path))
    packaged = resources.files("cbec.stats").joinpath("data", "report_forms.toml")
    return parse_forms(packaged.read_text(encoding="utf-8"))


def get_form(form_id: str) -> ReportForm:
    found = load_forms().get(form_id)
    if found is None:
        raise NotFound(f"no report form {form_id!r}; known forms: {', '.join(sorted(load_forms()))}")
    return found


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformFigure:
    """A value the platform computed for one ``platform:<what>`` source."""

    value: Decimal
    metric: str  # e.g. trade_value (direction export)
    caliber: str
    note: str = ""  # e.g. lines left out for want of an exchange rate


@dataclass(frozen=True)
class Figure:
    """One figure of a report and where it came from."""

    value: Decimal | None
    source: str  # platform | entered
    at: datetime | None  # when it was computed or typed in
    metric: str | None = None  # platform: the metric (and selection) it came from
    caliber: str | None = None  # platform: what is counted
    note: str | None = None  # platform: a remark on the value
    by: str | None = None  # entered: the actor who typed it (audit naming)
    correction: str | None = None  # platform: the enterprise's correction request

    def as_dict(self, spec: FieldSpec | None = None) -> dict[str, object]:
        value = None if self.value is None else (spec.text(self.value) if spec else str(self.value))
        out: dict[str, object] = {"value": value, "source": self.source, "at": self.at.isoformat() if self.at else None}
        for key in ("metric", "caliber", "note", "by", "correction"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Figure:
        at = raw.get("at")
        value = raw.get("value")
        return cls(
            value=None if value is None else Decimal(str(value)),
            source=str(raw["source"]),
            at=datetime.fromisoformat(at) if at else None,
            metric=raw.get("metric"),
            caliber=raw.get("caliber"),
            note=raw.get("note"),
            by=raw.get("by"),
            correction=raw.get("correction"),
        )


def figures_to_json(figures: Mapping[str, Figure], form: ReportForm | None = None) -> dict[str, object]:
    return {k: f.as_dict(form.field(k) if form else None) for k, f in figures.items()}


def figures_from_json(raw: Mapping[str, Any]) -> dict[str, Figure]:
    return {k: Figure.from_dict(v) for k, v in raw.items()}


def prefill(
    form: ReportForm,
    platform_figures: Mapping[str, PlatformFigure],
    now: datetime,
    previous: Mapping[str, Figure] | None = None,
) -> dict[str, Figure]:
    """The draft figures: every platform field from ``platform_figures`` (keyed by source, e.g.
    ``trade_value.export``), every entered field empty or as ``previous`` had it. A platform
    figure whose value has not changed since ``previous`` keeps its time and correction request."""
    previous = previous or {}
    out: dict[str, Figure] = {}
    for spec in form.fields:
        before = previous.get(spec.id)
        if not spec.is_platform:
            keep = before is not None and before.source == ENTERED
            out[spec.id] = before if keep and before is not None else Figure(None, ENTERED, None)
            continue
        found = platform_figures.get(spec.platform_source)
        if found is None:
            raise KeyError(f"form {form.id} field {spec.id} needs platform figure {spec.platform_source}")
        value = spec.quantize(found.value)
        if before is not None and before.source == PLATFORM and before.value == value and before.metric == found.metric:
            out[spec.id] = before
            continue
        out[spec.id] = Figure(
            value,
            PLATFORM,
            now,
            metric=found.metric,
            caliber=found.caliber or spec.caliber,
            note=found.note or None,
            correction=before.correction if before is not None and before.source == PLATFORM else None,
        )
    return out


# --- submissions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What the enterprise sends: values of entered fields as text (a platform field may be sent
    too, but only with the value the platform filled in) and correction requests on platform
    fields."""

    values: Mapping[str, str | None] = field(default_factory=dict)
    corrections: Mapping[str, str] = field(default_factory=dict)


def _number_error(spec: FieldSpec, path: str, text: str) -> FieldError | None:
    unit = spec.unit
    if not _NUMBER.match(text):
        what = "a whole number" if spec.kind == "integer" else f"a number with at most {spec.places} decimals"
        return FieldError(
            path, "report.not_a_number", f"{spec.id} must be {what}, found {text!r}", f"write it like 1200 ({unit})"
        )
    value = Decimal(text)
    if spec.kind == "integer" and value != value.to_integral_value():
        return FieldError(path, "report.not_an_integer", f"{spec.id} counts {unit}: {text} is not whole", "round it")
    exponent = value.as_tuple().exponent
    if spec.kind == "decimal" and isinstance(exponent, int) and -exponent > spec.places:
        return FieldError(
            path,
            "report.too_many_places",
            f"{spec.id} takes at most {spec.places} decimals, found {text}",
            f"round it to {spec.places} decimals ({unit})",
        )
    if spec.min is not None and value < spec.min:
        return FieldError(
            path, "report.below_min", f"{spec.id} must be at least {spec.min}, found {text}", "check the sign and unit"
        )
    if spec.max is not None and value > spec.max:
        return FieldError(
            path,
            "report.above_max",
            f"{spec.id} must be at most {spec.max}, found {text}",
            f"check the unit: the form asks for {unit}",
        )
    return None


def validate(
    form: ReportForm, submitted: Submission, prefilled: Mapping[str, Figure] | None = None
) -> list[FieldError]:
    """Every broken rule of a submission, in form order; paths ``figures/<id>`` and
    ``corrections/<id>``. With ``prefilled`` a platform figure sent with another value is refused."""
    prefilled = prefilled or {}
    errors: list[FieldError] = []
    for key in sorted(set(submitted.values) - {f.id for f in form.fields}):
        errors.append(
            FieldError(
                f"figures/{key}",
                "report.unknown_field",
                f"form {form.id} has no field {key!r}",
                "send only the fields of the form (GET /reports/forms lists them)",
            )
        )
    for key in sorted(set(submitted.corrections) - {f.id for f in form.platform_fields}):
        errors.append(
            FieldError(
                f"corrections/{key}",
                "report.correction_not_platform",
                f"{key!r} is not a platform-filled field of form {form.id}; only those take a correction request",
                "type the right value into the field itself",
            )
        )
    for spec in form.fields:
        path = f"figures/{spec.id}"
        raw = submitted.values.get(spec.id)
        text = "" if raw is None else raw.strip()
        if spec.is_platform:
            known = prefilled.get(spec.id)
            if text and known is not None and (not _NUMBER.match(text) or Decimal(text) != known.value):
                errors.append(
                    FieldError(
                        path,
                        "report.platform_figure",
                        f"{spec.id} is filled in by the platform ({known.metric}: {spec.text(known.value)}); "
                        f"it cannot be changed to {text}",
                        f"leave it as it is; if it is wrong, explain why in corrections/{spec.id} (更正说明)",
                    )
                )
            note = submitted.corrections.get(spec.id, "")
            if len(note) > CORRECTION_MAX:
                errors.append(
                    FieldError(
                        f"corrections/{spec.id}",
                        "report.correction_too_long",
                        f"the correction request has {len(note)} characters, more than {CORRECTION_MAX}",
                        "shorten it",
                    )
                )
            continue
        if not text:
            if spec.required:
                errors.append(
                    FieldError(
                        path,
                        "report.required",
                        f"{spec.id} ({spec.label_zh}) is required",
                        "enter 0 when there was none" if spec.min == 0 else "enter the figure",
                    )
                )
            continue
        problem = _number_error(spec, path, text)
        if problem is not None:
            errors.append(problem)
    return errors


def apply_submission(
    form: ReportForm, prefilled: Mapping[str, Figure], submitted: Submission, now: datetime, actor: str
) -> dict[str, Figure]:
    """The figures of a valid submission: platform figures as pre-filled (with the correction
    request, if any), entered figures as sent. An entered figure sent unchanged keeps its time."""
    out: dict[str, Figure] = {}
    for spec in form.fields:
        before = prefilled.get(spec.id)
        if spec.is_platform:
            assert before is not None, f"{spec.id} was not pre-filled"
            note = submitted.corrections.get(spec.id, "").strip() or None
            out[spec.id] = before if before.correction == note else _with_correction(before, note)
            continue
        text = (submitted.values.get(spec.id) or "").strip()
        value = spec.quantize(Decimal(text)) if text else None
        if before is not None and before.source == ENTERED and before.value == value and before.at is not None:
            out[spec.id] = before
        else:
            out[spec.id] = Figure(value, ENTERED, now, by=actor)
    return out


def _with_correction(figure: Figure, note: str | None) -> Figure:
    return Figure(figure.value, figure.source, figure.at, figure.metric, figure.caliber, figure.note, None, note)


def same_figures(a: Mapping[str, Figure], b: Mapping[str, Figure]) -> bool:
    """Equal values, sources and correction requests (times and actors aside)."""
    if set(a) != set(b):
        return False
    return all((a[k].value, a[k].source, a[k].correction) == (b[k].value, b[k].source, b[k].correction) for k in a)


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatReport:
    id: int
    enterprise_id: int
    city_code: str
    district_code: str
    form: str
    period: str
    status: ReportStatus
    figures: dict[str, Figure]
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    submitted_by: int | None = None

    @property
    def key(self) -> str:
        """How the audit trail names a report."""
        return f"{self.enterprise_id}:{self.form}:{self.period}"

    def snapshot(self) -> dict[str, object]:
        form = load_forms().get(self.form)
        return {
            "id": self.id,
            "enterprise_id": self.enterprise_id,
            "city_code": self.city_code,
            "district_code": self.district_code,
            "form": self.form,
            "period": self.period,
            "status": self.status.value,
            "figures": figures_to_json(self.figures, form),
            "version": self.version,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "submitted_by": self.submitted_by,
        }


# --- periods and deadlines ----------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(day: date) -> str:
    """The month before ``day``'s month: the period whose report falls due in ``day``'s month."""
    return period_of(day.replace(day=1) - timedelta(days=1))


def check_period(period: str, today: date, path: str = "period") -> list[FieldError]:
    """A period is YYYY-MM and over: a month is reported once it has ended."""
    if not _PERIOD.match(period):
        return [FieldError(path, "report.period_format", f"period must be YYYY-MM, found {period!r}", "e.g. 2024-10")]
    if period >= period_of(today):
        return [
            FieldError(
                path,
                "report.period_open",
                f"{period} has not ended yet (today is {today.isoformat()})",
                f"report a past month, e.g. {previous_period(today)}",
            )
        ]
    return []


def _first_of_next_month(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 1)


def due_date(form: ReportForm, period: str, calendar: WorkdayCalendar) -> date:
    """The Nth working day (State Council calendar: holidays off, adjusted weekends on) of the
    month after ``period``."""
    day = _first_of_next_month(period)
    count = 0
    while True:
        day = calendar.next_workday(day)
        count += 1
        if count == form.due.working_day_of_next_month:
            return day
        day += timedelta(days=1)


def working_days_left(calendar: WorkdayCalendar, today: date, due: date) -> int:
    """Working days from ``today`` to ``due``, both included (0 once ``due`` has passed)."""
    left = 0
    day = today
    while day <= due:
        if calendar.is_workday(day):
            left += 1
        day += timedelta(days=1)
    return left


# --- reminders ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obligation:
    """An enterprise that owes a report for a period, and what it has stored so far."""

    enterprise_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    status: ReportStatus | None  # None: not even a draft


class Urgency(enum.StrEnum):
    OVERDUE = "overdue"  # 已逾期
    DUE_SOON = "due_soon"  # 即将到期
    OPEN = "open"  # 未到期


@dataclass(frozen=True)
class Reminder:
    enterprise_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    status: str  # missing | draft | returned
    urgency: Urgency
    due: date
    working_days_left: int

    def as_dict(self) -> dict[str, object]:
        return {
            "enterprise_id": self.enterprise_id,
            "enterprise_name": self.enterprise_name,
            "uscc": self.uscc,
            "district_code": self.district_code,
            "status": self.status,
            "urgency": self.urgency.value,
            "due": self.due.isoformat(),
            "working_days_left": self.working_days_left,
        }


_URGENCY_ORDER = {Urgency.OVERDUE: 0, Urgency.DUE_SOON: 1, Urgency.OPEN: 2}


def reminders(
    form: ReportForm, period: str, obligations: Iterable[Obligation], today: date, calendar: WorkdayCalendar
) -> list[Reminder]:
    """Who has not submitted ``period``'s report: overdue first, then due soon (within the form's
    reminder window of working days), then the rest; by district and enterprise within each."""
    due = due_date(form, period, calendar)
    left = working_days_left(calendar, today, due)
    if today > due:
        urgency = Urgency.OVERDUE
    elif left <= form.due.remind_within_working_days:
        urgency = Urgency.DUE_SOON
    else:
        urgency = Urgency.OPEN
    out = [
        Reminder(
            o.enterprise_id,
            o.enterprise_name,
            o.uscc,
            o.district_code,
            "missing" if o.status is None else o.status.value,
            urgency,
            due,
            left,
        )
        for o in obligations
        if o.status is not ReportStatus.SUBMITTED
    ]
    return sorted(out, key=lambda r: (_URGENCY_ORDER[r.urgency], r.district_code, r.enterprise_id))
