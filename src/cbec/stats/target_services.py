"""Target and tier use cases: measure a city's targets with the metric catalog
(:mod:`cbec.stats.target_measures`), judge them (:func:`cbec.stats.target_status.evaluate`), build
the tier board (梯度培育库), and let a city administrator enter the figures the platform cannot
measure.

Measurements run the catalog's Ibis expressions on the fact table the caller opens
(``cbec.stats.refresh.open_lines``); fen become Decimal yuan exactly (fen / 100).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from cbec.audit.services import record
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.stats.catalog import Scope, expression
from cbec.stats.forecast import add_months
from cbec.stats.target_measures import fen_yuan, measure_targets, table_rows
from cbec.stats.target_status import TargetStatus, evaluate
from cbec.stats.targets import EnteredFigure, Target, TargetCatalog, load_targets
from cbec.stats.tiers import CityTiers, Move, Placement, TierBook, load_tiers, moves, place

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = [
    "TierBoard",
    "enter_target_input",
    "entered_figures",
    "targets_report",
    "tier_board",
]

SOURCE_MAX = 300
VALUE_MAX_CHARS = 32
# Units whose figures are whole numbers (counts of things or people).
_FRACTIONAL_UNITS = frozenset({"CNY yuan", "ratio", "m2"})


def targets_report(
    lines: ir.Table,
    inputs: Sequence[EnteredFigure],
    city: str | None,
    today: date,
    catalog: TargetCatalog | None = None,
) -> list[TargetStatus]:
    """Every target of ``city`` (all cities when None), judged on ``today``, in catalog order."""
    catalog = catalog or load_targets()
    targets = catalog.of_city(city)
    measured = measure_targets(lines, [t for t in targets if not t.is_input and t.value is not None], today)
    statuses = []
    for target in targets:
        mine = [f for f in inputs if f.target_id == target.id]
        statuses.append(evaluate(target, measured.get(target.id), mine, today, catalog.thresholds))
    return statuses


@dataclass(frozen=True)
class TierBoard:
    city: CityTiers
    as_of: date
    window: str  # the trailing 12 months judged
    previous_window: str  # the same, ending at the previous month-end
    usd_rate: Decimal | None
    close_share: Decimal
    placements: list[Placement]
    previous: list[Placement]
    moves: list[Move] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {t.name: 0 for t in self.city.tiers}
        for p in self.placements:
            if p.tier is not None:
                counts[p.tier] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "city": self.city.source(),
            "as_of": self.as_of.isoformat(),
            "window": self.window,
            "previous_window": self.previous_window,
            "usd_rate": None if self.usd_rate is None else f"{self.usd_rate:f}",
            "close_share": f"{self.close_share:f}",
            "counts": self.counts(),
            "placements": [p.as_dict() for p in self.placements],
            "close": [p.as_dict() for p in self.placements if p.close],
            "moves": [m.as_dict() for m in self.moves],
        }


def tier_board(
    lines: ir.Table,
    city: str,
    as_of: date,
    usd_rate: Decimal | None,
    book: TierBook | None = None,
) -> TierBoard:
    """Place the city's enterprises by trade value (import + export) over the 12 months ending
    with ``as_of``'s month, and list the moves since the board at the previous month-end."""
    book = book or load_tiers()
    tiers = book.cities.get(city)
    if tiers is None:
        raise NotFound(f"no tier thresholds for city {city}; cities with tiers: {', '.join(sorted(book.cities))}")
    end = as_of.strftime("%Y-%m")
    start, previous_end = add_months(end, -11), add_months(end, -1)
    previous_start = add_months(previous_end, -11)
    rows = table_rows(
        expression(
            lines, "trade_value", Scope(city=city, month_from=previous_start, month_to=end), ("enterprise", "month")
        )
    )
    now: dict[int, Decimal] = {}
    before: dict[int, Decimal] = {}
    for r in rows:
        if r["enterprise_id"] is None or not r["month"]:
            continue
        eid, value = int(r["enterprise_id"]), fen_yuan(r["value_fen"])
        if r["month"] >= start:
            now[eid] = now.get(eid, Decimal(0)) + value
        if r["month"] <= previous_end:
            before[eid] = before.get(eid, Decimal(0)) + value
    for eid in before.keys() - now.keys():
        now[eid] = Decimal(0)
    for eid in now.keys() - before.keys():
        before[eid] = Decimal(0)
    placements = place(now, city, usd_rate, book)
    previous = place(before, city, usd_rate, book)
    return TierBoard(
        tiers,
        as_of,
        f"{start}..{end}",
        f"{previous_start}..{previous_end}",
        usd_rate,
        book.close_share,
        placements,
        previous,
        moves(previous, placements),
    )


# ---- entered figures -----------------------------------------------------------------------


def entered_figures(
    uow: SqlUnitOfWork, catalog: TargetCatalog | None = None, city: str | None = None
) -> list[EnteredFigure]:
    """The figures entered for the input targets of ``city`` (all when None)."""
    catalog = catalog or load_targets()
    ids = [t.id for t in catalog.of_city(city) if t.is_input]
    return uow.targets.list(ids)


def _parse_value(raw: str | Decimal, target: Target, errors: list[FieldError]) -> Decimal | None:
    text = raw if isinstance(raw, str) else f"{raw:f}"
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(
            FieldError(
                "value", "value.not_decimal", f"{text!r} is not a decimal number", "write digits, e.g. 12 or 3500.50"
            )
        )
        return None
    if not value.is_finite() or value < 0:
        errors.append(
            FieldError("value", "value.negative", f"{text} is below 0", "enter the figure reached so far, 0 or more")
        )
        return None
    if len(f"{value:f}") > VALUE_MAX_CHARS:
        errors.append(
            FieldError("value", "value.too_long", f"{text} has more than {VALUE_MAX_CHARS} characters", "round it")
        )
        return None
    if target.unit not in _FRACTIONAL_UNITS and value != value.to_integral_value():
        errors.append(
            FieldError(
                "value", "value.not_whole", f"{text} is not a whole number of {target.unit}", "enter a count such as 12"
            )
        )
        return None
    if target.unit == "ratio" and value > 1:
        errors.append(
            FieldError(
                "value", "value.ratio_range", f"{text} is above 1", "enter a share as a ratio, e.g. 0.3 for 30 %"
            )
        )
        return None
    return value


def enter_target_input(
    uow: SqlUnitOfWork,
    principal: Principal,
    target_id: str,
    as_of: date,
    value: str | Decimal,
    source: str,
    catalog: TargetCatalog | None = None,
) -> EnteredFigure:
    """A city administrator records the figure an ``input`` target reached on ``as_of``, with its
    source. Audited; one figure per target and date."""
    catalog = catalog or load_targets()
    if principal.role is not Role.CITY_ADMIN:
        raise PermissionDenied("only a city administrator may enter target figures")
    target = catalog.get(target_id)
    if target is None:
        raise ValidationFailed(
            [
                FieldError(
                    "target_id",
                    "target.unknown_id",
                    f"no target has id {target_id!r}",
                    "list the ids with `cbec targets --json`",
                )
            ]
        )
    if target.city_code != principal.city_code:
        raise PermissionDenied(
            f"target {target_id} belongs to city {target.city_code}, not to your city {principal.city_code}"
        )
    errors: list[FieldError] = []
    if not target.is_input:
        errors.append(
            FieldError(
                "target_id",
                "target.measured",
                f"target {target_id} is measured from released lists ({target.metric}), not entered",
                "enter figures only for targets whose metric is input",
            )
        )
    today = business_date(uow.clock)
    if as_of > today:
        errors.append(
            FieldError("as_of", "date.future", f"{as_of} is after today ({today})", "enter a figure already reached")
        )
    if as_of < target.document.issued:
        errors.append(
            FieldError(
                "as_of",
                "date.before_document",
                f"{as_of} is before the document was issued ({target.document.issued})",
                "use a date in the target's period",
            )
        )
    parsed = _parse_value(value, target, errors)
    text = source.strip()
    if not text:
        errors.append(
            FieldError(
                "source",
                "source.required",
                "the source is empty",
                "name where the figure comes from, e.g. 市商务局统计月报 2025-06",
            )
        )
    elif len(text) > SOURCE_MAX:
        errors.append(
            FieldError(
                "source", "source.too_long", f"the source has {len(text)} characters, over {SOURCE_MAX}", "shorten it"
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert parsed is not None
    assert principal.user_id is not None
    uow.audit.lock()
    if uow.targets.get(target_id, as_of) is not None:
        raise Conflict(f"target {target_id} already has a figure as of {as_of}", code="target_input.exists")
    stored = uow.targets.add(
        EnteredFigure(target_id, as_of, parsed, text), entered_by=principal.user_id, now=uow.clock.now()
    )
    after = {"target_id": target_id, "as_of": as_of.isoformat(), "value": f"{parsed:f}", "source": text}
    record(uow, principal, "target_input.enter", "target_input", stored.id, after=after, city_code=target.city_code)
    uow.commit()
    return stored


def targets_for(
    lines: ir.Table,
    uow: SqlUnitOfWork,
    principal: Principal,
    today: date,
    catalog: TargetCatalog | None = None,
) -> list[TargetStatus]:
    """The targets a signed-in user may follow: city roles see their city's, a district officer
    the targets set for their district. Enterprises follow their own figures in the cockpit."""
    catalog = catalog or load_targets()
    if principal.is_system:
        city = None
    elif principal.role is Role.ENTERPRISE or principal.city_code is None:
        raise PermissionDenied("policy targets are followed by the bureau's staff")
    else:
        city = principal.city_code
    statuses = targets_report(lines, entered_figures(uow, catalog, city), city, today, catalog)
    if principal.role is Role.DISTRICT_OFFICER:
        statuses = [s for s in statuses if s.target.district == principal.district_code]
    return statuses
