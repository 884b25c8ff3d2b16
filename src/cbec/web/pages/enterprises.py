"""Registry pages: list with search and filters, detail, create, edit, bulk import."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cbec.bootstrap import Platform
from cbec.identity.model import Role
from cbec.kernel.clock import business_date
from cbec.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from cbec.registry import services
from cbec.registry.model import Enterprise, EnterpriseInput, EnterpriseRole, EnterpriseStatus
from cbec.registry.ports import EnterpriseQuery
from cbec.registry.services import ImportRefused
from cbec.registry.spreadsheet import build_template, parse_workbook
from cbec.web.deps import Identity, PageIdentity, PlatformDep, require_csrf
from cbec.web.templating import render
from cbec.web.uploads import read_limited

router = APIRouter(prefix="/enterprises")
PER_PAGE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


E = TypeVar("E", EnterpriseRole, EnterpriseStatus)


def _enum_or_none(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


@router.get("")
def list_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    q: str = "",
    district: str = "",
    role: str = "",
    status: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    query = EnterpriseQuery(
        text=q.strip() or None,
        district_code=district or None,
        role=_enum_or_none(EnterpriseRole, role),
        status=_enum_or_none(EnterpriseStatus, status),
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    with platform.uow(read_only=True) as uow:
        items, total = services.list_enterprises(uow, identity.principal, query)
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "q": q,
        "district": district,
        "role": role,
        "status": status,
        "roles": list(EnterpriseRole),
        "statuses": list(EnterpriseStatus),
    }
    # htmx live search swaps only the results table.
    template = "enterprise_rows.html" if request.headers.get("hx-request") else "enterprises.html"
    return render(request, template, context)


def _form_input(form: dict[str, str], roles: list[str]) -> EnterpriseInput:
    errors: list[FieldError] = []
    try:
        registered = date.fromisoformat(form.get("registered_on", ""))
    except ValueError:
        errors.append(FieldError("registered_on", "registered_on.invalid", "enter the date as YYYY-MM-DD", ""))
        registered = date.min
    parsed_roles = {_enum_or_none(EnterpriseRole, r) for r in roles}
    status = _enum_or_none(EnterpriseStatus, form.get("status")) or EnterpriseStatus.ACTIVE
    if None in parsed_roles:
        errors.append(FieldError("roles", "roles.unknown", "unknown role", ""))
    if errors:
        raise ValidationFailed(errors)
    return EnterpriseInput(
        uscc=form.get("uscc", "").strip(),
        name=form.get("name", "").strip(),
        city_code=form.get("city_code", ""),
        district_code=form.get("district_code", ""),
        roles=frozenset(r for r in parsed_roles if r is not None),
        registered_on=registered,
        customs_code=form.get("customs_code", "").strip() or None,
        name_en=form.get("name_en", "").strip() or None,
        park=form.get("park", "").strip() or None,
        status=status,
    )


def _form_page(
    request: Request,
    *,
    enterprise_id: int | None,
    values: Mapping[str, object],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    principal = request.state.identity.principal
    # Offer only places the user may register in; the service refuses the rest anyway.
    city_code = principal.city_code or values.get("city_code")
    cities = [c for c in request.app.state.platform.districts.cities if city_code in (None, c.code)]
    context = {
        "enterprise_id": enterprise_id,
        "values": values,
        "errors": errors,
        "error_paths": {e.path for e in errors},
        "roles": list(EnterpriseRole),
        "statuses": list(EnterpriseStatus),
        "cities": cities,
        "only_district": principal.district_code,
    }
    return render(request, "enterprise_form.html", context, status_code=status_code)


_FIELDS = (
    "uscc",
    "name",
    "name_en",
    "customs_code",
    "city_code",
    "district_code",
    "park",
    "registered_on",
    "status",
    "version",
)


async def _read_form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in (*_FIELDS, "csrf_token")}
    return values, [str(r) for r in form.getlist("roles")]


def _require_registrar(identity: Identity) -> None:
    """Pages that only lead to a refused write are refused up front (the services decide anyway)."""
    role = identity.principal.role
    if identity.principal.read_only or role is Role.ENTERPRISE:
        raise PermissionDenied("your role may not register enterprises")


@router.get("/new")
def new_page(request: Request, identity: PageIdentity) -> Response:
    _require_registrar(identity)
    p = identity.principal
    values = {
        "city_code": p.city_code or "",
        "district_code": p.district_code or "",
        "roles": ["ebc"],
        "status": "active",
    }
    return _form_page(request, enterprise_id=None, values=values, errors=[])


# The form handlers are async to read repeated form fields (roles); database work goes to the
# thread pool so it never blocks the event loop.
def _create(platform: Platform, identity: Identity, data: EnterpriseInput) -> Enterprise:
    with platform.uow() as uow:
        return services.create_enterprise(uow, identity.principal, data, platform.districts)


def _update(
    platform: Platform, identity: Identity, enterprise_id: int, data: EnterpriseInput, version: int | None
) -> None:
    with platform.uow() as uow:
        services.update_enterprise(
            uow, identity.principal, enterprise_id, data, platform.districts, expected_version=version
        )


@router.post("/new")
async def create(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form, roles = await _read_form(request)
    require_csrf(request, identity, form["csrf_token"])
    try:
        data = _form_input(form, roles)
        created = await run_in_threadpool(_create, platform, identity, data)
    except ValidationFailed as invalid:
        return _form_page(
            request, enterprise_id=None, values=form | {"roles": roles}, errors=invalid.errors, status_code=422
        )
    return RedirectResponse(f"/enterprises/{created.id}", status_code=303)


@router.get("/import")
def import_page(request: Request, identity: PageIdentity) -> Response:
    _require_registrar(identity)
    return render(request, "import.html", {"report": None, "refused": False})


@router.get("/import/template.xlsx")
def template(identity: PageIdentity, platform: PlatformDep) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="enterprise-import-template.xlsx"'}
    return Response(build_template(platform.districts), media_type=XLSX, headers=headers)


@router.post("/import")
def import_upload(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    file: UploadFile,
    csrf_token: Annotated[str, Form()] = "",
    valid_only: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, identity, csrf_token)
    try:
        sheet = parse_workbook(
            read_limited(file, platform.settings.max_upload_bytes),
            platform.districts,
            today=business_date(platform.clock),
        )
        with platform.uow() as uow:
            report = services.import_enterprises(
                uow, identity.principal, sheet, valid_rows_only=bool(valid_only), source=file.filename or "upload.xlsx"
            )
    except ImportRefused as refused:
        return render(request, "import.html", {"report": refused.report, "refused": True}, status_code=422)
    except ValidationFailed as invalid:
        return render(
            request, "import.html", {"report": None, "refused": True, "file_errors": invalid.errors}, status_code=422
        )
    return render(request, "import.html", {"report": report, "refused": False})


@router.get("/{enterprise_id}")
def detail(enterprise_id: int, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        enterprise = services.get_enterprise(uow, identity.principal, enterprise_id)
        history = uow.audit.for_subject("enterprise", str(enterprise_id))
    return render(request, "enterprise_detail.html", {"e": enterprise, "history": history})


@router.get("/{enterprise_id}/edit")
def edit_page(enterprise_id: int, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    if identity.principal.read_only:
        raise PermissionDenied("your role is read-only")
    with platform.uow(read_only=True) as uow:
        e = services.get_enterprise(uow, identity.principal, enterprise_id)
    values = e.snapshot() | {
        "roles": [r.value for r in e.roles],
        "customs_code": e.customs_code or "",
        "name_en": e.name_en or "",
        "park": e.park or "",
    }
    return _form_page(request, enterprise_id=enterprise_id, values=values, errors=[])


@router.post("/{enterprise_id}/edit")
async def edit(enterprise_id: int, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    form, roles = await _read_form(request)
    require_csrf(request, identity, form["csrf_token"])
    version = int(form["version"]) if form["version"].isdigit() else None
    try:
        data = _form_input(form, roles)
        await run_in_threadpool(_update, platform, identity, enterprise_id, data, version)
    except ValidationFailed as invalid:
        return _form_page(
            request, enterprise_id=enterprise_id, values=form | {"roles": roles}, errors=invalid.errors, status_code=422
        )
    except Conflict as stale:  # someone saved in between: keep the user's input and say so
        errors = [FieldError("version", stale.code, stale.message, "open the record again and redo the edit")]
        return _form_page(
            request, enterprise_id=enterprise_id, values=form | {"roles": roles}, errors=errors, status_code=409
        )
    return RedirectResponse(f"/enterprises/{enterprise_id}", status_code=303)
