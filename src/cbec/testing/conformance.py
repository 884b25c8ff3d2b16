"""Where the shared conformance messages live: ``shared/conformance`` beside the repository."""

from __future__ import annotations

from pathlib import Path

__all__ = ["find_conformance_dir"]


def find_conformance_dir(start: Path) -> Path | None:
    """The first ``shared/conformance`` folder found walking up from ``start``, or None."""
    for parent in start.resolve().parents:
        candidate = parent / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None
