"""Exchange rates for the demo only. The demo sends lists in USD (502); without a rate their CNY
value would be unknown and the cockpit would leave them out. One round figure, labelled as a
demo figure wherever the rate is shown: it is not an official customs rate, and a bureau loads
the real monthly rates with ``cbec analytics rates --load`` (docs/stats.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cbec.stats.fx import FxRate

__all__ = ["DEMO_RATES"]

DEMO_SOURCE = "demo: not an official rate (cbec demo seed)"
DEMO_RATES = (FxRate("502", date(2018, 1, 1), Decimal("7.0000"), DEMO_SOURCE),)
