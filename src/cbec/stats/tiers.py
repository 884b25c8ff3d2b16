"""The tiered enterprise cultivation database (梯度培育库): each city's thresholds
(``data/tiers.toml``, every one citing its clause), placing enterprises by their trailing-12-month
value, and the moves between two boards. Pure: values come in as Decimal yuan.

A USD threshold is converted with the rate the caller gives (never a built-in one); without a
rate the city's placements are ``unknown``. Whether a value exactly at a threshold qualifies is
per tier (``inclusive``), from the wording (以上 includes the figure, 超过 does not).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from typing import Any

from cbec.stats.forecast import MONEY

__all__ = [
    "BELOW",
    "PLACED",
    "UNKNOWN",
    "CityTiers",
    "Move",
    "Placement",
    "Tier",
    "TierBook",
    "load_tiers",
    "moves",
    "place",
]

PLACED, BELOW, UNKNOWN = "placed", "below", "unknown"


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: Decimal
    currency: str  # CNY | USD
    inclusive: bool

    def cny(self, usd_rate: Decimal | None) -> Decimal | None:
        if self.currency == "CNY":
            return self.threshold
        if usd_rate is None:
            return None
        return (self.threshold * usd_rate).quantize(MONEY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CityTiers:
    city_code: str
    city: str
    seed: str
    document: str
    clause: str
    wording: str
    measure: str
    confirmed: bool
    note: str
    tiers: tuple[Tier, ...]

    @property
    def needs_usd(self) -> bool:
        return any(t.currency == "USD" for t in self.tiers)

    def source(self) -> dict[str, Any]:
        return {
            "city_code": self.city_code,
            "city": self.city,
            "seed": self.seed,
            "document": self.document,
            "clause": self.clause,
            "wording": self.wording,
            "measure": self.measure,
            "confirmed": self.confirmed,
            "note": self.note,
            "tiers": [
                {"name": t.name, "threshold": f"{t.threshold:f}", "currency": t.currency, "inclusive": t.inclusive}
                for t in self.tiers
            ],
        }


@dataclass(frozen=True)
class TierBook:
    cities: Mapping[str, CityTiers]
    close_share: Decimal


def _money_text(value: Decimal) -> str:
    """Yuan with two places, as every money figure the platform shows."""
    return f"{value.quantize(MONEY, rounding=ROUND_HALF_UP):f}"


@dataclass(frozen=True)
class Placement:
    enterprise_id: int
    value: Decimal  # yuan, trailing 12 months
    status: str  # placed | below | unknown
    level: int  # 0 below every tier, n = the n-th tier from the lowest; 0 when unknown
    tier: str | None
    next_tier: str | None = None
    next_threshold: Decimal | None = None  # CNY yuan
    gap: Decimal | None = None  # next threshold - value
    close: bool = False  # value >= close_share × next threshold
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "value": _money_text(self.value),
            "status": self.status,
            "level": self.level,
            "tier": self.tier,
            "next_tier": self.next_tier,
            "next_threshold": None if self.next_threshold is None else _money_text(self.next_threshold),
            "gap": None if self.gap is None else _money_text(self.gap),
            "close": self.close,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Move:
    enterprise_id: int
    kind: str  # up | down | new
    from_tier: str | None
    to_tier: str | None
    from_level: int
    to_level: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "enterprise_id": self.enterprise_id,
            "kind": self.kind,
            "from_tier": self.from_tier,
            "to_tier": self.to_tier,
            "from_level": self.from_level,
            "to_level": self.to_level,
        }


def load_tiers(text: str | None = None) -> TierBook:
    """Parse and check tiers.toml (the packaged file unless ``text`` is given)."""
    if text is None:
        text = resources.files("cbec.stats").joinpath("data", "tiers.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[str] = []
    cities: dict[str, CityTiers] = {}
    for raw in data.get("city", []):
        code = raw.get("city_code", "?")
        for key in ("city_code", "city", "seed", "document", "clause", "wording", "measure"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                problems.append(f"city {code}: {key} is required")
        tiers = []
        for t in raw.get("tier", []):
            threshold = Decimal(t["threshold"])
            if t.get("currency") not in {"CNY", "USD"} or threshold <= 0 or not t.get("name"):
                problems.append(f"city {code}: tier {t.get('name')!r} needs a name, a positive threshold, CNY or USD")
            tiers.append(Tier(t["name"], threshold, t["currency"], bool(t["inclusive"])))
        if not tiers:
            problems.append(f"city {code}: no tiers")
        if code in cities:
            problems.append(f"city {code} defined twice")
        cities[code] = CityTiers(
            code,
            raw.get("city", ""),
            raw.get("seed", ""),
            raw.get("document", ""),
            raw.get("clause", ""),
            raw.get("wording", ""),
            raw.get("measure", ""),
            bool(raw.get("confirmed", False)),
            raw.get("note", ""),
            tuple(tiers),
        )
    share = Decimal(data.get("settings", {}).get("close_share", "0.80"))
    if not Decimal(0) < share <= 1:
        problems.append("settings.close_share must be in (0, 1]")
    if problems:
        raise ValueError("tiers.toml: " + "; ".join(problems))
    return TierBook(cities, share)


def _qualifies(value: Decimal, threshold: Decimal, inclusive: bool) -> bool:
    return value >= threshold if inclusive else value > threshold


def place(
    values: Mapping[int, Decimal],
    city: str,
    usd_rate: Decimal | None,
    book: TierBook | None = None,
    close_share: Decimal | None = None,
) -> list[Placement]:
    """Place each enterprise (id -> trailing-12-month value, yuan) in the city's tiers; sorted by
    value, highest first, then id. ``usd_rate`` is CNY per USD, given by the caller."""
    book = book or load_tiers()
    found = book.cities.get(city)
    if found is None:
        raise KeyError(f"no tier thresholds for city {city}")
    if usd_rate is not None and usd_rate <= 0:
        raise ValueError("usd_rate must be a positive CNY-per-USD rate")
    share = book.close_share if close_share is None else close_share
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    if found.needs_usd and usd_rate is None:
        usd = next(t for t in found.tiers if t.currency == "USD")
        why = f"tier {usd.name!r} is set in USD and no USD rate was given: placement unknown"
        return [Placement(eid, value, UNKNOWN, 0, None, reason=why) for eid, value in ordered]
    ladder = sorted(((t.cny(usd_rate) or Decimal(0), t) for t in found.tiers), key=lambda p: p[0])
    placements = []
    for eid, value in ordered:
        level = 0
        for i, (threshold, tier) in enumerate(ladder, start=1):
            if _qualifies(value, threshold, tier.inclusive):
                level = i
        tier_name = ladder[level - 1][1].name if level else None
        if level < len(ladder):
            nxt_threshold, nxt = ladder[level]
            gap = nxt_threshold - value
            close = value >= (share * nxt_threshold).quantize(MONEY, rounding=ROUND_HALF_UP)
            word = "at least" if nxt.inclusive else "more than"
            reason = f"{gap:f} yuan short of {nxt.name} ({word} {nxt_threshold:f})" + (" — close" if close else "")
            placements.append(
                Placement(
                    eid,
                    value,
                    PLACED if level else BELOW,
                    level,
                    tier_name,
                    nxt.name,
                    nxt_threshold,
                    gap,
                    close,
                    reason,
                )
            )
        else:
            placements.append(Placement(eid, value, PLACED, level, tier_name, reason="top tier"))
    return placements


def moves(before: Sequence[Placement], after: Sequence[Placement]) -> list[Move]:
    """Tier changes from one board to the next: ``new`` (into the database from no tier),
    ``up``, ``down`` (including out of every tier). Unknown placements make no move; an
    enterprise missing from a board counts as below every tier there."""
    old = {p.enterprise_id: p for p in before}
    new = {p.enterprise_id: p for p in after}
    found = []
    for eid in sorted(old.keys() | new.keys()):
        b, a = old.get(eid), new.get(eid)
        if (b is not None and b.status == UNKNOWN) or (a is not None and a.status == UNKNOWN):
            continue
        b_level, a_level = (b.level if b else 0), (a.level if a else 0)
        b_tier, a_tier = (b.tier if b else None), (a.tier if a else None)
        if a_level == b_level:
            continue
        kind = "new" if b_level == 0 else ("up" if a_level > b_level else "down")
        found.append(Move(eid, kind, b_tier, a_tier, b_level, a_level))
    return found
