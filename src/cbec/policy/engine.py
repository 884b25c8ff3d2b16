"""Quote a benefit on a date from declared facts, explaining every step (the trace).

The amount is the most the clause allows ("不超过 … N%", "最高 … 万元"): the rate times the base,
rounded by the benefit's rule, then bound by its caps. Caps across several applications of one
enterprise (per year, one-off) need the award history and are not applied here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.policy.model import Benefit, DatedValue, FormulaKind, Parameter, Unknown


@dataclass(frozen=True)
class TraceStep:
    kind: str  # parameter | input | arithmetic | rounding | cap
    text: str
    data: Mapping[str, object]

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, **self.data}


@dataclass(frozen=True)
class Quote:
    benefit: str
    on: date
    amount: Decimal
    capped_by: str | None
    trace: tuple[TraceStep, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "benefit": self.benefit,
            "on": self.on.isoformat(),
            "amount": str(self.amount),
            "capped_by": self.capped_by,
            "trace": [s.as_dict() for s in self.trace],
        }


def parse_decimal(text: str, path: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValidationFailed([FieldError(path, "fact.not_a_number", f"{text!r} is not a number", "e.g. 3000000.00")])
    return value


def parse_facts(pairs: Iterable[str]) -> dict[str, Decimal]:
    """``NAME=VALUE`` pairs (from the command line) into facts; all problems reported at once."""
    facts: dict[str, Decimal] = {}
    errors: list[FieldError] = []
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            errors.append(
                FieldError("facts", "fact.malformed", f"{pair!r} is not NAME=VALUE", "e.g. promotion_cost=1000")
            )
            continue
        try:
            facts[name] = parse_decimal(text, f"facts.{name}")
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    return facts


def _value(parameter: Parameter, on: date, path: str) -> tuple[Decimal, DatedValue]:
    dated = parameter.at(on)
    if dated is None:
        raise ValidationFailed(
            [FieldError(path, "parameter.no_value", f"{parameter.id} has no value on {on.isoformat()}")]
        )
    if isinstance(dated.value, Unknown):
        raise ValidationFailed(
            [
                FieldError(
                    path,
                    "parameter.unknown",
                    f"{parameter.id} is unknown on {on.isoformat()}: {dated.value.reason}",
                    f"the figure is missing from {dated.source.clause}; no amount can be computed",
                )
            ]
        )
    return dated.value, dated


def _parameter_step(role: str, parameter: Parameter, value: Decimal, dated: DatedValue) -> TraceStep:
    period = f"{dated.valid_from.isoformat()} to {dated.valid_to.isoformat() if dated.valid_to else 'open'}"
    return TraceStep(
        "parameter",
        f"{role} {parameter.id} = {value} {parameter.unit} ({dated.source.clause}, {period})",
        {
            "role": role,
            "parameter": parameter.id,
            "value": str(value),
            "unit": parameter.unit,
            "valid_from": dated.valid_from.isoformat(),
            "valid_to": dated.valid_to.isoformat() if dated.valid_to else None,
            "source": dated.source.as_dict(),
        },
    )


def _check_facts(benefit: Benefit, facts: Mapping[str, Decimal]) -> None:
    known = {i.name for i in benefit.inputs}
    errors = [
        FieldError(
            f"facts.{name}", "fact.unexpected", f"{benefit.id} takes no fact {name!r}", f"expected: {sorted(known)}"
        )
        for name in facts
        if name not in known
    ]
    for item in benefit.inputs:
        path = f"facts.{item.name}"
        value = facts.get(item.name)
        if value is None:
            errors.append(
                FieldError(path, "fact.missing", f"{item.name} is required", f"{item.description} ({item.unit})")
            )
        elif not value.is_finite():
            errors.append(FieldError(path, "fact.not_a_number", f"{item.name} is not a number"))
        elif value < 0:
            errors.append(FieldError(path, "fact.negative", f"{item.name} must not be negative, got {value}"))
    if errors:
        raise ValidationFailed(errors)


def quote(benefit: Benefit, facts: Mapping[str, Decimal], on: date) -> Quote:
    """The most ``benefit`` grants for ``facts`` on ``on``, with the trace of how it was reached."""
    if not benefit.in_force(on):
        until = benefit.valid_to.isoformat() if benefit.valid_to else "open"
        raise ValidationFailed(
            [
                FieldError(
                    "on",
                    "benefit.not_in_force",
                    f"{benefit.id} is not in force on {on.isoformat()}",
                    f"it applies from {benefit.valid_from.isoformat()} to {until}",
                )
            ]
        )
    _check_facts(benefit, facts)
    trace: list[TraceStep] = [
        TraceStep(
            "rule",
            f"{benefit.source.clause}: {benefit.title}",
            {"benefit": benefit.id, "formula": benefit.formula.value, "source": benefit.source.as_dict()},
        )
    ]
    if benefit.formula is not FormulaKind.RATE_OF_BASE:  # pragma: no cover - one kind so far
        raise ValueError(f"unsupported formula {benefit.formula}")
    rate, rate_value = _value(benefit.rate, on, f"parameters.{benefit.rate.id}")
    trace.append(_parameter_step("rate", benefit.rate, rate, rate_value))
    limits = []
    for cap in benefit.caps:
        limit, dated = _value(cap.limit, on, f"parameters.{cap.limit.id}")
        trace.append(_parameter_step(f"cap {cap.kind.value}", cap.limit, limit, dated))
        limits.append((cap, limit))
    for item in benefit.inputs:
        trace.append(
            TraceStep(
                "input",
                f"{item.name} = {facts[item.name]} {item.unit}",
                {"name": item.name, "value": str(facts[item.name]), "unit": item.unit},
            )
        )
    base = facts[benefit.base]
    raw = base * rate
    trace.append(
        TraceStep(
            "arithmetic",
            f"{benefit.base} × rate = {base} × {rate} = {raw}",
            {"expression": f"{base} × {rate}", "result": str(raw)},
        )
    )
    amount = benefit.rounding.apply(raw)
    trace.append(
        TraceStep(
            "rounding",
            f"{raw} rounded to {benefit.rounding.quantum} ({benefit.rounding.mode}) = {amount}",
            {"quantum": str(benefit.rounding.quantum), "mode": benefit.rounding.mode, "result": str(amount)},
        )
    )
    capped_by = None
    for cap, limit in limits:
        bound = amount > limit
        if bound:
            amount = benefit.rounding.apply(limit)
            capped_by = cap.id
        verdict = "binds" if bound else "does not bind"
        trace.append(
            TraceStep(
                "cap",
                f"cap {cap.id} ({cap.kind.value}) {limit}: {verdict}",
                {"cap": cap.id, "cap_kind": cap.kind.value, "limit": str(limit), "bound": bound, "result": str(amount)},
            )
        )
    return Quote(benefit.id, on, amount, capped_by, tuple(trace))
