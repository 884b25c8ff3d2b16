"""Recording an export return (退运) against its original list, with the tax-free return verdict.

One transaction per return; the enterprise's own return number makes it idempotent (the same
return recorded twice changes nothing); every stored return writes an audit event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cbec.audit.services import record
from cbec.export.model import to_fen
from cbec.export.returns import RETURN_REASONS, check_return, load_return_rules
from cbec.export.services import scope_filter
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, NotFound, PermissionDenied, ValidationFailed

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["ReturnInput", "record_return", "returns_in_scope"]


@dataclass(frozen=True)
class ReturnInput:
    return_no: str
    invt_no: str  # the original export list
    returned_on: date
    reason: str  # unsold | refused
    original_state: bool
    gnums: tuple[int, ...]


def _problems(data: ReturnInput) -> list[FieldError]:
    problems = []
    if not data.return_no.strip() or len(data.return_no) > 60:
        problems.append(FieldError("return_no", "field.required", "a return number of 1–60 characters is required"))
    if data.reason not in RETURN_REASONS:
        allowed = ", ".join(sorted(RETURN_REASONS))
        problems.append(FieldError("reason", "field.choice", f"{data.reason!r} is not a reason", f"one of {allowed}"))
    if not data.gnums:
        problems.append(FieldError("gnums", "field.required", "name the returned items by gnum"))
    return problems


def record_return(uow: SqlUnitOfWork, principal: Principal, data: ReturnInput) -> dict[str, Any]:
    problems = _problems(data)
    if problems:
        raise ValidationFailed(problems)
    (original,) = uow.exports.lists(invt_nos=[data.invt_no]) or (None,)
    if original is None or original.enterprise_id is None:
        raise NotFound(f"no export list {data.invt_no} of a registered shipper")
    if principal.read_only or not principal.sees(original.enterprise_id, original.city_code, original.district_code):
        raise PermissionDenied("you may record returns only for your own (or your scope's) exports")
    known = uow.exports.return_of(original.enterprise_id, data.return_no)
    if known is not None:
        return known | {"repeat": True}
    windows, food = load_return_rules()
    verdict = check_return(
        original,
        returned_on=data.returned_on,
        reason=data.reason,
        original_state=data.original_state,
        returned_gnums=data.gnums,
        windows=windows,
        food=food,
    )
    returned = [i for i in original.items if i.gnum in data.gnums]
    items = [{"gnum": i.gnum, "qty": str(i.qty), "value": str(to_fen(i.total))} for i in returned]
    value = sum((to_fen(i.total) for i in returned), Decimal(0))
    row = {
        "enterprise_id": original.enterprise_id,
        "return_no": data.return_no,
        "document_id": original.document_id,
        "invt_no": data.invt_no,
        "returned_on": data.returned_on,
        "reason": data.reason,
        "original_state": data.original_state,
        "items": json.dumps(items, ensure_ascii=False),
        "value": value,
        "eligible": verdict.eligible,
        "verdict": json.dumps(verdict.as_dict(), ensure_ascii=False, sort_keys=True),
        "created_at": uow.clock.now(),
    }
    uow.exports.add_return(row)
    after = {"return_no": data.return_no, "invt_no": data.invt_no, "eligible": verdict.eligible, "value": str(value)}
    record(uow, principal, "export.return", "document", original.document_id, after=after, city_code=original.city_code)
    uow.commit()
    stored = uow.exports.return_of(original.enterprise_id, data.return_no)
    assert stored is not None
    return stored | {"repeat": False}


def returns_in_scope(uow: SqlUnitOfWork, principal: Principal, limit: int = 200) -> list[dict[str, Any]]:
    """The returns the principal may see, newest first."""
    return uow.exports.returns(scope=scope_filter(principal), limit=limit)
