"""Stored documents as the exchange services see them (rows in, frozen dataclasses out)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cbec.exchange.model import Unit
from cbec.kernel.privacy import Protector

__all__ = [
    "DocumentQuery",
    "NewDocument",
    "StoredDocument",
    "StoredReceipt",
    "TaxRecord",
    "UnitOutcome",
    "unit_of",
]

# Document statuses besides the customs receipt codes ("120", "100", "399", "800", …).
RECEIVED = "received"  # stored; nothing to match (or matching does not apply)
WAITING = "waiting"  # a list whose partner documents have not all arrived
WITHDRAWN = "withdrawn"  # appType 3
CANCELLED = "cancelled"  # a list cancelled by CEB623


@dataclass(frozen=True)
class NewDocument:
    message_type: str
    business_key: str
    head_guid: str
    message_guid: str
    app_type: str
    sender_code: str
    enterprise_id: int | None
    city_code: str | None
    district_code: str | None
    keys: dict[str, str | None]  # order_no, ebp_code, logistics_no … (columns that join documents)
    buyer_key: str | None
    status: str
    body: dict[str, Any]
    sealed: str
    withdrawn: bool = False


@dataclass(frozen=True)
class StoredDocument:
    id: int
    message_type: str
    business_key: str
    version: int
    head_guid: str
    app_type: str
    is_current: bool
    withdrawn: bool
    sender_code: str
    enterprise_id: int | None
    city_code: str | None
    district_code: str | None
    keys: dict[str, str | None]
    buyer_key: str | None
    status: str
    status_detail: dict[str, Any] | None
    body: dict[str, Any]
    sealed: str
    received_at: datetime


@dataclass(frozen=True)
class StoredReceipt:
    origin: str
    return_status: str
    return_info: str
    return_time: str


@dataclass(frozen=True)
class TaxRecord:
    channel: str
    dutiable_value: Decimal
    customs_duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total_tax: Decimal
    detail: dict[str, Any]
    customs_bill: dict[str, Any] | None = None


@dataclass(frozen=True)
class DocumentQuery:
    message_type: str | None = None
    status: str | None = None
    text: str | None = None  # order number, logistics number or list number
    enterprise_id: int | None = None
    city_code: str | None = None
    district_code: str | None = None
    current_only: bool = True
    offset: int = 0
    limit: int = 50
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class UnitOutcome:
    path: str
    business_key: str
    action: str  # stored | changed | withdrawn | repeat
    document_id: int
    version: int
    status: str
    receipts: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def unit_of(doc: StoredDocument, protector: Protector) -> Unit:
    """The exact unit as received, unsealed (personal data included): for matching and emitting."""
    data = json.loads(protector.unseal(doc.sealed))
    return Unit(head=data["head"], lists=data["lists"])
