"""Policies as data: documents, dated parameters with a source on every value, benefits.

Pure and framework-free. Money and rates are ``Decimal``; a figure the seed text does not give
is ``Unknown`` with the reason, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


@dataclass(frozen=True)
class Source:
    """Where a value comes from: the seed file, its city, the document and the clause as numbered."""

    seed_file: str
    city: str
    document: str  # the document number, or its title where the copy gives no number
    clause: str  # e.g. "Hangzhou support (三)"
    quote: str = ""  # the clause's own words, exactly as in the seed

    def as_dict(self) -> dict[str, str]:
        return {
            "seed_file": self.seed_file,
            "city": self.city,
            "document": self.document,
            "clause": self.clause,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Unknown:
    """A figure the text does not give (lost in the copy, or never stated)."""

    reason: str


@dataclass(frozen=True)
class DatedValue:
    valid_from: date
    valid_to: date | None  # inclusive; None: open-ended
    value: Decimal | Unknown
    source: Source

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def overlaps(self, other: DatedValue) -> bool:
        end = self.valid_to or date.max
        other_end = other.valid_to or date.max
        return self.valid_from <= other_end and other.valid_from <= end


@dataclass(frozen=True)
class Parameter:
    """A named figure (a rate, a cap) whose value may change over time; every value is sourced."""

    id: str
    unit: str  # "ratio" or "CNY"
    description: str
    values: tuple[DatedValue, ...]

    def at(self, on: date) -> DatedValue | None:
        return next((v for v in self.values if v.covers(on)), None)


@dataclass(frozen=True)
class Document:
    """A policy document as its seed states it; ``None`` where the copy does not say."""

    id: str
    city: str
    seed_file: str
    title: str
    number: str | None
    issuer: str | None
    issued: date | None
    valid_from: date | None
    valid_to: date | None
    validity: str  # the text's own words on validity, or "not stated"
    repeals: tuple[str, ...]
    notes: str = ""
    targets_key: str = ""  # the [[document]] key in stats/data/targets.toml that holds its targets

    def in_force(self, on: date) -> bool | None:
        """True or False where the text decides it; None where it cannot (no end stated)."""
        start = self.valid_from or self.issued
        if start is None:
            return None
        if on < start:
            return False
        if self.valid_to is not None:
            return on <= self.valid_to
        return None

    def as_dict(self, on: date | None = None) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "city": self.city,
            "seed_file": self.seed_file,
            "title": self.title,
            "number": self.number,
            "issuer": self.issuer,
            "issued": self.issued.isoformat() if self.issued else None,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "validity": self.validity,
            "repeals": list(self.repeals),
            "notes": self.notes,
            "targets_key": self.targets_key or None,
        }
        if on is not None:
            out["on"] = on.isoformat()
            out["in_force"] = self.in_force(on)
        return out


class CapKind(StrEnum):
    PER_ENTERPRISE_PER_YEAR = "per_enterprise_per_year"  # 单个企业每年 … 不超过
    ONE_OFF = "one_off"  # 一次性 … 最高
    PER_ENTERPRISE = "per_enterprise"  # 单家企业 … 不超过, no period stated


@dataclass(frozen=True)
class Cap:
    id: str
    kind: CapKind
    limit: Parameter


class FormulaKind(StrEnum):
    RATE_OF_BASE = "rate_of_base"  # amount = base fact × rate ("不超过 … 费用 N%")
    UP_TO = "up_to"  # a ceiling only ("给予最高 N 万元"): review decides the amount under it
    FIXED = "fixed"  # a set amount ("奖励 N 万元")
    UNSPECIFIED = "unspecified"  # support promised with no figure ("给予支持", "一定额度")


class Frequency(StrEnum):
    ONCE = "once"  # 一次性: one award per enterprise while the document is in force
    PER_YEAR = "per_year"  # one award per enterprise per calendar year
    UNLIMITED = "unlimited"  # the text sets no limit on how often


class Recipient(StrEnum):
    ENTERPRISE = "enterprise"
    DISTRICT = "district"  # awards to 区、县(市) governments, e.g. Hangzhou support (二), (十三)
    ORGANISATION = "organisation"  # parks, associations, schools, event organisers


COMPARISONS = (">=", ">", "<=", "<", "==")


@dataclass(frozen=True)
class Condition:
    """An eligibility test on a fact against a sourced threshold, e.g. 服务企业 ≥ 50 家."""

    fact: str
    op: str  # one of COMPARISONS
    threshold: Parameter

    def holds(self, value: Decimal, limit: Decimal) -> bool:
        return {
            ">=": value >= limit,
            ">": value > limit,
            "<=": value <= limit,
            "<": value < limit,
            "==": value == limit,
        }[self.op]


@dataclass(frozen=True)
class Pool:
    """A fixed budget shared by all awards of its benefits (e.g. Hangzhou (七): 3000万元资金池)."""

    id: str
    total: Parameter
    allocation: str  # "first_come_first_served" (先到先得) is the only rule the seeds state


@dataclass(frozen=True)
class CoFunding:
    """Who pays: the city's share of each award (a ratio); the district pays the rest."""

    city_share: Parameter  # may be Unknown, e.g. "按现行财政体制共同承担" states no ratio


@dataclass(frozen=True)
class Rounding:
    """How an amount is rounded, as data: to ``quantum`` (0.01 = the fen) with ``mode``."""

    quantum: Decimal = Decimal("0.01")
    mode: str = ROUND_HALF_UP

    def apply(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, rounding=self.mode)


@dataclass(frozen=True)
class Input:
    """A fact the applicant supplies, e.g. the promotion cost in CNY."""

    name: str
    unit: str
    description: str
    platform: str | None = None  # the platform fact that supplies it (policy.facts), else declared
    # A platform fact the declared figure is part of and cannot exceed (independent-site exports
    # are part of all released exports): the anti-fraud gate checks it, matching still asks for it.
    bounded_by: str | None = None


@dataclass(frozen=True)
class Benefit:
    id: str
    document: Document
    clause: str
    title: str
    inputs: tuple[Input, ...]
    formula: FormulaKind
    base: str | None  # the input the rate applies to (rate_of_base)
    rate: Parameter | None  # rate_of_base
    caps: tuple[Cap, ...]
    rounding: Rounding
    valid_from: date
    valid_to: date | None
    source: Source
    measure: str = ""  # the Measure id the benefit comes from
    amount: Parameter | None = None  # fixed / up_to
    amount_note: str = ""  # unspecified: what the text says instead of a figure
    conditions: tuple[Condition, ...] = ()
    pool: Pool | None = None
    frequency: Frequency = Frequency.UNLIMITED
    co_funding: CoFunding | None = None
    recipient: Recipient = Recipient.ENTERPRISE
    trade_based: bool = False  # declared trade figures are reconciled before approval

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        found: list[Parameter] = [p for p in (self.rate, self.amount) if p is not None]
        found += [c.limit for c in self.caps]
        found += [c.threshold for c in self.conditions]
        if self.pool is not None:
            found.append(self.pool.total)
        if self.co_funding is not None:
            found.append(self.co_funding.city_share)
        return tuple(dict.fromkeys(found))

    @property
    def discretionary(self) -> bool:
        """True where the text grants "up to" an amount, so review sets the figure under the ceiling."""
        return self.formula in (FormulaKind.UP_TO, FormulaKind.RATE_OF_BASE)

    def as_dict(self) -> dict[str, object]:
        def values(p: Parameter) -> list[dict[str, object]]:
            return [
                {
                    "valid_from": v.valid_from.isoformat(),
                    "valid_to": v.valid_to.isoformat() if v.valid_to else None,
                    "value": str(v.value) if isinstance(v.value, Decimal) else None,
                    "unknown": v.value.reason if isinstance(v.value, Unknown) else None,
                    "source": v.source.as_dict(),
                }
                for v in p.values
            ]

        return {
            "id": self.id,
            "document": self.document.id,
            "clause": self.clause,
            "title": self.title,
            "inputs": [
                {
                    "name": i.name,
                    "unit": i.unit,
                    "description": i.description,
                    "platform": i.platform,
                    "bounded_by": i.bounded_by,
                }
                for i in self.inputs
            ],
            "measure": self.measure,
            "formula": {
                "kind": self.formula.value,
                "base": self.base,
                "rate": self.rate.id if self.rate else None,
                "amount": self.amount.id if self.amount else None,
                "amount_note": self.amount_note or None,
            },
            "parameters": {p.id: {"unit": p.unit, "values": values(p)} for p in self.parameters},
            "caps": [{"id": c.id, "kind": c.kind.value, "parameter": c.limit.id} for c in self.caps],
            "conditions": [{"fact": c.fact, "op": c.op, "parameter": c.threshold.id} for c in self.conditions],
            "pool": (
                {"id": self.pool.id, "total": self.pool.total.id, "allocation": self.pool.allocation}
                if self.pool
                else None
            ),
            "frequency": self.frequency.value,
            "co_funding": {"city_share": self.co_funding.city_share.id} if self.co_funding else None,
            "recipient": self.recipient.value,
            "trade_based": self.trade_based,
            "rounding": {"quantum": str(self.rounding.quantum), "mode": self.rounding.mode},
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "source": self.source.as_dict(),
        }


@dataclass(frozen=True)
class Measure:
    """A measure (措施) as numbered in the text, its departments and what of it is encoded where."""

    id: str
    document: Document
    clause: str  # as targets.toml and seeds/README.md cite it, e.g. "Hangzhou 行动计划 1"
    title: str
    text: str  # the seed's own words
    lead: tuple[str, ...]  # 牵头单位, where the text marks one
    responsible: tuple[str, ...]  # 责任单位 / 配合单位
    encoding: str  # where it is encoded (benefits, targets, a platform feature) or why it cannot be
    benefits: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "document": self.document.id,
            "clause": self.clause,
            "title": self.title,
            "text": self.text,
            "lead": list(self.lead),
            "responsible": list(self.responsible),
            "encoding": self.encoding,
            "benefits": list(self.benefits),
        }
