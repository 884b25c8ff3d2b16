"""The customs side, as a port: what the platform hands to customs and what comes back.

``CustomsGateway`` is the seam. ``SimulatedCustoms`` implements it for development, demos and
tests: it answers a declared inventory list with the receipt sequence customs would send —
399 审结 then 800 放行, sometimes 500 查验 first, sometimes 100 退单 — at configurable rates.
The outcome is a pure function of the list's key and the seed, so re-sending the same list
gets the same answers (intake stays idempotent) and a test can predict them.

A real gateway adapter (the 单一窗口 / 海关 DXP channel) implements ``declare`` by signing the
CEB621 message (``MessageSigner``, SM2 with an SM3 digest per the customs crypto guide, keys on
the enterprise's IC card or a signing service), sending it, and later feeding the customs
receipts (CEB622 / CEB816) back through intake as receipt messages. Signing is its own port so
a hardware signer or a remote signing service can be swapped in without touching the gateway.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cbec.export.summary import SummaryDraft
from cbec.export.summary_result import ResultRecord, simulated_result

__all__ = ["CustomsGateway", "CustomsReceipt", "MessageSigner", "SimulatedCustoms", "SimulationRates"]


@dataclass(frozen=True)
class CustomsReceipt:
    return_status: str  # 100 退单, 399 审结, 500 查验, 800 放行 …
    return_info: str
    invt_no: str | None = None  # customs assigns the list number with the first receipt
    at: str | None = None  # customs' own time of the answer (YYYYMMDDhhmmss); None: when received


class CustomsGateway(Protocol):
    def declare(
        self, list_key: str, *, customs_code: str, year: int, serial: int, declared_at: str | None = None
    ) -> list[CustomsReceipt]:
        """Hand over a list that passed the platform's checks; return customs' receipts in order.
        ``declared_at`` is the list's own declaration time (appTime, YYYYMMDDhhmmss)."""
        ...

    def declare_export(self, list_key: str, *, customs_code: str, year: int, serial: int) -> list[CustomsReceipt]:
        """Hand over an export list (CEB603); customs answers up to 审结 (399) — release waits for
        the goods to arrive at the supervised site (运抵)."""
        ...

    def release_export(self, list_key: str, invt_no: str) -> list[CustomsReceipt]:
        """The goods of a cleared export list have arrived: customs' release (800) or nothing yet."""
        ...

    def summarise(
        self, sum_no: str, draft: SummaryDraft, *, customs_code: str, year: int, serial_of: Callable[[str], int]
    ) -> tuple[ResultRecord, ...]:
        """Hand over a summary application (CEB701); customs' CEB792 rows now, or () if they come later."""
        ...


class MessageSigner(Protocol):
    def sign(self, message_xml: bytes) -> bytes:
        """Return the message with its ds:Signature (SM2 over an SM3 digest) added."""
        ...


@dataclass(frozen=True)
class SimulationRates:
    """Shares of lists, in per-mille, that customs rejects, inspects first, or releases."""

    reject_per_mille: int = 10
    inspect_per_mille: int = 30

    def __post_init__(self) -> None:
        if not 0 <= self.reject_per_mille + self.inspect_per_mille <= 1000:
            raise ValueError("reject + inspect must be between 0 and 1000 per mille")


class SimulatedCustoms:
    def __init__(self, rates: SimulationRates | None = None, *, seed: str = "cbec") -> None:
        self.rates = rates or SimulationRates()
        self.seed = seed

    def _draw(self, list_key: str) -> int:
        digest = hashlib.sha256(f"{self.seed}|{list_key}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 1000

    def declare(
        self, list_key: str, *, customs_code: str, year: int, serial: int, declared_at: str | None = None
    ) -> list[CustomsReceipt]:
        # 4-digit customs area + year + I + 9-digit serial (DOMAIN §1)
        invt_no = f"{customs_code[:4]:0>4}{year}I{serial % 1_000_000_000:09d}"
        # The simulator has no clock of its own: it answers at once, so its receipts carry the
        # declaration time. Demo traffic declared in 2023 is then released in 2023, and the
        # statistics (which count by month of release) show it there, not on the day it was sent.
        at = declared_at
        draw = self._draw(list_key)
        if draw < self.rates.reject_per_mille:
            return [CustomsReceipt("100", "海关退单：申报要素与实货不符（模拟）", invt_no, at)]
        released = [CustomsReceipt("399", "审结", invt_no, at), CustomsReceipt("800", "放行", invt_no, at)]
        if draw < self.rates.reject_per_mille + self.rates.inspect_per_mille:
            return [CustomsReceipt("500", "查验（模拟）", invt_no, at), *released]
        return released

    def declare_export(self, list_key: str, *, customs_code: str, year: int, serial: int) -> list[CustomsReceipt]:
        # Export list numbers carry E where import ones carry I (DOMAIN §1).
        invt_no = f"{customs_code[:4]:0>4}{year}E{serial % 1_000_000_000:09d}"
        draw = self._draw(list_key)
        if draw < self.rates.reject_per_mille:
            return [CustomsReceipt("100", "海关退单：申报要素与实货不符（模拟）", invt_no)]
        cleared = [CustomsReceipt("399", "审结", invt_no)]
        if draw < self.rates.reject_per_mille + self.rates.inspect_per_mille:
            return [CustomsReceipt("500", "查验（模拟）", invt_no), *cleared]
        return cleared

    def release_export(self, list_key: str, invt_no: str) -> list[CustomsReceipt]:
        return [CustomsReceipt("800", "放行", invt_no)]

    def summarise(
        self, sum_no: str, draft: SummaryDraft, *, customs_code: str, year: int, serial_of: Callable[[str], int]
    ) -> tuple[ResultRecord, ...]:
        # The simulator groups exactly as the platform's draft does; a real customs may not, and
        # the mapping of its CEB792 back to the list items is what would show the difference.
        return simulated_result(draft, customs_code=customs_code, year=year, serial_of=serial_of)


def serial_of(text: str) -> int:
    """A stable 9-digit serial derived from a key, for simulated list numbers."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % 1_000_000_000
