"""Public policy pages (no sign-in needed): the policy library, where each measure's own words sit
beside the rules encoded from it (rates, caps, pools, conditions, each value with its source, and
the measure's targets), and the benefit calculator with its trace, step by step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cbec.kernel.clock import SHANGHAI
from cbec.kernel.errors import FieldError, NotFound, ValidationFailed
from cbec.policy.catalog import Catalog
from cbec.policy.engine import Quote, TraceStep
from cbec.policy.model import Benefit, Document, FormulaKind, Parameter, Unknown
from cbec.policy.targets import targets_by_measure
from cbec.web.api.policy import policy_catalog, quote_of, target_catalog, today
from cbec.web.deps import Identity, PlatformDep, locale, resolve_identity
from cbec.web.i18n import translate
from cbec.web.templating import render

router = APIRouter(prefix="/policy")
FACT_PREFIX = "f."


def viewer(request: Request) -> Identity | None:
    """Who is looking at a public page, if anyone is signed in (for the navigation)."""
    identity = resolve_identity(request)
    if identity is not None:
        request.state.identity = identity
    return identity


def pick(lang: str, text: str) -> str:
    """The catalog writes "English (中文)" titles and "中文: English" descriptions; one language."""
    if not text:
        return text
    if text.endswith(")") and " (" in text:
        english, _, rest = text.partition(" (")
        return rest[:-1] if lang == "zh" else english
    head, sep, tail = text.partition(": ")
    if sep and any("\u4e00" <= ch <= "\u9fff" for ch in head):
        return head if lang == "zh" else tail
    return text


def money(value: object) -> str:
    """Decimal text with thousands separators: "500000.00" → "500,000.00"."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    return f"{number:,}"


def value_text(lang: str, unit: str, value: Decimal | Unknown | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, Unknown):
        return translate(lang, "pol.unknown", reason=value.reason)
    number = Decimal(str(value))
    if unit == "ratio":
        percent = (number * 100).normalize()
        return f"{percent:f}%"
    label = translate(lang, f"pol.unit.{unit}")
    return f"{number:,f} {label}"


def local(moment: datetime) -> str:
    """A stored instant as Shanghai wall-clock time, to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def helpers(lang: str) -> dict[str, Any]:
    return {
        "local": local,
        "pick": lambda text: pick(lang, text),
        "money": money,
        "value_text": lambda unit, value: value_text(lang, unit, value),
    }


def _current(parameter: Parameter, on: date) -> Decimal | Unknown | None:
    dated = parameter.at(on)
    return None if dated is None else dated.value


def _roles(benefit: Benefit) -> dict[str, str]:
    """What each parameter of a benefit is for: rate, amount, cap, condition, pool, co-funding."""
    roles: dict[str, str] = {}
    if benefit.rate is not None:
        roles[benefit.rate.id] = "rate"
    if benefit.amount is not None:
        roles[benefit.amount.id] = "amount"
    for cap in benefit.caps:
        roles[cap.limit.id] = "cap"
    for condition in benefit.conditions:
        roles[condition.threshold.id] = "condition"
    if benefit.pool is not None:
        roles[benefit.pool.total.id] = "pool"
    if benefit.co_funding is not None:
        roles[benefit.co_funding.city_share.id] = "co_funding"
    return roles


def _default_document(catalog: Catalog, on: date) -> Document:
    documents = list(catalog.documents.values())
    with_benefits = [d for d in documents if catalog.benefits_of(d.id)]
    # a document certainly in force first (Hangzhou today), then one whose end the text leaves open
    in_force = [d for d in with_benefits if d.in_force(on) is True]
    undecided = [d for d in with_benefits if d.in_force(on) is None]
    return (in_force or undecided or with_benefits or documents)[0]


@router.get("")
def library(request: Request, platform: PlatformDep, document: str = "", on: str = "") -> Response:
    viewer(request)
    catalog = policy_catalog()
    day = _parse_day(on) or today(platform)
    chosen = catalog.document(document) if document else _default_document(catalog, day)
    linked = targets_by_measure(catalog, target_catalog())
    benefits = {b.id: b for b in catalog.benefits_of(chosen.id)}
    measured = {bid for m in catalog.measures_of(chosen.id) for bid in m.benefits}
    context: dict[str, Any] = {
        "documents": [(d, d.in_force(day), len(catalog.benefits_of(d.id))) for d in catalog.documents.values()],
        "document": chosen,
        "in_force": chosen.in_force(day),
        "on": day,
        "measures": catalog.measures_of(chosen.id),
        "benefits": benefits,
        "unmeasured": [b for b in benefits.values() if b.id not in measured],
        "targets": linked,
        "roles": {b.id: _roles(b) for b in benefits.values()},
        "current": lambda parameter: _current(parameter, day),
    }
    lang = _lang(request)
    return render(request, "policy_library.html", context | helpers(lang))


def _lang(request: Request) -> str:
    return locale(request)


def _parse_day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValidationFailed([FieldError("on", "date.invalid", f"{text!r} is not a date", "YYYY-MM-DD")]) from error


def _benefit_choice(catalog: Catalog, document: str, benefit: str) -> Benefit | None:
    if benefit and document:
        return catalog.benefit(document, benefit)
    if benefit:
        found = catalog.benefits.get(benefit)
        if found is None:
            raise NotFound(f"no benefit {benefit!r} in the policy catalog")
        return found
    if document:
        listed = catalog.benefits_of(document)
        return listed[0] if listed else None
    return None


def trace_lines(
    lang: str, trace: Iterable[TraceStep | Mapping[str, Any]], amount_unknown: str | None, unmet: Iterable[str]
) -> list[dict[str, str]]:
    """Each trace step in the reader's language (the engine's own text stays available); steps
    come from a fresh quote or from a stored one (its JSON form)."""
    lines = []
    reasons = list(unmet)
    for item in trace:
        step = item if isinstance(item, TraceStep) else _step_of(item)
        lines.append({"kind": step.kind, "text": step_text(lang, step, amount_unknown, reasons), "raw": step.text})
    return lines


def _step_of(stored: Mapping[str, Any]) -> TraceStep:
    data = {k: v for k, v in stored.items() if k not in ("kind", "text")}
    return TraceStep(str(stored.get("kind", "")), str(stored.get("text", "")), data)


def _role_label(lang: str, role: str) -> str:
    if role.startswith("cap "):
        return translate(lang, "pol.trace.role.cap", kind=translate(lang, f"pol.cap.{role[4:]}"))
    if role.startswith("condition "):
        return translate(lang, "pol.trace.role.condition", n=role.split(" ", 1)[1])
    return translate(lang, f"pol.trace.role.{role.replace(' ', '_')}")


def step_text(lang: str, step: TraceStep, amount_unknown: str | None, unmet: list[str]) -> str:
    d: Mapping[str, Any] = step.data
    t = translate
    if step.kind == "rule":
        source = d.get("source", {})
        return t(
            lang, "pol.trace.rule", clause=source.get("clause", ""), formula=t(lang, f"pol.formula.{d['formula']}")
        )
    if step.kind == "input":
        unit = t(lang, f"pol.unit.{d['unit']}")
        return t(lang, "pol.trace.input", name=d["name"], value=money(d["value"]), unit=unit)
    if step.kind == "parameter":
        source = d.get("source", {})
        shown = (
            t(lang, "pol.unknown", reason=d["unknown"]) if d.get("unknown") else value_text(lang, d["unit"], d["value"])
        )
        return t(
            lang,
            "pol.trace.parameter",
            role=_role_label(lang, str(d["role"])),
            parameter=d["parameter"],
            value=shown,
            clause=source.get("clause", ""),
            quote=source.get("quote", ""),
            start=d["valid_from"],
            end=d["valid_to"] or t(lang, "pol.open_ended"),
        )
    if step.kind == "condition":
        verdict = t(lang, "pol.trace.met" if d.get("met") else "pol.trace.unmet")
        return t(lang, "pol.trace.condition", fact=d["fact"], op=d["op"], verdict=verdict, detail=step.text)
    if step.kind == "arithmetic":
        if d.get("expression"):
            return t(lang, "pol.trace.arithmetic", expression=d["expression"], result=money(d["result"]))
        if d.get("result") is None:
            return t(lang, "pol.trace.no_amount", reason=amount_unknown or step.text)
        return t(lang, "pol.trace.up_to", result=money(d["result"]))
    if step.kind == "rounding":
        mode = t(lang, f"pol.rounding.{d['mode']}")
        return t(lang, "pol.trace.rounding", quantum=d["quantum"], mode=mode, result=money(d["result"]))
    if step.kind == "cap":
        verdict = t(lang, "pol.trace.binds" if d.get("bound") else "pol.trace.not_binds")
        kind = t(lang, f"pol.cap.{d['cap_kind']}")
        return t(
            lang,
            "pol.trace.cap",
            cap=d["cap"],
            kind=kind,
            limit=money(d["limit"]),
            verdict=verdict,
            result=money(d["result"]),
        )
    if step.kind == "split":
        if d.get("city") is None:
            return t(lang, "pol.trace.split_unknown")
        return t(lang, "pol.trace.split", city=money(d["city"]), district=money(d["district"]))
    if step.kind == "result":
        return t(lang, "pol.trace.ineligible", detail="; ".join(unmet))
    return step.text


@router.get("/calculator")
def calculator(
    request: Request, platform: PlatformDep, document: str = "", benefit: str = "", on: str = "", shown: str = ""
) -> Response:
    """Pick a benefit, enter its facts, see the amount, the cap that bound it and every step."""
    viewer(request)
    lang = _lang(request)
    catalog = policy_catalog()
    day_text = on.strip()
    errors: list[FieldError] = []
    try:
        day = _parse_day(day_text) or today(platform)
    except ValidationFailed as invalid:
        errors.extend(invalid.errors)
        day = today(platform)
    chosen = _benefit_choice(catalog, document, benefit)
    if chosen is None and not document:  # first visit: a benefit in force today that computes an amount
        listed = catalog.benefits_of(_default_document(catalog, day).id)
        chosen = next((b for b in listed if b.formula is not FormulaKind.UNSPECIFIED), None)
    facts = {
        key[len(FACT_PREFIX) :]: str(value).strip()
        for key, value in request.query_params.items()
        if key.startswith(FACT_PREFIX)
    }
    result: Quote | None = None
    # the fields were drawn for this benefit (or a link carries its facts): compute
    current = chosen is not None and (shown == chosen.id or (not shown and bool(facts)))
    if chosen is not None and current and not errors:
        wanted = {i.name for i in chosen.inputs}
        try:
            result = quote_of(chosen, {k: v for k, v in facts.items() if k in wanted and v}, day)
        except ValidationFailed as invalid:
            errors.extend(invalid.errors)
    grouped = [(d, catalog.benefits_of(d.id)) for d in catalog.documents.values() if catalog.benefits_of(d.id)]
    context: dict[str, Any] = {
        "grouped": grouped,
        "chosen": chosen,
        "on": day_text or day.isoformat(),
        "facts": facts if current else {},
        "result": result,
        "steps": trace_lines(lang, result.trace, result.amount_unknown, result.unmet) if result else [],
        "errors": errors,
        "error_paths": {e.path for e in errors},
    }
    return render(request, "policy_calculator.html", context | helpers(lang), status_code=422 if errors else 200)
