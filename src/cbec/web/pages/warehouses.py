"""Overseas-warehouse pages (海外仓备案): the public directory and detail (no sign-in needed), and
the filing form for enterprises and officers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cbec.audit.model import AuditEvent
from cbec.bootstrap import Platform
from cbec.identity.model import Role
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cbec.registry import warehouse_services as ws
from cbec.registry.warehouses import OverseasWarehouse, WarehouseInput, WarehouseMode, parse_area
from cbec.web.deps import Identity, PageIdentity, PlatformDep, require_csrf, resolve_identity
from cbec.web.templating import render

router = APIRouter(prefix="/warehouses")
PER_PAGE = 25
_FIELDS = (
    "name",
    "country",
    "overseas_city",
    "address",
    "area",
    "available_area",
    "mode",
    "operator",
    "services",
    "contact",
)


def _viewer(request: Request) -> Identity | None:
    """Who is looking at a public page, if anyone is signed in (for the navigation and buttons)."""
    identity = resolve_identity(request)
    if identity is not None:
        request.state.identity = identity
    return identity


def _mode_or_none(value: str) -> WarehouseMode | None:
    return WarehouseMode(value) if value in {m.value for m in WarehouseMode} else None


@router.get("")
def directory_page(
    request: Request,
    platform: PlatformDep,
    q: str = "",
    country: str = "",
    mode: str = "",
    min_available: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    viewer = _viewer(request)
    principal = viewer.principal if viewer else None
    with platform.uow(read_only=True) as uow:
        entries, total = ws.directory(
            uow,
            country=country or None,
            mode=_mode_or_none(mode),
            min_available=parse_area(min_available.strip() or None),
            text=q.strip() or None,
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
        countries = ws.directory_countries(uow)
        mine: list[OverseasWarehouse] = []
        if principal is not None and principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
            mine = ws.warehouses_of(uow, principal, principal.enterprise_id)
    context = {
        "entries": entries,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "q": q,
        "country": country,
        "mode": mode,
        "min_available": min_available,
        "countries": countries,
        "modes": list(WarehouseMode),
        "mine": mine,
        "can_file": principal is not None and not principal.read_only,
    }
    return render(request, "warehouses.html", context)


def _form_input(form: Mapping[str, str]) -> WarehouseInput:
    def text(key: str) -> str:
        return form.get(key, "").strip()

    return WarehouseInput(
        name=text("name"),
        country=text("country"),
        overseas_city=text("overseas_city"),
        address=text("address"),
        area=text("area"),
        mode=text("mode"),
        operator=text("operator"),
        available_area=text("available_area") or None,
        services=text("services") or None,
        contact=text("contact") or None,
    )


def _form_page(
    request: Request,
    *,
    filing_no: str | None,
    values: Mapping[str, object],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    context = {
        "filing_no": filing_no,
        "values": values,
        "errors": errors,
        "error_paths": {e.path for e in errors},
        "modes": list(WarehouseMode),
    }
    return render(request, "warehouse_form.html", context, status_code=status_code)


async def _read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, "")) for k in (*_FIELDS, "enterprise_uscc", "version", "csrf_token")}


@router.get("/new")
def new_page(request: Request, identity: PageIdentity) -> Response:
    ws.check_writer(identity.principal)
    return _form_page(request, filing_no=None, values={"mode": WarehouseMode.OWN.value}, errors=[])


def _file(platform: Platform, identity: Identity, uscc: str, data: WarehouseInput) -> OverseasWarehouse:
    principal = identity.principal
    ws.check_writer(principal)
    with platform.uow() as uow:
        if principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
            enterprise_id = principal.enterprise_id  # an enterprise files for itself
        else:
            enterprise_id = ws.enterprise_id_by_uscc(uow, uscc)
        return ws.file_warehouse(uow, principal, enterprise_id, data)


def _update(platform: Platform, identity: Identity, filing_no: str, data: WarehouseInput, version: int | None) -> None:
    with platform.uow() as uow:
        ws.update_warehouse(uow, identity.principal, filing_no, data, expected_version=version)


def _conflict_errors(conflict: Conflict) -> list[FieldError]:
    path = "address" if isinstance(conflict, ws.WarehouseExists) else "version"
    return [FieldError(path, conflict.code, conflict.message, "")]


@router.post("/new")
async def file(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form = await _read_form(request)
    require_csrf(request, identity, form["csrf_token"])
    try:
        created = await run_in_threadpool(_file, platform, identity, form["enterprise_uscc"].strip(), _form_input(form))
    except ValidationFailed as invalid:
        return _form_page(request, filing_no=None, values=form, errors=invalid.errors, status_code=422)
    except Conflict as conflict:
        return _form_page(request, filing_no=None, values=form, errors=_conflict_errors(conflict), status_code=409)
    return RedirectResponse(f"/warehouses/{created.filing_no}", status_code=303)


@router.get("/{filing_no}")
def detail(filing_no: str, request: Request, platform: PlatformDep) -> Response:
    viewer = _viewer(request)
    full: OverseasWarehouse | None = None
    manage = False
    history: list[AuditEvent] = []
    with platform.uow(read_only=True) as uow:
        entry = ws.directory_entry(uow, filing_no)
        if viewer is not None:
            try:
                full = ws.get_warehouse(uow, viewer.principal, filing_no)
            except PermissionDenied:
                full = None  # another enterprise's filing: the public view only
            if full is not None:
                manage = ws.may_manage(uow, viewer.principal, full) and full.is_filed
                history = uow.audit.for_subject("warehouse", filing_no)
    filed_on = entry.warehouse.filed_at.astimezone(SHANGHAI).date().isoformat()
    context = {"entry": entry, "w": entry.warehouse, "full": full, "manage": manage, "history": history}
    context["filed_on"] = filed_on
    return render(request, "warehouse_detail.html", context)


@router.get("/{filing_no}/edit")
def edit_page(filing_no: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    ws.check_writer(identity.principal)
    with platform.uow(read_only=True) as uow:
        current = ws.get_warehouse(uow, identity.principal, filing_no)
    if not current.is_filed:
        raise Conflict(f"warehouse {filing_no} was withdrawn; file it again to list it", code="warehouse.withdrawn")
    data = current.as_input()
    values = {k: getattr(data, k) or "" for k in _FIELDS} | {"version": current.version}
    return _form_page(request, filing_no=filing_no, values=values, errors=[])


@router.post("/{filing_no}/edit")
async def edit(filing_no: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form = await _read_form(request)
    require_csrf(request, identity, form["csrf_token"])
    version = int(form["version"]) if form["version"].isdigit() else None
    try:
        await run_in_threadpool(_update, platform, identity, filing_no, _form_input(form), version)
    except ValidationFailed as invalid:
        return _form_page(request, filing_no=filing_no, values=form, errors=invalid.errors, status_code=422)
    except Conflict as conflict:  # a duplicate address, or someone saved in between: keep the input
        errors = _conflict_errors(conflict)
        return _form_page(request, filing_no=filing_no, values=form, errors=errors, status_code=409)
    return RedirectResponse(f"/warehouses/{filing_no}", status_code=303)


@router.post("/{filing_no}/withdraw")
async def withdraw(filing_no: str, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form = await request.form()
    require_csrf(request, identity, str(form.get("csrf_token", "")))

    def _withdraw() -> None:
        with platform.uow() as uow:
            ws.withdraw_warehouse(uow, identity.principal, filing_no)

    await run_in_threadpool(_withdraw)
    return RedirectResponse(f"/warehouses/{filing_no}", status_code=303)
