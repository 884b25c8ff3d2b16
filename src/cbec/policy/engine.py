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
from cbec.policy.model import Benefit, DatedValue, FormulaKind, Parameter, Rounding, Unknown


@dataclass(frozen=True)
class TraceStep:
    kind: str  # parameter | input | arithmetic | rounding | cap
    text: str
    data: Mapping[str, object]

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "text": self.text, **self.data}


@dataclass(frozen=True)
class Quote:
    """What a benefit grants for some facts on a date.

    ``amount`` is None when the text sets no figure (``unspecified``) or the figure is lost in the
    copy; ``amount_unknown`` says which. An ineligible quote has amount 0.00 and the unmet conditions.
    """

    benefit: str
    on: date
    amount: Decimal | None
    capped_by: str | None
    trace: tuple[TraceStep, ...]
    eligible: bool = True
    unmet: tuple[str, ...] = ()
    amount_unknown: str | None = None
    discretionary: bool = False
    split: Mapping[str, str | None] | None = None  # city / district shares, or None where not stated

    def as_dict(self) -> dict[str, object]:
        return {
            "benefit": self.benefit,
            "on": self.on.isoformat(),
            "eligible": self.eligible,
            "unmet": list(self.unmet),
            "amount": None if self.amount is None else str(self.amount),
            "amount_unknown": self.amount_unknown,
            "discretionary": self.discretionary,
            "capped_by": self.capped_by,
            "split": dict(self.split) if self.split is not None else None,
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


def _value(parameter: Parameter, on: date, path: str) -> tuple[Decimal | Unknown, DatedValue]:
    dated = parameter.at(on)
    if dated is None:
        raise ValidationFailed(
            [FieldError(path, "parameter.no_value", f"{parameter.id} has no value on {on.isoformat()}")]
        )
    return dated.value, dated


def _parameter_step(role: str, parameter: Parameter, value: Decimal | Unknown, dated: DatedValue) -> TraceStep:
    period = f"{dated.valid_from.isoformat()} to {dated.valid_to.isoformat() if dated.valid_to else 'open'}"
    shown = f"unknown ({value.reason})" if isinstance(value, Unknown) else f"{value} {parameter.unit}"
    return TraceStep(
        "parameter",
        f"{role} {parameter.id} = {shown} ({dated.source.clause}, {period})",
        {
            "role": role,
            "parameter": parameter.id,
            "value": None if isinstance(value, Unknown) else str(value),
            "unknown": value.reason if isinstance(value, Unknown) else None,
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
    for item in benefit.inputs:
        trace.append(
            TraceStep(
                "input",
                f"{item.name} = {facts[item.name]} {item.unit}",
                {"name": item.name, "value": str(facts[item.name]), "unit": item.unit, "platform": item.platform},
            )
        )
    unmet = _conditions(benefit, facts, on, trace)
    if unmet:
        zero = benefit.rounding.apply(Decimal(0))
        trace.append(TraceStep("result", "not eligible: " + "; ".join(unmet), {"result": str(zero)}))
        return Quote(benefit.id, on, zero, None, tuple(trace), eligible=False, unmet=tuple(unmet))
    amount, unknown = _amount(benefit, facts, on, trace)
    capped_by = None
    if amount is not None:
        amount, capped_by, unknown = _caps(benefit, amount, on, trace)
    split = _split(benefit, amount, on, trace) if amount is not None else None
    return Quote(
        benefit.id,
        on,
        amount,
        capped_by,
        tuple(trace),
        amount_unknown=unknown,
        discretionary=benefit.discretionary,
        split=split,
    )


def _conditions(benefit: Benefit, facts: Mapping[str, Decimal], on: date, trace: list[TraceStep]) -> list[str]:
    unmet = []
    for n, condition in enumerate(benefit.conditions):
        limit, dated = _value(condition.threshold, on, f"parameters.{condition.threshold.id}")
        trace.append(_parameter_step(f"condition {n + 1}", condition.threshold, limit, dated))
        value = facts[condition.fact]
        met = not isinstance(limit, Unknown) and condition.holds(value, limit)
        if isinstance(limit, Unknown):
            verdict = f"{condition.fact} {condition.op} unknown: cannot be checked ({limit.reason})"
        elif met:
            verdict = f"{condition.fact} = {value} {condition.op} {limit}: met"
        else:
            verdict = f"{condition.fact} = {value} is not {condition.op} {limit} ({dated.source.clause})"
        if not met:
            unmet.append(verdict)
        trace.append(TraceStep("condition", verdict, {"fact": condition.fact, "op": condition.op, "met": met}))
    return unmet


def _amount(
    benefit: Benefit, facts: Mapping[str, Decimal], on: date, trace: list[TraceStep]
) -> tuple[Decimal | None, str | None]:
    if benefit.formula is FormulaKind.UNSPECIFIED:
        reason = f"the text sets no amount: {benefit.amount_note}"
        trace.append(TraceStep("arithmetic", reason, {"result": None}))
        return None, reason
    if benefit.formula is FormulaKind.RATE_OF_BASE:
        assert benefit.rate is not None  # the catalog guarantees rate and base
        assert benefit.base is not None
        rate, dated = _value(benefit.rate, on, f"parameters.{benefit.rate.id}")
        trace.append(_parameter_step("rate", benefit.rate, rate, dated))
        if isinstance(rate, Unknown):
            return None, f"{benefit.rate.id} is unknown: {rate.reason}"
        base = facts[benefit.base]
        raw = base * rate
        trace.append(
            TraceStep(
                "arithmetic",
                f"{benefit.base} × rate = {base} × {rate} = {raw}",
                {"expression": f"{base} × {rate}", "result": str(raw)},
            )
        )
    else:
        assert benefit.amount is not None  # fixed and up_to carry one
        value, dated = _value(benefit.amount, on, f"parameters.{benefit.amount.id}")
        role = "ceiling" if benefit.formula is FormulaKind.UP_TO else "amount"
        trace.append(_parameter_step(role, benefit.amount, value, dated))
        if isinstance(value, Unknown):
            return None, f"{benefit.amount.id} is unknown: {value.reason}"
        raw = value
        if benefit.formula is FormulaKind.UP_TO:
            trace.append(
                TraceStep(
                    "arithmetic",
                    f"the clause grants up to {value}; review sets the award under this ceiling",
                    {"result": str(raw)},
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
    return amount, None


def _caps(
    benefit: Benefit, amount: Decimal, on: date, trace: list[TraceStep]
) -> tuple[Decimal | None, str | None, str | None]:
    capped_by = None
    for cap in benefit.caps:
        limit, dated = _value(cap.limit, on, f"parameters.{cap.limit.id}")
        trace.append(_parameter_step(f"cap {cap.kind.value}", cap.limit, limit, dated))
        if isinstance(limit, Unknown):
            return None, None, f"{cap.limit.id} is unknown: {limit.reason}"
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
    return amount, capped_by, None


def _split(benefit: Benefit, amount: Decimal, on: date, trace: list[TraceStep]) -> dict[str, str | None] | None:
    if benefit.co_funding is None:
        return None
    share, dated = _value(benefit.co_funding.city_share, on, f"parameters.{benefit.co_funding.city_share.id}")
    trace.append(_parameter_step("city share", benefit.co_funding.city_share, share, dated))
    if isinstance(share, Unknown):
        trace.append(TraceStep("split", f"city/district split not stated: {share.reason}", {"city": None}))
        return {"city": None, "district": None, "unknown": share.reason}
    city = split_city_share(amount, share, benefit.rounding)
    district = amount - city
    trace.append(
        TraceStep(
            "split",
            f"city {city}, district {district} (city share {share})",
            {"city": str(city), "district": str(district)},
        )
    )
    return {"city": str(city), "district": str(district)}


def split_city_share(amount: Decimal, share: Decimal, rounding: Rounding) -> Decimal:
    """The city's part of an award; the district pays the remainder, so the two always add up."""
    return rounding.apply(amount * share)
