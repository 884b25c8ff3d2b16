"""Load and validate the policy catalog (``cbec/policies/*.toml``, one file per seed document).

``load_catalog`` reports every problem at once as ``ValidationFailed``: duplicate ids, a value
without its source, overlapping periods of one parameter, dangling references, bad dates.
"""

from __future__ import annotations

import decimal
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cbec.kernel.errors import FieldError, NotFound, ValidationFailed
from cbec.policy.facts import PLATFORM_FACTS
from cbec.policy.model import (
    COMPARISONS,
    Benefit,
    Cap,
    CapKind,
    CoFunding,
    Condition,
    DatedValue,
    Document,
    FormulaKind,
    Frequency,
    Input,
    Measure,
    Parameter,
    Pool,
    Recipient,
    Rounding,
    Source,
    Unknown,
)

UNITS = ("ratio", "CNY", "USD", "count", "m2", "people")
POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
ALLOCATIONS = ("first_come_first_served",)
ROUNDING_MODES = frozenset(
    getattr(decimal, name)
    for name in dir(decimal)
    if name.startswith("ROUND_") and isinstance(getattr(decimal, name), str)
)


@dataclass(frozen=True)
class Catalog:
    documents: Mapping[str, Document]
    parameters: Mapping[str, Parameter]
    benefits: Mapping[str, Benefit]
    measures: Mapping[str, Measure]

    def measures_of(self, doc_id: str) -> list[Measure]:
        self.document(doc_id)
        return [m for m in self.measures.values() if m.document.id == doc_id]

    def document(self, doc_id: str) -> Document:
        found = self.documents.get(doc_id)
        if found is None:
            raise NotFound(f"no policy document {doc_id!r}; known: {', '.join(sorted(self.documents))}")
        return found

    def benefits_of(self, doc_id: str) -> list[Benefit]:
        self.document(doc_id)
        return [b for b in self.benefits.values() if b.document.id == doc_id]

    def benefit(self, doc_id: str, benefit_id: str) -> Benefit:
        found = next((b for b in self.benefits_of(doc_id) if b.id == benefit_id), None)
        if found is None:
            known = ", ".join(b.id for b in self.benefits_of(doc_id)) or "none encoded yet"
            raise NotFound(f"{doc_id} has no benefit {benefit_id!r}; known: {known}")
        return found


class _Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.errors.append(FieldError(path, code, message, hint))


def _text(raw: Mapping[str, Any], key: str, path: str, problems: _Problems, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            problems.add(f"{path}.{key}", "catalog.missing", f"{key} is required")
        return ""
    if not isinstance(value, str):
        problems.add(f"{path}.{key}", "catalog.not_text", f"{key} must be text")
        return ""
    return value


def _date(raw: Mapping[str, Any], key: str, path: str, problems: _Problems, *, required: bool = True) -> date | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.add(f"{path}.{key}", "catalog.missing", f"{key} is required")
        return None
    if not isinstance(value, date):
        problems.add(f"{path}.{key}", "catalog.not_date", f"{key} must be a TOML date (YYYY-MM-DD)")
        return None
    return value


def _document(raw: Mapping[str, Any], path: str, problems: _Problems) -> Document:
    issued = _date(raw, "issued", path, problems, required=False)
    valid_from = _date(raw, "valid_from", path, problems, required=False)
    valid_to = _date(raw, "valid_to", path, problems, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        problems.add(f"{path}.valid_to", "catalog.period_reversed", "valid_to is before valid_from")
    repeals = raw.get("repeals", [])
    return Document(
        id=_text(raw, "id", path, problems),
        city=_text(raw, "city", path, problems),
        seed_file=_text(raw, "seed_file", path, problems),
        title=_text(raw, "title", path, problems),
        number=_text(raw, "number", path, problems, required=False) or None,
        issuer=_text(raw, "issuer", path, problems, required=False) or None,
        issued=issued,
        valid_from=valid_from,
        valid_to=valid_to,
        validity=_text(raw, "validity", path, problems),
        repeals=tuple(str(r) for r in repeals),
        notes=_text(raw, "notes", path, problems, required=False),
        targets_key=_text(raw, "targets_key", path, problems, required=False),
    )


def _dated_value(raw: Mapping[str, Any], path: str, document: Document, problems: _Problems) -> DatedValue | None:
    valid_from = _date(raw, "valid_from", path, problems)
    valid_to = _date(raw, "valid_to", path, problems, required=False)
    clause = _text(raw, "clause", path, problems)
    quote = _text(raw, "quote", path, problems)
    value: Decimal | Unknown | None = None
    if "value" in raw and "unknown" in raw:
        problems.add(path, "catalog.value_and_unknown", "a value is either a figure or unknown, not both")
    elif "value" in raw:
        try:
            value = Decimal(str(raw["value"]))
        except InvalidOperation:
            problems.add(f"{path}.value", "catalog.not_a_number", f"{raw['value']!r} is not a decimal")
        if isinstance(raw["value"], float):
            problems.add(f"{path}.value", "catalog.float", 'write decimals as strings, e.g. "0.25"')
    elif raw.get("unknown"):
        value = Unknown(str(raw["unknown"]))
    else:
        problems.add(path, "catalog.unsourced", "a value needs `value` or `unknown` with the reason")
    if valid_from and valid_to and valid_to < valid_from:
        problems.add(f"{path}.valid_to", "catalog.period_reversed", "valid_to is before valid_from")
    if value is None or valid_from is None:
        return None
    number = document.number or document.title
    return DatedValue(valid_from, valid_to, value, Source(document.seed_file, document.city, number, clause, quote))


def _parameter(raw: Mapping[str, Any], path: str, document: Document, problems: _Problems) -> Parameter:
    values = []
    for i, item in enumerate(raw.get("values", [])):
        dated = _dated_value(item, f"{path}.values[{i}]", document, problems)
        if dated is not None:
            values.append(dated)
    if not raw.get("values"):
        problems.add(f"{path}.values", "catalog.missing", "a parameter needs at least one dated value")
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            if a.overlaps(b):
                problems.add(
                    f"{path}.values",
                    "catalog.overlap",
                    f"periods from {a.valid_from} and from {b.valid_from} overlap",
                    "end one value the day before the next begins",
                )
    unit = _text(raw, "unit", path, problems)
    if unit and unit not in UNITS:
        problems.add(f"{path}.unit", "catalog.unit", f"unit {unit!r} is not one of {', '.join(UNITS)}")
    return Parameter(_text(raw, "id", path, problems), unit, _text(raw, "description", path, problems), tuple(values))


def _benefit(
    raw: Mapping[str, Any], path: str, document: Document, parameters: Mapping[str, Parameter], problems: _Problems
) -> Benefit | None:
    def parameter(ref: str, where: str) -> Parameter | None:
        found = parameters.get(ref)
        if found is None:
            problems.add(where, "catalog.dangling", f"no parameter {ref!r}", "declare it under [[parameters]]")
        return found

    inputs = tuple(
        Input(
            _text(i, "name", f"{path}.inputs[{n}]", problems),
            _text(i, "unit", f"{path}.inputs[{n}]", problems),
            _text(i, "description", f"{path}.inputs[{n}]", problems),
            _text(i, "platform", f"{path}.inputs[{n}]", problems, required=False) or None,
            _text(i, "bounded_by", f"{path}.inputs[{n}]", problems, required=False) or None,
        )
        for n, i in enumerate(raw.get("inputs", []))
    )
    names = {i.name for i in inputs}
    for n, item in enumerate(inputs):
        for key, fact in (("platform", item.platform), ("bounded_by", item.bounded_by)):
            if fact and fact not in PLATFORM_FACTS:
                problems.add(
                    f"{path}.inputs[{n}].{key}",
                    "catalog.platform_fact",
                    f"no platform fact {fact!r}",
                    f"known: {', '.join(sorted(PLATFORM_FACTS))}",
                )
    formula_text = _text(raw, "formula", path, problems)
    formula = FormulaKind(formula_text) if formula_text in {f.value for f in FormulaKind} else None
    if formula_text and formula is None:
        problems.add(f"{path}.formula", "catalog.formula", f"unknown formula {formula_text!r}")
    base = _text(raw, "base", path, problems, required=formula is FormulaKind.RATE_OF_BASE) or None
    if base and base not in names:
        problems.add(f"{path}.base", "catalog.dangling", f"base {base!r} is not one of the inputs")
    rate = None
    if formula is FormulaKind.RATE_OF_BASE:
        rate = parameter(_text(raw, "rate", path, problems), f"{path}.rate")
    amount = None
    if formula in (FormulaKind.UP_TO, FormulaKind.FIXED):
        amount = parameter(_text(raw, "amount", path, problems), f"{path}.amount")
    amount_note = _text(raw, "amount_note", path, problems, required=formula is FormulaKind.UNSPECIFIED)
    caps = []
    for n, c in enumerate(raw.get("caps", [])):
        where = f"{path}.caps[{n}]"
        kind = _text(c, "kind", where, problems)
        limit = parameter(_text(c, "parameter", where, problems), f"{where}.parameter")
        if kind not in {k.value for k in CapKind}:
            problems.add(f"{where}.kind", "catalog.cap_kind", f"unknown cap kind {kind!r}")
        elif limit is not None:
            caps.append(Cap(_text(c, "id", where, problems), CapKind(kind), limit))
    conditions = []
    for n, c in enumerate(raw.get("conditions", [])):
        where = f"{path}.conditions[{n}]"
        fact = _text(c, "fact", where, problems)
        op = _text(c, "op", where, problems)
        threshold = parameter(_text(c, "parameter", where, problems), f"{where}.parameter")
        if fact and fact not in names:
            problems.add(f"{where}.fact", "catalog.dangling", f"condition fact {fact!r} is not one of the inputs")
        if op not in COMPARISONS:
            problems.add(f"{where}.op", "catalog.comparison", f"op {op!r} is not one of {' '.join(COMPARISONS)}")
        elif threshold is not None:
            conditions.append(Condition(fact, op, threshold))
    pool = None
    if "pool" in raw:
        where = f"{path}.pool"
        total = parameter(_text(raw["pool"], "total", where, problems), f"{where}.total")
        allocation = _text(raw["pool"], "allocation", where, problems)
        if allocation and allocation not in ALLOCATIONS:
            problems.add(f"{where}.allocation", "catalog.allocation", f"unknown allocation {allocation!r}")
        if total is not None:
            pool = Pool(_text(raw["pool"], "id", where, problems), total, allocation)
    co_funding = None
    if "co_funding" in raw:
        share = parameter(_text(raw["co_funding"], "city_share", f"{path}.co_funding", problems), path)
        if share is not None:
            co_funding = CoFunding(share)
    frequency = _choice(raw, "frequency", Frequency, Frequency.UNLIMITED, path, problems)
    recipient = _choice(raw, "recipient", Recipient, Recipient.ENTERPRISE, path, problems)
    rounding_raw = raw.get("rounding", {})
    rounding = Rounding(
        Decimal(str(rounding_raw.get("quantum", "0.01"))), str(rounding_raw.get("mode", "ROUND_HALF_UP"))
    )
    if rounding.mode not in ROUNDING_MODES:
        problems.add(f"{path}.rounding.mode", "catalog.rounding", f"unknown rounding mode {rounding.mode!r}")
    valid_from = _date(raw, "valid_from", path, problems, required=False) or document.valid_from or document.issued
    valid_to = _date(raw, "valid_to", path, problems, required=False) or document.valid_to
    if valid_from is None:
        problems.add(f"{path}.valid_from", "catalog.missing", "neither the benefit nor its document has a start")
    clause = _text(raw, "clause", path, problems)
    source = Source(
        document.seed_file,
        document.city,
        document.number or document.title,
        clause,
        _text(raw, "quote", path, problems),
    )
    trade_based = raw.get("trade_based", False)
    if not isinstance(trade_based, bool):
        problems.add(f"{path}.trade_based", "catalog.not_bool", "trade_based must be true or false")
    if valid_from is None or formula is None:
        return None
    if formula is FormulaKind.RATE_OF_BASE and rate is None:
        return None
    if formula in (FormulaKind.UP_TO, FormulaKind.FIXED) and amount is None:
        return None
    return Benefit(
        id=_text(raw, "id", path, problems),
        document=document,
        clause=clause,
        title=_text(raw, "title", path, problems),
        inputs=inputs,
        formula=formula,
        base=base,
        rate=rate,
        caps=tuple(caps),
        rounding=rounding,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        measure=_text(raw, "measure", path, problems),
        amount=amount,
        amount_note=amount_note,
        conditions=tuple(conditions),
        pool=pool,
        frequency=frequency,
        co_funding=co_funding,
        recipient=recipient,
        trade_based=bool(trade_based),
    )


def _choice(raw: Mapping[str, Any], key: str, kind: Any, default: Any, path: str, problems: _Problems) -> Any:
    value = raw.get(key, default.value)
    if value not in {k.value for k in kind}:
        problems.add(f"{path}.{key}", f"catalog.{key}", f"unknown {key} {value!r}")
        return default
    return kind(value)


def _departments(raw: Mapping[str, Any], key: str, path: str, problems: _Problems) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(f"{path}.{key}", "catalog.not_list", f"{key} must be a list of department names")
        return ()
    return tuple(value)


def _measure(raw: Mapping[str, Any], path: str, document: Document, problems: _Problems) -> Measure:
    return Measure(
        id=_text(raw, "id", path, problems),
        document=document,
        clause=_text(raw, "clause", path, problems),
        title=_text(raw, "title", path, problems),
        text=_text(raw, "text", path, problems),
        lead=_departments(raw, "lead", path, problems),
        responsible=_departments(raw, "responsible", path, problems),
        encoding=_text(raw, "encoding", path, problems),
    )


def _unique(kind: str, ids: list[tuple[str, str]], problems: _Problems) -> None:
    seen: dict[str, str] = {}
    for path, item_id in ids:
        if item_id in seen:
            problems.add(path, "catalog.duplicate_id", f"{kind} id {item_id!r} is also used at {seen[item_id]}")
        seen.setdefault(item_id, path)


def load_catalog(folder: Path | None = None) -> Catalog:
    """Read every ``*.toml`` in ``folder`` (default: the shipped catalog); raise on any problem."""
    problems = _Problems()
    documents: dict[str, Document] = {}
    parameters: dict[str, Parameter] = {}
    benefits: dict[str, Benefit] = {}
    doc_ids: list[tuple[str, str]] = []
    param_ids: list[tuple[str, str]] = []
    benefit_ids: list[tuple[str, str]] = []
    measures: dict[str, Measure] = {}
    measure_ids: list[tuple[str, str]] = []
    for file in sorted((folder or POLICY_DIR).glob("*.toml")):
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            problems.add(file.name, "catalog.toml", str(error))
            continue
        document = _document(raw.get("document", {}), f"{file.name}:document", problems)
        doc_ids.append((f"{file.name}:document", document.id))
        documents[document.id] = document
        local: dict[str, Parameter] = {}
        for i, item in enumerate(raw.get("parameters", [])):
            path = f"{file.name}:parameters[{i}]"
            param = _parameter(item, path, document, problems)
            param_ids.append((path, param.id))
            local[param.id] = param
        parameters.update(local)
        local_measures: dict[str, Measure] = {}
        for i, item in enumerate(raw.get("measures", [])):
            path = f"{file.name}:measures[{i}]"
            measure = _measure(item, path, document, problems)
            measure_ids.append((path, measure.id))
            local_measures[measure.id] = measure
        for i, item in enumerate(raw.get("benefits", [])):
            path = f"{file.name}:benefits[{i}]"
            benefit = _benefit(item, path, document, local, problems)
            if benefit is None:
                continue
            benefit_ids.append((path, benefit.id))
            benefits[benefit.id] = benefit
            if benefit.measure not in local_measures:
                problems.add(f"{path}.measure", "catalog.dangling", f"no measure {benefit.measure!r} in {file.name}")
        for measure in local_measures.values():
            own = tuple(b.id for b in benefits.values() if b.measure == measure.id and b.document is document)
            measures[measure.id] = replace(measure, benefits=own)
    _unique("document", doc_ids, problems)
    _unique("measure", measure_ids, problems)
    _unique("parameter", param_ids, problems)
    _unique("benefit", benefit_ids, problems)
    if problems.errors:
        raise ValidationFailed(problems.errors, f"the policy catalog has {len(problems.errors)} problem(s)")
    return Catalog(documents, parameters, benefits, measures)
