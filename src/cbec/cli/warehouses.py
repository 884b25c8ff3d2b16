"""``cbec warehouse``: file, list, show and withdraw overseas warehouses (海外仓备案)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cbec.cli.common import acting_as, emit_json, handled, platform, usage_error
from cbec.registry import warehouse_services as ws
from cbec.registry.warehouses import WarehouseInput, WarehouseMode, parse_area

__all__ = ["warehouse_app"]

warehouse_app = typer.Typer(help="Overseas-warehouse filing (海外仓备案).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user (scope and permissions).")]


@warehouse_app.command("file")
def file_warehouse(
    enterprise: Annotated[str, typer.Option(help="USCC of the filing enterprise (统一社会信用代码).")],
    name: Annotated[str, typer.Option(help="The warehouse's name.")],
    country: Annotated[str, typer.Option(help="Customs country code, 3 digits, e.g. 502.")],
    city: Annotated[str, typer.Option(help="The overseas city.")],
    address: Annotated[str, typer.Option(help="The street address abroad.")],
    area: Annotated[str, typer.Option(help="Floor area in m², e.g. 1200.50.")],
    mode: Annotated[str, typer.Option(help="own (自营) | leased (租赁) | public (公共海外仓).")],
    operator: Annotated[str, typer.Option(help="Who runs the warehouse.")],
    available: Annotated[str | None, typer.Option(help="m² offered to other sellers.")] = None,
    services: Annotated[str | None, typer.Option(help="Services offered, free text.")] = None,
    contact: Annotated[str | None, typer.Option(help="Contact person and phone (never public).")] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """File an overseas warehouse for an enterprise; prints its filing number."""
    data = WarehouseInput(
        name=name,
        country=country,
        overseas_city=city,
        address=address,
        area=area,
        mode=mode,
        operator=operator,
        available_area=available,
        services=services,
        contact=contact,
    )
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            enterprise_id = ws.enterprise_id_by_uscc(uow, enterprise, path="enterprise")
            created = ws.file_warehouse(uow, principal, enterprise_id, data)
    if as_json:
        emit_json({"ok": True, "warehouse": created.snapshot()})
    else:
        typer.echo(f"filed {created.filing_no}: {created.name}")


@warehouse_app.command("list")
def list_warehouses(
    country: Annotated[str | None, typer.Option(help="Customs country code, 3 digits.")] = None,
    mode: Annotated[str | None, typer.Option(help="own | leased | public")] = None,
    min_available: Annotated[str | None, typer.Option(help="At least this many m² offered to others.")] = None,
    text: Annotated[str | None, typer.Option("--text", "-q", help="Part of a name, city, address …")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    as_json: Json = False,
) -> None:
    """The public directory: filed warehouses with their filing enterprise (no personal data)."""
    if mode is not None and mode not in {m.value for m in WarehouseMode}:
        usage_error("--mode must be own, leased or public")
    minimum = parse_area(min_available) if min_available is not None else None
    if min_available is not None and minimum is None:
        usage_error("--min-available must be square metres with at most two decimals")
    p = platform()
    with handled(as_json), p.uow(read_only=True) as uow:
        entries, total = ws.directory(
            uow,
            country=country,
            mode=WarehouseMode(mode) if mode else None,
            min_available=minimum,
            text=text,
            limit=limit,
        )
    if as_json:
        emit_json({"total": total, "items": [e.public() for e in entries]})
        return
    table = Table(title=f"Overseas warehouses: {total}")
    for column in ("filing_no", "name", "country", "city", "mode", "area", "available", "enterprise"):
        table.add_column(column)
    for e in entries:
        row = e.public()
        table.add_row(
            e.warehouse.filing_no,
            e.warehouse.name,
            e.warehouse.country,
            e.warehouse.overseas_city,
            e.warehouse.mode.value,
            str(row["area"]),
            str(row["available_area"] or "-"),
            e.enterprise_name,
        )
    Console().print(table)


@warehouse_app.command("show")
def show_warehouse(filing_no: str, as_user: AsUser = None, as_json: Json = False) -> None:
    """One filing in full (contact included): as the system, or within --as USER's scope."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow(read_only=True) as uow:
            warehouse = ws.get_warehouse(uow, principal, filing_no)
            entry = ws.directory_entry(uow, filing_no)
    record = warehouse.snapshot() | {"enterprise_name": entry.enterprise_name}
    if as_json:
        emit_json({"ok": True, "warehouse": record})
        return
    for key, value in record.items():
        typer.echo(f"{key:>16}  {'' if value is None else value}")


@warehouse_app.command("withdraw")
def withdraw_warehouse(filing_no: str, as_user: AsUser = None, as_json: Json = False) -> None:
    """Withdraw a filing: it leaves the directory and 9810 lists may no longer name it."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            withdrawn = ws.withdraw_warehouse(uow, principal, filing_no)
    if as_json:
        emit_json({"ok": True, "warehouse": withdrawn.snapshot()})
    else:
        typer.echo(f"withdrew {withdrawn.filing_no}")
