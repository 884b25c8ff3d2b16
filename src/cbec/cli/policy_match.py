"""``cbec policy match | simulate | gate``: 政策找企业 / 免申即享, the budget of a draft policy, and
the anti-fraud gate with its reconciliation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cbec.cli.common import acting_as, emit_json, handled, platform
from cbec.cli.policy import policy_app
from cbec.kernel.clock import business_date
from cbec.kernel.errors import NotFound, PermissionDenied
from cbec.policy import match_services as ms
from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.engine import parse_decimal, parse_facts
from cbec.policy.simulation import parse_overrides
from cbec.stats.refresh import open_lines

__all__ = ["gate_command", "match_command", "simulate_command"]

Json = Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")]
AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user (scope and permissions).")]
Year = Annotated[int | None, typer.Option("--year", help="The calendar year (default: this year).")]
City = Annotated[str | None, typer.Option("--city", help="City code (330100) or the catalog's name (Hangzhou).")]
CatalogDir = Annotated[
    str | None, typer.Option("--catalog", help="Read the policy catalog from this folder (default: shipped).")
]


def _year(year: int | None) -> int:
    return year if year is not None else business_date(platform().clock).year


def _catalog(folder: str | None) -> Catalog | None:
    return load_catalog(Path(folder)) if folder else None


def _city(text: str | None) -> str | None:
    if text is None or text.isdigit():
        return text
    from cbec.policy.workflow import settings

    code = settings().cities.get(text)
    if code is None:
        raise NotFound(f"no city {text!r}; known: {', '.join(sorted(settings().cities))}")
    return code


@policy_app.command("match")
def match_command(
    enterprise: Annotated[int | None, typer.Option("--enterprise", help="One enterprise's id.")] = None,
    year: Year = None,
    city: City = None,
    propose: Annotated[
        bool, typer.Option("--propose", help="Propose every proposable award (免申即享), as the system.")
    ] = False,
    as_user: AsUser = None,
    catalog: CatalogDir = None,
    as_json: Json = False,
) -> None:
    """The benefits each enterprise in scope likely qualifies for, from platform data."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        if propose and not principal.is_system:
            raise PermissionDenied("only the system proposes awards (run without --as)")
        chosen, code, found = _year(year), _city(city), _catalog(catalog)
        with open_lines(p) as lines:
            if propose:
                with p.uow() as uow:
                    created = ms.propose_all(
                        uow, lines, p.districts, year=chosen, enterprise_id=enterprise, city=code, catalog=found
                    )
                proposed = [a.as_dict() for a in created]
            else:
                proposed = []
            with p.uow(read_only=True) as uow:
                results = ms.match_enterprises(
                    uow, principal, lines, p.districts, year=chosen, enterprise_id=enterprise, city=code, catalog=found
                )
    if as_json:
        out: dict[str, object] = {"ok": True, "year": chosen, "enterprises": [r.as_dict() for r in results]}
        if propose:
            out["proposed"] = proposed
        emit_json(out)
        return
    for r in results:
        typer.echo(f"{r.enterprise.id} {r.enterprise.name} ({r.city})")
        for m in r.matches:
            amount = "unknown" if m.amount is None else f"{m.amount} ({m.amount_basis})"
            flag = " [proposable]" if m.proposable else ""
            missing = f"  missing: {', '.join(x.name for x in m.missing)}" if m.missing else ""
            typer.echo(f"  {m.benefit.id:32} {m.status:17} {amount}{flag}{missing}")
    if propose:
        typer.echo(f"{len(proposed)} award(s) proposed")


@policy_app.command("simulate")
def simulate_command(
    set_: Annotated[list[str], typer.Option("--set", help="A draft parameter as PARAM=VALUE; repeat for each.")],
    year: Year = None,
    city: City = None,
    as_user: AsUser = None,
    catalog: CatalogDir = None,
    as_json: Json = False,
) -> None:
    """The year's budget by benefit and district under draft parameters, against the baseline."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        overrides = parse_overrides(set_)
        chosen, code, found = _year(year), _city(city), _catalog(catalog)
        with open_lines(p) as lines, p.uow(read_only=True) as uow:
            result = ms.simulate_budget(
                uow, principal, lines, p.districts, year=chosen, overrides=overrides, city=code, catalog=found
            )
    if as_json:
        emit_json({"ok": True, **result.as_dict()})
        return
    total = result.total
    typer.echo(f"{result.year}: baseline {total['baseline']}, draft {total['draft']}, difference {total['difference']}")
    for row in result.by_benefit:
        typer.echo(f"  {row['benefit']:32} {row['baseline']:>16} {row['draft']:>16} {row['difference']:>16}")
    for row in result.by_district:
        typer.echo(
            f"  district {row['district_code']:23} {row['baseline']:>16} {row['draft']:>16} {row['difference']:>16}"
        )
    for pool in result.pools:
        typer.echo(f"  pool {pool['id']}: baseline {pool['baseline']}, draft {pool['draft']}")


@policy_app.command("gate")
def gate_command(
    enterprise: Annotated[int, typer.Option("--enterprise", help="The enterprise's id.")],
    benefit: Annotated[str, typer.Option("--benefit", help="The benefit id.")],
    fact: Annotated[list[str] | None, typer.Option("--fact", help="A declared fact as NAME=VALUE; repeat.")] = None,
    year: Year = None,
    threshold: Annotated[
        str | None, typer.Option("--threshold", help="Largest gap allowed (default: CBEC_RECONCILE_THRESHOLD).")
    ] = None,
    as_user: AsUser = None,
    catalog: CatalogDir = None,
    as_json: Json = False,
) -> None:
    """Run the anti-fraud gate on declared facts: platform figures and the export reconciliation."""
    p = platform()
    with handled(as_json):
        principal = acting_as(as_user)
        limit = parse_decimal(threshold, "threshold") if threshold else p.settings.reconcile_threshold
        chosen = _year(year)
        with p.uow(read_only=True) as uow:
            result = ms.check_gate(
                uow,
                principal,
                benefit_id=benefit,
                enterprise_id=enterprise,
                facts=parse_facts(fact or []),
                year=chosen,
                threshold=limit,
                catalog=_catalog(catalog),
            )
    if as_json:
        emit_json({"ok": True, "benefit": benefit, "enterprise_id": enterprise, "year": chosen, **result.as_dict()})
    else:
        typer.echo("gate passed" if result.passed else "gate FAILED")
        for reason in result.reasons:
            typer.echo(f"  - {reason}")
        for month in result.reconciliation.get("months", []):
            flags = "; ".join(f["message"] for f in month["flags"]) or "ok"
            typer.echo(
                f"  {month['month']}: released {month['released']} received {month['received']} "
                f"departed {month['departed']}: {flags}"
            )
