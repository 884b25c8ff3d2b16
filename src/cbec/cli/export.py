"""``cbec export …``: the monthly summary (汇总申报), the 103号 register, the reconciliation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cbec.cli.common import emit_json, handled, platform, usage_error
from cbec.exchange.intake import ingest_message
from cbec.exchange.xmlcodec import to_xml
from cbec.export.reports import income, income_dict, reconcile, tax_file, tax_register
from cbec.export.return_services import ReturnInput, record_return
from cbec.export.services import summary_applications, summary_overview
from cbec.identity.model import SYSTEM
from cbec.kernel.clock import business_date
from cbec.kernel.errors import NotFound

export_app = typer.Typer(no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
Month = Annotated[str, typer.Option("--month", help="The month of release, YYYY-MM.")]
Uscc = Annotated[str | None, typer.Option("--enterprise", help="Only this enterprise (USCC).")]


def enterprise_id(uscc: str | None) -> int | None:
    if uscc is None:
        return None
    with platform().uow(read_only=True) as uow:
        found = uow.enterprises.get_by_uscc(uscc)
    if found is None:
        raise NotFound(f"no enterprise with USCC {uscc}")
    return found.id


def _apply(month: str, enterprise: int | None) -> list[dict[str, Any]]:
    p = platform()
    with p.uow(read_only=True) as uow:
        messages = summary_applications(uow, SYSTEM, month, enterprise_id=enterprise)
    ctx = p.intake_context()
    outcomes = []
    for message in messages:
        with p.uow() as uow:
            result = ingest_message(uow, SYSTEM, to_xml(message), ctx, source=f"summary:{month}")
        outcome: dict[str, Any] = {"copNo": message.units[0].head["copNo"], "accepted": result.accepted}
        outcome["errors"] = [e.as_dict() for e in result.errors]
        outcomes.append(outcome)
    return outcomes


@export_app.command("summarize")
def summarize(
    month: Month,
    enterprise: Uscc = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Send the summary applications (CEB701) instead of only drafting.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Group the month's released B lists into draft declarations; with --apply, file them."""
    with handled(as_json):
        p = platform()
        wanted = enterprise_id(enterprise)
        applied = _apply(month, wanted) if apply else None
        with p.uow(read_only=True) as uow:
            overview = summary_overview(
                uow,
                SYSTEM,
                month,
                keys=p.summary_keys,
                calendar=p.calendar,
                today=business_date(p.clock),
                enterprise_id=wanted,
            )
        if applied is not None:
            overview["applications"] = applied
        if as_json:
            emit_json(overview)
            return
        _print(overview)


def _print(overview: dict[str, Any]) -> None:
    deadline = overview["deadline"]["due"]
    typer.echo(f"{overview['month']}: due {deadline}; {overview['pending_b_lists']} B lists not yet summarised")
    for entry in overview["enterprises"]:
        drafts = len(entry["draft"]["declarations"]) if entry["draft"] else 0
        typer.echo(
            f"  {entry['ebc_code']} {entry['ebc_name']}: released {entry['released_lists']}, "
            f"A {entry['a_lists']}, pending B {entry['pending_b_lists']} → {drafts} draft declarations, "
            f"summaries {[s['sum_no'] + ' ' + s['state'] for s in entry['summaries']]}"
        )
    for application in overview.get("applications", []):
        state = "accepted" if application["accepted"] else f"refused {application['errors']}"
        typer.echo(f"  CEB701 {application['copNo']}: {state}")


@export_app.command("register")
def register(
    enterprise: Annotated[str, typer.Option("--enterprise", help="The exporting enterprise (USCC).")],
    month: Annotated[str | None, typer.Option("--month", help="Only this month of export, YYYY-MM.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Write the month's tax-bureau file (.xlsx).")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the month's tax-bureau file (CSV).")] = None,
    as_json: Json = False,
) -> None:
    """The 无票免税 register (财税〔2018〕103号) of an enterprise, built from its released lists."""
    with handled(as_json):
        wanted = enterprise_id(enterprise)
        assert wanted is not None
        p = platform()
        with p.uow(read_only=True) as uow:
            found = tax_register(uow, SYSTEM, wanted, month=month)
            for path, kind in ((xlsx, "xlsx"), (csv, "csv")):
                if path is not None:
                    if month is None:
                        usage_error("--xlsx / --csv need --month")
                    path.write_bytes(tax_file(uow, SYSTEM, wanted, month, kind))
        summary = found.as_dict() | {"month": month}
        if as_json:
            emit_json(summary)
            return
        typer.echo(f"{found.enterprise.name}: {len(found.rows)} register lines; totals {summary['totals']}")


@export_app.command("reconcile")
def reconcile_command(
    since: Annotated[str, typer.Option("--from", help="First month of release, YYYY-MM.")],
    until: Annotated[str, typer.Option("--to", help="Last month of release, YYYY-MM.")],
    as_json: Json = False,
) -> None:
    """Released export value vs receipts of payment (CEB403) vs departures (CEB509), per month."""
    with handled(as_json):
        p = platform()
        with p.uow(read_only=True) as uow:
            result = reconcile(uow, SYSTEM, since=since, until=until, threshold=p.settings.reconcile_threshold)
        flagged = [m for m in result.months if m.flagged]
        names = sorted({m.ebc_code for m in flagged})
        data: dict[str, Any] = {
            "months": len(result.months),
            "flagged": [
                {
                    "ebc_code": m.ebc_code,
                    "month": m.month,
                    "lists": m.list_count,
                    "released": {c: str(v) for c, v in m.released.items()},
                    "received": {c: str(v) for c, v in m.received.items()},
                    "departed": {c: str(v) for c, v in m.departed.items()},
                    "unreceived_lists": len(m.unreceived),
                    "undeparted_lists": len(m.undeparted),
                    "reasons": [f.message for f in m.flags],
                }
                for m in flagged
            ],
            "flagged_enterprises": names,
        }
        if as_json:
            emit_json(data)
            return
        typer.echo(f"{data['months']} enterprise-months; flagged: {', '.join(names) or 'none'}")


@export_app.command("income")
def income_command(
    enterprise: Annotated[str, typer.Option("--enterprise", help="The exporting enterprise (USCC).")],
    since: Annotated[str, typer.Option("--from", help="First month of export, YYYY-MM.")],
    until: Annotated[str, typer.Option("--to", help="Last month of export, YYYY-MM.")],
    as_json: Json = False,
) -> None:
    """4 % deemed taxable income (国家税务总局公告2019年第36号) of an enterprise's released exports."""
    with handled(as_json):
        wanted = enterprise_id(enterprise)
        assert wanted is not None
        with platform().uow(read_only=True) as uow:
            data = income_dict(income(uow, SYSTEM, wanted, since=since, until=until))
        if as_json:
            emit_json(data)
            return
        shown = data["taxable_income_cny"] or f"unknown — {data['unknown_reason']}"
        typer.echo(f"{data['lists']} lists, revenue {data['revenue_cny']} CNY → taxable income {shown}")


@export_app.command("return")
def return_command(
    return_no: Annotated[str, typer.Option("--return-no", help="Your own number for this return.")],
    invt_no: Annotated[str, typer.Option("--invt-no", help="The original export list number.")],
    returned_on: Annotated[str, typer.Option("--returned-on", help="Date the goods came back, YYYY-MM-DD.")],
    gnums: Annotated[list[int], typer.Option("--gnum", help="A returned item's gnum (repeat the option).")],
    reason: Annotated[str, typer.Option("--reason", help="unsold (滞销) or refused (退货).")] = "unsold",
    original_state: Annotated[bool, typer.Option("--original-state/--altered", help="Back in original state?")] = True,
    as_json: Json = False,
) -> None:
    """Record an export return (退运) and check the tax-free return conditions (公告2023年第4号)."""
    with handled(as_json):
        try:
            day = date.fromisoformat(returned_on)
        except ValueError:
            usage_error(f"--returned-on {returned_on!r} is not YYYY-MM-DD")
        data = ReturnInput(return_no, invt_no, day, reason, original_state, tuple(gnums))
        with platform().uow() as uow:
            stored = record_return(uow, SYSTEM, data)
        if as_json:
            emit_json(stored)
            return
        typer.echo(f"return {stored['return_no']} of {stored['invt_no']}: eligible {stored['eligible']}")
