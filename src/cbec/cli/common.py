"""Shared CLI plumbing: the platform, JSON output, and the error → exit-code map.

Exit codes: 0 ok, 1 rejected input (validation, permission, conflict, not found), 2 usage error
(Typer's own), 3 the platform itself failed (e.g. the database is unreachable).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any, NoReturn

import typer
from sqlalchemy.exc import OperationalError

from cbec.bootstrap import Platform, bootstrap
from cbec.identity.model import SYSTEM, Principal
from cbec.kernel.errors import CbecError, NotFound, ValidationFailed

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


@cache
def platform() -> Platform:
    return bootstrap()


def acting_as(username: str | None) -> Principal:
    """The principal a command acts as: the named user (``--as``), or the system when none is named."""
    if not username:
        return SYSTEM
    with platform().uow(read_only=True) as uow:
        user = uow.users.by_username(username)
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user.principal()


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(error: CbecError, as_json: bool) -> NoReturn:
    if as_json:
        emit_json({"ok": False, "error": error.as_dict()})
    else:
        typer.secho(f"error [{error.code}]: {error.message}", err=True, fg=typer.colors.RED)
        if isinstance(error, ValidationFailed):
            for e in error.errors:
                hint = f" — {e.hint}" if e.hint else ""
                typer.echo(f"  {e.path}: [{e.code}] {e.message}{hint}", err=True)
    raise typer.Exit(EXIT_REJECTED)


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Turn domain errors into a message and exit code 1; infrastructure failures into 3."""
    try:
        yield
    except CbecError as error:
        fail(error, as_json)
    except OperationalError as error:
        typer.secho(f"database error: {error.orig}", err=True, fg=typer.colors.RED)
        typer.echo("hint: run `cbec db upgrade` and check CBEC_DATABASE_URL", err=True)
        raise typer.Exit(EXIT_FAILED) from error


def usage_error(message: str) -> NoReturn:
    typer.secho(f"usage error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(EXIT_USAGE)


JsonOption = typer.Option(False, "--json", help="Print one JSON object for scripts.")


def run_main(app: Callable[[], Any]) -> None:  # pragma: no cover - console entry
    sys.exit(app())
