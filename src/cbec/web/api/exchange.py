"""Message intake and reading over HTTP: POST one message or a batch, validate, list, trace."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cbec.bootstrap import Platform
from cbec.exchange import services
from cbec.exchange.intake import IntakeResult, ingest_message
from cbec.exchange.jsoncodec import to_json
from cbec.exchange.receipts import format_error_message
from cbec.exchange.records import DocumentQuery
from cbec.exchange.validation import check_bytes
from cbec.exchange.xmlcodec import to_xml
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.web.deps import ApiIdentity, PlatformDep

router = APIRouter(tags=["exchange"])
MAX_BATCH = 10_000


def _messages(body: bytes, content_type: str) -> tuple[list[tuple[str, bytes]], bool]:
    """Split a request into (label, message bytes); True when it was a batch."""
    if "xml" in content_type or body.lstrip()[:1] == b"<":
        return [("message", body)], False
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            [
                FieldError(
                    "body",
                    "json.invalid",
                    f"the body is not JSON: {exc}",
                    'send one message (XML or JSON) or {"messages": [...]}',
                )
            ]
        ) from exc
    if not (isinstance(parsed, dict) and isinstance(parsed.get("messages"), list)):
        return [("message", body)], False
    items: list[Any] = parsed["messages"]
    if len(items) > MAX_BATCH:
        raise ValidationFailed(
            [
                FieldError(
                    "messages",
                    "batch.too_large",
                    f"{len(items)} messages; a batch holds at most {MAX_BATCH}",
                    "split the batch",
                )
            ]
        )
    out = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("xml"), str):
            out.append((f"messages[{i}]", item["xml"].encode()))
        else:
            out.append((f"messages[{i}]", json.dumps(item, ensure_ascii=False).encode()))
    return out, True


def _ingest_all(platform: Platform, principal: Principal, messages: list[tuple[str, bytes]]) -> list[IntakeResult]:
    ctx = platform.intake_context()
    results = []
    for label, data in messages:  # one transaction per message: a crash loses at most the one in flight
        with platform.uow() as uow:
            results.append(ingest_message(uow, principal, data, ctx, source=label))
    return results


@router.post("/messages", operation_id="ingest_messages")
async def ingest(request: Request, identity: ApiIdentity, platform: PlatformDep) -> Response:
    """One customs message (XML or JSON), or ``{"messages": [...]}`` with up to 10,000 (JSON
    objects, or ``{"xml": "..."}``). Each is checked, stored, matched and taxed on its own."""
    messages, batch = _messages(await request.body(), request.headers.get("content-type", ""))
    results = await run_in_threadpool(_ingest_all, platform, identity.principal, messages)
    if not batch:
        result = results[0]
        if "xml" in request.headers.get("accept", "") and not result.accepted:
            # Answer as customs would: a CEB900 format-error receipt naming every problem.
            receipt = format_error_message(result.errors, original_type=result.message_type, at=platform.clock.now())
            return Response(to_xml(receipt), status_code=422, media_type="application/xml")
        return JSONResponse(result.as_dict(), status_code=200 if result.accepted else 422)
    rejected = sum(1 for r in results if not r.accepted)
    body = {
        "messages": len(results),
        "accepted": len(results) - rejected,
        "rejected": rejected,
        "repeats": sum(1 for r in results if r.repeat),
        "results": [r.as_dict() for r in results],
    }
    return JSONResponse(body)


@router.post("/messages/validate", operation_id="validate_messages")
async def validate(request: Request, platform: PlatformDep) -> JSONResponse:
    """Every check that needs no stored state; stores nothing. Open to anyone (an integrator's tool)."""
    messages, _batch = _messages(await request.body(), request.headers.get("content-type", ""))
    limit = platform.settings.max_message_bytes
    reports = []
    for label, data in messages:
        report = check_bytes(data, None, max_bytes=limit)
        reports.append(
            {
                "source": label,
                "valid": not report.errors,
                "errors": [e.as_dict() for e in report.errors],
                "warnings": [w.as_dict() for w in report.warnings],
            }
        )
    invalid = sum(1 for r in reports if not r["valid"])
    return JSONResponse(
        {"messages": len(reports), "valid": len(reports) - invalid, "invalid": invalid, "reports": reports},
        status_code=200 if not invalid else 422,
    )


@router.get("/documents", operation_id="list_documents")
def list_documents(
    identity: ApiIdentity,
    platform: PlatformDep,
    type: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    query = DocumentQuery(message_type=type, status=status, text=q, offset=(page - 1) * per_page, limit=per_page)
    with platform.uow(read_only=True) as uow:
        docs, total = services.list_documents(uow, identity.principal, query)
        items = [services.get_document(uow, identity.principal, d.id).as_dict() for d in docs]
    return {"total": total, "page": page, "per_page": per_page, "items": items}


@router.get("/documents/{document_id}", operation_id="get_document")
def get_document(document_id: int, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    with platform.uow(read_only=True) as uow:
        return services.get_document(uow, identity.principal, document_id).as_dict()


@router.get("/documents/{document_id}/receipt", operation_id="get_receipt")
def get_receipt(document_id: int, identity: ApiIdentity, platform: PlatformDep, format: str = "xml") -> Response:
    """The platform's receipts for one declaration as the customs receipt message (XML or JSON)."""
    with platform.uow(read_only=True) as uow:
        message = services.receipt_for(uow, identity.principal, document_id)
    if format == "json":
        return Response(to_json(message), media_type="application/json")
    return Response(to_xml(message), media_type="application/xml")


@router.get("/trace", operation_id="trace")
def trace(key: str, identity: ApiIdentity, platform: PlatformDep) -> dict[str, Any]:
    with platform.uow(read_only=True) as uow:
        return {"key": key, "documents": services.trace(uow, identity.principal, key, platform.protector)}
