"""The inventory list's life: wait for its partners, match, tax under the buyer's ledger lock,
hand to customs, take customs' receipts; cancellations and returns give ledger amounts back.

Every status change of a list is one audited transition (``document.status``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from cbec.audit.services import record
from cbec.exchange import matching
from cbec.exchange.customs import serial_of
from cbec.exchange.model import Message, Unit, date_of, decimal_of
from cbec.exchange.rates import rates_for
from cbec.exchange.records import CANCELLED, WAITING, StoredDocument, StoredReceipt, TaxRecord, UnitOutcome, unit_of
from cbec.exchange.spec import MessageSpec
from cbec.exchange.tax import TaxRates, quote, reconcile
from cbec.identity.model import Principal
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.errors import CbecError, FieldError

if TYPE_CHECKING:
    from cbec.exchange.intake import IntakeContext
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["LOCKED_STATUSES", "after_intake", "evaluate_list", "take_customs_receipt"]

MATCHED = "matched"  # an order, payment or waybill whose list passed: no longer changeable
PASSED = "120"
LOCKED_STATUSES = frozenset({PASSED, "399", "500", "800", "899", MATCHED, CANCELLED})
FEN = Decimal("0.01")


def stamp(uow: SqlUnitOfWork) -> str:
    """Receipt times are customs-style local times (Asia/Shanghai), YYYYMMDDhhmmss."""
    return uow.clock.now().astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def transition(
    uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, status: str, detail: dict[str, Any] | None
) -> StoredDocument:
    if doc.status == status and doc.status_detail == detail:
        return doc
    uow.documents.set_status(doc.id, status, detail)
    if doc.status == status:
        # Only the detail changed (which partners a waiting list still lacks): derived from the
        # documents present, each of which has its own event, so no event of its own. This keeps
        # the trail independent of arrival order, which the match promises not to depend on.
        return replace(doc, status_detail=detail)
    record(
        uow,
        principal,
        "document.status",
        "document",
        doc.id,
        before={"status": doc.status},
        after={"status": status, "detail": detail},
        city_code=doc.city_code,
    )
    return replace(doc, status=status, status_detail=detail)


def _partners(uow: SqlUnitOfWork, head: dict[str, str]) -> dict[str, StoredDocument | None]:
    docs = uow.documents
    return {
        "order": docs.find_current("CEB311", order_no=head.get("orderNo"), ebc_code=head.get("ebcCode")),
        "payment": docs.find_current("CEB411", order_no=head.get("orderNo")),
        "waybill": docs.find_current(
            "CEB511", logistics_code=head.get("logisticsCode"), logistics_no=head.get("logisticsNo")
        ),
    }


def _year(head: dict[str, str]) -> int:
    for name in ("declTime", "appTime"):
        text = head.get(name, "")
        if len(text) >= 4 and text[:4].isdigit():
            return int(text[:4])
    raise CbecError("the list has neither declTime nor appTime", code="rule.no_date")


def _on(head: dict[str, str]) -> date | None:
    return date_of(head.get("declTime") or head.get("appTime"))


def _items(listing: Unit) -> list[tuple[str, Decimal, Decimal]]:
    """(gcode, value, quantity) per list item."""
    return [
        (r.get("gcode", ""), decimal_of(r.get("totalPrice")) or Decimal(0), decimal_of(r.get("qty")) or Decimal(0))
        for r in listing.lists.get("InventoryList", [])
    ]


def _item_taxes(
    items: list[tuple[str, Decimal, Decimal]], extra: Decimal, on: date | None
) -> tuple[Decimal, Decimal, Decimal, list[dict[str, Any]]]:
    """Within the retail channel each item is taxed at its own rates on its value plus its share of
    freight and insurance (by value); the order as a whole decided the channel."""
    goods = sum((v for _, v, _ in items), Decimal(0)) or Decimal(1)
    duty = ct = vat = Decimal(0)
    detail: list[dict[str, Any]] = []
    for gcode, value, _qty in items:
        share = (extra * value / goods).quantize(FEN, ROUND_HALF_UP)
        rates = rates_for(gcode)
        part = quote(price=value, freight=share, rates=rates, items=1, indivisible_single_item=False, on=on)
        duty, ct, vat = duty + part.customs_duty, ct + part.consumption_tax, vat + part.vat
        detail.append(
            {
                "gcode": gcode,
                "value": str(value),
                "share_of_freight": str(share),
                "rates": {
                    "vat": str(rates.vat),
                    "consumption": str(rates.consumption),
                    "tariff": None if rates.tariff is None else str(rates.tariff),
                    "source": rates.source,
                },
                "vat": str(part.vat),
                "consumption_tax": str(part.consumption_tax),
            }
        )
    return duty, ct, vat, detail


def _assess(uow: SqlUnitOfWork, doc: StoredDocument, listing: Unit) -> TaxRecord | list[matching.Reason]:
    """Tax the list under the buyer's ledger lock and charge the ledger; or say why not."""
    head, items = listing.head, _items(listing)
    goods = sum((v for _, v, _ in items), Decimal(0))
    extra = (decimal_of(head.get("freight")) or Decimal(0)) + (decimal_of(head.get("insuredFee")) or Decimal(0))
    count = int(sum((q for _, _, q in items), Decimal(0))) or len(items)
    year, on = _year(head), _on(head)
    assert doc.buyer_key is not None, "lists carry a buyer"
    used = uow.ledger.lock(doc.buyer_key, year)
    try:
        first = rates_for(items[0][0]) if items else TaxRates(vat=Decimal("0.13"))
        whole = quote(price=goods, freight=extra, rates=first, items=count, annual_used=used, on=on)
        if whole.channel == "general_trade":
            return [matching.Reason("tax.general_trade", "; ".join(whole.reasons))]
        if whole.channel == "retail":
            duty, ct, vat, detail = _item_taxes(items, extra, on)
        else:
            duty, ct, vat = whole.customs_duty, whole.consumption_tax, whole.vat
            detail = [{"gcode": items[0][0], "trace": whole.trace}]
    except CbecError as error:  # an HS code without a known rate, a bad amount …
        return [matching.Reason(error.code, error.message)]
    uow.ledger.post(
        document_id=doc.id,
        kind="charge",
        buyer_key=doc.buyer_key,
        year=year,
        amount=whole.counts_toward_annual,
        now=uow.clock.now(),
    )
    return TaxRecord(
        whole.channel,
        whole.dutiable_value,
        duty,
        ct,
        vat,
        duty + ct + vat,
        {"items": detail, "annual_used_before": str(used), "year": year, "reasons": whole.reasons},
    )


def _receipt(
    uow: SqlUnitOfWork, doc: StoredDocument, origin: str, status: str, info: str, at: str | None = None
) -> None:
    uow.documents.add_receipt(doc.id, StoredReceipt(origin, status, info, at or stamp(uow)), uow.clock.now())


def _declared_at(uow: SqlUnitOfWork, head: dict[str, str]) -> str | None:
    """The list's appTime when it is a plausible past time (YYYYMMDDhhmmss, not after now)."""
    text = head.get("appTime") or ""
    if len(text) != 14 or not text.isdigit():
        return None
    return text if text <= stamp(uow) else None


def _refuse(
    uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, reasons: list[matching.Reason]
) -> StoredDocument:
    detail = {"reasons": [r.as_dict() for r in reasons]}
    _receipt(uow, doc, "platform", "100", "；".join(r.message for r in reasons)[:2000])
    return transition(uow, principal, doc, "100", detail)


def _to_customs(
    uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, head: dict[str, str], ctx: IntakeContext
) -> StoredDocument:
    year = _year(head)
    for answer in ctx.customs.declare(
        doc.business_key,
        customs_code=head.get("customsCode", "0000"),
        year=year,
        serial=serial_of(doc.business_key),
        declared_at=_declared_at(uow, head),
    ):
        if answer.invt_no:
            uow.documents.set_invt_no(doc.id, answer.invt_no)
        _receipt(uow, doc, "customs", answer.return_status, answer.return_info, answer.at)
        refused = {"reasons": [{"code": "customs.refused", "message": answer.return_info}]}
        doc = transition(uow, principal, doc, answer.return_status, refused if answer.return_status == "100" else None)
        if answer.return_status == "100":
            reverse(uow, doc)
    return doc


def evaluate_list(uow: SqlUnitOfWork, principal: Principal, doc: StoredDocument, ctx: IntakeContext) -> StoredDocument:
    listing = unit_of(doc, ctx.protector)
    partners = _partners(uow, listing.head)
    units = {name: unit_of(p, ctx.protector) if p else None for name, p in partners.items()}
    result = matching.match(units["order"], units["payment"], units["waybill"], listing)
    if not result.complete:
        return transition(uow, principal, doc, WAITING, {"missing": list(result.missing)})
    if not result.passed:
        return _refuse(uow, principal, doc, list(result.reasons))
    assessed = _assess(uow, doc, listing)
    if isinstance(assessed, list):
        return _refuse(uow, principal, doc, assessed)
    uow.documents.save_tax(doc.id, assessed, uow.clock.now())
    _receipt(uow, doc, "platform", PASSED, "三单比对通过，入库")
    doc = transition(uow, principal, doc, PASSED, {"tax_total": str(assessed.total_tax), "channel": assessed.channel})
    for partner in partners.values():
        if partner is not None:
            transition(uow, principal, partner, MATCHED, {"list": doc.id})
    return _to_customs(uow, principal, doc, listing.head, ctx)


def reverse(uow: SqlUnitOfWork, doc: StoredDocument, amount: Decimal | None = None, kind: str = "reversal") -> None:
    """Give a list's charge back to the buyer's annual total (cancellation, return, customs refusal)."""
    charged = uow.ledger.entry(doc.id, "charge")
    if charged is None or doc.buyer_key is None:
        return
    tax = uow.documents.tax_of(doc.id)
    year = int(tax.detail["year"]) if tax and tax.detail.get("year") else doc.received_at.year
    uow.ledger.lock(doc.buyer_key, year)
    back = min(amount if amount is not None else charged, charged)
    uow.ledger.post(
        document_id=doc.id, kind=kind, buyer_key=doc.buyer_key, year=year, amount=-back, now=uow.clock.now()
    )


def after_intake(uow: SqlUnitOfWork, principal: Principal, document_ids: list[int], ctx: IntakeContext) -> None:
    """Re-evaluate every waiting list that the new documents may complete (arrival order is free)."""
    lists: dict[int, StoredDocument] = {}
    for document_id in document_ids:
        doc = uow.documents.get(document_id)
        if doc is None or doc.withdrawn:
            continue
        if doc.message_type == "CEB621":
            lists[doc.id] = doc
        elif doc.keys.get("order_no"):
            for waiting in uow.documents.current_of_type("CEB621", order_no=doc.keys["order_no"], status=WAITING):
                lists[waiting.id] = waiting
    for doc in lists.values():
        if doc.status == WAITING:
            evaluate_list(uow, principal, doc, ctx)


def _target(uow: SqlUnitOfWork, message_type: str, head: dict[str, str]) -> StoredDocument | None:
    docs = uow.documents
    if message_type in ("CEB623", "CEB625", "CEB816", "CEB622"):
        if head.get("invtNo"):
            found = docs.find_current("CEB621", invt_no=head["invtNo"])
            if found:
                return found
        if head.get("agentCode") and head.get("copNo"):  # the list's own business key
            found = docs.current("CEB621", f"{head['agentCode']}|{head['copNo']}")
            if found:
                return found
        return docs.find_current("CEB621", order_no=head.get("orderNo"), ebc_code=head.get("ebcCode"))
    return None


def _take_tax_bill(uow: SqlUnitOfWork, principal: Principal, target: StoredDocument, head: dict[str, str]) -> None:
    """Customs' electronic tax bill (CEB816): keep it beside our assessment with the differences."""
    bill: dict[str, Any] = {k: head.get(k) for k in ("customsTax", "valueAddedTax", "consumptionTax", "taxTotal")}
    ours = uow.documents.tax_of(target.id)
    bill["differences"] = reconcile(ours, bill) if ours else ["no platform assessment to compare with"]
    uow.documents.set_customs_bill(target.id, bill)
    record(uow, principal, "document.tax_bill", "document", target.id, after=bill, city_code=target.city_code)


def take_customs_receipt(
    uow: SqlUnitOfWork, principal: Principal, message: Message, spec: MessageSpec, ctx: IntakeContext
) -> tuple[list[UnitOutcome], list[FieldError]]:
    """Customs' own answers coming back: list receipts (CEB622) and tax bills (CEB816)."""
    outcomes: list[UnitOutcome] = []
    for index, unit in enumerate(message.units):
        target = _target(uow, message.type, unit.head)
        if target is None:
            return [], [
                FieldError(
                    f"{spec.unit}[{index}]",
                    "rule.no_such_list",
                    "no declared list matches this receipt (invtNo, or orderNo + ebcCode)",
                    "check the list number",
                )
            ]
        if message.type == "CEB816":
            _take_tax_bill(uow, principal, target, unit.head)
        elif unit.head.get("returnStatus"):
            _receipt(uow, target, "customs", unit.head["returnStatus"], unit.head.get("returnInfo", ""))
            target = transition(uow, principal, target, unit.head["returnStatus"], None)
        outcomes.append(
            UnitOutcome(
                f"{spec.unit}[{index}]", target.business_key, "receipt", target.id, target.version, target.status
            )
        )
    return outcomes, []


def cancel_or_return(
    uow: SqlUnitOfWork, principal: Principal, message: Message, ctx: IntakeContext
) -> list[FieldError]:
    """CEB623 cancels a list (the whole charge comes back); CEB625 returns items (their value back).
    A cancellation or return naming no declared list is refused, so nothing is stored for it."""
    for index, unit in enumerate(message.units):
        target = _target(uow, message.type, unit.head)
        if target is None or target.status == CANCELLED:
            why = "no declared list matches (invtNo, agentCode + copNo, or orderNo + ebcCode)"
            if target is not None:
                why = f"list {target.business_key} is already cancelled"
            unit_name = "InvtCancel" if message.type == "CEB623" else "InvtRefund"
            return [FieldError(f"{unit_name}[{index}]", "rule.no_such_list", why, "check the list number")]
        if message.type == "CEB623":
            reverse(uow, target)
            transition(uow, principal, target, CANCELLED, {"by": "CEB623"})
        else:
            returned = sum(
                (decimal_of(r.get("totalPrice")) or Decimal(0) for rows in unit.lists.values() for r in rows),
                Decimal(0),
            )
            reverse(uow, target, returned or None, kind="return")
            record(
                uow,
                principal,
                "document.return",
                "document",
                target.id,
                after={"returned_value": str(returned)},
                city_code=target.city_code,
            )
    return []
