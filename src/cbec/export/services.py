"""Use cases of the export side, scoped like every read: an enterprise sees its own lists, a
district officer the district's, the city roles the city's.

- ``summary_overview``: per shipper and month, the released lists, what is still to summarise,
  the platform's draft declarations and the deadline (the 15th of the next month, moved past
  rest days by the working-day calendar), with a reminder when lists are still unsummarised.
- ``summary_applications``: the CEB701 messages that would summarise a month (one per shipper,
  declaring agent and customs), for intake to store and hand to customs.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from cbec.exchange.model import Message, Unit
from cbec.export.model import A_FLAG, B_FLAG, RELEASED_STATUSES, ExportList
from cbec.export.summary import SummaryKeys, draft_declarations, summary_deadline
from cbec.identity.model import Principal
from cbec.kernel.errors import FieldError, ValidationFailed
from cbec.kernel.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from cbec.storage.uow import SqlUnitOfWork

__all__ = ["EnterpriseSummary", "month_range", "scope_filter", "summary_applications", "summary_overview"]


def month_range(month: str) -> tuple[date, date]:
    """``"2024-05"`` → [2024-05-01, 2024-06-01); a clear error names the field otherwise."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = date(year, number, 1)
    except ValueError:
        raise ValidationFailed(
            [FieldError("month", "field.month", f"{month!r} is not a month", "write it as YYYY-MM, e.g. 2024-05")]
        ) from None
    return start, (start + timedelta(days=32)).replace(day=1)


def scope_filter(principal: Principal) -> dict[str, Any]:
    """The projection filters that keep a principal inside its own scope."""
    return dict(principal.scope_filters())


@dataclass
class EnterpriseSummary:
    ebc_code: str
    ebc_name: str
    enterprise_id: int | None
    released: int = 0
    a_lists: int = 0
    pending: list[ExportList] = field(default_factory=list)
    summarised: int = 0
    summaries: list[dict[str, Any]] = field(default_factory=list)
    draft: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ebc_code": self.ebc_code,
            "ebc_name": self.ebc_name,
            "enterprise_id": self.enterprise_id,
            "released_lists": self.released,
            "a_lists": self.a_lists,
            "pending_b_lists": len(self.pending),
            "summarised_b_lists": self.summarised,
            "summaries": self.summaries,
            "draft": self.draft,
        }


def _released(uow: SqlUnitOfWork, principal: Principal, month: str, enterprise_id: int | None) -> list[ExportList]:
    start, end = month_range(month)
    scope = scope_filter(principal)
    if enterprise_id is not None:
        if "enterprise_id" in scope and scope["enterprise_id"] != enterprise_id:
            return []
        scope["enterprise_id"] = enterprise_id
    return uow.exports.lists(released_from=start, released_before=end, statuses=RELEASED_STATUSES, **scope)


def summary_overview(
    uow: SqlUnitOfWork,
    principal: Principal,
    month: str,
    *,
    keys: SummaryKeys,
    calendar: WorkdayCalendar,
    today: date,
    enterprise_id: int | None = None,
) -> dict[str, Any]:
    lists = _released(uow, principal, month, enterprise_id)
    shippers: dict[str, EnterpriseSummary] = {}
    for listed in lists:
        entry = shippers.setdefault(
            listed.ebc_code, EnterpriseSummary(listed.ebc_code, listed.ebc_name, listed.enterprise_id)
        )
        entry.released += 1
        if listed.statistics_flag == A_FLAG:
            entry.a_lists += 1
        elif listed.statistics_flag == B_FLAG and listed.sum_no:
            entry.summarised += 1
        elif listed.statistics_flag == B_FLAG:
            entry.pending.append(listed)
    for summary in uow.exports.summaries(month=month, **scope_filter(principal)):
        if summary.ebc_code in shippers:
            shippers[summary.ebc_code].summaries.append(
                {"sum_no": summary.sum_no, "state": summary.state, "declarations": len(summary.draft["declarations"])}
            )
    for entry in shippers.values():
        entry.draft = draft_declarations(entry.pending, keys, month=month).as_dict() if entry.pending else None
    deadline = summary_deadline(month, calendar)
    pending = sum(len(e.pending) for e in shippers.values())
    return {
        "month": month,
        "deadline": {"nominal": deadline.nominal.isoformat(), "due": deadline.due.isoformat()},
        "calendar_covers_deadline": deadline.covered,
        "pending_b_lists": pending,
        "overdue": pending > 0 and today > deadline.due,
        "reminder": pending > 0 and today <= deadline.due,
        "enterprises": [shippers[code].as_dict() for code in sorted(shippers)],
    }


def _application(month: str, group: list[ExportList], agent_name: str) -> Message:
    start, end = month_range(month)
    first = group[0]
    # Named by its content (shipper, customs, the lists): the same application built twice is
    # the same message (a repeat at intake), and a later one for newly released lists differs.
    content = "|".join([first.ebc_code, first.customs_code, *sorted(x.invt_no or "" for x in group)])
    digest = hashlib.sha256(content.encode()).hexdigest()
    head = {
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cbec:ceb701:{digest}")).upper(),
        "appType": "1",
        "appTime": start.strftime("%Y%m%d") + "000000",
        "appStatus": "2",
        "customsCode": first.customs_code,
        "copNo": f"SA{start:%Y%m}{digest[:12].upper()}",
        "agentCode": first.agent_code,
        "agentName": agent_name,
        "ebcCode": first.ebc_code,
        "ebcName": first.ebc_name,
        "declAgentCode": first.agent_code,
        "declAgentName": agent_name,
        "startTime": start.strftime("%Y%m%d"),
        "endTime": (end - timedelta(days=1)).strftime("%Y%m%d"),
    }
    rows = [{"gnum": str(n), "invtNo": x.invt_no or ""} for n, x in enumerate(group, start=1)]
    return Message("CEB701", head["guid"], "1.0", [Unit(head, {"SummaryApplyList": rows})])


def summary_applications(
    uow: SqlUnitOfWork, principal: Principal, month: str, *, enterprise_id: int | None = None
) -> list[Message]:
    """One CEB701 per shipper, declaring agent and customs for the month's unsummarised B lists.

    Building them twice gives the same messages, so a second intake is a repeat."""
    groups: dict[tuple[str, str, str], list[ExportList]] = defaultdict(list)
    for listed in _released(uow, principal, month, enterprise_id):
        if listed.statistics_flag == B_FLAG and not listed.sum_no and listed.invt_no:
            groups[listed.ebc_code, listed.agent_code, listed.customs_code].append(listed)
    agents = uow.enterprises.by_customs_codes({agent for _, agent, _ in groups})
    messages = []
    for key in sorted(groups):
        agent = agents.get(key[1])
        messages.append(_application(month, groups[key], agent.name if agent else key[1]))
    return messages
