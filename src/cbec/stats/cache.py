"""A small in-process cache of computed statistics, keyed by the store's generation.

The figures of a page change only when the fact table changes; the store counts its changes
(``AnalyticsStore.generation``), and every key includes that count, so a cached result is never
older than the data it was computed from. A time limit also bounds how long names (which live
in the registry, not in the store) can lag behind.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

__all__ = ["ResultCache"]

T = TypeVar("T")


class ResultCache:
    def __init__(self, max_entries: int = 256, ttl_seconds: float = 300.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                self.hits += 1
                return found[1]  # type: ignore[no-any-return]
        # Computed outside the lock: two requests for the same key may both compute (same result).
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
