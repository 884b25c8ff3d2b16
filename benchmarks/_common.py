"""Shared helpers for benchmarks: timing, machine facts, JSON output."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of ``repeat`` wall-clock runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def emit(name: str, results: dict[str, Any]) -> None:
    print(json.dumps({"benchmark": name, "machine": machine(), **results}, ensure_ascii=False, indent=2))
