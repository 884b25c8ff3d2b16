"""Reference tables behind the export tax checks, read from ``data/`` or from a bureau's file.

- ``customs_districts.csv``: which customs district prefixes (关区代码, JGS/T 18) belong to a
  pilot-zone city, for 财税〔2018〕103号 第一条(二).
- ``rebate_cancelled.csv``: goods whose export rebate was cancelled (103号 第一条(三)); shipped
  empty, and an empty table means *not loaded*, so the check says unknown.
- ``fx_rates.csv``: CNY per unit of a customs currency code by month, for the deemed income;
  shipped empty because we hold no sourced rates.

Every row must name its source; the loaders refuse a row without one. Where each table comes
from and what is unconfirmed: ``data/TAX_DATA_SOURCES.md``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from cbec.kernel.errors import FieldError, ValidationFailed

__all__ = [
    "CancelledGoods",
    "CustomsDistrict",
    "CustomsTable",
    "FxRate",
    "PilotZone",
    "RebateCancelled",
    "load_customs_districts",
    "load_fx_rates",
    "load_pilot_zones",
    "load_rebate_cancelled",
]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRUE = {"true": True, "false": False}


@dataclass(frozen=True)
class CustomsDistrict:
    city_code: str
    prefix: str  # leading digits of the 4-digit customs area code: 2 = 直属海关, 4 = 隶属海关
    name: str
    source: str
    confirmed: bool


CustomsTable = Mapping[str, tuple[CustomsDistrict, ...]]


@dataclass(frozen=True)
class CancelledGoods:
    hs_prefix: str
    name: str
    source: str


@dataclass(frozen=True)
class RebateCancelled:
    """The rebate-cancelled goods list; with no entries it counts as not loaded."""

    entries: tuple[CancelledGoods, ...]

    @property
    def loaded(self) -> bool:
        return bool(self.entries)

    def match(self, gcode: str) -> bool | None:
        """True when an entry covers ``gcode``; None when ``gcode`` is too short to tell (a 4-digit
        9610 A-list code under a longer listed prefix); False otherwise."""
        code = gcode.strip().replace(".", "")
        if any(code.startswith(e.hs_prefix) for e in self.entries):
            return True
        if any(e.hs_prefix.startswith(code) for e in self.entries):
            return None
        return False


@dataclass(frozen=True)
class FxRate:
    cny_per_unit: Decimal
    source: str


@cache
def _packaged(name: str) -> str:
    return resources.files("cbec.export").joinpath(f"data/{name}").read_text(encoding="utf-8")


def _rows(text: str, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(text.lstrip("\ufeff").splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise _error(name, 1, "file.missing_column", f"missing column(s) {', '.join(missing)}")
    return [
        (number, {c: (row.get(c) or "").strip() for c in columns})
        for number, row in enumerate(reader, start=2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


def _error(name: str, row: int, code: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(f"{name} row {row}", code, message, "correct the row and load the file again")])


def _source(name: str, number: int, row: dict[str, str]) -> str:
    if not row["source"]:
        raise _error(name, number, "source.required", "every row must name its source (document, clause)")
    return row["source"]


def load_customs_districts(text: str | None = None) -> dict[str, tuple[CustomsDistrict, ...]]:
    """City code → its customs districts; the packaged table unless ``text`` (a CSV) is given."""
    name = "customs_districts.csv"
    table: dict[str, list[CustomsDistrict]] = {}
    columns = ("city_code", "customs_prefix", "customs_name", "source", "confirmed")
    for number, row in _rows(_packaged(name) if text is None else text, name, columns):
        prefix = row["customs_prefix"]
        if not prefix.isdigit() or not 2 <= len(prefix) <= 4:
            raise _error(name, number, "customs_prefix.invalid", f"{prefix!r} is not 2 to 4 digits")
        if row["confirmed"].lower() not in _TRUE:
            raise _error(name, number, "confirmed.invalid", "confirmed must be true or false")
        district = CustomsDistrict(
            row["city_code"], prefix, row["customs_name"], _source(name, number, row), _TRUE[row["confirmed"].lower()]
        )
        table.setdefault(district.city_code, []).append(district)
    return {city: tuple(rows) for city, rows in sorted(table.items())}


def load_rebate_cancelled(text: str | None = None) -> RebateCancelled:
    """The rebate-cancelled goods; the packaged file is empty, so the result is not ``loaded``."""
    name = "rebate_cancelled.csv"
    entries = []
    for number, row in _rows(_packaged(name) if text is None else text, name, ("hs_prefix", "name", "source")):
        prefix = row["hs_prefix"].replace(".", "")
        if not prefix.isdigit() or not 2 <= len(prefix) <= 10:
            raise _error(name, number, "hs_prefix.invalid", f"{prefix!r} is not 2 to 10 digits")
        entries.append(CancelledGoods(prefix, row["name"], _source(name, number, row)))
    return RebateCancelled(tuple(entries))


def load_fx_rates(text: str | None = None) -> dict[tuple[str, str], FxRate]:
    """(customs currency code, YYYY-MM) → CNY per unit; the packaged file has no rows."""
    name = "fx_rates.csv"
    rates: dict[tuple[str, str], FxRate] = {}
    for number, row in _rows(
        _packaged(name) if text is None else text, name, ("currency", "month", "cny_per_unit", "source")
    ):
        currency, month = row["currency"], row["month"]
        if not (currency.isdigit() and len(currency) == 3):
            raise _error(name, number, "currency.invalid", f"{currency!r} is not a 3-digit customs currency code")
        if not _MONTH.match(month):
            raise _error(name, number, "month.invalid", f"{month!r} is not a month YYYY-MM")
        try:
            rate = Decimal(row["cny_per_unit"])
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            raise _error(name, number, "cny_per_unit.invalid", f"{row['cny_per_unit']!r} is not a positive number")
        if (currency, month) in rates:
            raise _error(name, number, "rate.duplicate", f"a second rate for {currency} {month}")
        rates[(currency, month)] = FxRate(rate, _source(name, number, row))
    return rates


@dataclass(frozen=True)
class PilotZone:
    """A 跨境电子商务综合试验区 by city, with the State Council reply that set it up."""

    city_code: str
    name: str
    approved_on: date
    source: str  # e.g. the 国函 number of the approval
    confirmed: bool = True  # False: number or date not yet checked against the notice


def load_pilot_zones(text: str | None = None) -> dict[str, PilotZone]:
    """City code → its 综试区 with the approval that set it up (``data/pilot_zones.csv``)."""
    name = "pilot_zones.csv"
    zones: dict[str, PilotZone] = {}
    columns = ("city_code", "name", "approved_on", "source", "confirmed")
    for number, row in _rows(_packaged(name) if text is None else text, name, columns):
        try:
            approved = date.fromisoformat(row["approved_on"])
        except ValueError:
            raise _error(name, number, "approved_on.invalid", f"{row['approved_on']!r} is not YYYY-MM-DD") from None
        if row["confirmed"].lower() not in _TRUE:
            raise _error(name, number, "confirmed.invalid", "confirmed must be true or false")
        source = _source(name, number, row)
        zones[row["city_code"]] = PilotZone(
            row["city_code"], row["name"], approved, source, _TRUE[row["confirmed"].lower()]
        )
    return zones
