"""Exchange pages: submissions list, one document, trace, and uploading messages or an order workbook.

Every read goes through ``cbec.exchange.services`` (which scopes it) and every upload through
``ingest_message`` with one unit of work per message, exactly like the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import Response

from cbec.bootstrap import Platform
from cbec.exchange import services
from cbec.exchange.intake import IntakeResult, ingest_message
from cbec.exchange.messages import IMPORT_DECLARATIONS
from cbec.exchange.records import DocumentQuery
from cbec.exchange.spec import SPECS
from cbec.exchange.workbook import RowError, build_order_template, orders_from_workbook
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import Principal, Role
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from cbec.registry import services as registry
from cbec.web.deps import Identity, PageIdentity, PlatformDep, require_csrf
from cbec.web.i18n import translate
from cbec.web.templating import render
from cbec.web.uploads import read_limited

router = APIRouter(prefix="/exchange")
PER_PAGE = 25
MAX_FILES = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCUMENT_STATUSES = ("received", "waiting", "matched", "120", "100", "399", "500", "800", "withdrawn", "cancelled")
SENDERS = (Role.ENTERPRISE, Role.CITY_ADMIN, Role.DISTRICT_OFFICER)


def _type_title(lang: str, message_type: str) -> str:
    spec = SPECS.get(message_type)
    return spec.title if spec is not None and lang == "zh" and spec.title else message_type


def _status_text(lang: str, status: str) -> str:
    """已接收 / 退单 … for a document status; an unknown status shows as itself."""
    key = f"docstatus.{status}"
    text = translate(lang, key)
    return status if text == key else text


def _local_time(value: datetime | str | None, seconds: bool = False) -> str:
    """A stored (UTC) time, or its ISO text, as Beijing time: the time the enterprises work in."""
    if not value:
        return "—"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _rate(value: object) -> str:
    return "—" if value in (None, "", "None") else str(value)


HELPERS = {"type_title": _type_title, "doc_status": _status_text, "local_time": _local_time, "rate": _rate}


def _require_sender(identity: Identity) -> None:
    """Only roles that may send messages get the upload page (intake decides per message anyway)."""
    if identity.principal.read_only or identity.principal.role not in SENDERS:
        raise PermissionDenied("your role may not send messages")


@router.get("")
def list_page(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    type: str = "",
    status: str = "",
    q: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    query = DocumentQuery(
        message_type=type or None,
        status=status or None,
        text=q.strip() or None,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE,
    )
    with platform.uow(read_only=True) as uow:
        items, total = services.list_documents(uow, identity.principal, query)
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "type": type,
        "status": status,
        "q": q,
        "types": [s.type for s in IMPORT_DECLARATIONS],
        "statuses": DOCUMENT_STATUSES,
    } | HELPERS
    template = "exchange_rows.html" if request.headers.get("hx-request") else "exchange_list.html"
    return render(request, template, context)


@router.get("/trace")
def trace_page(request: Request, identity: PageIdentity, platform: PlatformDep, key: str = "") -> Response:
    chain: list[dict[str, Any]] = []
    if key.strip():
        with platform.uow(read_only=True) as uow:
            chain = services.trace(uow, identity.principal, key, platform.protector)
    return render(request, "exchange_trace.html", {"key": key.strip(), "chain": chain} | HELPERS)


def _own_enterprise(platform: Platform, principal: Principal) -> tuple[str, str]:
    """(customs code, name) of an enterprise user's own enterprise; empty for other roles."""
    if principal.role is not Role.ENTERPRISE or principal.enterprise_id is None:
        return "", ""
    with platform.uow(read_only=True) as uow:
        own = registry.get_enterprise(uow, principal, principal.enterprise_id)
    return own.customs_code or "", own.name


@router.get("/template.xlsx")
def template(identity: PageIdentity, platform: PlatformDep) -> Response:
    code, _name = _own_enterprise(platform, identity.principal)
    headers = {"Content-Disposition": 'attachment; filename="order-template.xlsx"'}
    return Response(build_order_template(code), media_type=XLSX, headers=headers)


@router.get("/upload")
def upload_page(request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    _require_sender(identity)
    code, _name = _own_enterprise(platform, identity.principal)
    return render(request, "exchange_upload.html", {"reports": [], "own_code": code} | HELPERS)


@dataclass
class FileReport:
    """What happened to one uploaded file: its messages' results, or why the file was refused."""

    name: str
    workbook: bool = False
    results: list[IntakeResult] = field(default_factory=list)
    file_errors: list[FieldError] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.accepted and not r.repeat)

    @property
    def repeats(self) -> int:
        return sum(1 for r in self.results if r.repeat)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.results if not r.accepted)


def _is_workbook(name: str, data: bytes) -> bool:
    return name.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")


def _ingest(platform: Platform, principal: Principal, data: bytes, source: str) -> IntakeResult:
    with platform.uow() as uow:  # one transaction per message, as the API does
        return ingest_message(uow, principal, data, platform.intake_context(), source=source)


def _registered_name(platform: Platform, code: str) -> str | None:
    with platform.uow(read_only=True) as uow:
        found = uow.enterprises.by_customs_codes([code]).get(code)
    return found.name if found else None


def _workbook(platform: Platform, principal: Principal, name: str, data: bytes) -> FileReport:
    report = FileReport(name, workbook=True)
    code, own_name = _own_enterprise(platform, principal)
    try:
        messages, report.row_errors = orders_from_workbook(
            data,
            ebp_code=code or None,
            ebp_name=own_name or None,
            today=platform.clock.now().astimezone(SHANGHAI),
            name_of=lambda other: _registered_name(platform, other),
        )
    except ValidationFailed as invalid:
        report.file_errors = invalid.errors
        return report
    for message in messages:
        order_no = message.units[0].head["orderNo"]
        report.results.append(_ingest(platform, principal, to_xml(message), f"{name} · {order_no}"))
    return report


@router.post("/upload")
def upload(
    request: Request,
    identity: PageIdentity,
    platform: PlatformDep,
    files: list[UploadFile],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    require_csrf(request, identity, csrf_token)
    _require_sender(identity)
    if len(files) > MAX_FILES:
        raise ValidationFailed(
            [FieldError("files", "file.too_many", f"{len(files)} files; at most {MAX_FILES} at once", "upload fewer")]
        )
    reports: list[FileReport] = []
    for upload_file in files:
        name = upload_file.filename or "upload"
        try:
            data = read_limited(upload_file, platform.settings.max_upload_bytes)
        except ValidationFailed as invalid:
            reports.append(FileReport(name, file_errors=invalid.errors))
            continue
        if _is_workbook(name, data):
            reports.append(_workbook(platform, identity.principal, name, data))
        else:
            reports.append(FileReport(name, results=[_ingest(platform, identity.principal, data, name)]))
    code, _name = _own_enterprise(platform, identity.principal)
    failed = any(r.file_errors or r.row_errors or r.rejected for r in reports)
    context = {"reports": reports, "own_code": code} | HELPERS
    return render(request, "exchange_upload.html", context, status_code=422 if failed else 200)


_PARTNERS = {"order": "CEB311", "payment": "CEB411", "waybill": "CEB511"}


def _field_order(values: dict[str, str], names: tuple[str, ...]) -> list[str]:
    """Fields in the standard's order; anything the spec does not name (should not happen) after."""
    known = [n for n in names if n in values]
    return known + sorted(k for k in values if k not in known)


@router.get("/{document_id}")
def detail(document_id: int, request: Request, identity: PageIdentity, platform: PlatformDep) -> Response:
    with platform.uow(read_only=True) as uow:
        view = services.get_document(uow, identity.principal, document_id)
    doc = view.document
    spec = SPECS.get(doc.message_type)
    head: dict[str, str] = doc.body.get("head", {})
    head_names = _field_order(head, spec.head_order if spec else ())
    lists = []
    for list_name, rows in doc.body.get("lists", {}).items():
        list_spec = spec.list_spec(list_name) if spec else None
        present: dict[str, str] = {k: "" for row in rows for k in row}
        columns = _field_order(present, list_spec.order if list_spec else ())
        lists.append({"name": list_name, "columns": columns, "rows": rows})
    context = {
        "view": view,
        "doc": doc,
        "spec": spec,
        "head": head,
        "head_names": head_names,
        "lists": lists,
        "partners": _PARTNERS,
        "order_no": doc.keys.get("order_no") or "",
    } | HELPERS
    return render(request, "exchange_detail.html", context)
