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

Forms live in ``data/report_forms.toml`` (:mod:`cbec.stats.report_forms`); periods, deadlines and
reminders in :mod:`cbec.stats.report_deadlines`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cbec.kernel.errors import FieldError
from cbec.stats.report_forms import ENTERED, NUMBER, PLATFORM, FieldSpec, ReportForm, load_forms

__all__ = [
    "CORRECTION_MAX",
    "Figure",
    "Obligation",
    "PlatformFigure",
    "ReportStatus",
    "StatReport",
    "Submission",
    "apply_submission",
    "figures_from_json",
    "figures_to_json",
    "prefill",
    "same_figures",
    "validate",
]

CORRECTION_MAX = 500


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"  # 草稿: pre-filled, not yet submitted
    SUBMITTED = "submitted"  # 已报送
    RETURNED = "returned"  # 已退回: an officer sent it back; the enterprise submits again


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
    if not NUMBER.match(text):
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
            if text and known is not None and (not NUMBER.match(text) or Decimal(text) != known.value):
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


@dataclass(frozen=True)
class Obligation:
    """An enterprise that owes a report for a period, and what it has stored so far."""

    enterprise_id: int
    enterprise_name: str
    uscc: str
    district_code: str
    status: ReportStatus | None  # None: not even a draft
