"""Dated exchange rates to CNY for statistics (统计折算).

A rate is valid from its date until the next rate of the same currency. Customs publishes one
rate per month for duty and statistics (海关月度计征汇率); a bureau loads them with
``cbec stats rates load`` (docs/stats.md). CNY (customs code 142) is 1 by definition. Nothing
is assumed: a currency or date without a loaded rate converts to ``None`` and the fact line
says so.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from cbec.kernel.errors import FieldError, ValidationFailed

__all__ = ["CNY", "FxRate", "RateBook", "parse_rates_csv"]

CNY = "142"
RATE_COLUMNS = ("currency", "valid_from", "cny_per_unit", "source")


@dataclass(frozen=True)
class FxRate:
    currency: str  # customs currency code, e.g. 502 = USD
    valid_from: date
    cny_per_unit: Decimal
    source: str  # where the figure comes from (notice, month) or "demo: not an official rate"


class RateBook:
    """Look-up of the rate in force on a date; immutable once built."""

    def __init__(self, rates: Iterable[FxRate]) -> None:
        by_currency: dict[str, list[FxRate]] = {}
        for rate in rates:
            by_currency.setdefault(rate.currency, []).append(rate)
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[FxRate]] = {}
        for currency, found in by_currency.items():
            found.sort(key=lambda r: r.valid_from)
            self._rates[currency] = found
            self._dates[currency] = [r.valid_from for r in found]

    def find(self, currency: str, on: date) -> FxRate | None:
        dates = self._dates.get(currency)
        if not dates:
            return None
        at = bisect_right(dates, on)
        return self._rates[currency][at - 1] if at else None

    def rate(self, currency: str, on: date) -> Decimal | None:
        if currency == CNY:
            return Decimal(1)
        found = self.find(currency, on)
        return None if found is None else found.cny_per_unit

    def all(self) -> list[FxRate]:
        return [rate for rates in self._rates.values() for rate in rates]


def parse_rates_csv(text: str) -> list[FxRate]:
    """Parse a rates file (UTF-8 CSV, header ``currency,valid_from,cny_per_unit,source``).
    Every bad row is reported with its row number; nothing is returned unless all rows pass."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if tuple(reader.fieldnames or ()) != RATE_COLUMNS:
        raise ValidationFailed(
            [FieldError("header", "rates.header", f"expected columns {','.join(RATE_COLUMNS)}", "fix the header row")]
        )
    errors: list[FieldError] = []
    rates: list[FxRate] = []
    seen: set[tuple[str, date]] = set()

    for number, row in enumerate(reader, start=2):
        path = f"row[{number}]"
        currency = (row["currency"] or "").strip()
        if not (len(currency) == 3 and currency.isdigit()):
            errors.append(
                FieldError(
                    f"{path}/currency", "rates.currency", "not a 3-digit customs currency code", "use e.g. 502 for USD"
                )
            )
            continue
        try:
            valid_from = date.fromisoformat((row["valid_from"] or "").strip())
        except ValueError:
            errors.append(
                FieldError(
                    f"{path}/valid_from", "rates.date", "not a date YYYY-MM-DD", "write the first day the rate applies"
                )
            )
            continue
        try:
            value = Decimal((row["cny_per_unit"] or "").strip())
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            errors.append(
                FieldError(f"{path}/cny_per_unit", "rates.value", "not a positive decimal", "write CNY per one unit")
            )
            continue
        source = (row["source"] or "").strip()
        if not source:
            errors.append(
                FieldError(f"{path}/source", "rates.source", "every rate needs its source", "name the notice")
            )
            continue
        if (currency, valid_from) in seen:
            errors.append(
                FieldError(path, "rates.duplicate", f"a second rate for {currency} from {valid_from}", "keep one")
            )
            continue
        seen.add((currency, valid_from))
        rates.append(FxRate(currency, valid_from, value, source))
    if errors:
        raise ValidationFailed(errors)
    return rates
