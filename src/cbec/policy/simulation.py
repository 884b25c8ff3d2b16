"""Policy simulation: change a parameter in a draft copy of the catalog, see the year's budget.

``draft_catalog`` copies the catalog with some parameters replaced over one calendar year (a
rate, a cap, a pool's total); ids and units are checked and every problem names its field path
(``set.<parameter id>``). ``simulate`` evaluates a population of claims — the year's
applications with their declared facts, plus matching's estimates from platform facts — under
the baseline and the draft (``policy.batch``, the engine's own arithmetic) and totals the
amounts per benefit and per district, with the difference. Pools compare the demand with the
pool's total; awards are served first come, first served (by date, then claim order): an award
that no longer fits is not funded, as approval would refuse it. Amounts the text leaves unknown
are counted, never added. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.policy.batch import Compiled, Outcome, compile_benefit, evaluate
from cbec.policy.catalog import Catalog
from cbec.policy.model import Benefit, DatedValue, Parameter, Source

__all__ = ["Claim", "Simulation", "draft_catalog", "parse_overrides", "simulate"]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Claim:
    enterprise_id: int
    district_code: str
    benefit_id: str
    facts: Mapping[str, Decimal]
    on: date
    origin: str  # "application" (declared facts) or "matching" (platform facts)


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``PARAM=VALUE`` pairs (command line) into a mapping; a malformed pair is a field error."""
    found: dict[str, str] = {}
    errors = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            errors.append(FieldError("set", "simulation.malformed", f"{pair!r} is not PARAM=VALUE"))
        else:
            found[name.strip()] = value.strip()
    if errors:
        raise ValidationFailed(errors)
    return found


def _checked(catalog: Catalog, overrides: Mapping[str, str | Decimal]) -> dict[str, Decimal]:
    errors: list[FieldError] = []
    values: dict[str, Decimal] = {}
    for pid, raw in overrides.items():
        path = f"set.{pid}"
        parameter = catalog.parameters.get(pid)
        if parameter is None:
            errors.append(
                FieldError(
                    path,
                    "simulation.unknown_parameter",
                    f"no parameter {pid!r} in the catalog",
                    "see `cbec policy benefits DOCUMENT --json` for parameter ids",
                )
            )
            continue
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            errors.append(FieldError(path, "simulation.not_a_number", f"{raw!r} is not a number", "e.g. 0.30"))
        elif parameter.unit == "ratio" and not Decimal(0) <= value <= Decimal(1):
            errors.append(FieldError(path, "simulation.ratio", f"{pid} is a ratio: 0 to 1, got {value}", "0.30 = 30 %"))
        elif value < 0:
            errors.append(FieldError(path, "simulation.negative", f"{pid} ({parameter.unit}) must not be negative"))
        else:
            values[pid] = value
    if errors:
        raise ValidationFailed(errors, "the draft parameters have problems")
    return values


def _drafted(parameter: Parameter, value: Decimal, year: int) -> Parameter:
    source = Source("draft", "", "draft (simulation)", "draft", f"simulation override for {year}")
    first = DatedValue(date(year, 1, 1), date(year, 12, 31), value, source)
    return replace(parameter, values=(first, *parameter.values))  # first match wins in Parameter.at


def draft_catalog(catalog: Catalog, overrides: Mapping[str, str | Decimal], year: int) -> Catalog:
    """A copy of ``catalog`` whose overridden parameters take the new value throughout ``year``."""
    values = _checked(catalog, overrides)
    params = {pid: _drafted(catalog.parameters[pid], v, year) for pid, v in values.items()}

    def p(parameter: Parameter | None) -> Any:
        return None if parameter is None else params.get(parameter.id, parameter)

    def benefit(b: Benefit) -> Benefit:
        return replace(
            b,
            rate=p(b.rate),
            amount=p(b.amount),
            caps=tuple(replace(c, limit=p(c.limit)) for c in b.caps),
            conditions=tuple(replace(c, threshold=p(c.threshold)) for c in b.conditions),
            pool=replace(b.pool, total=p(b.pool.total)) if b.pool else None,
            co_funding=replace(b.co_funding, city_share=p(b.co_funding.city_share)) if b.co_funding else None,
        )

    return Catalog(
        documents=catalog.documents,
        parameters={**catalog.parameters, **params},
        benefits={i: benefit(b) for i, b in catalog.benefits.items()},
        measures=catalog.measures,
    )


@dataclass
class _Sums:
    claims: int = 0
    eligible: int = 0
    amount: Decimal = ZERO
    unknown: int = 0

    def add(self, outcome: Outcome) -> None:
        self.claims += 1
        self.eligible += int(outcome.eligible)
        if outcome.amount is None:
            self.unknown += 1
        else:
            self.amount += outcome.amount


@dataclass(frozen=True)
class Simulation:
    year: int
    overrides: list[dict[str, Any]]
    by_benefit: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    pools: list[dict[str, Any]]
    total: dict[str, Any]
    claims: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "overrides": self.overrides,
            "claims": self.claims,
            "total": self.total,
            "by_benefit": self.by_benefit,
            "by_district": self.by_district,
            "pools": self.pools,
        }


def _pair(base: _Sums, draft: _Sums) -> dict[str, Any]:
    return {
        "claims": base.claims,
        "eligible_baseline": base.eligible,
        "eligible_draft": draft.eligible,
        "baseline": str(base.amount),
        "draft": str(draft.amount),
        "difference": str(draft.amount - base.amount),
        "unknown_baseline": base.unknown,
        "unknown_draft": draft.unknown,
    }


def _fcfs(total: Decimal | None, awards: Sequence[Decimal]) -> dict[str, Any]:
    demand = sum(awards, ZERO)
    if total is None:
        return {"total": None, "demand": str(demand), "funded": None, "unfunded_claims": None, "overspend": None}
    left, funded, refused = total, ZERO, 0
    for amount in awards:
        if amount <= left:
            left -= amount
            funded += amount
        else:
            refused += 1
    return {
        "total": str(total),
        "demand": str(demand),
        "funded": str(funded),
        "unfunded_claims": refused,
        "overspend": str(max(demand - total, ZERO)),
    }


def _pool_total(b: Benefit, on: date) -> Decimal | None:
    assert b.pool is not None
    dated = b.pool.total.at(on)
    return dated.value if dated is not None and isinstance(dated.value, Decimal) else None


def simulate(
    catalog: Catalog, overrides: Mapping[str, str | Decimal], claims: Sequence[Claim], *, year: int
) -> Simulation:
    """Baseline vs draft budget of ``year`` over ``claims`` (claims outside the year, or of a benefit
    not in force on their date, are left out and counted)."""
    draft = draft_catalog(catalog, overrides, year)
    compiled: dict[tuple[str, date, bool], Compiled] = {}
    per_benefit: dict[str, tuple[_Sums, _Sums]] = defaultdict(lambda: (_Sums(), _Sums()))
    per_district: dict[str, tuple[_Sums, _Sums]] = defaultdict(lambda: (_Sums(), _Sums()))
    pooled: dict[str, list[tuple[date, int, Decimal | None, Decimal | None]]] = defaultdict(list)
    skipped = 0
    for n, claim in enumerate(claims):
        base_benefit = catalog.benefits.get(claim.benefit_id)
        if base_benefit is None or claim.on.year != year or not base_benefit.in_force(claim.on):
            skipped += 1
            continue
        outcomes = []
        for is_draft, source in ((False, base_benefit), (True, draft.benefits[claim.benefit_id])):
            key = (claim.benefit_id, claim.on, is_draft)
            if key not in compiled:
                compiled[key] = compile_benefit(source, claim.on)
            outcomes.append(evaluate(compiled[key], claim.facts))
        for sums in (per_benefit[claim.benefit_id], per_district[claim.district_code or ""]):
            sums[0].add(outcomes[0])
            sums[1].add(outcomes[1])
        if base_benefit.pool is not None:
            pooled[base_benefit.pool.id].append((claim.on, n, outcomes[0].amount, outcomes[1].amount))
    by_benefit = [
        {"benefit": bid, "title": catalog.benefits[bid].title, **_pair(*sums)}
        for bid, sums in sorted(per_benefit.items())
    ]
    by_district = [{"district_code": code, **_pair(*sums)} for code, sums in sorted(per_district.items())]
    total = _Sums(), _Sums()
    for base, drafted in per_benefit.values():
        for mine, theirs in zip(total, (base, drafted), strict=True):
            mine.claims += theirs.claims
            mine.eligible += theirs.eligible
            mine.amount += theirs.amount
            mine.unknown += theirs.unknown
    pools = []
    for pool_id, entries in sorted(pooled.items()):
        entries.sort(key=lambda e: (e[0], e[1]))
        members = [b for b in catalog.benefits.values() if b.pool is not None and b.pool.id == pool_id]
        end = max(e[0] for e in entries)
        pools.append(
            {
                "id": pool_id,
                "benefits": [b.id for b in members],
                "allocation": members[0].pool.allocation if members[0].pool else "",
                "baseline": _fcfs(_pool_total(members[0], end), [e[2] for e in entries if e[2] is not None]),
                "draft": _fcfs(
                    _pool_total(draft.benefits[members[0].id], end), [e[3] for e in entries if e[3] is not None]
                ),
            }
        )
    shown = [
        {
            "parameter": pid,
            "unit": draft.parameters[pid].unit,
            "baseline": _shown(catalog.parameters[pid], date(year, 12, 31)),
            "draft": _shown(draft.parameters[pid], date(year, 12, 31)),
        }
        for pid in sorted(overrides)
    ]
    counted = {"evaluated": len(claims) - skipped, "skipped": skipped}
    return Simulation(year, shown, by_benefit, by_district, pools, _pair(*total), counted)


def _shown(parameter: Parameter, on: date) -> str | None:
    dated = parameter.at(on)
    return str(dated.value) if dated is not None and isinstance(dated.value, Decimal) else None
