"""What an approval may actually award: the quote bound by the caps across applications, the
frequency of the benefit and the pool it draws on. Pure: the caller brings the enterprise's earlier
awards and the pool's committed sum, and debits the stores atomically afterwards.

The engine's quote already applies each cap to one application on its own; here the same caps
bind across applications:

- ``per_enterprise_per_year``: the awards of the same award year (the application's ``year``);
- ``one_off`` (一次性) and ``per_enterprise``: all awards while the document is in force.

A cap that is partly used reduces the award to what is left (``capped_by`` names it); a cap used
up refuses it. A pool is never split: an award the pool cannot cover in full is refused (先到先得 —
the next application may be smaller and still fit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cbec.policy.engine import split_city_share
from cbec.policy.model import Benefit, CapKind, Frequency, Unknown

__all__ = ["CapUse", "Grant", "PoolUse", "PriorAward", "Refusal", "cap_period", "grant", "pool_total", "split"]

LIFE = "life"  # the cap period of one-off and per-enterprise caps: the document's whole life


@dataclass(frozen=True)
class PriorAward:
    """An earlier approved (or disbursed) award of the same benefit to the same enterprise."""

    ref: str
    year: int
    amount: Decimal


@dataclass(frozen=True)
class CapUse:
    cap: str
    kind: CapKind
    period: str  # the award year ("2025") or "life"
    limit: Decimal
    used: Decimal  # before this award
    debit: Decimal

    def as_dict(self) -> dict[str, object]:
        return {
            "cap": self.cap,
            "kind": self.kind.value,
            "period": self.period,
            "limit": str(self.limit),
            "used": str(self.used),
            "debit": str(self.debit),
        }


@dataclass(frozen=True)
class PoolUse:
    pool: str
    total: Decimal
    committed: Decimal  # before this award
    debit: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.total - self.committed

    def as_dict(self) -> dict[str, object]:
        return {
            "pool": self.pool,
            "total": str(self.total),
            "committed": str(self.committed),
            "remaining": str(self.remaining),
            "debit": str(self.debit),
        }


@dataclass(frozen=True)
class Grant:
    requested: Decimal
    amount: Decimal
    capped_by: str | None
    caps: tuple[CapUse, ...]
    pool: PoolUse | None
    split: dict[str, str | None] | None

    def as_dict(self) -> dict[str, object]:
        return {
            "requested": str(self.requested),
            "amount": str(self.amount),
            "capped_by": self.capped_by,
            "caps": [c.as_dict() for c in self.caps],
            "pool": self.pool.as_dict() if self.pool else None,
            "split": self.split,
        }


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def cap_period(kind: CapKind, year: int) -> str:
    return str(year) if kind is CapKind.PER_ENTERPRISE_PER_YEAR else LIFE


def pool_total(benefit: Benefit, on: date) -> Decimal | Unknown | None:
    """The pool's total on ``on`` (None: no pool, or no value on that date)."""
    if benefit.pool is None:
        return None
    dated = benefit.pool.total.at(on)
    if dated is None:
        return None
    return dated.value if isinstance(dated.value, Unknown) else benefit.rounding.apply(dated.value)


def split(benefit: Benefit, amount: Decimal, on: date) -> dict[str, str | None] | None:
    """City and district parts of an award (they add up to it), or why they are unknown; None
    when the benefit states no co-funding."""
    if benefit.co_funding is None:
        return None
    dated = benefit.co_funding.city_share.at(on)
    if dated is None:
        return {"city": None, "district": None, "unknown": f"no city share on {on.isoformat()}"}
    if isinstance(dated.value, Unknown):
        return {"city": None, "district": None, "unknown": dated.value.reason}
    city = split_city_share(amount, dated.value, benefit.rounding)
    return {"city": str(city), "district": str(amount - city)}


def _frequency(benefit: Benefit, year: int, prior: Sequence[PriorAward]) -> Refusal | None:
    if benefit.frequency is Frequency.ONCE and prior:
        return Refusal(
            "award.frequency",
            f"{benefit.id} is granted once per enterprise (一次性); already awarded by {prior[0].ref}",
        )
    if benefit.frequency is Frequency.PER_YEAR:
        same = [p for p in prior if p.year == year]
        if same:
            return Refusal(
                "award.frequency",
                f"{benefit.id} is granted once per enterprise and year; {year} was already awarded by {same[0].ref}",
            )
    return None


def grant(
    benefit: Benefit,
    requested: Decimal,
    *,
    on: date,
    year: int,
    prior: Sequence[PriorAward],
    pool_committed: Decimal | None = None,
) -> Grant | Refusal:
    """The award for ``requested`` (the quote, or the reviewer's lower amount), or why none.

    ``prior``: the enterprise's earlier awards of this benefit; ``pool_committed``: what the
    benefit's pool has already committed (ignored without a pool)."""
    amount = benefit.rounding.apply(requested)
    if amount <= 0:
        return Refusal("award.nothing", f"there is nothing to award: the amount is {amount}")
    refused = _frequency(benefit, year, prior)
    if refused is not None:
        return refused
    capped_by = None
    uses: list[CapUse] = []
    for cap in benefit.caps:
        dated = cap.limit.at(on)
        if dated is None or isinstance(dated.value, Unknown):
            why = "no value on " + on.isoformat() if dated is None else dated.value.reason  # type: ignore[union-attr]
            return Refusal("award.cap_unknown", f"cap {cap.id} cannot be checked: {why}")
        limit = benefit.rounding.apply(dated.value)
        period = cap_period(cap.kind, year)
        counted = [p for p in prior if period == LIFE or p.year == year]
        used = sum((p.amount for p in counted), Decimal("0.00"))
        left = limit - used
        scope = f"in {year}" if period != LIFE else "while the document is in force"
        if left <= 0:
            return Refusal(
                "award.cap_used_up",
                f"cap {cap.id} ({cap.kind.value}) is used up {scope}: {used} of {limit} already awarded",
            )
        if amount > left:
            amount, capped_by = left, cap.id
        uses.append(CapUse(cap.id, cap.kind, period, limit, used, Decimal(0)))
    caps = tuple(CapUse(u.cap, u.kind, u.period, u.limit, u.used, amount) for u in uses)
    pool = None
    if benefit.pool is not None:
        total = pool_total(benefit, on)
        if total is None or isinstance(total, Unknown):
            why = f"no total on {on.isoformat()}" if total is None else total.reason
            return Refusal("award.pool_unknown", f"pool {benefit.pool.id} cannot be checked: {why}")
        committed = pool_committed if pool_committed is not None else Decimal("0.00")
        pool = PoolUse(benefit.pool.id, total, committed, amount)
        if amount > pool.remaining:
            return Refusal("award.pool_exhausted", pool_message(benefit.pool.id, pool.remaining, amount))
    return Grant(benefit.rounding.apply(requested), amount, capped_by, caps, pool, split(benefit, amount, on))


def pool_message(pool_id: str, remaining: Decimal, needed: Decimal) -> str:
    """One wording for a refusal by the pool, whether the pure check or the database found it."""
    return (
        f"pool {pool_id} has {max(remaining, Decimal('0.00'))} left; this award needs {needed} "
        "(first come, first served: the pool is not split)"
    )
