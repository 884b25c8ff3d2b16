"""``cbec policy list | benefits | quote | check``: the policy catalog and the benefit calculator.

Pure reads of the shipped catalog; no database is touched.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cbec.cli.common import EXIT_REJECTED, emit_json, handled, platform, usage_error
from cbec.kernel.clock import business_date
from cbec.kernel.errors import ValidationFailed
from cbec.policy.cases import load_cases, run_case
from cbec.policy.catalog import load_catalog
from cbec.policy.docs import render, splice
from cbec.policy.engine import parse_facts, quote
from cbec.policy.targets import link_targets, targets_by_measure, targets_of
from cbec.stats.targets import load_targets

policy_app = typer.Typer(no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
On = Annotated[str | None, typer.Option("--on", help="The date, YYYY-MM-DD (default: today).")]


def _on(text: str | None) -> date:
    if text is None:
        return business_date(platform().clock)
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage_error(f"--on {text!r} is not a date (YYYY-MM-DD)")


@policy_app.command("list")
def list_documents(on: On = None, as_json: Json = False) -> None:
    """The seed documents, their validity, and whether each is in force on the date."""
    with handled(as_json):
        day = _on(on)
        documents = [d.as_dict(day) for d in load_catalog().documents.values()]
    if as_json:
        emit_json({"ok": True, "on": day.isoformat(), "documents": documents})
        return
    labels = {True: "in force", False: "not in force", None: "cannot tell (no validity stated)"}
    for d in documents:
        period = f"{d['valid_from'] or d['issued'] or '?'} to {d['valid_to'] or 'not stated'}"
        typer.echo(f"{d['id']:16} {d['number'] or '(no number)'}  {period}  {labels[d['in_force']]}")  # type: ignore[index]


@policy_app.command("benefits")
def benefits(document: str, as_json: Json = False) -> None:
    """The benefits encoded for DOCUMENT: id, clause, inputs, parameters with their sources."""
    with handled(as_json):
        found = [b.as_dict() for b in load_catalog().benefits_of(document)]
    if as_json:
        emit_json({"ok": True, "document": document, "benefits": found})
        return
    for b in found:
        inputs = ", ".join(f"{i['name']} ({i['unit']})" for i in b["inputs"])  # type: ignore[attr-defined]
        typer.echo(f"{b['id']:28} {b['clause']}  {b['title']}  inputs: {inputs}")


@policy_app.command("quote")
def quote_benefit(
    document: str,
    benefit: str,
    fact: Annotated[list[str] | None, typer.Option("--fact", help="A fact as NAME=VALUE; repeat for each.")] = None,
    on: On = None,
    as_json: Json = False,
) -> None:
    """The most BENEFIT of DOCUMENT grants for the facts on the date, with the trace."""
    with handled(as_json):
        day = _on(on)
        chosen = load_catalog().benefit(document, benefit)
        result = quote(chosen, parse_facts(fact or []), day)
    if as_json:
        emit_json({"ok": True, "document": document, **result.as_dict()})
        return
    for step in result.trace:
        typer.echo(f"  {step.kind:10} {step.text}")
    typer.echo(f"amount {result.amount} CNY" + (f" (capped by {result.capped_by})" if result.capped_by else ""))


@policy_app.command("check")
def check(as_json: Json = False) -> None:
    """Validate the catalog (unique ids, every value sourced, no overlapping periods) and run its YAML cases."""
    problems: list[dict[str, str]] = []
    cases = 0
    try:
        catalog = load_catalog()
    except ValidationFailed as failed:
        problems = [e.as_dict() for e in failed.errors]
    else:
        problems += [e.as_dict() for e in link_targets(catalog, load_targets())[1]]
        for case in load_cases():
            cases += 1
            try:
                differences = run_case(catalog, case)
            except ValidationFailed as failed:
                differences = [failed.message]
            problems += [{"path": case.id, "code": "case.failed", "message": d, "hint": ""} for d in differences]
    if as_json:
        emit_json({"ok": not problems, "cases": cases, "problems": problems})
    elif problems:
        for p in problems:
            typer.secho(f"{p['path']}: [{p['code']}] {p['message']}", err=True, fg=typer.colors.RED)
    else:
        typer.echo(f"policy catalog valid; {cases} cases pass")
    if problems:
        raise typer.Exit(EXIT_REJECTED)


@policy_app.command("targets")
def targets(
    city: Annotated[
        str | None, typer.Option("--city", help="City code (330100) or name (Hangzhou); all when omitted.")
    ] = None,
    as_json: Json = False,
) -> None:
    """Every quantitative target of the seeds with its measure, metric, value, unit, deadline and scope."""
    with handled(as_json):
        found = targets_of(load_catalog(), load_targets(), city)
    if as_json:
        emit_json({"ok": True, "city": city, "targets": [t.as_dict() for t in found]})
        return
    for item in found:
        t = item.target
        value = t.value if t.value is not None else f"unknown ({t.unknown})"
        typer.echo(f"{t.id:34} {t.clause:24} {value} {t.unit} by {t.deadline.isoformat()}  [{t.scope}]")


@policy_app.command("docs")
def docs(
    write: Annotated[str | None, typer.Option("--write", help="Replace the reference section of this page.")] = None,
) -> None:
    """The catalog reference (every numbered clause, where it is encoded or why not), as Markdown."""
    with handled(False):
        catalog = load_catalog()
        reference = render(catalog, targets_by_measure(catalog, load_targets()))
    if write is None:
        typer.echo(reference, nl=False)
        return
    page = Path(write)
    page.write_text(splice(page.read_text(encoding="utf-8") if page.exists() else "", reference), encoding="utf-8")


from cbec.cli import policy_apps, policy_match  # noqa: E402,F401 - they register commands
