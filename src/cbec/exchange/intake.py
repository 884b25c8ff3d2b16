"""Intake: one message in → checked, stored (idempotently, with versions), matched, taxed, answered.

Each message is one transaction: either every business unit in it is stored (with its audit
events, receipts and any status changes it triggers) or nothing is. The same message sent again
(same head guid and business key) changes nothing but an audit event saying it was a repeat.
appType 2 stores a new version and keeps the earlier one; appType 3 stores a withdrawal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cbec.audit.services import record
from cbec.exchange import exportflow, listflow, summaryflow
from cbec.exchange.jsoncodec import parse_any
from cbec.exchange.model import Message, Unit
from cbec.exchange.records import (
    RECEIVED,
    WAITING,
    WITHDRAWN,
    NewDocument,
    StoredDocument,
    StoredReceipt,
    UnitOutcome,
    unit_of,
)
from cbec.exchange.senders import SenderCheck, check_senders
from cbec.exchange.spec import MessageSpec, spec_for
from cbec.exchange.validation import validate
from cbec.export.summary import SummaryKeys, load_keys
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError
from cbec.kernel.privacy import Protector, mask_id, mask_phone

if TYPE_CHECKING:
    from cbec.exchange.customs import CustomsGateway
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["IntakeContext", "IntakeResult", "UnitOutcome", "ingest_message", "unit_of"]

# Columns that join documents, and where each comes from in a head.
JOIN_FIELDS = {
    "order_no": "orderNo",
    "ebp_code": "ebpCode",
    "ebc_code": "ebcCode",
    "logistics_code": "logisticsCode",
    "logistics_no": "logisticsNo",
    "pay_code": "payCode",
    "pay_transaction_id": "payTransactionId",  # payNo on a receipt of payment (CEB403)
    "cop_no": "copNo",
    "invt_no": "invtNo",
    "trade_mode": "tradeMode",
}
ID_FIELDS = ("buyerIdNumber", "payerIdNumber")
PHONE_FIELDS = ("buyerTelephone", "consigneeTelephone", "telephone")
MATCHED_TYPES = ("CEB311", "CEB411", "CEB511", "CEB621")
LIST_TYPES = ("CEB621", "CEB603")  # answered by the flow, not by a plain 入库 receipt
EXPORT_RECEIPTS = frozenset({"CEB604", "CEB606", "CEB608", "CEB702"})


@dataclass(frozen=True)
class IntakeContext:
    protector: Protector
    customs: CustomsGateway
    tolerance: Decimal = Decimal("0.05")
    max_bytes: int = 10 * 1024 * 1024  # one message
    summary_keys: SummaryKeys = field(default_factory=load_keys)  # 汇总申报 grouping (configuration)


@dataclass
class IntakeResult:
    accepted: bool
    message_type: str | None = None
    guid: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    units: list[UnitOutcome] = field(default_factory=list)
    source: str | None = None

    @property
    def repeat(self) -> bool:
        return bool(self.units) and all(u.action == "repeat" for u in self.units)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "accepted": self.accepted,
            "repeat": self.repeat,
            "type": self.message_type,
            "guid": self.guid,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "units": [u.as_dict() for u in self.units],
        }


def _masked(values: dict[str, str]) -> dict[str, str]:
    out = dict(values)
    for name in ID_FIELDS:
        if name in out:
            out[name] = mask_id(out[name])
    for name in PHONE_FIELDS:
        if name in out:
            out[name] = mask_phone(out[name])
    return out


def _body(unit: Unit) -> dict[str, Any]:
    return {
        "head": _masked(unit.head),
        "lists": {name: [_masked(r) for r in rows] for name, rows in unit.lists.items()},
    }


def _key(spec: MessageSpec, unit: Unit) -> str:
    return "|".join(unit.head.get(name, "") for name in spec.business_key)


def _new_document(
    message: Message, spec: MessageSpec, unit: Unit, senders: SenderCheck, ctx: IntakeContext
) -> NewDocument:
    buyer_id = next((unit.head[f] for f in ID_FIELDS if unit.head.get(f)), None)
    app_type = unit.head.get("appType", "1")
    owner = senders.owner
    sealed = ctx.protector.seal(json.dumps({"head": unit.head, "lists": unit.lists}, ensure_ascii=False).encode())
    return NewDocument(
        message_type=message.type,
        business_key=_key(spec, unit),
        head_guid=unit.head.get("guid", message.guid),
        message_guid=message.guid,
        app_type=app_type,
        sender_code=senders.sender_code,
        enterprise_id=owner.id if owner else None,
        city_code=owner.city_code if owner else None,
        district_code=owner.district_code if owner else None,
        keys={col: unit.head.get(name) for col, name in JOIN_FIELDS.items()}
        | ({"pay_transaction_id": unit.head.get("payNo")} if message.type == "CEB403" else {}),
        buyer_key=ctx.protector.blind(buyer_id) if buyer_id else None,
        status=WITHDRAWN if app_type == "3" else (WAITING if message.type in LIST_TYPES else RECEIVED),
        body=_body(unit),
        sealed=sealed,
        withdrawn=app_type == "3",
    )


def _version_problem(path: str, app_type: str, current: StoredDocument | None) -> FieldError | None:
    if app_type == "1" and current is not None and not current.withdrawn:
        return FieldError(
            f"{path}/appType",
            "rule.already_declared",
            f"this document is already declared (version {current.version})",
            "send appType 2 to change it or appType 3 to withdraw it",
        )
    if app_type in ("2", "3") and (current is None or current.withdrawn):
        return FieldError(
            f"{path}/appType",
            "rule.nothing_to_change",
            "there is no declared document with this key to change or withdraw",
            "send appType 1 first",
        )
    if app_type in ("2", "3") and current is not None and current.status in listflow.LOCKED_STATUSES:
        return FieldError(
            f"{path}/appType",
            "rule.locked",
            f"the document is in status {current.status} and can no longer be changed",
            "cancel the list (CEB623) or declare a return (CEB625) instead",
        )
    return None


def _store_unit(
    uow: SqlUnitOfWork,
    principal: Principal,
    message: Message,
    spec: MessageSpec,
    index: int,
    unit: Unit,
    senders: SenderCheck,
    ctx: IntakeContext,
) -> UnitOutcome | FieldError:
    path = f"{spec.unit}[{index}]"
    key, guid = _key(spec, unit), unit.head.get("guid", message.guid)
    known = uow.documents.by_guid(message.type, key, guid)
    if known is not None:
        record(
            uow,
            principal,
            "document.repeat",
            "document",
            known.id,
            after={"type": message.type, "key": key, "guid": guid},
            city_code=known.city_code,
        )
        return UnitOutcome(path, key, "repeat", known.id, known.version, known.status)
    app_type = unit.head.get("appType", "1")
    current = uow.documents.current(message.type, key, lock=True)
    problem = _version_problem(path, app_type, current)
    if problem is not None:
        return problem
    stored = uow.documents.add(_new_document(message, spec, unit, senders, ctx), uow.clock.now(), current)
    action = {"1": "stored", "2": "changed", "3": "withdrawn"}.get(app_type, "stored")
    record(
        uow,
        principal,
        f"document.{action}",
        "document",
        stored.id,
        after={"type": message.type, "key": key, "version": stored.version, "status": stored.status},
        city_code=stored.city_code,
    )
    outcome = UnitOutcome(path, key, action, stored.id, stored.version, stored.status)
    if message.type not in LIST_TYPES and app_type != "3":
        receipt = StoredReceipt("platform", "120", "入库", listflow.stamp(uow))
        uow.documents.add_receipt(stored.id, receipt, uow.clock.now())
        outcome.receipts.append(receipt.__dict__)
    return outcome


def _reject(result: IntakeResult, errors: list[FieldError]) -> IntakeResult:
    result.accepted = False
    result.errors.extend(errors)
    result.units = []
    return result


def ingest_message(
    uow: SqlUnitOfWork, principal: Principal, data: bytes, ctx: IntakeContext, *, source: str | None = None
) -> IntakeResult:
    """Check, store and process one message in the caller's unit of work; commits on acceptance."""
    parsed = parse_any(data, source, max_bytes=ctx.max_bytes)
    result = IntakeResult(accepted=True, source=source, warnings=list(parsed.warnings))
    if parsed.message is None or parsed.errors:
        return _reject(result, list(parsed.errors))
    message = parsed.message
    result.message_type, result.guid = message.type, message.guid
    report = validate(message, tolerance=ctx.tolerance)
    result.warnings.extend(report.warnings)
    if report.errors:
        return _reject(result, list(report.errors))
    spec = spec_for(message.type)
    # Writers queue on the audit head; taking it before any other row lock keeps one lock order
    # for every intake (no deadlocks) and makes version checks and ledger charges race-free.
    if spec.kind == "receipt" and not principal.is_system:
        refusal = FieldError(
            "message",
            "permission.receipt",
            "customs receipts come only from the customs gateway",
            "receipts are fed by the platform's customs adapter, not uploaded by users",
        )
        return _reject(result, [refusal])
    uow.audit.lock()
    senders = check_senders(uow, principal, message, spec)
    if senders.errors:
        return _reject(result, senders.errors)
    if spec.kind == "receipt":
        take = exportflow.take_customs_receipt if message.type in EXPORT_RECEIPTS else listflow.take_customs_receipt
        take = summaryflow.take_summary_result if message.type == "CEB792" else take
        outcomes, problems = take(uow, principal, message, spec, ctx)
        if problems:
            return _reject(result, problems)
        result.units = outcomes
        uow.commit()
        return result
    problems = exportflow.check_before(uow, message, spec)
    if problems:
        return _reject(result, problems)
    for index, unit in enumerate(message.units):
        outcome = _store_unit(uow, principal, message, spec, index, unit, senders, ctx)
        if isinstance(outcome, FieldError):
            uow.rollback()
            return _reject(result, [outcome])
        result.units.append(outcome)
    if message.type in ("CEB623", "CEB625") and not result.repeat:
        problems = listflow.cancel_or_return(uow, principal, message, ctx)
        if problems:
            uow.rollback()
            return _reject(result, problems)
    if message.type in exportflow.EXPORT_FLOW_TYPES and not result.repeat:
        problems = exportflow.after_intake(uow, principal, message, result.units, ctx)
        if problems:
            uow.rollback()
            return _reject(result, problems)
    if message.type == "CEB701" and not result.repeat:
        problems = summaryflow.after_summary_apply(uow, principal, message, result.units, ctx)
        if problems:
            uow.rollback()
            return _reject(result, problems)
    if message.type in MATCHED_TYPES and not result.repeat:
        listflow.after_intake(uow, principal, [u.document_id for u in result.units if u.action != "repeat"], ctx)
    if (message.type in MATCHED_TYPES or message.type in exportflow.EXPORT_FLOW_TYPES) and not result.repeat:
        for outcome in result.units:
            doc = uow.documents.get(outcome.document_id)
            assert doc is not None
            outcome.status = doc.status
            outcome.receipts = [r.__dict__ for r in uow.documents.receipts_of(doc.id)]
    uow.commit()
    return result
