"""A home page per role, and the audit trail page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cbec.audit.services import verify
from cbec.identity.model import Role
from cbec.kernel.errors import PermissionDenied
from cbec.registry import services
from cbec.web.deps import PageIdentity, PlatformDep
from cbec.web.templating import render

router = APIRouter()

API_ENDPOINTS = (
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/enterprises?q=&district=&role=&status=&page=&per_page="),
    ("GET", "/api/v1/enterprises/{id}"),
    ("GET", "/api/v1/reference/districts"),
    ("GET", "/api/openapi.json"),
)


@router.get("/")
def root() -> Response:
    return RedirectResponse("/home", status_code=303)


@router.get("/home")
def home(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    principal = identity.principal
    context: dict[str, object] = {"role": principal.role, "endpoints": API_ENDPOINTS}
    with platform.uow(read_only=True) as uow:
        if principal.role is Role.ENTERPRISE:
            assert principal.enterprise_id is not None
            context["enterprise"] = services.get_enterprise(uow, principal, principal.enterprise_id)
        else:
            counts = services.summarize(uow, principal)
            context["by_district"] = sorted(counts["district_code"].items(), key=lambda kv: -kv[1])
            context["by_status"] = counts["status"]
            context["total"] = sum(counts["status"].values())
        if principal.role is Role.AUDITOR:
            context["chain"] = verify(uow.audit)
            context["events"] = uow.audit.recent(20, principal.city_code)
    return render(request, "home.html", context)


@router.get("/audit")
def audit_trail(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    if identity.principal.role not in (Role.AUDITOR, Role.CITY_ADMIN):
        raise PermissionDenied("only auditors and city administrators may read the audit trail")
    with platform.uow(read_only=True) as uow:
        chain = verify(uow.audit)
        events = uow.audit.recent(200, identity.principal.city_code)
    return render(request, "audit.html", {"chain": chain, "events": events})
