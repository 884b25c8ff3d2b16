"""Pages: cockpit (filled in by the statistics work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
