"""``cbec validate``, ``cbec ingest`` and ``cbec trace``: the exchange from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cbec.cli.common import EXIT_REJECTED, acting_as, emit_json, handled, platform, usage_error
from cbec.exchange.intake import IntakeResult, ingest_message
from cbec.exchange.services import trace as trace_key
from cbec.exchange.validation import check_bytes
from cbec.identity.model import Principal

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
Paths = Annotated[list[Path], typer.Argument(help="Message files (.xml / .json) or folders of them.")]
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user (scope and permissions).")]
SUFFIXES = (".xml", ".json")


def message_files(paths: list[Path]) -> list[Path]:
    """Files as given, folders expanded (sorted, recursively) to their .xml and .json files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            usage_error(f"{path} does not exist")
    return found


def _progress(enabled: bool, total: int) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True, disable=not enabled)


def _read(file: Path, limit: int) -> bytes:
    """The file's bytes, or (when it is larger than any message may be) just enough of them for
    the parser to refuse it by size, without loading a huge file into memory."""
    with file.open("rb") as handle:
        return handle.read(limit + 1)


def validate(paths: Paths, as_json: Json = False) -> None:
    """Run every check that needs no stored state (well-formedness, schema, code sets, arithmetic).
    Stores nothing. Exit 0 when every file is valid, 1 otherwise."""
    limit = platform().settings.max_message_bytes
    files = message_files(paths)
    reports = []
    for file in files:
        report = check_bytes(_read(file, limit), file.name, max_bytes=limit)
        reports.append(
            {
                "file": str(file),
                "valid": not report.errors,
                "errors": [e.as_dict() for e in report.errors],
                "warnings": [w.as_dict() for w in report.warnings],
            }
        )
    invalid = sum(1 for r in reports if not r["valid"])
    if as_json:
        emit_json({"files": len(files), "valid": len(files) - invalid, "invalid": invalid, "reports": reports})
    else:
        for r in reports:
            typer.echo(f"{'ok     ' if r['valid'] else 'INVALID'} {r['file']}")
            for e in [*r["errors"], *r["warnings"]]:  # type: ignore[misc]
                typer.echo(f"    {e['path']}: [{e['code']}] {e['message']}")
    if invalid:
        raise typer.Exit(EXIT_REJECTED)


def _ingest_files(files: list[Path], principal: Principal, show: bool) -> Iterator[IntakeResult]:
    p = platform()
    ctx = p.intake_context()
    with _progress(show, len(files)) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for file in files:
            with p.uow() as uow:
                yield ingest_message(uow, principal, _read(file, ctx.max_bytes), ctx, source=str(file))
            progress.advance(task)


def ingest(paths: Paths, as_user: AsUser = None, as_json: Json = False) -> None:
    """Check, store, match and tax messages; one transaction per message, safe to re-run.
    Exit 0 when every message was accepted (repeats count as accepted), 1 otherwise."""
    files = message_files(paths)
    with handled(as_json):
        principal = acting_as(as_user)
        results = list(_ingest_files(files, principal, show=not as_json))
    rejected = [r for r in results if not r.accepted]
    summary = {
        "messages": len(results),
        "accepted": len(results) - len(rejected),
        "rejected": len(rejected),
        "repeats": sum(1 for r in results if r.repeat),
    }
    if as_json:
        emit_json(summary | {"results": [r.as_dict() for r in results]})
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))
        for r in rejected:
            typer.echo(f"REJECTED {r.source}", err=True)
            for e in r.errors:
                typer.echo(f"    {e.path}: [{e.code}] {e.message}", err=True)
    if rejected:
        raise typer.Exit(EXIT_REJECTED)


def trace(key: str, as_user: AsUser = None, as_json: Json = False) -> None:
    """The whole chain behind an order number, logistics number, list number or buyer ID."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        with p.uow(read_only=True) as uow:
            chain = trace_key(uow, principal, key, p.protector)
    if as_json:
        emit_json({"key": key, "documents": chain})
        return
    if not chain:
        typer.echo(f"nothing found for {key}")
    for d in chain:
        typer.echo(
            f"#{d['id']} {d['type']} v{d['version']} {d['business_key']} status {d['status']} "
            f"received {d['received_at']}"
        )
        for r in d["receipts"]:
            typer.echo(f"    receipt {r['origin']} {r['return_status']} {r['return_info']}")
