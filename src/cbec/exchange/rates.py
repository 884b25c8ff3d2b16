"""Tax rates by HS code from the packaged demonstration table ``data/hs_rates.csv``.

Where each column comes from and which rows are uncertain: ``data/HS_RATES_SOURCES.md``.
A rate written ``unknown`` in the table is None here; nothing guesses it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

from cbec.exchange.tax import TaxRates, parse_rate
from cbec.kernel.errors import FieldError, ValidationFailed

__all__ = ["PREFIX_LENGTHS", "HsRate", "choose_rates", "load_rates", "lookup", "rates_for"]

PREFIX_LENGTHS = (10, 8, 6, 4)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class HsRate:
    hs_code: str  # the prefix as listed (4, 6, 8 or 10 digits)
    name_zh: str
    vat: Decimal | None
    consumption_tax: Decimal | None
    mfn_tariff: Decimal | None
    source: str
    valid_from: date

    def tax_rates(self) -> TaxRates:
        """The rates for ``quote``; refuses when VAT or CT is unknown (the tariff may stay unknown)."""
        vat, ct = self.vat, self.consumption_tax
        if vat is None or ct is None:
            missing = " and ".join(name for name, value in (("vat", vat), ("ct", ct)) if value is None)
            raise ValidationFailed(
                [
                    FieldError(
                        "hs",
                        "rate.unknown",
                        f"the {missing} rate of HS {self.hs_code} ({self.name_zh}) is unknown",
                        "give the rates explicitly with --vat/--ct/--tariff",
                    )
                ]
            )
        source = f"hs_rates.csv row {self.hs_code} {self.name_zh}: {self.source} (valid from {self.valid_from})"
        return TaxRates(vat, ct, self.mfn_tariff, source)

    def as_dict(self) -> dict[str, object]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "hs_code": self.hs_code,
            "name_zh": self.name_zh,
            "vat": text(self.vat),
            "consumption_tax": text(self.consumption_tax),
            "mfn_tariff": text(self.mfn_tariff),
            "source": self.source,
            "valid_from": self.valid_from.isoformat(),
        }


def _rate(text: str, column: str, code: str) -> Decimal | None:
    text = text.strip()
    if text == UNKNOWN:
        return None
    try:
        return parse_rate(text, column)
    except ValidationFailed as error:
        raise ValueError(f"hs_rates.csv row {code}: bad {column} {text!r}") from error


@cache
def load_rates() -> dict[str, HsRate]:
    """Every row of ``data/hs_rates.csv`` by its HS prefix; read once per process."""
    text = resources.files("cbec.exchange").joinpath("data/hs_rates.csv").read_text(encoding="utf-8")
    table: dict[str, HsRate] = {}
    for row in csv.DictReader(text.splitlines()):
        code = row["hs_code"].strip()
        if not code.isdigit() or len(code) not in PREFIX_LENGTHS or code in table:
            raise ValueError(f"hs_rates.csv: bad or duplicate hs_code {code!r}")
        table[code] = HsRate(
            hs_code=code,
            name_zh=row["name_zh"].strip(),
            vat=_rate(row["vat"], "vat", code),
            consumption_tax=_rate(row["consumption_tax"], "consumption_tax", code),
            mfn_tariff=_rate(row["mfn_tariff"], "mfn_tariff", code),
            source=row["source"].strip(),
            valid_from=date.fromisoformat(row["valid_from"].strip()),
        )
    return table


def lookup(hs_code: str) -> HsRate:
    """The row with the longest prefix of ``hs_code`` (10, 8, 6 then 4 digits)."""
    code = hs_code.strip().replace(".", "")
    if not code.isdigit() or not 4 <= len(code) <= 10:
        raise ValidationFailed(
            [FieldError("hs", "hs.invalid", f"{hs_code!r} is not an HS code", "4 to 10 digits, e.g. 3304990099")]
        )
    table = load_rates()
    for length in PREFIX_LENGTHS:
        if len(code) >= length and code[:length] in table:
            return table[code[:length]]
    raise ValidationFailed(
        [
            FieldError(
                "hs",
                "hs.unknown",
                f"no rates known for HS {code}",
                "the demonstration table covers a few common goods; give --vat (and --ct, --tariff) instead",
            )
        ]
    )


def rates_for(hs_code: str) -> TaxRates:
    return lookup(hs_code).tax_rates()


def choose_rates(
    *, hs: str | None, vat: str | None, ct: str | None, tariff: str | None, on: date | None = None
) -> tuple[TaxRates, dict[str, object]]:
    """Rates from exactly one of an HS code or explicit rates, with a description for the output.

    Field paths are the neutral names ``hs``, ``vat``, ``ct``, ``tariff``; entry points rename them.
    """
    given = {k: v for k, v in (("vat", vat), ("ct", ct), ("tariff", tariff)) if v not in (None, "")}
    if hs and given:
        raise ValidationFailed(
            [
                FieldError(
                    "hs", "rates.both", "give either an HS code or explicit rates, not both", "drop hs or vat/ct/tariff"
                )
            ]
        )
    if hs:
        row = lookup(hs)
        if on is not None and on < row.valid_from:
            raise ValidationFailed(
                [
                    FieldError(
                        "on",
                        "rate.not_yet_valid",
                        f"the table's rates for HS {row.hs_code} apply from {row.valid_from}, not on {on}",
                        "give the rates of that date explicitly with vat/ct/tariff",
                    )
                ]
            )
        rates = row.tax_rates()
        return rates, {**_describe(rates), "hs": row.as_dict()}
    if "vat" not in given:
        raise ValidationFailed(
            [FieldError("vat", "rates.missing", "give an HS code or a VAT rate (ct and tariff need vat)", "e.g. 0.13")]
        )
    rates = TaxRates(
        vat=parse_rate(given["vat"], "vat"),
        consumption=parse_rate(given["ct"], "ct") if "ct" in given else Decimal(0),
        tariff=parse_rate(given["tariff"], "tariff") if "tariff" in given else Decimal(0),
    )
    return rates, _describe(rates)


def _describe(rates: TaxRates) -> dict[str, object]:
    return {
        "vat": str(rates.vat),
        "consumption": str(rates.consumption),
        "tariff": None if rates.tariff is None else str(rates.tariff),
        "source": rates.source,
    }
