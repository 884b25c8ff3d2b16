"""Evaluate one benefit for many sets of facts, fast: no trace, parameters resolved once.

The arithmetic is the engine's (``engine.quote``) step for step — the same conditions in the
same order, ``base × rate`` rounded by the benefit's ``Rounding``, caps in their order, the
limit rounded when it binds — so an :class:`Outcome` always equals the quote's amount,
eligibility, binding cap and unknown reason (tests/unit/test_policy_batch.py checks it on every
YAML case and on random facts). What a quote would refuse (a missing, unexpected or negative
fact; a parameter without a value on the date) is refused here with the engine's own error.

Used by policy simulation and matching over whole populations (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.policy import engine
from cbec.policy.model import Benefit, FormulaKind, Parameter, Unknown

__all__ = ["Compiled", "Outcome", "compile_benefit", "evaluate", "evaluate_many"]


class Outcome(NamedTuple):
    amount: Decimal | None
    eligible: bool
    capped_by: str | None
    unknown: str | None  # why the amount is None (as Quote.amount_unknown)


@dataclass(frozen=True)
class _Missing:
    """A parameter with no value on the date: the engine raises when it reaches it, so do we."""

    path: str
    message: str

    def fail(self) -> ValidationFailed:
        return ValidationFailed([FieldError(self.path, "parameter.no_value", self.message)])


_Value = Decimal | Unknown | _Missing


def _resolve(parameter: Parameter, on: date, overrides: Mapping[str, Decimal]) -> _Value:
    if parameter.id in overrides:
        return overrides[parameter.id]
    dated = parameter.at(on)
    if dated is None:
        return _Missing(f"parameters.{parameter.id}", f"{parameter.id} has no value on {on.isoformat()}")
    return dated.value


@dataclass(frozen=True)
class Compiled:
    """A benefit with every parameter resolved for one date (and any draft overrides)."""

    benefit: Benefit
    on: date
    names: frozenset[str]
    conditions: tuple[tuple[str, str, _Value], ...]  # fact, op, threshold
    rate: _Value | None
    amount: _Value | None
    caps: tuple[tuple[str, _Value], ...]  # cap id, limit
    quantum: Decimal
    mode: str


def compile_benefit(benefit: Benefit, on: date, overrides: Mapping[str, Decimal] | None = None) -> Compiled:
    """Resolve ``benefit``'s parameters on ``on``; ``overrides`` (parameter id → value) replace them."""
    if not benefit.in_force(on):
        engine.quote(benefit, {}, on)  # raises the engine's benefit.not_in_force error
    extra = overrides or {}
    return Compiled(
        benefit=benefit,
        on=on,
        names=frozenset(i.name for i in benefit.inputs),
        conditions=tuple((c.fact, c.op, _resolve(c.threshold, on, extra)) for c in benefit.conditions),
        rate=_resolve(benefit.rate, on, extra) if benefit.rate is not None else None,
        amount=_resolve(benefit.amount, on, extra) if benefit.amount is not None else None,
        caps=tuple((cap.id, _resolve(cap.limit, on, extra)) for cap in benefit.caps),
        quantum=benefit.rounding.quantum,
        mode=benefit.rounding.mode,
    )


def _check(compiled: Compiled, facts: Mapping[str, Decimal]) -> None:
    if facts.keys() != compiled.names or any(not v.is_finite() or v < 0 for v in facts.values()):
        engine.quote(compiled.benefit, facts, compiled.on)  # raises the engine's own fact errors


_HOLDS = {
    ">=": Decimal.__ge__,
    ">": Decimal.__gt__,
    "<=": Decimal.__le__,
    "<": Decimal.__lt__,
    "==": Decimal.__eq__,
}


def evaluate(compiled: Compiled, facts: Mapping[str, Decimal]) -> Outcome:
    """What ``engine.quote`` gives for ``facts``, without the trace."""
    _check(compiled, facts)
    quantum, mode = compiled.quantum, compiled.mode
    eligible = True
    for fact, op, limit in compiled.conditions:
        if isinstance(limit, _Missing):
            raise limit.fail()
        if isinstance(limit, Unknown) or not _HOLDS[op](facts[fact], limit):
            eligible = False
    if not eligible:
        return Outcome(Decimal(0).quantize(quantum, rounding=mode), False, None, None)
    formula = compiled.benefit.formula
    if formula is FormulaKind.UNSPECIFIED:
        return Outcome(None, True, None, f"the text sets no amount: {compiled.benefit.amount_note}")
    if formula is FormulaKind.RATE_OF_BASE:
        value = compiled.rate
        parameter = compiled.benefit.rate
    else:
        value = compiled.amount
        parameter = compiled.benefit.amount
    assert parameter is not None  # the catalog guarantees it
    if isinstance(value, _Missing):
        raise value.fail()
    if isinstance(value, Unknown):
        return Outcome(None, True, None, f"{parameter.id} is unknown: {value.reason}")
    assert value is not None
    if formula is FormulaKind.RATE_OF_BASE:
        assert compiled.benefit.base is not None
        raw = facts[compiled.benefit.base] * value
    else:
        raw = value
    amount = raw.quantize(quantum, rounding=mode)
    capped_by = None
    for cap_id, limit in compiled.caps:
        if isinstance(limit, _Missing):
            raise limit.fail()
        if isinstance(limit, Unknown):
            parameter_id = next(c.limit.id for c in compiled.benefit.caps if c.id == cap_id)
            return Outcome(None, True, None, f"{parameter_id} is unknown: {limit.reason}")
        if amount > limit:
            amount = limit.quantize(quantum, rounding=mode)
            capped_by = cap_id
    return Outcome(amount, True, capped_by, None)


def _constant(compiled: Compiled) -> bool:
    """True when the outcome is the same for any valid facts (no conditions, no base to scale)."""
    formula = compiled.benefit.formula
    return formula is not FormulaKind.RATE_OF_BASE or isinstance(compiled.rate, Unknown)


def _check_fast(compiled: Compiled, facts: Mapping[str, Decimal]) -> None:
    if facts.keys() != compiled.names:
        _check(compiled, facts)
    for value in facts.values():
        if not value.is_finite() or value < 0:
            _check(compiled, facts)


def _known_caps(compiled: Compiled) -> list[tuple[str, Decimal]]:
    return [(cap_id, limit) for cap_id, limit in compiled.caps if isinstance(limit, Decimal)]


def evaluate_many(compiled: Compiled, many: Iterable[Mapping[str, Decimal]]) -> list[Outcome]:
    """:func:`evaluate` over many sets of facts; the common case (a rate of one base, caps known,
    no conditions) runs as a tight loop."""
    benefit = compiled.benefit
    simple = (
        benefit.formula is FormulaKind.RATE_OF_BASE
        and not compiled.conditions
        and isinstance(compiled.rate, Decimal)
        and all(isinstance(limit, Decimal) for _, limit in compiled.caps)
    )
    if not simple:
        if compiled.conditions or not _constant(compiled):
            return [evaluate(compiled, facts) for facts in many]
        out_constant: list[Outcome] = []
        same: Outcome | None = None
        for facts in many:  # the amount does not depend on the facts: check them, reuse the outcome
            if same is None:
                same = evaluate(compiled, facts)
            else:
                _check_fast(compiled, facts)
            out_constant.append(same)
        return out_constant
    rate = compiled.rate
    assert isinstance(rate, Decimal)
    assert benefit.base is not None
    base, quantum, mode, names = benefit.base, compiled.quantum, compiled.mode, compiled.names
    caps = [(cap_id, limit, limit.quantize(quantum, rounding=mode)) for cap_id, limit in _known_caps(compiled)]
    single = len(names) == 1
    out: list[Outcome] = []
    append = out.append
    for facts in many:
        if not single or facts.keys() != names:
            _check(compiled, facts)
        value = facts[base]
        if not value.is_finite() or value < 0:
            _check(compiled, facts)
        amount = (value * rate).quantize(quantum, rounding=mode)
        capped_by = None
        for cap_id, limit, rounded in caps:
            if amount > limit:
                amount, capped_by = rounded, cap_id
        append(Outcome(amount, True, capped_by, None))
    return out
