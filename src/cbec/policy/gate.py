"""The anti-fraud gate (DOMAIN §8, 买单出口): declared figures against the platform's own data.

Before a trade-based award is approved, ``check`` compares every declared input that names a
platform source (``Input.platform``) with the platform's figure for the year — the gap is
|declared − platform| / platform, and a declared figure above zero where the platform holds
zero fails outright —, checks a declared part of a platform figure (``Input.bounded_by``) does
not exceed it by more than the threshold, and reconciles the enterprise's released export lists of the year with
their receipts of payment and departures (``export.reports.reconcile``): a flagged month fails.
A platform figure that cannot be stated (a missing exchange rate) fails too: an unverifiable
figure is not approved. The result carries everything a reviewer needs to see why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from cbec.export.reconciliation import EnterpriseMonth, Reconciliation
from cbec.export.reports import reconcile
from cbec.identity.model import Principal, Role
from cbec.policy.fact_sources import PlatformFacts, platform_facts_from_lists
from cbec.policy.model import Benefit

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["TRADE_FACTS", "GateResult", "check", "compare", "reconciliation_dict"]

# Platform facts measured from released lists: declaring one makes the benefit trade-based in effect.
TRADE_FACTS = frozenset({"export_value_cny", "import_value_cny", "trade_value_cny", "trade_value_usd", "export_lists"})
_RATIO = Decimal("0.0001")
_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reasons: tuple[str, ...]
    declared: dict[str, Any]  # input name → declared value (decimal string)
    platform: dict[str, Any]  # input name → {fact, value, unknown, source, gap, passed}
    reconciliation: dict[str, Any] = field(default_factory=dict)  # reconciliation_dict(...)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "declared": dict(self.declared),
            "platform": dict(self.platform),
            "reconciliation": dict(self.reconciliation),
        }


def _pct(share: Decimal) -> str:
    return f"{(share * 100).quantize(_PERCENT, ROUND_HALF_UP)}%"


def compare(
    benefit: Benefit, facts: Mapping[str, Decimal], known: PlatformFacts, threshold: Decimal
) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """Declared against platform for every input with a platform source: (reasons, declared, platform)."""
    reasons: list[str] = []
    declared: dict[str, Any] = {}
    platform: dict[str, Any] = {}
    for item in benefit.inputs:
        if item.platform is None:
            continue
        value = facts.get(item.name)
        declared[item.name] = None if value is None else str(value)
        figure = known.get(item.platform)
        row: dict[str, Any] = {
            "fact": item.platform,
            "value": None if figure is None else str(figure),
            "unknown": known.unknown.get(item.platform),
            "source": known.provenance.get(item.platform, ""),
            "gap": None,
            "passed": False,
        }
        platform[item.name] = row
        if value is None:
            reasons.append(f"{item.name} was not declared; the platform holds {figure} {item.unit}")
        elif figure is None:
            reasons.append(f"{item.name} = {value} cannot be verified: {known.unknown.get(item.platform, 'unknown')}")
        elif figure == 0:
            row["passed"] = value == 0
            if value != 0:
                reasons.append(
                    f"{item.name}: declared {value} {item.unit}, "
                    f"the platform's {item.platform} for {known.year} is {figure}"
                )
        else:
            gap = abs(value - figure) / figure
            row["gap"] = str(gap.quantize(_RATIO, ROUND_HALF_UP))
            row["passed"] = gap <= threshold
            if gap > threshold:
                reasons.append(
                    f"{item.name}: declared {value} {item.unit}, the platform's {item.platform} for {known.year} is "
                    f"{figure}: a gap of {_pct(gap)} exceeds the threshold {_pct(threshold)}"
                )
    bounded = _bounded(benefit, facts, known, threshold)
    for name, (reason, row) in bounded.items():
        declared[name] = None if facts.get(name) is None else str(facts[name])
        platform[name] = row
        if reason:
            reasons.append(reason)
    return reasons, declared, platform


def _bounded(
    benefit: Benefit, facts: Mapping[str, Decimal], known: PlatformFacts, threshold: Decimal
) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Declared parts of a platform figure (``Input.bounded_by``): more than the whole, beyond the
    threshold, fails — e.g. independent-site exports above all released exports of the year."""
    out: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for item in benefit.inputs:
        if item.bounded_by is None or item.name not in facts:
            continue
        value = facts[item.name]
        figure = known.get(item.bounded_by)
        row: dict[str, Any] = {
            "fact": item.bounded_by,
            "value": None if figure is None else str(figure),
            "unknown": known.unknown.get(item.bounded_by),
            "source": known.provenance.get(item.bounded_by, ""),
            "gap": None,
            "bound": "at_most",
            "passed": False,
        }
        reason: str | None = None
        if figure is None:
            reason = f"{item.name} = {value} cannot be verified: {known.unknown.get(item.bounded_by, 'unknown')}"
        elif value <= figure * (1 + threshold):
            row["passed"] = True
            if figure:
                row["gap"] = str((max(value - figure, Decimal(0)) / figure).quantize(_RATIO, ROUND_HALF_UP))
        else:
            if figure:
                row["gap"] = str(((value - figure) / figure).quantize(_RATIO, ROUND_HALF_UP))
            reason = (
                f"{item.name}: declared {value} {item.unit} is part of the platform's {item.bounded_by} "
                f"for {known.year}, which is only {figure}"
                + (f" (over by {_pct((value - figure) / figure)}, threshold {_pct(threshold)})" if figure else "")
            )
        out[item.name] = (reason, row)
    return out


def _month_dict(m: EnterpriseMonth) -> dict[str, Any]:
    def money(values: Mapping[str, Decimal]) -> dict[str, str]:
        return {currency: str(v) for currency, v in values.items()}

    return {
        "month": m.month,
        "ebc_code": m.ebc_code,
        "lists": m.list_count,
        "released": money(m.released),
        "received": money(m.received),
        "departed": money(m.departed),
        "unreceived_lists": len(m.unreceived),
        "undeparted_lists": len(m.undeparted),
        "amount_mismatches": len(m.mismatches),
        "flagged": m.flagged,
        "flags": [
            {
                "code": f.code,
                "currency": f.currency,
                "share": str(f.share.quantize(_RATIO, ROUND_HALF_UP)),
                "threshold": str(f.threshold),
                "message": f.message,
            }
            for f in m.flags
        ],
    }


def reconciliation_dict(result: Reconciliation, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "threshold": str(result.unreceived_threshold),
        "amount_tolerance": str(result.amount_tolerance),
        "months": [_month_dict(m) for m in result.months],
        "flagged_months": [m.month for m in result.months if m.flagged],
        "orphan_receipts": sum(len(r) for r in result.orphan_receipts.values()),
    }


def _reconciliation_reasons(result: Reconciliation) -> list[str]:
    return [f"{m.month}: {flag.message}" for m in result.months for flag in m.flags]


def check(
    uow: SqlUnitOfWork,
    *,
    benefit: Benefit,
    enterprise_id: int,
    facts: Mapping[str, Decimal],
    year: int,
    threshold: Decimal,
    known: PlatformFacts | None = None,
) -> GateResult:
    """Run the gate for one award. ``known`` (optional) supplies platform facts already computed;
    by default they are read from the database (``fact_sources.platform_facts_from_lists``)."""
    reasons: list[str] = []
    declared: dict[str, Any] = {}
    platform: dict[str, Any] = {}
    sourced = [f for i in benefit.inputs for f in (i.platform, i.bounded_by) if f is not None]
    if sourced:
        if known is None:
            known = platform_facts_from_lists(uow, enterprise_id, year)
        reasons, declared, platform = compare(benefit, facts, known, threshold)
    recon: dict[str, Any] = {}
    if benefit.trade_based or TRADE_FACTS.intersection(sourced):
        owner = Principal(user_id=None, username="policy-gate", role=Role.ENTERPRISE, enterprise_id=enterprise_id)
        result = reconcile(uow, owner, since=f"{year}-01", until=f"{year}-12", threshold=threshold)
        recon = reconciliation_dict(result, year)
        reasons += _reconciliation_reasons(result)
    else:
        recon = {"year": year, "skipped": f"{benefit.id} is not trade-based and names no trade fact"}
    return GateResult(not reasons, tuple(reasons), declared, platform, recon)
