"""``cbec policy apply | applications | show | review | approve | disburse | resubmit | withdraw |
queue | overdue | budget``: benefit applications (政策兑现) from the command line.

Thin: every command calls one use case of :mod:`cbec.policy.application_services` in one unit of
work, as the user named by ``--as`` (the system when omitted), and prints the application (or the
list) as JSON with ``--json``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cbec.cli.common import acting_as, emit_json, handled, platform, usage_error
from cbec.cli.policy import policy_app
from cbec.policy import application_services as aps
from cbec.policy.application_queries import catalog
from cbec.policy.workflow import Application, NewAttachment

__all__: list[str] = []

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user (scope and permissions).")]
Ref = Annotated[str, typer.Argument(help="The application's reference, e.g. PA-2025-000042.")]
Facts = Annotated[list[str] | None, typer.Option("--fact", help="A declared fact as NAME=VALUE; repeat for each.")]
Attach = Annotated[list[Path] | None, typer.Option("--attach", help="A file to attach; repeat for each.")]


def _facts(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            usage_error(f"--fact takes NAME=VALUE, found {pair!r}")
        out[name.strip()] = value.strip()
    return out


def _files(paths: list[Path] | None) -> list[NewAttachment]:
    files = []
    for path in paths or []:
        if not path.is_file():
            usage_error(f"--attach {path}: no such file")
        files.append(NewAttachment(path.name, path.read_bytes()))
    return files


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage_error(f"{option} {text!r} is not a date (YYYY-MM-DD)")


def _show(app: Application, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": True, "application": app.as_dict()})
        return
    amount = app.amount_awarded or app.amount_reviewed or app.amount_quoted
    due = f"due {app.due_on.isoformat()}" + (" OVERDUE" if app.overdue else "") if app.due_on else ""
    typer.echo(f"{app.ref}  {app.benefit}  enterprise {app.enterprise_id}  {app.status.value}  {amount} CNY  {due}")
    for e in app.events:
        why = f"  — {e.reason}" if e.reason else ""
        typer.echo(
            f"  {e.at.isoformat(timespec='seconds')}  {e.role:16} {e.action:9} {e.from_status} → {e.to_status}{why}"
        )


def _list(items: list[Application], as_json: bool) -> None:
    if as_json:
        emit_json({"ok": True, "count": len(items), "applications": [a.as_dict() for a in items]})
        return
    for a in items:
        due = a.due_on.isoformat() if a.due_on else "-"
        flag = " OVERDUE" if a.overdue else ""
        typer.echo(f"{a.ref}  {a.benefit:28} {a.enterprise_id:>6}  {a.status.value:16} due {due}{flag}")
    typer.echo(f"{len(items)} application(s)")


@policy_app.command("apply")
def apply_command(
    document: Annotated[str, typer.Argument(help="The policy document, e.g. hangzhou-2024.")],
    benefit: Annotated[str, typer.Argument(help="The benefit id, e.g. hz-7-capacity-voucher.")],
    enterprise: Annotated[int | None, typer.Option("--enterprise", help="The applying enterprise's id.")] = None,
    fact: Facts = None,
    attach: Attach = None,
    client_ref: Annotated[str | None, typer.Option("--client-ref", help="Idempotency key: repeat safely.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Application date, YYYY-MM-DD (default: today).")] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Apply for BENEFIT of DOCUMENT with declared facts and attachments."""
    p = platform()
    facts, files = _facts(fact), _files(attach)
    day = _date(on, "--on") if on else None
    with handled(as_json):
        catalog().benefit(document, benefit)  # the benefit must belong to the named document
        principal = acting_as(as_user)
        with p.uow() as uow:
            app = aps.apply(
                uow,
                principal,
                benefit_id=benefit,
                facts=facts,
                attachments=files,
                on=day,
                enterprise_id=enterprise,
                client_ref=client_ref,
                calendar=p.calendar,
            )
    _show(app, as_json)


@policy_app.command("applications")
def applications_command(
    status: Annotated[str | None, typer.Option("--status", help="Only this status, e.g. submitted.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this award year.")] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """The applications you see (enterprise: its own; officer: the district; city roles: the city)."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow(read_only=True) as uow:
            items = aps.applications(uow, principal, status=status, year=year)
    _list(items, as_json)


@policy_app.command("show")
def show_command(ref: Ref, as_user: AsUser = None, as_json: Json = False) -> None:
    """One application with every step so far."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow(read_only=True) as uow:
            app = aps.get(uow, principal, ref)
    _show(app, as_json)


@policy_app.command("review")
def review_command(
    ref: Ref,
    decision: Annotated[str, typer.Option("--decision", help="pass | return | reject")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required to return or reject).")] = "",
    amount: Annotated[str | None, typer.Option("--amount", help="A lower amount to award, CNY (with pass).")] = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """District pre-review, city review, or an objection during the notice period (return)."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            app = aps.review(uow, principal, ref, decision=decision, reason=reason, amount=amount, calendar=p.calendar)
    _show(app, as_json)


@policy_app.command("approve")
def approve_command(ref: Ref, as_user: AsUser = None, as_json: Json = False) -> None:
    """Award after the notice period: gate, caps across applications, then the pool."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            app = aps.approve(uow, principal, ref, threshold=p.settings.reconcile_threshold, calendar=p.calendar)
    _show(app, as_json)


@policy_app.command("disburse")
def disburse_command(
    ref: Ref,
    voucher: Annotated[str, typer.Option("--voucher", help="The payment voucher number.")],
    paid_on: Annotated[str, typer.Option("--paid-on", help="The date paid, YYYY-MM-DD.")],
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Record the payment of an approved award (拨付)."""
    day = _date(paid_on, "--paid-on")
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow() as uow:
            app = aps.disburse(uow, principal, ref, voucher=voucher, paid_on=day)
    _show(app, as_json)


@policy_app.command("resubmit")
def resubmit_command(
    ref: Ref, fact: Facts = None, attach: Attach = None, as_user: AsUser = None, as_json: Json = False
) -> None:
    """Correct a returned application (补正); it goes back to the step that returned it."""
    p = platform()
    facts, files = _facts(fact), _files(attach)
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow() as uow:
            app = aps.resubmit(uow, principal, ref, facts=facts, attachments=files, calendar=p.calendar)
    _show(app, as_json)


@policy_app.command("withdraw")
def withdraw_command(
    ref: Ref,
    reason: Annotated[str, typer.Option("--reason", help="Why the application is withdrawn.")],
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Withdraw an application before approval."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow() as uow:
            app = aps.withdraw(uow, principal, ref, reason=reason)
    _show(app, as_json)


@policy_app.command("queue")
def queue_command(as_user: AsUser = None, as_json: Json = False) -> None:
    """Applications awaiting your action, the earliest due first."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow(read_only=True) as uow:
            items = aps.queue(uow, principal)
    _list(items, as_json)


@policy_app.command("overdue")
def overdue_command(as_user: AsUser = None, as_json: Json = False) -> None:
    """Applications past the due date of their current step."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow(read_only=True) as uow:
            items = aps.overdue(uow, principal)
    _list(items, as_json)


@policy_app.command("budget")
def budget_command(
    year: Annotated[int, typer.Option("--year", help="The award year.")],
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Pools, awards per benefit and district, and the co-funding split for a year."""
    with handled(as_json):
        principal = acting_as(as_user)
        with platform().uow(read_only=True) as uow:
            found = aps.budget(uow, principal, year=year).as_dict()
    if as_json:
        emit_json({"ok": True, "budget": found})
        return
    for pool in found["pools"]:  # type: ignore[attr-defined]
        typer.echo(f"pool {pool['id']}: {pool['committed']} of {pool['total']} committed, {pool['remaining']} left")
    for line in found["by_benefit"]:  # type: ignore[attr-defined]
        typer.echo(f"{line['benefit']:28} {line['count']:>4} awarded {line['awarded']}  disbursed {line['disbursed']}")
    typer.echo(f"co-funding: {found['co_funding']}")
