"""Matching (政策找企业 / 免申即享): what an enterprise likely qualifies for, from platform data.

For one enterprise's platform facts (``fact_sources``) and the catalog on a date, every benefit
in force in the enterprise's city that is granted to enterprises is judged:

- ``qualifies``: every input is known from the platform and the engine's quote is eligible with
  an amount above zero (or a figure the text leaves to review);
- ``evidence_missing``: conditions on platform facts hold, but some inputs must be declared with
  evidence (they are listed in ``missing`` with their descriptions);
- ``not_eligible``: a condition on a platform fact fails (the reasons say which), or the
  platform's figures give nothing.

The amount is the engine's quote when all inputs are known; otherwise the ceiling an ``up_to`` or
``fixed`` clause states, or the tightest cap of a rate (an upper bound, marked so); else null
with the reason. ``proposable``: it qualifies and every input comes from the platform — the award
is proposed without an application (origin ``proposed``) and waits only for review. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cbec.policy.catalog import Catalog
from cbec.policy.engine import Quote, quote
from cbec.policy.fact_sources import PlatformFacts
from cbec.policy.model import Benefit, FormulaKind, Recipient, Unknown

__all__ = [
    "EVIDENCE_MISSING",
    "NOT_ELIGIBLE",
    "QUALIFIES",
    "Match",
    "Missing",
    "benefits_for",
    "match",
    "match_all",
    "proposals",
]

QUALIFIES = "qualifies"
EVIDENCE_MISSING = "evidence_missing"
NOT_ELIGIBLE = "not_eligible"


@dataclass(frozen=True)
class Missing:
    name: str
    unit: str
    description: str
    reason: str  # "declared by the applicant" or why a platform figure is unknown

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "unit": self.unit, "description": self.description, "reason": self.reason}


@dataclass(frozen=True)
class Match:
    benefit: Benefit
    enterprise_id: int
    year: int
    on: date
    status: str  # QUALIFIES | EVIDENCE_MISSING | NOT_ELIGIBLE
    amount: Decimal | None
    amount_basis: str  # quote | ceiling | cap | unknown
    amount_note: str | None  # why the amount is null, or what it bounds
    facts: Mapping[str, Decimal]  # input name → platform value, for the inputs the platform supplies
    provenance: Mapping[str, str]  # input name → where the platform value comes from
    missing: tuple[Missing, ...]
    reasons: tuple[str, ...]  # conditions failed or not yet checkable
    proposable: bool
    quote: Quote | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "benefit": self.benefit.id,
            "document": self.benefit.document.id,
            "clause": self.benefit.clause,
            "title": self.benefit.title,
            "enterprise_id": self.enterprise_id,
            "year": self.year,
            "on": self.on.isoformat(),
            "status": self.status,
            "amount": None if self.amount is None else str(self.amount),
            "amount_basis": self.amount_basis,
            "amount_note": self.amount_note,
            "facts": {name: str(v) for name, v in self.facts.items()},
            "provenance": dict(self.provenance),
            "missing": [m.as_dict() for m in self.missing],
            "reasons": list(self.reasons),
            "proposable": self.proposable,
            "trade_based": self.benefit.trade_based,
            "quote": self.quote.as_dict() if self.quote is not None else None,
        }


def benefits_for(catalog: Catalog, city: str, on: date) -> list[Benefit]:
    """Benefits in force on ``on`` whose document is ``city``'s (the document's ``city`` name)
    and whose recipient is an enterprise, in catalog order."""
    return [
        b
        for b in catalog.benefits.values()
        if b.document.city == city and b.recipient is Recipient.ENTERPRISE and b.in_force(on)
    ]


def _value_of(parameter_value: Decimal | Unknown | None) -> Decimal | None:
    return parameter_value if isinstance(parameter_value, Decimal) else None


def _bound(benefit: Benefit, on: date) -> tuple[Decimal | None, str, str | None]:
    """The amount when inputs are still missing: a stated ceiling or fixed amount, else the
    tightest cap of a rate, else unknown."""
    if benefit.formula in (FormulaKind.UP_TO, FormulaKind.FIXED) and benefit.amount is not None:
        dated = benefit.amount.at(on)
        value = _value_of(dated.value if dated else None)
        if value is not None:
            note = "the clause's ceiling; review sets the award" if benefit.formula is FormulaKind.UP_TO else None
            return benefit.rounding.apply(value), "ceiling", note
        return None, "unknown", f"{benefit.amount.id} is unknown"
    if benefit.formula is FormulaKind.UNSPECIFIED:
        return None, "unknown", f"the text sets no amount: {benefit.amount_note}"
    limits = [v for c in benefit.caps if (d := c.limit.at(on)) is not None and (v := _value_of(d.value)) is not None]
    if limits:
        return benefit.rounding.apply(min(limits)), "cap", "at most the cap; the amount depends on declared figures"
    return None, "unknown", "the amount depends on declared figures"


def match(benefit: Benefit, known: PlatformFacts, on: date) -> Match:
    """Judge one benefit for one enterprise's platform facts on ``on``."""
    facts: dict[str, Decimal] = {}
    provenance: dict[str, str] = {}
    missing: list[Missing] = []
    for item in benefit.inputs:
        value = known.get(item.platform) if item.platform else None
        if item.platform and value is not None:
            facts[item.name] = value
            provenance[item.name] = known.provenance.get(item.platform, item.platform)
        elif item.platform:
            reason = known.unknown.get(item.platform, "not computed")
            missing.append(Missing(item.name, item.unit, item.description, f"platform figure unknown: {reason}"))
        else:
            missing.append(Missing(item.name, item.unit, item.description, "declared by the applicant, with evidence"))

    def made(status: str, amount: Decimal | None, basis: str, note: str | None, **rest: Any) -> Match:
        return Match(
            benefit, known.enterprise_id, known.year, on, status, amount, basis, note, facts, provenance, **rest
        )

    if not missing and benefit.inputs:
        got = quote(benefit, facts, on)
        if not got.eligible:
            return made(
                NOT_ELIGIBLE, got.amount, "quote", None, missing=(), reasons=got.unmet, proposable=False, quote=got
            )
        if got.amount is not None and got.amount == 0:
            return made(
                NOT_ELIGIBLE,
                got.amount,
                "quote",
                None,
                missing=(),
                reasons=("the platform's figures give 0.00",),
                proposable=False,
                quote=got,
            )
        basis = "ceiling" if benefit.formula is FormulaKind.UP_TO else "quote" if got.amount is not None else "unknown"
        return made(
            QUALIFIES, got.amount, basis, got.amount_unknown, missing=(), reasons=(), proposable=True, quote=got
        )
    reasons, failed = _partial_conditions(benefit, facts, on)
    if not benefit.inputs:
        reasons.append("the clause's conditions are not platform facts: apply with evidence")
    if failed:
        return made(NOT_ELIGIBLE, None, "quote", None, missing=tuple(missing), reasons=tuple(reasons), proposable=False)
    amount, basis, note = _bound(benefit, on)
    return made(EVIDENCE_MISSING, amount, basis, note, missing=tuple(missing), reasons=tuple(reasons), proposable=False)


def _partial_conditions(benefit: Benefit, facts: Mapping[str, Decimal], on: date) -> tuple[list[str], bool]:
    """Conditions on known facts are checked; the others wait for the declaration."""
    reasons: list[str] = []
    failed = False
    for condition in benefit.conditions:
        dated = condition.threshold.at(on)
        limit = dated.value if dated is not None else None
        value = facts.get(condition.fact)
        if value is None:
            reasons.append(
                f"{condition.fact} {condition.op} {limit if isinstance(limit, Decimal) else '?'}: "
                "to be shown by the declaration"
            )
        elif not isinstance(limit, Decimal):
            reasons.append(f"{condition.fact} {condition.op} unknown: cannot be checked")
        elif condition.holds(value, limit):
            reasons.append(f"{condition.fact} = {value} {condition.op} {limit}: met")
        else:
            failed = True
            reasons.append(f"{condition.fact} = {value} is not {condition.op} {limit}")
    return reasons, failed


def match_all(catalog: Catalog, city: str, known: PlatformFacts, on: date) -> list[Match]:
    return [match(b, known, on) for b in benefits_for(catalog, city, on)]


def proposals(matches: Iterable[Match]) -> list[Match]:
    return [m for m in matches if m.proposable]
