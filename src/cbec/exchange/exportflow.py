"""The 9610 / 9710 / 9810 export list's life, after intake stored its documents.

order (CEB303) + waybill (CEB505) + list (CEB603) → match → 120 → customs 审结 399 (sometimes
查验 500 first, or 退单 100) → the goods arrive at the supervised site (运抵, CEB507) → 放行 800 →
they leave the country (离境, CEB509) → 结关 899. Every message may come in any order: a list
waits for its partners, a cleared list waits for its arrival, a released one for its departure,
and arrivals and departures are remembered per waybill (``parcel_events``) until their list
catches up. Each status change is one audited transition (``listflow.transition``), mirrored in
the ``export_lists`` projection that the summary, the tax-free register and the reconciliation read.

Release and departure dates are business facts, not intake times: release is dated by the
arrival (the simulated customs releases on arrival) or by customs' own 800 receipt, departure by
the departure's ``leaveTime``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cbec.exchange.customs import serial_of
from cbec.exchange.listflow import MATCHED, stamp, transition
from cbec.exchange.model import Message, Unit, date_of, decimal_of
from cbec.exchange.records import CANCELLED, WAITING, StoredDocument, StoredReceipt, UnitOutcome, unit_of
from cbec.exchange.spec import MessageSpec
from cbec.export.matching import match_export
from cbec.export.model import RELEASED_STATUSES, ExportList, ListItem
from cbec.identity.model import Principal
from cbec.kernel.clock import business_date
from cbec.kernel.errors import FieldError
from cbec.registry.warehouse_services import warehouse_by_filing_no

if TYPE_CHECKING:
    from cbec.exchange.intake import IntakeContext
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["EXPORT_FLOW_TYPES", "after_intake", "check_before", "take_customs_receipt"]

LIST = "CEB603"
EXPORT_FLOW_TYPES = frozenset({"CEB303", "CEB505", "CEB603", "CEB507", "CEB509", "CEB605"})
CLEARED = "399"
PARCEL_LISTS = {"CEB507": ("ArrivalList", "arrival"), "CEB509": ("DepartureList", "departure")}


def _items(unit: Unit) -> tuple[ListItem, ...]:
    return tuple(
        ListItem(
            gnum=int(r.get("gnum") or 0),
            gcode=r.get("gcode", ""),
            gname=r.get("gname", ""),
            unit=r.get("unit", ""),
            qty=decimal_of(r.get("qty")) or Decimal(0),
            price=decimal_of(r.get("price")) or Decimal(0),
            total=decimal_of(r.get("totalPrice")) or Decimal(0),
            currency=r.get("currency", ""),
            country=r.get("country", ""),
        )
        for r in unit.lists.get("InventoryList", [])
    )


def project(uow: SqlUnitOfWork, doc: StoredDocument, unit: Unit) -> ExportList:
    """The projection row of a list: the shipper (ebcCode) owns it in statistics and registers."""
    head = unit.head
    shipper = uow.enterprises.by_customs_codes([head.get("ebcCode", "")]).get(head.get("ebcCode", ""))
    currencies = {r.get("currency", "") for r in unit.lists.get("InventoryList", [])}
    return ExportList(
        document_id=doc.id,
        agent_code=head.get("agentCode", ""),
        cop_no=head.get("copNo", ""),
        invt_no=doc.keys.get("invt_no") or head.get("invtNo") or None,
        enterprise_id=shipper.id if shipper else None,
        city_code=shipper.city_code if shipper else doc.city_code,
        district_code=shipper.district_code if shipper else doc.district_code,
        order_no=head.get("orderNo", ""),
        logistics_code=head.get("logisticsCode", ""),
        logistics_no=head.get("logisticsNo", ""),
        ebc_code=head.get("ebcCode", ""),
        ebc_name=head.get("ebcName", ""),
        owner_code=head.get("ownerCode", ""),
        trade_mode=head.get("tradeMode", ""),
        statistics_flag=head.get("statisticsFlag", ""),
        customs_code=head.get("customsCode", ""),
        port_code=head.get("portCode", ""),
        traf_mode=head.get("trafMode", ""),
        country=head.get("country", ""),
        currency=currencies.pop() if len(currencies) == 1 else "",
        ie_date=date_of(head.get("ieDate")),
        released_on=None,
        departed_on=None,
        status=doc.status,
        items=_items(unit),
        warehouse_no=head.get("warehouseFilingNo") or None,
    )


def _move(
    uow: SqlUnitOfWork,
    principal: Principal,
    doc: StoredDocument,
    status: str,
    detail: dict[str, Any] | None,
    **on: object,
) -> StoredDocument:
    doc = transition(uow, principal, doc, status, detail)
    uow.exports.update_list(doc.id, status=status, **on)
    return doc


def _receipt(uow: SqlUnitOfWork, doc: StoredDocument, origin: str, status: str, info: str) -> None:
    uow.documents.add_receipt(doc.id, StoredReceipt(origin, status, info, stamp(uow)), uow.clock.now())


def _year(head: dict[str, str]) -> int:
    for name in ("ieDate", "appTime"):
        text = head.get(name, "")
        if len(text) >= 4 and text[:4].isdigit():
            return int(text[:4])
    return 0


def evaluate(uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, ctx: IntakeContext) -> StoredDocument:
    listing = unit_of(doc, ctx.protector)
    head = listing.head
    order = uow.documents.find_current("CEB303", order_no=head.get("orderNo"), ebc_code=head.get("ebcCode"))
    waybill = uow.documents.find_current(
        "CEB505", logistics_code=head.get("logisticsCode"), logistics_no=head.get("logisticsNo")
    )
    result = match_export(
        unit_of(order, ctx.protector) if order else None,
        unit_of(waybill, ctx.protector) if waybill else None,
        listing,
        ctx.tolerance,
    )
    if not result.complete:
        return _move(uow, principal, doc, WAITING, {"missing": list(result.missing)})
    if not result.passed:
        _receipt(uow, doc, "platform", "100", "；".join(r.message for r in result.reasons)[:2000])
        return _move(uow, principal, doc, "100", {"reasons": [r.as_dict() for r in result.reasons]})
    _receipt(uow, doc, "platform", "120", "清单与订单、运单核对通过，入库")
    doc = _move(uow, principal, doc, "120", None)
    for partner in (order, waybill):
        if partner is not None:
            transition(uow, principal, partner, MATCHED, {"list": doc.id})
    return _to_customs(uow, principal, doc, head, ctx)


def _to_customs(
    uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, head: dict[str, str], ctx: IntakeContext
) -> StoredDocument:
    answers = ctx.customs.declare_export(
        doc.business_key,
        customs_code=head.get("customsCode", "0000"),
        year=_year(head),
        serial=serial_of(doc.business_key),
    )
    for answer in answers:
        if answer.invt_no:
            uow.documents.set_invt_no(doc.id, answer.invt_no)
            uow.exports.update_list(doc.id, invt_no=answer.invt_no)
            doc = replace(doc, keys={**doc.keys, "invt_no": answer.invt_no})
        _receipt(uow, doc, "customs", answer.return_status, answer.return_info)
        refused = {"reasons": [{"code": "customs.refused", "message": answer.return_info}]}
        doc = _move(uow, principal, doc, answer.return_status, refused if answer.return_status == "100" else None)
    return _after_clearance(uow, principal, doc, ctx)


def _after_clearance(
    uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, ctx: IntakeContext
) -> StoredDocument:
    """A cleared list whose goods already arrived is released; a released one that left, closed."""
    code, number = doc.keys.get("logistics_code") or "", doc.keys.get("logistics_no") or ""
    if doc.status == CLEARED:
        arrived = uow.exports.parcel_event(code, number, "arrival")
        if arrived is None:
            return doc
        for answer in ctx.customs.release_export(doc.business_key, doc.keys.get("invt_no") or ""):
            _receipt(uow, doc, "customs", answer.return_status, answer.return_info)
            released_on = arrived if answer.return_status == "800" else None
            doc = _move(uow, principal, doc, answer.return_status, None, released_on=released_on)
    if doc.status == "800":
        departed = uow.exports.parcel_event(code, number, "departure")
        if departed is not None:
            _receipt(uow, doc, "platform", "899", "离境，结关")
            doc = _move(uow, principal, doc, "899", None, departed_on=departed)
    return doc


def _parcels(uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, ctx: IntakeContext) -> None:
    list_name, kind = PARCEL_LISTS[doc.message_type]
    unit = unit_of(doc, ctx.protector)
    head = unit.head
    on = date_of(head.get("leaveTime") if kind == "departure" else head.get("appTime")) or business_date(uow.clock)
    code = head.get("logisticsCode", "")
    for parcel in unit.lists.get(list_name, []):
        number = parcel.get("logisticsNo", "")
        if not uow.exports.add_parcel_event(code, number, kind, doc.id, on):
            continue
        found = uow.documents.find_current(LIST, logistics_code=code, logistics_no=number)
        if found is not None and found.status in (CLEARED, "800"):
            _after_clearance(uow, principal, found, ctx)


def _lists_of(uow: SqlUnitOfWork, doc: StoredDocument) -> list[StoredDocument]:
    if doc.message_type == "CEB303":
        return uow.documents.current_of_type(LIST, order_no=doc.keys.get("order_no"), status=WAITING)
    return uow.documents.current_of_type(
        LIST, logistics_code=doc.keys.get("logistics_code"), logistics_no=doc.keys.get("logistics_no"), status=WAITING
    )


def _cancel(uow: SqlUnitOfWork, principal: Principal, index: int, unit: Unit) -> FieldError | None:
    head = unit.head
    target = uow.documents.find_current(LIST, invt_no=head.get("invtNo")) if head.get("invtNo") else None
    target = target or uow.documents.current(LIST, f"{head.get('agentCode', '')}|{head.get('copNo', '')}")
    path = f"InvtCancel[{index}]"
    if target is None or target.status == CANCELLED:
        why = "no declared export list matches (invtNo, or agentCode + copNo)"
        return FieldError(path, "rule.no_such_list", why if target is None else "the list is already cancelled")
    summarised = uow.exports.get_list(target.id)
    if target.status in RELEASED_STATUSES or (summarised is not None and summarised.sum_no):
        return FieldError(
            path,
            "rule.already_released",
            f"list {target.business_key} is in status {target.status} and can no longer be cancelled",
            "released goods come back as a return (退运), not a cancellation",
        )
    _move(uow, principal, target, CANCELLED, {"by": "CEB605", "reason": head.get("reason", "")})
    return None


def check_before(uow: SqlUnitOfWork, message: Message, spec: MessageSpec) -> list[FieldError]:
    """Stateful checks before anything is stored: a 9810 list's overseas warehouse is filed."""
    problems: list[FieldError] = []
    if message.type != LIST:
        return problems
    for index, unit in enumerate(message.units):
        number = unit.head.get("warehouseFilingNo")
        if unit.head.get("tradeMode") != "9810" or not number:
            continue
        found = warehouse_by_filing_no(uow, number)
        if found is None or found.status != "filed":
            problems.append(
                FieldError(
                    f"{spec.unit}[{index}]/{spec.head}/warehouseFilingNo",
                    "registry.unfiled_warehouse",
                    f"overseas warehouse {number} is not filed"
                    + ("" if found is None else f" (its filing is {found.status})"),
                    "file the warehouse on the platform (海外仓备案) first, or name a filed one from the directory",
                )
            )
    return problems


def after_intake(
    uow: SqlUnitOfWork, principal: Principal, message: Message, outcomes: list[UnitOutcome], ctx: IntakeContext
) -> list[FieldError]:
    """Move the flow on for the newly stored documents; a refused cancellation undoes the message."""
    if message.type == "CEB605":
        for index, unit in enumerate(message.units):
            problem = _cancel(uow, principal, index, unit)
            if problem is not None:
                return [problem]
        return []
    for outcome in outcomes:
        if outcome.action == "repeat":
            continue
        doc = uow.documents.get(outcome.document_id)
        if doc is None or doc.withdrawn:
            if doc is not None and doc.message_type == LIST:  # a withdrawn list leaves the projection
                agent, cop = doc.business_key.split("|", 1)
                uow.exports.forget_list(agent, cop)
            continue
        if doc.message_type == LIST:
            uow.exports.save_list(project(uow, doc, unit_of(doc, ctx.protector)))
            evaluate(uow, principal, doc, ctx)
        elif doc.message_type in PARCEL_LISTS:
            _parcels(uow, principal, doc, ctx)
        elif doc.message_type in ("CEB303", "CEB505"):
            for waiting in _lists_of(uow, doc):
                evaluate(uow, principal, waiting, ctx)
    return []


def take_customs_receipt(
    uow: SqlUnitOfWork, principal: Principal, message: Message, spec: MessageSpec, ctx: IntakeContext
) -> tuple[list[UnitOutcome], list[FieldError]]:
    """Customs' own list receipts (CEB604) from a real gateway: status, list number, release date."""
    outcomes: list[UnitOutcome] = []
    for index, unit in enumerate(message.units):
        head = unit.head
        target = uow.documents.find_current(LIST, invt_no=head.get("invtNo")) if head.get("invtNo") else None
        target = target or uow.documents.current(LIST, f"{head.get('agentCode', '')}|{head.get('copNo', '')}")
        if target is None:
            why = "no declared export list matches this receipt (invtNo, or agentCode + copNo)"
            return [], [FieldError(f"{spec.unit}[{index}]", "rule.no_such_list", why, "check the list number")]
        if head.get("invtNo") and not target.keys.get("invt_no"):
            uow.documents.set_invt_no(target.id, head["invtNo"])
            uow.exports.update_list(target.id, invt_no=head["invtNo"])
        status = head.get("returnStatus", "")
        _receipt(uow, target, "customs", status, head.get("returnInfo", ""))
        released_on = date_of(head.get("returnTime")) if status == "800" else None
        extra = {"released_on": released_on} if released_on else {}
        target = _move(uow, principal, target, status, None, **extra)
        target = _after_clearance(uow, principal, target, ctx)
        outcomes.append(
            UnitOutcome(
                f"{spec.unit}[{index}]", target.business_key, "receipt", target.id, target.version, target.status
            )
        )
    return outcomes, []
