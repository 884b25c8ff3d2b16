"""Direct-report forms (统计直报报表): the fields, units, rules and deadline of each monthly form
an enterprise files, read from ``data/report_forms.toml`` and checked on load. Each form names the
seed clause it serves; each field says whether the platform fills it (``platform:<what>``) or the
enterprise types it in (``entered``). Pure: no storage, no framework.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cbec.kernel.errors import NotFound

__all__ = [
    "ENTERED",
    "NUMBER",
    "PLATFORM",
    "PLATFORM_SOURCES",
    "DueRule",
    "FieldSpec",
    "ReportForm",
    "get_form",
    "load_forms",
    "parse_forms",
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
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


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
    if not isinstance(raw, str) or not NUMBER.match(raw):
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
