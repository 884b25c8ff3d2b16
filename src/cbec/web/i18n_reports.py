"""UI strings for the reports pages (merged into cbec.web.i18n; keep the two dicts' keys identical)."""

from __future__ import annotations

ZH: dict[str, str] = {}
EN: dict[str, str] = {}
