"""Retail import tax for cross-border e-commerce (跨境电商零售进口税收政策), as pure functions.

Sources: 财关税〔2016〕18号 (the regime, from 2016-04-08) and 财关税〔2018〕49号 (higher limits and
the full-rate route for a single item, from 2019-01-01); see DOMAIN.md §4.

Rounding — one rule, applied everywhere: every tax is computed at full precision (the bases of
later taxes use the unrounded earlier taxes), the 70 % factor is applied at full precision, and
only then is each tax rounded to the fen (ROUND_HALF_UP). The total is the sum of the rounded
taxes, so it always equals what is itemised. Rounding the statutory amount before applying the
70 % factor would differ by a fen in some cases (cosmetics 500: CT 61.76 here, 61.77 that way).
Customs may round differently; ``reconcile`` reports any such difference against CEB816.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Literal, Protocol

from cbec.kernel.errors import FieldError, ValidationFailed

__all__ = [
    "LIMIT_PERIODS",
    "Channel",
    "RetailLimits",
    "TaxQuote",
    "TaxRates",
    "effective_rate",
    "limits_on",
    "parse_amount",
    "parse_rate",
    "quote",
    "quote_as_dict",
    "reconcile",
]

FEN = Decimal("0.01")
ZERO = Decimal(0)
ZERO_FEN = Decimal("0.00")
ONE = Decimal(1)
_PRECISION = 34  # digits kept for intermediate amounts; far beyond any fen that matters

Channel = Literal["retail", "retail_full_rate", "general_trade"]


@dataclass(frozen=True)
class RetailLimits:
    """The limits and the tax factor of one period of the retail import regime."""

    valid_from: date
    valid_to: date | None  # inclusive; None = still in force
    per_transaction: Decimal
    per_year: Decimal
    tax_factor: Decimal  # share of the statutory VAT and CT collected within the limits
    single_item_full_rate: bool  # may one item over the per-transaction limit stay retail at full rate?
    source: str

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


LIMIT_PERIODS: tuple[RetailLimits, ...] = (
    RetailLimits(
        valid_from=date(2016, 4, 8),
        valid_to=date(2018, 12, 31),
        per_transaction=Decimal(2000),
        per_year=Decimal(20000),
        tax_factor=Decimal("0.7"),
        # 18号: a single indivisible item over 2000 is taxed in full as general trade.
        single_item_full_rate=False,
        source="财关税〔2016〕18号",
    ),
    RetailLimits(
        valid_from=date(2019, 1, 1),
        valid_to=None,
        per_transaction=Decimal(5000),
        per_year=Decimal(26000),
        tax_factor=Decimal("0.7"),
        # 49号 art. 2: over 5000, under the annual limit, one item in the order → retail at full rate.
        single_item_full_rate=True,
        source="财关税〔2018〕49号",
    ),
)


def limits_on(on: date | None = None) -> RetailLimits:
    """The limits in force on ``on``; the latest period when ``on`` is None."""
    if on is None:
        return LIMIT_PERIODS[-1]
    for period in LIMIT_PERIODS:
        if period.covers(on):
            return period
    first = LIMIT_PERIODS[0].valid_from
    raise ValidationFailed(
        [
            FieldError(
                "on",
                "tax.no_retail_regime",
                f"no cross-border retail import tax regime on {on.isoformat()}",
                f"the regime starts on {first.isoformat()} ({LIMIT_PERIODS[0].source}); "
                "earlier imports paid postal tax (行邮税)",
            )
        ]
    )


@dataclass(frozen=True)
class TaxRates:
    """Statutory rates as fractions (0.13 = 13 %). ``tariff`` None means the rate is not known."""

    vat: Decimal
    consumption: Decimal = ZERO
    tariff: Decimal | None = ZERO
    source: str = "given by the caller"

    def problems(self) -> list[FieldError]:
        errors: list[FieldError] = []
        for name, value, upper in (
            ("vat", self.vat, ONE),
            ("ct", self.consumption, ONE),
            ("tariff", self.tariff, None),
        ):
            if value is None:
                continue
            if not value.is_finite() or value < 0 or (upper is not None and value >= upper):
                bound = "between 0 and 1 (exclusive)" if upper is not None else "0 or more"
                errors.append(
                    FieldError(name, "rate.out_of_range", f"{name} rate {value} is not {bound}", "e.g. 0.13 or 13%")
                )
        return errors


@dataclass(frozen=True)
class TaxQuote:
    channel: Channel
    dutiable_value: Decimal
    customs_duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total_tax: Decimal
    reasons: list[str]
    counts_toward_annual: Decimal
    trace: list[str] = field(default_factory=list)


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _show(value: Decimal) -> str:
    """An amount for the trace: exact when short, else to six places marked as approximate."""
    if value == value.quantize(Decimal("0.000001")):
        return str(value.normalize()) if value != value.to_integral_value() else str(value.quantize(ONE))
    return "≈" + str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def _check_inputs(
    price: Decimal, freight: Decimal, insurance: Decimal, items: int, annual_used: Decimal, rates: TaxRates
) -> None:
    errors: list[FieldError] = []
    for name, value in (("price", price), ("freight", freight), ("insurance", insurance), ("annual_used", annual_used)):
        if not value.is_finite() or value < 0:
            errors.append(FieldError(name, "amount.negative", f"{name} must be 0 or more, got {value}"))
    if items < 1:
        errors.append(FieldError("items", "items.too_few", f"items must be 1 or more, got {items}"))
    errors += rates.problems()
    if errors:
        raise ValidationFailed(errors)


def quote(
    *,
    price: Decimal,
    freight: Decimal = ZERO,
    insurance: Decimal = ZERO,
    rates: TaxRates,
    items: int = 1,
    annual_used: Decimal = ZERO,
    indivisible_single_item: bool | None = None,
    on: date | None = None,
) -> TaxQuote:
    """The retail import tax of one order (DOMAIN §4).

    ``price`` is the declared price, non-cash deductions (coupons, points) not subtracted.
    ``indivisible_single_item`` None means "the order is one item exactly when ``items`` is 1";
    False says the order must not use the single-item route even with ``items`` 1.
    """
    if any(isinstance(v, float) for v in (price, freight, insurance, annual_used)):
        raise TypeError("amounts must be Decimal (or int), never float")
    price, freight, insurance, annual_used = (Decimal(v) for v in (price, freight, insurance, annual_used))
    _check_inputs(price, freight, insurance, items, annual_used, rates)
    if indivisible_single_item and items != 1:
        raise ValidationFailed(
            [FieldError("items", "items.not_single", f"an indivisible single item means items = 1, got {items}")]
        )
    limits = limits_on(on)
    single_item = items == 1 if indivisible_single_item is None else indivisible_single_item

    with localcontext() as ctx:
        ctx.prec = _PRECISION
        value = price + freight + insurance
        trace = [
            f"period {limits.valid_from.isoformat()}–{limits.valid_to.isoformat() if limits.valid_to else ''}"
            f" ({limits.source}): {limits.per_transaction} per transaction, {limits.per_year} per year",
            f"dutiable value = price {price} + freight {freight} + insurance {insurance} = {value}",
        ]
        after = annual_used + value
        within_single = value <= limits.per_transaction
        within_year = after <= limits.per_year
        year_text = f"annual {annual_used} + {value} = {after}"

        if within_single and within_year:
            reasons = [
                f"within limits: {value} ≤ {limits.per_transaction} per transaction and "
                f"{year_text} ≤ {limits.per_year} ({limits.source})",
                f"tariff 0; VAT and consumption tax at {_pct(limits.tax_factor)} of the statutory amount",
            ]
            if rates.tariff is None:
                reasons.append("the MFN tariff is unknown but not needed: tariff is 0 in the retail channel")
            return _retail(value, rates, limits, reasons, trace)

        reasons = []
        if not within_single:
            reasons.append(f"dutiable value {value} is over the {limits.per_transaction} per-transaction limit")
        if not within_year:
            reasons.append(f"{year_text} is over the {limits.per_year} annual limit")
        if not within_single and within_year and single_item and limits.single_item_full_rate:
            reasons.append(
                f"one item in the order and annual room left ({year_text} ≤ {limits.per_year}): retail channel, "
                f"tariff, VAT and consumption tax in full; counts toward the annual limit ({limits.source})"
            )
            return _full_rate(value, rates, reasons, trace)
        if not within_single and within_year:
            if not single_item:
                reasons.append("more than one item in the order (or not indivisible): the single-item route is closed")
            elif not limits.single_item_full_rate:
                reasons.append(
                    f"under {limits.source} a single indivisible item over the limit is general trade "
                    "(the full-rate retail route began with 财关税〔2018〕49号 on 2019-01-01)"
                )
        reasons.append(
            "general trade: no retail import tax is computed; the order does not count toward the annual limit"
        )
        trace.append("channel general_trade: no retail tax")
        z = ZERO_FEN
        return TaxQuote("general_trade", _fen(value), z, z, z, z, reasons, z, trace)


def _retail(value: Decimal, rates: TaxRates, limits: RetailLimits, reasons: list[str], trace: list[str]) -> TaxQuote:
    ct, vat, factor = rates.consumption, rates.vat, limits.tax_factor
    ct_full = value / (ONE - ct) * ct
    vat_full = (value + ct_full) * vat
    ct_due, vat_due = ct_full * factor, vat_full * factor
    trace += [
        "customs duty = 0 (retail channel within limits)",
        f"CT statutory = {value} / (1 − {ct}) × {ct} = {_show(ct_full)}",
        f"CT due = {_show(ct_full)} × {factor} = {_show(ct_due)} → {_fen(ct_due)}",
        f"VAT statutory = ({value} + {_show(ct_full)}) × {vat} = {_show(vat_full)}",
        f"VAT due = {_show(vat_full)} × {factor} = {_show(vat_due)} → {_fen(vat_due)}",
        f"total = {_fen(ct_due)} + {_fen(vat_due)} = {_fen(ct_due) + _fen(vat_due)}",
    ]
    return TaxQuote(
        "retail", _fen(value), ZERO_FEN, _fen(ct_due), _fen(vat_due),
        _fen(ct_due) + _fen(vat_due), reasons, _fen(value), trace,
    )  # fmt: skip


def _full_rate(value: Decimal, rates: TaxRates, reasons: list[str], trace: list[str]) -> TaxQuote:
    if rates.tariff is None:
        raise ValidationFailed(
            [
                FieldError(
                    "tariff",
                    "rate.unknown",
                    f"the tariff rate is unknown ({rates.source}) and this order is taxed in full at the goods' rates",
                    "give the tariff rate explicitly (e.g. --vat/--ct/--tariff) from the current 进出口税则",
                )
            ]
        )
    ct, vat, tariff = rates.consumption, rates.vat, rates.tariff
    duty = value * tariff
    ct_full = (value + duty) / (ONE - ct) * ct
    vat_full = (value + duty + ct_full) * vat
    total = _fen(duty) + _fen(ct_full) + _fen(vat_full)
    trace += [
        f"customs duty = {value} × {tariff} = {_show(duty)} → {_fen(duty)}",
        f"CT = ({value} + {_show(duty)}) / (1 − {ct}) × {ct} = {_show(ct_full)} → {_fen(ct_full)}",
        f"VAT = ({value} + {_show(duty)} + {_show(ct_full)}) × {vat} = {_show(vat_full)} → {_fen(vat_full)}",
        f"total = {_fen(duty)} + {_fen(ct_full)} + {_fen(vat_full)} = {total}",
    ]
    return TaxQuote(
        "retail_full_rate", _fen(value), _fen(duty), _fen(ct_full), _fen(vat_full), total, reasons, _fen(value), trace
    )


def effective_rate(rates: TaxRates, factor: Decimal = Decimal("0.7")) -> Decimal:
    """The retail channel's tax as a share of the dutiable value: (vat + ct) / (1 − ct) × factor."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (rates.vat + rates.consumption) / (ONE - rates.consumption) * factor


_CEB816_FIELDS = (
    ("customsTax", "customs_duty"),
    ("valueAddedTax", "vat"),
    ("consumptionTax", "consumption_tax"),
    ("taxTotal", "total_tax"),  # compared only when customs sent it
)


class TaxAmounts(Protocol):
    """What reconciliation reads: a quote, or a stored assessment."""

    @property
    def customs_duty(self) -> Decimal: ...
    @property
    def vat(self) -> Decimal: ...
    @property
    def consumption_tax(self) -> Decimal: ...
    @property
    def total_tax(self) -> Decimal: ...


def reconcile(ours: TaxAmounts, customs: Mapping[str, object]) -> list[str]:
    """Differences between our quote and customs' CEB816 amounts, to the fen; empty when they agree."""
    differences: list[str] = []
    for key, attribute in _CEB816_FIELDS:
        mine: Decimal = getattr(ours, attribute)
        if key not in customs or customs[key] is None or str(customs[key]).strip() == "":
            if key != "taxTotal":
                differences.append(f"{key}: missing from the customs receipt (ours {mine})")
            continue
        try:
            theirs = Decimal(str(customs[key]).strip())
        except InvalidOperation:
            differences.append(f"{key}: customs sent {customs[key]!r}, not a number (ours {mine})")
            continue
        if not theirs.is_finite():
            differences.append(f"{key}: customs sent {customs[key]!r}, not a number (ours {mine})")
        elif theirs != theirs.quantize(FEN, rounding=ROUND_HALF_UP):
            differences.append(f"{key}: customs sent {theirs}, not an amount in fen (ours {mine})")
        elif theirs != mine:
            differences.append(f"{key}: customs {_fen(theirs)}, ours {mine} (difference {_fen(theirs - mine):+})")
    return differences


def parse_amount(text: str | None, path: str, *, default: Decimal = ZERO) -> Decimal:
    """An amount of money from text, exactly (no float); refuses negatives and non-numbers."""
    if text is None or str(text).strip() == "":
        return default
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValidationFailed([FieldError(path, "amount.invalid", f"{text!r} is not an amount", "e.g. 110 or 99.90")])
    if value < 0:
        raise ValidationFailed([FieldError(path, "amount.negative", f"must be 0 or more, got {value}")])
    return value


def parse_rate(text: str, path: str) -> Decimal:
    """A rate given as a fraction ("0.13") or a percentage ("13%"); a bare number above 1 is refused."""
    raw = str(text).strip()
    percent = raw.endswith(("%", "％"))
    number = raw[:-1].strip() if percent else raw
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise ValidationFailed([FieldError(path, "rate.invalid", f"{text!r} is not a rate", "e.g. 0.13 or 13%")])
    if percent:
        return value / 100
    if value > 1:
        raise ValidationFailed(
            [
                FieldError(
                    path, "rate.ambiguous", f"{text!r} is above 1", f"write a fraction (0.13) or a percentage ({raw}%)"
                )
            ]
        )
    return value


def quote_as_dict(result: TaxQuote) -> dict[str, object]:
    """The quote as JSON-ready data: amounts as decimal strings to the fen."""
    return {
        "channel": result.channel,
        "dutiable_value": str(result.dutiable_value),
        "customs_duty": str(result.customs_duty),
        "consumption_tax": str(result.consumption_tax),
        "vat": str(result.vat),
        "total_tax": str(result.total_tax),
        "counts_toward_annual": str(result.counts_toward_annual),
        "reasons": list(result.reasons),
        "trace": list(result.trace),
    }
