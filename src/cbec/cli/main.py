"""``cbec``: serve the platform, migrate, seed, manage users, import enterprises, verify the audit trail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cbec.audit.services import verify
from cbec.cli import exchange
from cbec.cli import stats as stats_cli
from cbec.cli import targets as targets_cli
from cbec.cli.common import EXIT_REJECTED, emit_json, handled, platform, usage_error
from cbec.cli.export import export_app
from cbec.cli.policy import policy_app
from cbec.cli.reports import report_app
from cbec.cli.tax import tax_app
from cbec.cli.warehouses import warehouse_app
from cbec.demo.imports import SIZES
from cbec.demo.rates import DEMO_RATES
from cbec.demo.seed import seed_demo
from cbec.demo.traffic import TrafficReport, seed_traffic
from cbec.identity.model import SYSTEM
from cbec.identity.services import NewUser, create_user, issue_token
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, NotFound, ValidationFailed
from cbec.registry.services import ImportRefused, import_enterprises
from cbec.registry.spreadsheet import build_template, parse_workbook
from cbec.stats.refresh import refresh
from cbec.storage import migrate

app = typer.Typer(
    help="cbec — cross-border e-commerce pilot-zone service platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
registry_app = typer.Typer(help="Enterprise registry (主体备案).", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail.", no_args_is_help=True)
app.command("validate")(exchange.validate)
app.command("ingest")(exchange.ingest)
app.command("trace")(exchange.trace)
app.add_typer(tax_app, name="tax", help="Retail import tax (跨境电商零售进口税).")
app.add_typer(
    export_app, name="export", help="Export side: monthly summary (汇总申报), 103号 register, reconciliation."
)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(policy_app, name="policy", help="Policies as code: seed documents, benefits, quotes (政策兑现).")
app.command("stats")(stats_cli.stats)
app.add_typer(stats_cli.analytics_app, name="analytics")
app.command("targets")(targets_cli.targets_command)
app.command("tiers")(targets_cli.tiers_command)
app.add_typer(targets_cli.target_input_app, name="target")
app.add_typer(report_app, name="report")
for sub, name in (
    (db_app, "db"),
    (demo_app, "demo"),
    (users_app, "users"),
    (registry_app, "registry"),
    (audit_app, "audit"),
):
    app.add_typer(sub, name=name)

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web platform and the JSON API."""
    import uvicorn

    from cbec.web.app import create_app

    settings = platform().settings
    uvicorn.run(
        create_app(platform()),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head", as_json: Json = False) -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    url = platform().settings.database_url
    with handled(as_json):
        migrate.upgrade(url, revision)
    current = migrate.current_revision(platform().engine)
    if as_json:
        emit_json({"ok": True, "revision": current})
    else:
        typer.echo(f"database at revision {current}")


@demo_app.command("seed")
def demo_seed(
    count: int = 300,
    size: Annotated[str, typer.Option(help="import traffic: none | small | city | peak")] = "small",
    as_json: Json = False,
) -> None:
    """Create reproducible demo enterprises, one account per role, and import traffic (idempotent)."""
    p = platform()
    if size not in ("none", *SIZES):
        usage_error(f"--size must be none, {', '.join(SIZES)}")
    with handled(as_json):
        created, accounts = seed_demo(
            p.uow, p.districts, seed=p.settings.demo_seed, password=p.settings.demo_password, count=count
        )
        traffic = TrafficReport()
        if size != "none":
            with _count_progress(enabled=not as_json, label="demo messages") as on_count:
                traffic = seed_traffic(
                    p.uow, p.districts, p.intake_context(), size=size, seed=p.settings.demo_seed, progress=on_count
                )
        with p.uow() as uow:
            if not uow.stats.rates():  # never over a bureau's own rates
                uow.stats.load_rates(DEMO_RATES, uow.clock.now())
                uow.commit()
        refresh(p)  # the fact table, so the cockpit opens on current figures
    if as_json:
        emit_json(
            {
                "ok": True,
                "enterprises_created": created,
                "password": p.settings.demo_password,
                "traffic": traffic.as_dict(),
                "accounts": [{"username": a.username, "role": a.role.value, "scope": a.scope} for a in accounts],
            }
        )
        return
    typer.echo(f"demo enterprises created: {created}")
    typer.echo("import traffic: " + ", ".join(f"{k} {v}" for k, v in traffic.as_dict().items()))
    table = Table(title=f"Demo accounts (password: {p.settings.demo_password})")
    for column in ("username", "role", "scope"):
        table.add_column(column)
    for a in accounts:
        table.add_row(a.username, a.role.value, a.scope)
    Console().print(table)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="enterprise | district_officer | city_admin | auditor | partner")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: str = "",
    enterprise_id: int | None = None,
    city: Annotated[str | None, typer.Option(help="6-digit city code, e.g. 330100")] = None,
    district: Annotated[str | None, typer.Option(help="district code, for district officers")] = None,
    as_json: Json = False,
) -> None:
    """Create a user bound to the scope its role needs."""
    p = platform()
    with handled(as_json), p.uow() as uow:
        user = create_user(
            uow, NewUser(username, display_name or username, role, password, enterprise_id, city, district), p.districts
        )
    result = {"ok": True, "id": user.id, "username": user.username, "role": user.role.value}
    emit_json(result) if as_json else typer.echo(f"created user {user.username} (id {user.id}, {user.role})")


@users_app.command("token")
def users_token(username: str, name: str = "cli", as_json: Json = False) -> None:
    """Issue a personal API token for USERNAME (printed once; only its digest is stored)."""
    p = platform()
    with handled(as_json), p.uow() as uow:
        user = uow.users.by_username(username)
        if user is None:
            raise NotFound(f"no user named {username!r}")
        token = issue_token(uow, user.principal(), name)
    emit_json({"ok": True, "token": token}) if as_json else typer.echo(token)


@registry_app.command("template")
def registry_template(output: Path = Path("enterprise-import-template.xlsx")) -> None:
    """Write the bulk-import template (.xlsx)."""
    output.write_bytes(build_template(platform().districts))
    typer.echo(f"wrote {output}")


def _read_upload(path: Path, limit: int) -> bytes:
    if not path.is_file():
        usage_error(f"{path} is not a file")
    size = path.stat().st_size
    if size > limit:
        raise ValidationFailed(
            [
                FieldError(
                    "file",
                    "file.too_large",
                    f"{path.name} is {size} bytes; the limit is {limit} bytes",
                    "split the file into smaller workbooks",
                )
            ]
        )
    return path.read_bytes()


@contextmanager
def _count_progress(*, enabled: bool, label: str = "reading rows") -> Iterator[Callable[[int], None] | None]:
    """A live counter on stderr while long work runs; silent for --json."""
    if not enabled:
        yield None
        return
    columns = (SpinnerColumn(), TextColumn(label + ": {task.completed}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("rows", total=None)
        yield lambda n: progress.update(task, completed=n)


@registry_app.command("import")
def registry_import(
    file: Path,
    valid_only: Annotated[bool, typer.Option("--valid-only", help="Import the valid rows, report the rest.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Import within this user's scope.")] = None,
    as_json: Json = False,
) -> None:
    """Import enterprises from FILE.xlsx. Any bad row refuses the whole file unless --valid-only."""
    p = platform()
    with handled(as_json):
        data = _read_upload(file, p.settings.max_upload_bytes)
        with _count_progress(enabled=not as_json) as on_rows:
            sheet = parse_workbook(data, p.districts, today=business_date(p.clock), progress=on_rows)
        with p.uow() as uow:
            principal = SYSTEM
            if as_user:
                user = uow.users.by_username(as_user)
                if user is None:
                    raise NotFound(f"no user named {as_user!r}")
                principal = user.principal()
            try:
                report = import_enterprises(uow, principal, sheet, valid_rows_only=valid_only, source=file.name)
            except ImportRefused as refused:
                _print_report(refused.report.as_dict(), as_json, refused=True)
                raise typer.Exit(EXIT_REJECTED) from refused
    _print_report(report.as_dict(), as_json, refused=False)
    if report.errors:
        raise typer.Exit(EXIT_REJECTED)


def _print_report(report: dict[str, object], as_json: bool, *, refused: bool) -> None:
    if as_json:
        emit_json({"ok": not report["errors"], "refused": refused, **report})
        return
    verdict = "refused: nothing imported" if refused else f"imported {report['imported']}"
    typer.echo(f"{report['total_rows']} rows; {verdict}")
    for e in report["errors"]:  # type: ignore[attr-defined]
        typer.echo(f"  row {e['row']} [{e['column']}] {e['code']}: {e['message']}", err=True)


@audit_app.command("verify")
def audit_verify(as_json: Json = False) -> None:
    """Check the audit hash chain; exit 1 naming the first missing or altered event."""
    p = platform()
    with handled(as_json), p.uow(read_only=True) as uow:
        report = verify(uow.audit)
    if as_json:
        emit_json(report.as_dict())
    elif report.ok:
        typer.echo(f"audit trail intact: {report.checked} events")
    else:
        typer.secho(
            f"audit trail BROKEN at event {report.first_bad_seq}: {report.problem}", err=True, fg=typer.colors.RED
        )
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


def main() -> None:  # pragma: no cover
    app()


__all__ = ["app", "main"]
