"""Summary applications (CEB701) in, summary results (CEB792) back: 汇总申报 after intake.

A CEB701 names the released B lists of one shipper for a month. Intake checks that each named
list exists, belongs to the applying shipper, is released (800/899), is a B list and is not in
another summary; then it records the application with the platform's own draft of the
declarations (``export.summary``), marks the lists, and hands the application to customs.
Customs' answer — a CEB792 per application, from the simulated gateway at once or from a real
one later through intake — is mapped back to every list item (``map_result``): each item gets
its declaration number (entryId) and item number, and any gap is kept with the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cbec.audit.services import record
from cbec.exchange.customs import serial_of
from cbec.exchange.model import Message, Unit
from cbec.exchange.records import UnitOutcome
from cbec.exchange.spec import MessageSpec
from cbec.export.model import B_FLAG, RELEASED_STATUSES, ExportList
from cbec.export.summary import SummaryKeys, draft_declarations
from cbec.export.summary_result import ResultRecord, map_result
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError

if TYPE_CHECKING:
    from cbec.exchange.intake import IntakeContext
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["after_summary_apply", "take_summary_result"]


def _problems(index: int, unit: Unit, found: dict[str, ExportList]) -> list[FieldError]:
    ebc = unit.head.get("ebcCode", "")
    problems: list[FieldError] = []
    for number, row in enumerate(unit.lists.get("SummaryApplyList", [])):
        invt_no, path = row.get("invtNo", ""), f"SummaryApply[{index}]/SummaryApplyList[{number}]/invtNo"
        listed = found.get(invt_no)
        why = None
        if listed is None:
            why = f"no export list {invt_no} is on the platform"
        elif listed.ebc_code != ebc:
            why = f"list {invt_no} belongs to shipper {listed.ebc_code}, not {ebc}"
        elif listed.status not in RELEASED_STATUSES:
            why = f"list {invt_no} is in status {listed.status}; only released lists (800/899) are summarised"
        elif listed.statistics_flag != B_FLAG:
            why = f"list {invt_no} is an A list (汇总统计): it is counted in statistics, never summarised"
        elif listed.sum_no:
            why = f"list {invt_no} is already in summary {listed.sum_no}"
        if why:
            problems.append(FieldError(path, "rule.summary_list", why, "name only this shipper's released B lists"))
    return problems


def _serials(sum_no: str) -> Callable[[str], int]:
    # Declaration numbers differ between summaries: the serial is drawn from sum_no + declSeqNo.
    return lambda seq: serial_of(f"{sum_no}|{seq}")


def _sum_no(uow: SqlUnitOfWork, unit: Unit) -> str:
    if unit.head.get("sumNo"):
        return unit.head["sumNo"]
    year = (unit.head.get("startTime") or "0000")[:4]
    return f"S{unit.head.get('customsCode', '0000')}{year}{uow.exports.next_summary_serial():08d}"


def after_summary_apply(
    uow: SqlUnitOfWork, principal: Principal, message: Message, outcomes: list[UnitOutcome], ctx: IntakeContext
) -> list[FieldError]:
    keys: SummaryKeys = ctx.summary_keys
    for index, (unit, outcome) in enumerate(zip(message.units, outcomes, strict=True)):
        if outcome.action == "repeat":
            continue
        wanted = [r.get("invtNo", "") for r in unit.lists.get("SummaryApplyList", [])]
        found = {x.invt_no or "": x for x in uow.exports.lists(invt_nos=wanted)}
        problems = _problems(index, unit, found)
        if problems:
            return problems
        lists = [found[n] for n in wanted]
        sum_no = _sum_no(uow, unit)
        start = unit.head.get("startTime", "")
        draft = draft_declarations(lists, keys)
        owner = lists[0]
        uow.exports.add_summary(
            {
                "sum_no": sum_no,
                "enterprise_id": owner.enterprise_id,
                "city_code": owner.city_code,
                "district_code": owner.district_code,
                "month": f"{start[:4]}-{start[4:6]}",
                "ebc_code": owner.ebc_code,
                "agent_code": unit.head.get("agentCode", ""),
                "state": "applied",
                "draft": draft.as_dict(),
                "application_document_id": outcome.document_id,
                "created_at": uow.clock.now(),
            }
        )
        for listed in lists:
            uow.exports.update_list(listed.document_id, sum_no=sum_no)
        record(
            uow, principal, "summary.apply", "summary", sum_no, after={"lists": len(lists)}, city_code=owner.city_code
        )
        records = ctx.customs.summarise(
            sum_no,
            draft,
            customs_code=unit.head.get("customsCode", "0000"),
            year=int(start[:4]) if start[:4].isdigit() else uow.clock.now().year,
            serial_of=_serials(sum_no),
        )
        if records:
            _take(uow, principal, sum_no, list(records))
    return []


def _take(uow: SqlUnitOfWork, principal: Principal, sum_no: str, records: list[ResultRecord]) -> str:
    lists = uow.exports.lists(sum_no=sum_no)
    by_invt = {x.invt_no: x for x in lists}
    mapping = map_result(lists, records)
    for covered in mapping.covered:
        uow.exports.set_entries(
            by_invt[covered.invt_no].document_id,
            covered.gnum,
            entry_id=covered.entry_id,
            decl_seq_no=covered.decl_seq_no,
            entry_gnum=covered.entry_gnum,
        )
    state = "declared" if mapping.ok else "mismatch"
    result = mapping.as_dict() | {"entries": sorted({r.entry_id for r in records})}
    uow.exports.set_summary_result(sum_no, state, result, uow.clock.now())
    summary = uow.exports.summary(sum_no)
    record(
        uow,
        principal,
        "summary.result",
        "summary",
        sum_no,
        after={"state": state, "ok": mapping.ok, "records": len(records)},
        city_code=summary.city_code if summary else None,
    )
    return state


def take_summary_result(
    uow: SqlUnitOfWork, principal: Principal, message: Message, spec: MessageSpec, ctx: IntakeContext
) -> tuple[list[UnitOutcome], list[FieldError]]:
    """A CEB792 from customs: map it back to the summary's list items."""
    outcomes: list[UnitOutcome] = []
    for index, unit in enumerate(message.units):
        sum_no = unit.head.get("sumNo", "")
        summary = uow.exports.summary(sum_no)
        if summary is None:
            why = f"no summary application {sum_no} is on the platform"
            return [], [FieldError(f"{spec.unit}[{index}]/{spec.head}/sumNo", "rule.no_such_summary", why)]
        records = [
            ResultRecord(
                r.get("declSeqNo", ""),
                r.get("entryId", ""),
                int(r.get("entryGnum") or 0),
                r.get("invtNo", ""),
                int(r.get("gnum") or 0),
                r.get("gcode", ""),
            )
            for r in unit.lists.get("SummaryResultList", [])
        ]
        state = _take(uow, principal, sum_no, records)
        document_id = summary.application_document_id or 0
        outcomes.append(UnitOutcome(f"{spec.unit}[{index}]", sum_no, "receipt", document_id, 1, state))
    return outcomes, []
