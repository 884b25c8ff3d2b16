"""Reading the exchange: submissions, one document, and the trace of a key — all scoped."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cbec.exchange.model import Message
from cbec.exchange.receipts import RECEIPT_OF, receipt_message
from cbec.exchange.records import DocumentQuery, StoredDocument
from cbec.identity.model import Principal
from cbec.kernel.errors import NotFound, PermissionDenied
from cbec.kernel.privacy import Protector

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["DocumentView", "get_document", "list_documents", "scoped", "trace"]


def scoped(principal: Principal, query: DocumentQuery) -> DocumentQuery:
    """Enterprise users see their own documents, officers their district, city roles their city."""
    return replace(query, **principal.scope_filters())


def _visible(principal: Principal, doc: StoredDocument) -> bool:
    return principal.sees(doc.enterprise_id, doc.city_code, doc.district_code)


@dataclass(frozen=True)
class DocumentView:
    document: StoredDocument
    receipts: list[dict[str, str]]
    tax: dict[str, Any] | None
    versions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        d = self.document
        return {
            "id": d.id,
            "type": d.message_type,
            "business_key": d.business_key,
            "version": d.version,
            "app_type": d.app_type,
            "current": d.is_current,
            "withdrawn": d.withdrawn,
            "status": d.status,
            "status_detail": d.status_detail,
            "sender_code": d.sender_code,
            "enterprise_id": d.enterprise_id,
            "received_at": d.received_at.isoformat(),
            "keys": {k: v for k, v in d.keys.items() if v},
            "body": d.body,
            "receipts": self.receipts,
            "tax": self.tax,
            "versions": self.versions,
        }


def _view(uow: SqlUnitOfWork, doc: StoredDocument) -> DocumentView:
    tax = uow.documents.tax_of(doc.id)
    tax_dict = (
        None
        if tax is None
        else {
            "channel": tax.channel,
            "dutiable_value": str(tax.dutiable_value),
            "customs_duty": str(tax.customs_duty),
            "consumption_tax": str(tax.consumption_tax),
            "vat": str(tax.vat),
            "total_tax": str(tax.total_tax),
            "detail": tax.detail,
            "customs_bill": tax.customs_bill,
        }
    )
    versions = [
        {
            "id": v.id,
            "version": v.version,
            "app_type": v.app_type,
            "status": v.status,
            "received_at": v.received_at.isoformat(),
        }
        for v in uow.documents.versions(doc.message_type, doc.business_key)
    ]
    return DocumentView(doc, [r.__dict__ for r in uow.documents.receipts_of(doc.id)], tax_dict, versions)


def list_documents(uow: SqlUnitOfWork, principal: Principal, query: DocumentQuery) -> tuple[list[StoredDocument], int]:
    return uow.documents.search(scoped(principal, query))


def get_document(uow: SqlUnitOfWork, principal: Principal, document_id: int) -> DocumentView:
    doc = uow.documents.get(document_id)
    if doc is None:
        raise NotFound(f"no document with id {document_id}")
    if not _visible(principal, doc):
        raise PermissionDenied(f"document {document_id} is outside your scope")
    return _view(uow, doc)


def trace(uow: SqlUnitOfWork, principal: Principal, key: str, protector: Protector) -> list[dict[str, Any]]:
    """Every document (all versions) reachable from an order, logistics, list number or buyer ID,
    with receipts, tax and audit events; only what the principal may see."""
    key = key.strip()
    docs = uow.documents.trace(key=key, buyer_key=protector.blind(key) if len(key) >= 15 else None)
    chain = []
    for doc in docs:
        if not _visible(principal, doc):
            continue
        view = _view(uow, doc).as_dict()
        view["events"] = [
            {
                "seq": e.seq,
                "at": e.occurred_at,
                "actor": e.actor,
                "action": e.action,
                "after": json.loads(e.after) if e.after else None,
            }
            for e in reversed(uow.audit.for_subject("document", str(doc.id)))
        ]
        chain.append(view)
    return chain


def receipt_for(uow: SqlUnitOfWork, principal: Principal, document_id: int) -> Message:
    """The platform's answer to one declaration as a customs receipt message (CEB312, 622 …)."""
    view = get_document(uow, principal, document_id)
    doc = view.document
    if doc.message_type not in RECEIPT_OF:
        raise NotFound(f"{doc.message_type} documents have no receipt message")
    head = dict(doc.body.get("head", {}))
    if doc.keys.get("invt_no"):  # customs numbers the list after it was sent: echo that number
        head["invtNo"] = doc.keys["invt_no"] or ""
    return receipt_message(doc.message_type, head, uow.documents.receipts_of(doc.id))
