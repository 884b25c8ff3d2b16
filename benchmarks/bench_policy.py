"""Policy engine: one quote, and every benefit for 100,000 enterprises, each against a baseline.

1. ``quote``: ``engine.quote`` of the Hangzhou own-brand promotion benefit (rate of a base,
   capped, with its trace), median and p95 over ``CBEC_BENCH_POLICY_QUOTES`` runs (default
   20,000). Goal < 5 ms. Baseline: the same formula as bare Decimal arithmetic (multiply, round
   half up to the fen, compare with the cap).
2. ``batch``: every benefit in force for each of ``CBEC_BENCH_POLICY_ENTERPRISES`` (default
   100,000) synthetic enterprises — each enterprise gets random declared facts for every benefit
   of its city's documents (the five seed cities in turn) — through ``policy.batch``. Goal < 2 s.
   Baseline: the same evaluations through ``engine.quote`` (with its trace) on a 2 % sample,
   scaled up. Both give identical amounts on the sample (checked).

Facts are generated before timing; only evaluation is timed.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from _common import emit, timed
from cbec.policy.batch import compile_benefit, evaluate_many
from cbec.policy.catalog import load_catalog
from cbec.policy.engine import quote
from cbec.policy.model import Benefit

QUOTES = int(os.environ.get("CBEC_BENCH_POLICY_QUOTES", "20000"))
ENTERPRISES = int(os.environ.get("CBEC_BENCH_POLICY_ENTERPRISES", "100000"))
SAMPLE = 0.02
ON = date(2025, 6, 30)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 4),
    }


def bench_quote(benefit: Benefit) -> dict[str, object]:
    facts = {"promotion_cost": Decimal("1234567.89")}
    cap, rate, fen = Decimal("500000"), Decimal("0.25"), Decimal("0.01")
    ours, bare = [], []
    for _ in range(QUOTES):
        start = time.perf_counter()
        got = quote(benefit, facts, ON)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        amount = (facts["promotion_cost"] * rate).quantize(fen, rounding=ROUND_HALF_UP)
        amount = min(amount, cap.quantize(fen, rounding=ROUND_HALF_UP))
        bare.append(time.perf_counter() - start)
    assert got.amount == amount == Decimal("308641.97")
    mine, base = _percentiles(ours), _percentiles(bare)
    return {
        "runs": QUOTES,
        **mine,
        "baseline_bare_decimal": base,
        "ratio_median": round(mine["median_ms"] / base["median_ms"], 1),
        "goal_ms": 5,
    }


def _population(benefits: dict[str, list[Benefit]]) -> tuple[dict[str, list[dict[str, Decimal]]], int]:
    rng = random.Random(6)
    cities = sorted(benefits)
    facts: dict[str, list[dict[str, Decimal]]] = defaultdict(list)
    evaluations = 0
    for n in range(ENTERPRISES):
        for benefit in benefits[cities[n % len(cities)]]:
            facts[benefit.id].append({i.name: Decimal(rng.randrange(0, 10**9)) / 100 for i in benefit.inputs})
            evaluations += 1
    return facts, evaluations


def bench_batch() -> dict[str, object]:
    catalog = load_catalog()
    by_city: dict[str, list[Benefit]] = defaultdict(list)
    for b in catalog.benefits.values():
        if b.in_force(ON):
            by_city[b.document.city].append(b)
    for city in {d.city for d in catalog.documents.values()}:
        by_city.setdefault(city, [])
    facts, evaluations = _population(by_city)
    compiled = {b.id: compile_benefit(b, ON) for bs in by_city.values() for b in bs}

    def run_batch() -> int:
        return sum(len(evaluate_many(compiled[bid], many)) for bid, many in facts.items())

    seconds, done = timed(run_batch, repeat=3)
    assert done == evaluations
    sample = {bid: many[: max(1, int(len(many) * SAMPLE))] for bid, many in facts.items() if many}
    sampled = sum(len(m) for m in sample.values())

    def run_quotes() -> list[Decimal | None]:
        return [quote(catalog.benefits[bid], f, ON).amount for bid, many in sample.items() for f in many]

    quote_seconds, amounts = timed(run_quotes, repeat=1)
    batch_amounts = [o.amount for bid, many in sample.items() for o in evaluate_many(compiled[bid], many)]
    assert amounts == batch_amounts
    scaled = quote_seconds * evaluations / sampled if sampled else 0.0
    return {
        "enterprises": ENTERPRISES,
        "benefits_in_force": {city: len(bs) for city, bs in sorted(by_city.items())},
        "evaluations": evaluations,
        "seconds": round(seconds, 3),
        "per_evaluation_us": round(seconds / evaluations * 1e6, 3) if evaluations else None,
        "baseline_quote_scaled_seconds": round(scaled, 3),
        "baseline_sampled_evaluations": sampled,
        "speedup": round(scaled / seconds, 1) if seconds else None,
        "goal_seconds": 2,
    }


def main() -> None:
    catalog = load_catalog()
    emit(
        "policy",
        {
            "on": ON.isoformat(),
            "quote": bench_quote(catalog.benefits["hz-3-own-brand-promotion"]),
            "batch": bench_batch(),
        },
    )


if __name__ == "__main__":
    main()
