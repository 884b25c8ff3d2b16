"""The page-figure cache: computed once per key, recomputed when the key (store generation) moves."""

from __future__ import annotations

from cbec.stats.cache import ResultCache


def test_computed_once_per_key_and_bounded() -> None:
    cache = ResultCache(max_entries=2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert cache.get_or_compute(("g1", "a"), lambda: compute("a")) == "A"
    assert cache.get_or_compute(("g1", "a"), lambda: compute("a")) == "A"
    assert cache.get_or_compute(("g2", "a"), lambda: compute("a")) == "A"  # the store changed
    assert cache.get_or_compute(("g2", "b"), lambda: compute("b")) == "B"
    assert cache.get_or_compute(("g1", "a"), lambda: compute("a")) == "A"  # evicted: oldest of three
    assert calls == ["a", "a", "b", "a"]
    assert (cache.hits, cache.misses) == (1, 4)


def test_expired_entries_are_recomputed() -> None:
    cache = ResultCache(ttl_seconds=0.0)
    calls: list[int] = []
    cache.get_or_compute("k", lambda: calls.append(1))
    cache.get_or_compute("k", lambda: calls.append(1))
    assert calls == [1, 1]
