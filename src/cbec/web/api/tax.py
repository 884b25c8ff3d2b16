"""The public retail import tax calculator (no authentication: it reads no stored data)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from cbec.exchange.rates import choose_rates
from cbec.exchange.tax import parse_amount, quote, quote_as_dict

router = APIRouter(prefix="/tax", tags=["tax"])


@router.get("/quote", operation_id="quote_retail_import_tax")
def quote_tax(
    price: str,
    freight: str | None = None,
    insurance: str | None = None,
    hs: str | None = None,
    vat: str | None = None,
    ct: str | None = None,
    tariff: str | None = None,
    items: int = 1,
    annual_used: str | None = None,
    on: date | None = None,
) -> dict[str, object]:
    """Retail import tax of one order. Amounts are decimal strings; rates are fractions (0.13) or "13%".

    Give ``hs`` or ``vat`` (with optional ``ct`` and ``tariff``), not both. Field errors name the
    query parameter (HTTP 422).
    """
    rates, described = choose_rates(hs=hs, vat=vat, ct=ct, tariff=tariff, on=on)
    result = quote(
        price=parse_amount(price, "price"),
        freight=parse_amount(freight, "freight"),
        insurance=parse_amount(insurance, "insurance"),
        annual_used=parse_amount(annual_used, "annual_used"),
        rates=rates,
        items=items,
        on=on,
    )
    return {**quote_as_dict(result), "rates": described}
