"""A customs CBEC message as data, close to its XML so that XML → model → XML loses nothing.

Values stay the exact text that was sent (``"0.10"`` stays ``"0.10"``); typed readings (Decimal,
dates) are taken where rules need them, never stored back. A message holds one or more business
units (``Order``, ``Inventory`` …), each a head record plus zero or more list records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["NAMESPACE", "Message", "Unit", "date_of", "decimal_of"]

NAMESPACE = "http://www.chinaport.gov.cn/ceb"


@dataclass(frozen=True)
class Unit:
    """One business node, e.g. ``<ceb:Order>``: its head fields and its list records by element name."""

    head: dict[str, str]
    lists: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    type: str  # "CEB311"
    guid: str  # the root element's guid attribute
    version: str
    units: list[Unit]
    base_transfer: dict[str, str] | None = None
    #: The ds:Signature element, kept verbatim (serialised XML) so re-emission is lossless.
    signature: str | None = None

    @property
    def root_element(self) -> str:
        return f"{self.type}Message"


def decimal_of(text: str | None) -> Decimal | None:
    """The value as a Decimal, or None when absent or not a number (validation reports that)."""
    if text is None or text.strip() == "":
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def date_of(text: str | None) -> date | None:
    """The calendar date of a ``YYYYMMDD…`` value (date8, datetime14/17), or None when it is not one."""
    if not text or len(text) < 8 or not text[:8].isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
