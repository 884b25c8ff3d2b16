"""``cbec targets`` (targets with early warning) and ``cbec tiers`` (the 梯度培育库 board).

Mount (in cli/main.py): ``app.command("targets")(targets_command)``,
``app.command("tiers")(tiers_command)`` and ``app.add_typer(target_input_app, name="target")``
for ``cbec target input …``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from cbec.cli.common import emit_json, handled, platform, usage_error
from cbec.kernel.clock import business_date
from cbec.kernel.errors import NotFound
from cbec.stats.refresh import open_lines
from cbec.stats.target_services import enter_target_input, entered_figures, targets_report, tier_board
from cbec.stats.targets import load_targets

__all__ = ["target_input_app", "targets_command", "tiers_command"]

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
City = Annotated[str | None, typer.Option("--city", help="City code, e.g. 330100 (all cities when omitted).")]
On = Annotated[str | None, typer.Option("--on", help="Judge as of this date, YYYY-MM-DD (default: today).")]


def _day(text: str | None) -> date:
    if text is None:
        return business_date(platform().clock)
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage_error(f"--on {text!r} is not a date YYYY-MM-DD")


def targets_command(city: City = None, on: On = None, as_json: Json = False) -> None:
    """Every policy target of the city with progress, forecast and early-warning status."""
    with handled(as_json):
        today = _day(on)
        p = platform()
        catalog = load_targets()
        with p.uow(read_only=True) as uow:
            inputs = entered_figures(uow, catalog, city)
        with open_lines(p) as lines:
            statuses = targets_report(lines, inputs, city, today, catalog)
        if as_json:
            emit_json({"ok": True, "on": today.isoformat(), "city": city, "targets": [s.as_dict() for s in statuses]})
            return
        for s in statuses:
            typer.echo(f"{s.target.id:32} {s.status:15} {s.reason}")


def tiers_command(
    city: Annotated[str, typer.Option("--city", help="City code, e.g. 500000.")],
    on: On = None,
    usd_rate: Annotated[
        str | None, typer.Option("--usd-rate", help="CNY per USD for USD thresholds (Jinan); none is built in.")
    ] = None,
    as_json: Json = False,
) -> None:
    """The tiered cultivation board: each enterprise's tier, gap to the next, moves since last month-end."""
    with handled(as_json):
        rate = None
        if usd_rate is not None:
            try:
                rate = Decimal(usd_rate)
            except InvalidOperation:
                usage_error(f"--usd-rate {usd_rate!r} is not a decimal number")
        today = _day(on)
        with open_lines(platform()) as lines:
            board = tier_board(lines, city, today, rate)
        if as_json:
            emit_json({"ok": True} | board.as_dict())
            return
        typer.echo(f"{board.city.city} {board.window} ({board.city.clause})")
        for name, count in board.counts().items():
            typer.echo(f"  {name}: {count}")
        for m in board.moves:
            typer.echo(f"  move {m.kind}: enterprise {m.enterprise_id} {m.from_tier} -> {m.to_tier}")


target_input_app = typer.Typer(no_args_is_help=True)


@target_input_app.command("input")
def input_command(
    target_id: Annotated[str, typer.Argument(help="The target id (see `cbec targets --json`).")],
    value: Annotated[str, typer.Option("--value", help="The figure reached, decimal text.")],
    source: Annotated[str, typer.Option("--source", help="Where the figure comes from.")],
    username: Annotated[str, typer.Option("--as", help="The city administrator entering it.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The date the figure is as of, YYYY-MM-DD.")],
    as_json: Json = False,
) -> None:
    """Enter a figure for a target the platform cannot measure (city administrators only)."""
    with handled(as_json):
        day = _day(as_of)
        p = platform()
        with p.uow() as uow:
            user = uow.users.by_username(username)
            if user is None:
                raise NotFound(f"no user {username!r}")
            figure = enter_target_input(uow, user.principal(), target_id, day, value, source)
        if as_json:
            emit_json({"ok": True, "input": figure.as_dict()})
        else:
            typer.echo(f"entered {figure.value} for {figure.target_id} as of {figure.as_of}")
