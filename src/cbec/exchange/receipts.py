"""The platform's answers as customs receipt messages (CEB312 … 712 on import, CEB304 … 702 on export)
and the format-error receipt CEB900, built from stored receipts and the receipt specs."""

from __future__ import annotations

import uuid
from datetime import datetime

from cbec.exchange.model import Message, Unit
from cbec.exchange.records import StoredReceipt
from cbec.exchange.spec import spec_for
from cbec.kernel.clock import SHANGHAI
from cbec.kernel.errors import FieldError

__all__ = ["RECEIPT_OF", "format_error_message", "receipt_message"]

RECEIPT_OF = {
    "CEB311": "CEB312",
    "CEB411": "CEB412",
    "CEB511": "CEB512",
    "CEB513": "CEB514",
    "CEB621": "CEB622",
    "CEB623": "CEB624",
    "CEB625": "CEB626",
    "CEB711": "CEB712",
    "CEB303": "CEB304",
    "CEB403": "CEB404",
    "CEB505": "CEB506",
    "CEB507": "CEB508",
    "CEB509": "CEB510",
    "CEB603": "CEB604",
    "CEB605": "CEB606",
    "CEB607": "CEB608",
    "CEB701": "CEB702",
}


def _guid() -> str:
    return str(uuid.uuid4()).upper()


def _time17(stamp: str) -> str:
    """Receipt times are 17 digits (to the millisecond); stored ones are 14."""
    return stamp.ljust(17, "0")[:17]


def receipt_message(declaration_type: str, head: dict[str, str], receipts: list[StoredReceipt]) -> Message:
    """One receipt message answering a declaration, a unit per receipt, in the order they came.

    ``head`` is the declaration's head (its key fields are copied into each receipt)."""
    spec = spec_for(RECEIPT_OF[declaration_type])
    keys = [f.name for f in spec.head_fields if f.name not in ("guid", "returnStatus", "returnTime", "returnInfo")]
    units = [
        Unit(
            {
                "guid": head.get("guid", _guid()),
                **{k: head[k] for k in keys if head.get(k)},
                "returnStatus": r.return_status,
                "returnTime": _time17(r.return_time),
                "returnInfo": r.return_info or "-",
            }
        )
        for r in receipts
    ]
    return Message(spec.type, _guid(), "1.0", units)


def format_error_message(errors: list[FieldError], *, original_type: str | None, at: datetime) -> Message:
    """CEB900: a message that could not be read or broke the schema, with every error named."""
    info = "；".join(f"{e.path}: [{e.code}] {e.message}" for e in errors)[:4000]
    head = {
        "guid": _guid(),
        "returnStatus": "-1",
        "returnTime": at.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S%f")[:17],
        "returnInfo": info or "-",
    }
    if original_type:
        head["oriMessageType"] = original_type
    return Message("CEB900", _guid(), "1.0", [Unit(head)])
