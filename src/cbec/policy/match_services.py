"""Use cases over matching, simulation and the gate, scoped by the principal like every service.

Who sees what: an enterprise user its own enterprise, a district officer the enterprises of its
district, the city-wide roles their city, the system everything. An explicit enterprise outside
that scope is refused, not silently dropped. Platform facts come from the analytics store in one
grouped query (``fact_sources.platform_facts``); the caller passes the store's fact table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from cbec.identity.model import SYSTEM, Principal, Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from cbec.policy import application_services as apps
from cbec.policy import gate
from cbec.policy.catalog import Catalog, load_catalog
from cbec.policy.fact_sources import PlatformFacts, platform_facts
from cbec.policy.matching import Match, match_all
from cbec.policy.simulation import Claim, Simulation, simulate
from cbec.registry.districts import DistrictBook
from cbec.registry.model import Enterprise
from cbec.registry.ports import EnterpriseQuery

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["EnterpriseMatches", "check_gate", "match_enterprises", "propose_all", "simulate_budget"]

ALL = 10**9  # page size when every enterprise in scope is wanted


@dataclass(frozen=True)
class EnterpriseMatches:
    enterprise: Enterprise
    city: str
    facts: PlatformFacts
    matches: list[Match]

    def as_dict(self) -> dict[str, Any]:
        e = self.enterprise
        return {
            "enterprise": {
                "id": e.id,
                "name": e.name,
                "uscc": e.uscc,
                "city_code": e.city_code,
                "district_code": e.district_code,
            },
            "city": self.city,
            "platform_facts": self.facts.as_dict()["facts"],
            "benefits": [m.as_dict() for m in self.matches],
            "proposable": [m.benefit.id for m in self.matches if m.proposable],
        }


def match_date(uow: SqlUnitOfWork, year: int) -> date:
    """The day benefits are judged on: today within the current year, else the year's last day."""
    today = business_date(uow.clock)
    return today if today.year == year else date(year, 12, 31)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationFailed([FieldError("year", "year.range", f"{year} is not a plausible year", "e.g. 2025")])


def _in_scope(
    uow: SqlUnitOfWork, principal: Principal, enterprise_id: int | None, city: str | None
) -> list[Enterprise]:
    if principal.role is Role.PARTNER:
        raise PermissionDenied("partners do not see enterprises' benefits")
    if enterprise_id is not None:
        found = uow.enterprises.get(enterprise_id)
        if found is None:
            raise NotFound(f"no enterprise with id {enterprise_id}")
        if not principal.sees(found.id, found.city_code, found.district_code):
            raise PermissionDenied(f"enterprise {enterprise_id} is outside your scope")
        return [found]
    filters = principal.scope_filters()
    if city is not None and filters.get("city_code", city) != city:
        raise PermissionDenied(f"you see enterprises of city {principal.city_code} only")
    query = EnterpriseQuery(
        city_code=filters.get("city_code", city),
        district_code=filters.get("district_code"),
        only_id=filters.get("enterprise_id"),
        limit=ALL,
    )
    return uow.enterprises.search(query)[0]


def _city_name(districts: DistrictBook, code: str) -> str:
    """The catalog's name of a city (``Document.city``, e.g. "Hangzhou") for its code."""
    from cbec.policy.workflow import settings  # the catalog-city → code table (policy/data/workflow.toml)

    names = {c: name for name, c in settings().cities.items()}
    if code in names:
        return names[code]
    found = districts.city(code)
    return found.name if found is not None else code


def match_enterprises(
    uow: SqlUnitOfWork,
    principal: Principal,
    lines: ir.Table,
    districts: DistrictBook,
    *,
    year: int,
    enterprise_id: int | None = None,
    city: str | None = None,
    on: date | None = None,
    catalog: Catalog | None = None,
) -> list[EnterpriseMatches]:
    """Every enterprise in scope with the benefits of its city it likely qualifies for."""
    _check_year(year)
    chosen = _in_scope(uow, principal, enterprise_id, city)
    day = on or match_date(uow, year)
    found = catalog or load_catalog()
    known = platform_facts(uow, lines, [e.id for e in chosen], year)
    out = []
    for enterprise in chosen:
        name = _city_name(districts, enterprise.city_code)
        out.append(
            EnterpriseMatches(enterprise, name, known[enterprise.id], match_all(found, name, known[enterprise.id], day))
        )
    return out


def propose_all(
    uow: SqlUnitOfWork,
    lines: ir.Table,
    districts: DistrictBook,
    *,
    year: int,
    enterprise_id: int | None = None,
    city: str | None = None,
    on: date | None = None,
    catalog: Catalog | None = None,
) -> list[Any]:
    """免申即享: propose every proposable award (all facts from the platform) that has no application
    of the year yet, as the system; returns the applications created."""
    found = match_enterprises(
        uow, SYSTEM, lines, districts, year=year, enterprise_id=enterprise_id, city=city, on=on, catalog=catalog
    )
    existing = {(a.enterprise_id, a.benefit) for a in apps.applications(uow, SYSTEM, year=year)}
    created = []
    for item in found:
        for m in item.matches:
            if not m.proposable or (item.enterprise.id, m.benefit.id) in existing:
                continue
            created.append(
                apps.propose(
                    uow,
                    enterprise_id=item.enterprise.id,
                    benefit_id=m.benefit.id,
                    facts=dict(m.facts),
                    on=m.on,
                    evidence=dict(m.provenance),
                )
            )
    return created


def propose_in_scope(
    uow: SqlUnitOfWork,
    principal: Principal,
    lines: ir.Table,
    districts: DistrictBook,
    *,
    year: int,
    catalog: Catalog | None = None,
) -> list[Any]:
    """免申即享 started by a city administrator for their city: the proposable awards of ``year``
    that have no application yet enter the review chain (created by the system, see ``propose``)."""
    if principal.role is not Role.CITY_ADMIN or not principal.city_code:
        raise PermissionDenied("only a city administrator proposes awards without application (免申即享)")
    return propose_all(uow, lines, districts, year=year, city=principal.city_code, catalog=catalog)


def _applications(uow: SqlUnitOfWork, principal: Principal, year: int) -> list[Any]:
    return list(apps.applications(uow, principal, year=year))


def simulate_budget(
    uow: SqlUnitOfWork,
    principal: Principal,
    lines: ir.Table,
    districts: DistrictBook,
    *,
    year: int,
    overrides: dict[str, str],
    city: str | None = None,
    catalog: Catalog | None = None,
) -> Simulation:
    """The year's budget under a draft: the applications' declared facts, plus matching's estimates
    for enterprises and benefits without an application whose inputs all come from the platform."""
    if principal.role not in (None, Role.CITY_ADMIN, Role.AUDITOR, Role.DISTRICT_OFFICER):
        raise PermissionDenied("policy simulation is for the bureau's officers")
    found = catalog or load_catalog()
    claims: list[Claim] = []
    applied = set()
    in_city = {e.id: e for e in _in_scope(uow, principal, None, city)}
    for a in _applications(uow, principal, year):
        if a.enterprise_id not in in_city or str(a.status) in ("rejected", "withdrawn"):
            continue
        facts = {name: Decimal(str(v)) for name, v in a.facts.items()}
        claims.append(Claim(a.enterprise_id, a.district_code or "", a.benefit, facts, a.on, "application"))
        applied.add((a.enterprise_id, a.benefit))
    for item in match_enterprises(uow, principal, lines, districts, year=year, city=city, catalog=found):
        for m in item.matches:
            if not m.missing and m.benefit.inputs and (item.enterprise.id, m.benefit.id) not in applied:
                claims.append(
                    Claim(
                        item.enterprise.id, item.enterprise.district_code, m.benefit.id, dict(m.facts), m.on, "matching"
                    )
                )
    return simulate(found, overrides, claims, year=year)


def check_gate(
    uow: SqlUnitOfWork,
    principal: Principal,
    *,
    benefit_id: str,
    enterprise_id: int,
    facts: dict[str, Decimal],
    year: int,
    threshold: Decimal,
    catalog: Catalog | None = None,
) -> gate.GateResult:
    """Run the anti-fraud gate for a reviewer (or the system) on declared facts, without approving."""
    if principal.role is Role.PARTNER:
        raise PermissionDenied("partners do not review awards")
    _check_year(year)
    _in_scope(uow, principal, enterprise_id, None)
    found = catalog or load_catalog()
    benefit = found.benefits.get(benefit_id)
    if benefit is None:
        raise NotFound(f"no benefit {benefit_id!r} in the catalog")
    return gate.check(uow, benefit=benefit, enterprise_id=enterprise_id, facts=facts, year=year, threshold=threshold)
