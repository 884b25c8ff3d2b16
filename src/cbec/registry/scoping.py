"""Who may see and change which enterprise records. Enforced by the services, never by pages."""

from __future__ import annotations

from dataclasses import replace

from cbec.identity.model import Principal, Role
from cbec.kernel.errors import PermissionDenied
from cbec.registry.model import Enterprise, EnterpriseInput
from cbec.registry.ports import EnterpriseQuery

__all__ = ["check_create", "check_edit", "check_view", "scoped_query"]

# Fields that identify an enterprise and decide whose scope it is in: officers only.
OFFICER_ONLY_FIELDS = ("uscc", "city_code", "district_code", "status")


def scoped_query(principal: Principal, query: EnterpriseQuery) -> EnterpriseQuery:
    """Narrow a listing to the principal's scope; an explicit filter outside it is refused."""
    if principal.is_system:
        return query
    if principal.role is Role.ENTERPRISE:
        return replace(query, only_id=principal.enterprise_id)
    if query.city_code not in (None, principal.city_code):
        raise PermissionDenied(f"you may list only enterprises of city {principal.city_code}")
    query = replace(query, city_code=principal.city_code)
    if principal.role is Role.DISTRICT_OFFICER:
        if query.district_code not in (None, principal.district_code):
            raise PermissionDenied(f"you may list only enterprises of district {principal.district_code}")
        query = replace(query, district_code=principal.district_code)
    return query


def in_scope(principal: Principal, enterprise: Enterprise) -> bool:
    return principal.sees(enterprise.id, enterprise.city_code, enterprise.district_code)


def check_view(principal: Principal, enterprise: Enterprise) -> None:
    if not in_scope(principal, enterprise):
        raise PermissionDenied(f"enterprise {enterprise.id} is outside your scope")


def _check_place(principal: Principal, city_code: str, district_code: str) -> None:
    if principal.is_system:
        return
    if city_code != principal.city_code:
        raise PermissionDenied(f"you may register enterprises only in city {principal.city_code}")
    if principal.role is Role.DISTRICT_OFFICER and district_code != principal.district_code:
        raise PermissionDenied(f"you may register enterprises only in district {principal.district_code}")


def check_create(principal: Principal, data: EnterpriseInput) -> None:
    if principal.read_only or principal.role is Role.ENTERPRISE:
        raise PermissionDenied("your role may not register enterprises")
    _check_place(principal, data.city_code, data.district_code)


def check_edit(principal: Principal, current: Enterprise, data: EnterpriseInput) -> None:
    check_view(principal, current)
    if principal.read_only:
        raise PermissionDenied("your role is read-only")
    if principal.role is Role.ENTERPRISE:
        changed = [f for f in OFFICER_ONLY_FIELDS if getattr(current, f) != getattr(data, f)]
        if changed:
            raise PermissionDenied(f"only an officer may change {', '.join(changed)}")
        return
    _check_place(principal, data.city_code, data.district_code)
