"""The whole metric catalog gives the same rows on DuckDB, PostgreSQL and Spark (local mode) for
the fixed dataset (cbec.testing.stats), and those rows are the hand-computed ones.

Every metric runs with its default split, with at least one other split and in a place-and-period
scope. A metric added to the catalog without an entry in SPLITS fails the test, so parity is
never assumed for a metric nobody ran on the three engines.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import pytest

from cbec.stats.backends import duckdb_memory, postgres, run, spark
from cbec.stats.catalog import CATALOG, Scope, expression
from cbec.testing.postgres import scratch_database
from cbec.testing.stats import WAN, fixed_rows, unregistered_history_rows

# PySpark reads every result from a local socket that it leaves for the garbage collector to
# close (pyspark/util.py _load_from_socket: "The socket will be automatically closed when
# garbage-collected"), so each query ends in a ResourceWarning that pytest reports as
# unraisable. Only that warning, for sockets, is ignored here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]

PG_ENV = "CBEC_TEST_DATABASE_URL"
BACKENDS = ("duckdb", "postgres", "spark")

# Metric -> extra splits besides its default; each split must be allowed by the metric.
SPLITS: dict[str, list[tuple[str, ...]]] = {
    "trade_value": [(), ("city", "code"), ("direction", "hs_chapter")],
    "list_count": [("direction", "month"), ("flag",)],
    "yoy_growth": [("month", "city"), ("enterprise",)],  # enterprise: a null key (L17) in the self-join
    "mom_growth": [("month", "enterprise"), ("destination",)],
    "top_enterprises": [()],
    "flag_split": [("flag", "month"), ()],
    "return_rate": [(), ("direction", "origin")],
    "enterprise_count": [(), ("city", "year")],
    "size_bands": [("year",), ("city",)],
    "pipeline": [("direction", "code"), ("enterprise",)],
}
SCOPES = (Scope(), Scope(city="3301", month_from="2024-01", month_to="2024-04"))

# Grand totals (by=()) worked out by hand from the table in cbec/testing/stats.py. The growth
# metrics are always per month; top_enterprises always per enterprise.
TOTALS: dict[str, list[dict[str, Any]]] = {
    # 400 + 35 + 5700 + 7600 + 964 + 1505 万; L13 (EUR) unconverted
    "trade_value": [{"value_fen": 16204 * WAN, "unconverted_lines": 1}],
    "list_count": [{"lists": 14}],  # 17 lists, 3 not released
    "yoy_growth": [
        {"month": "2023-03", "value_fen": 400 * WAN, "previous_fen": None, "growth": None},
        {"month": "2023-04", "value_fen": 35 * WAN, "previous_fen": None, "growth": None},
        {"month": "2023-12", "value_fen": 5700 * WAN, "previous_fen": None, "growth": None},
        {"month": "2024-01", "value_fen": 7600 * WAN, "previous_fen": None, "growth": None},
        {"month": "2024-03", "value_fen": 964 * WAN, "previous_fen": 400 * WAN, "growth": 1.41},  # 564 / 400
        {"month": "2024-04", "value_fen": 1505 * WAN, "previous_fen": 35 * WAN, "growth": 42.0},  # 1470 / 35
    ],
    "mom_growth": [
        {"month": "2023-03", "value_fen": 400 * WAN, "previous_fen": None, "growth": None},
        {"month": "2023-04", "value_fen": 35 * WAN, "previous_fen": 400 * WAN, "growth": -0.9125},  # -365 / 400
        {"month": "2023-12", "value_fen": 5700 * WAN, "previous_fen": None, "growth": None},
        {"month": "2024-01", "value_fen": 7600 * WAN, "previous_fen": 5700 * WAN, "growth": 0.3333},  # 1900 / 5700
        {"month": "2024-03", "value_fen": 964 * WAN, "previous_fen": None, "growth": None},
        {"month": "2024-04", "value_fen": 1505 * WAN, "previous_fen": 964 * WAN, "growth": 0.5612},  # 541 / 964
    ],
    "top_enterprises": [  # shares of 16204
        {"rank": 1, "enterprise_id": 4, "value_fen": 13600 * WAN, "share": 0.8393},
        {"rank": 2, "enterprise_id": 1, "value_fen": 1600 * WAN, "share": 0.0987},
        {"rank": 3, "enterprise_id": 2, "value_fen": 900 * WAN, "share": 0.0555},
        {"rank": 4, "enterprise_id": 3, "value_fen": 94 * WAN, "share": 0.0058},
    ],
    "flag_split": [{"lists": 4, "value_fen": 1194 * WAN}],  # A 35 + 54, B 5 + 1100
    # (49.02 + 30 + 100) / 16204 = 0.011047...
    "return_rate": [{"returned_fen": 179_020_000, "value_fen": 16204 * WAN, "rate": 0.011}],
    "enterprise_count": [{"enterprises": 4}],  # e1-e4; the unregistered L17 not counted
    "size_bands": [
        {"band": "b1", "enterprises": 1, "value_fen": 94 * WAN},
        {"band": "b2", "enterprises": 1, "value_fen": 900 * WAN},
        {"band": "b3", "enterprises": 1, "value_fen": 1600 * WAN},
        {"band": "b4", "enterprises": 1, "value_fen": 13600 * WAN},
    ],
    "pipeline": [
        {"status": "120", "lists": 2, "lines": 2, "value_fen": 87_200_000, "unconverted_lines": 0},  # 80 + 7.2万
        {"status": "500", "lists": 1, "lines": 1, "value_fen": 200 * WAN, "unconverted_lines": 0},
    ],
}


def _postgres_base_url() -> str:
    """As tests/integration/conftest.py: fail without a server unless skipping was asked for."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if os.environ.get("CBEC_SKIP_PG") == "1":
        pytest.skip(f"CBEC_SKIP_PG=1 and {PG_ENV} is not set: PostgreSQL tests skipped on request")
    pytest.fail(f"{PG_ENV} is not set: run the tests with `make test` or export it", pytrace=False)


@pytest.fixture(scope="module")
def spark_session() -> Iterator[Any]:
    """One local Spark for the module: starting it takes seconds."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    _ = ibis.pyspark  # load Ibis's Spark backend before anything is compiled for it
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("cbec-stats-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")  # 23 rows: one task per stage is plenty
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        # Close any result socket still waiting for the collector now, under this module's
        # warning filter, rather than during some later module's test.
        gc.collect()


@pytest.fixture(scope="module")
def tables(spark_session: Any) -> Iterator[dict[str, ir.Table]]:
    rows, nulls = fixed_rows(), unregistered_history_rows()
    with scratch_database(_postgres_base_url(), prefix="stats") as url:
        found = {
            "duckdb": duckdb_memory(rows),
            "postgres": postgres(url, rows, "stat_fact_lines"),
            "spark": spark(spark_session, rows),
            # growth split by a null dimension value (the self-join's IS NOT DISTINCT FROM)
            "duckdb_nulls": duckdb_memory(nulls),
            "postgres_nulls": postgres(url, nulls, "stat_fact_lines_nulls"),
            "spark_nulls": spark(spark_session, nulls),
        }
        try:
            yield found
        finally:
            for name in ("postgres", "postgres_nulls"):  # the scratch database is dropped next
                ibis.get_backend(found[name]).disconnect()


def test_every_metric_has_splits_to_check() -> None:
    assert set(SPLITS) == set(CATALOG) == set(TOTALS)
    for name, splits in SPLITS.items():
        allowed = CATALOG[name].allowed_by
        assert all(set(by) <= allowed for by in splits), name


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_metric_is_identical_on_every_backend(tables: dict[str, ir.Table], name: str) -> None:
    questions = [(scope, by) for scope in SCOPES for by in [CATALOG[name].default_by, *SPLITS[name]]]
    for scope, by in questions:
        answers = {backend: run(expression(tables[backend], name, scope, by)) for backend in BACKENDS}
        assert answers["duckdb"], (name, scope, by)  # an empty answer would prove nothing
        assert answers["postgres"] == answers["duckdb"], (name, scope, by)
        assert answers["spark"] == answers["duckdb"], (name, scope, by)


@pytest.mark.parametrize("backend", BACKENDS)
def test_totals_are_the_hand_computed_ones(tables: dict[str, ir.Table], backend: str) -> None:
    for name, expected in TOTALS.items():
        by = ("enterprise",) if name == "top_enterprises" else ()
        assert run(expression(tables[backend], name, Scope(), by)) == expected, name


@pytest.mark.parametrize("backend", BACKENDS)
def test_growth_matches_a_null_enterprise_with_its_history(tables: dict[str, ir.Table], backend: str) -> None:
    found = run(expression(tables[f"{backend}_nulls"], "mom_growth", Scope(), ("month", "enterprise")))
    assert found == [
        {"month": "2024-02", "enterprise_id": None, "value_fen": 10000, "previous_fen": None, "growth": None},
        {"month": "2024-03", "enterprise_id": 1, "value_fen": 5000, "previous_fen": None, "growth": None},
        {
            "month": "2024-03",
            "enterprise_id": None,
            "value_fen": 15000,
            "previous_fen": 10000,
            "growth": 0.5,
        },  # 5000/10000
    ]
