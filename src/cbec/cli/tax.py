"""``cbec tax quote``: the retail import tax of one order (a public calculator, no database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer

from cbec.cli.common import emit_json, handled
from cbec.exchange.rates import choose_rates
from cbec.exchange.tax import parse_amount, quote, quote_as_dict
from cbec.kernel.errors import FieldError, ValidationFailed

__all__ = ["tax_app"]

tax_app = typer.Typer(help="Cross-border retail import tax (跨境电商零售进口税).", no_args_is_help=True)


def _option(path: str) -> str:
    return "--" + path.replace("_", "-")


@contextmanager
def _option_paths() -> Iterator[None]:
    """Name the command-line option in field errors (``price`` → ``--price``)."""
    try:
        yield
    except ValidationFailed as error:
        renamed = [FieldError(_option(e.path), e.code, e.message, e.hint) for e in error.errors]
        raise ValidationFailed(renamed) from error


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed([FieldError("on", "date.invalid", f"{text!r} is not a date", "YYYY-MM-DD")]) from None


Rate = Annotated[str | None, typer.Option(help="A fraction (0.13) or a percentage (13%).", show_default=False)]


@tax_app.command("quote")
def tax_quote(
    price: Annotated[str, typer.Option(help="Declared price of the goods (non-cash deductions not subtracted).")],
    freight: Annotated[str, typer.Option(help="Freight.")] = "0",
    insurance: Annotated[str, typer.Option(help="Insurance.")] = "0",
    hs: Annotated[str | None, typer.Option("--hs", help="HS code; rates from the packaged table.")] = None,
    vat: Rate = None,
    ct: Rate = None,
    tariff: Rate = None,
    items: Annotated[int, typer.Option(help="Number of items in the order.")] = 1,
    annual_used: Annotated[str, typer.Option(help="Amount already used this calendar year.")] = "0",
    on: Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD) whose limits apply; default: the latest.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")] = False,
) -> None:
    """Quote the retail import tax: give --hs CODE, or --vat R [--ct R] [--tariff R]."""
    with handled(as_json), _option_paths():
        day = _date(on)
        amounts = {
            name: parse_amount(text, name)
            for name, text in (
                ("price", price),
                ("freight", freight),
                ("insurance", insurance),
                ("annual_used", annual_used),
            )
        }
        rates, described = choose_rates(hs=hs, vat=vat, ct=ct, tariff=tariff, on=day)
        result = quote(
            price=amounts["price"],
            freight=amounts["freight"],
            insurance=amounts["insurance"],
            annual_used=amounts["annual_used"],
            rates=rates,
            items=items,
            on=day,
        )
    if as_json:
        emit_json({"ok": True, **quote_as_dict(result), "rates": described})
        return
    typer.echo(f"channel: {result.channel}")
    for label, amount in (
        ("dutiable value", result.dutiable_value),
        ("customs duty", result.customs_duty),
        ("consumption tax", result.consumption_tax),
        ("VAT", result.vat),
        ("total tax", result.total_tax),
        ("counts toward annual", result.counts_toward_annual),
    ):
        typer.echo(f"  {label:<22}{amount:>14}")
    typer.echo(f"rates: {rates.source}")
    for reason in result.reasons:
        typer.echo(f"- {reason}")
