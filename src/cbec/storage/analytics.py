"""The analytics store: the fact table of list lines in an embedded DuckDB file under ./var/.

One file per platform database (``Settings.analytics_file``). DuckDB lets one process open a
file for writing at a time, so every use opens the file, works and closes it: the web server
and a CLI command (``cbec stats refresh``) take turns, retrying while the other holds the lock.
Within a process a lock serialises the threads.

The store also keeps two small dimension tables (enterprises and districts) and the SQL views
documented in docs/stats.md for BI tools (Superset, DataEase) that read the file directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from cbec.stats.catalog import fact_schema
from cbec.stats.facts import FACT_COLUMNS

__all__ = ["SCHEMA_VERSION", "AnalyticsStore"]

# Bump when FACT_COLUMNS or the views change: the store is then rebuilt from the database.
SCHEMA_VERSION = 2
_DUCK_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "date": "DATE", "boolean": "BOOLEAN"}
_LOCK_WAIT_SECONDS = 30.0

ENTERPRISE_COLUMNS = (("enterprise_id", "BIGINT"), ("name", "VARCHAR"), ("uscc", "VARCHAR"),
                      ("city_code", "VARCHAR"), ("district_code", "VARCHAR"))  # fmt: skip
DISTRICT_COLUMNS = (("district_code", "VARCHAR"), ("city_code", "VARCHAR"), ("name", "VARCHAR"),
                    ("city_name", "VARCHAR"))  # fmt: skip

# Views for BI tools: stable names and columns, money in yuan as DECIMAL(18,2).
VIEWS = {
    "v_trade_monthly": """
        SELECT city_code, district_code, month, direction, trade_mode, statistics_flag,
               CAST(SUM(cny_fen) AS DECIMAL(38, 0)) / 100 AS value_cny,
               COUNT(*) FILTER (WHERE first_line) AS lists,
               COUNT(*) FILTER (WHERE cny_fen IS NULL) AS unconverted_lines
        FROM list_lines WHERE released
        GROUP BY ALL""",
    "v_trade_enterprise_monthly": """
        SELECT l.city_code, l.district_code, l.enterprise_id, e.name AS enterprise_name, e.uscc,
               l.month, l.direction, l.trade_mode,
               CAST(SUM(l.cny_fen) AS DECIMAL(38, 0)) / 100 AS value_cny,
               COUNT(*) FILTER (WHERE l.first_line) AS lists
        FROM list_lines l LEFT JOIN enterprises_dim e USING (enterprise_id)
        WHERE l.released
        GROUP BY ALL""",
    "v_trade_country_monthly": """
        SELECT city_code, month, direction, trade_mode,
               CASE WHEN direction = 'import' THEN origin_country ELSE destination_country END AS partner_country,
               CAST(SUM(cny_fen) AS DECIMAL(38, 0)) / 100 AS value_cny
        FROM list_lines WHERE released
        GROUP BY ALL""",
    "v_trade_hs_chapter_monthly": """
        SELECT city_code, month, direction, hs_chapter,
               CAST(SUM(cny_fen) AS DECIMAL(38, 0)) / 100 AS value_cny
        FROM list_lines WHERE released
        GROUP BY ALL""",
}


def _create_sql(name: str, columns: Sequence[tuple[str, str]]) -> str:
    body = ", ".join(f"{column} {kind}" for column, kind in columns)
    return f"CREATE TABLE {name} ({body})"


class AnalyticsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._ready = False

    # ---- connections -------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as error:  # another process holds the file: wait our turn
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def raw(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            con = self._open()
            try:
                if not self._ready:
                    self._ensure_schema(con)
                    self._ready = True
                yield con
            finally:
                con.close()

    @contextmanager
    def session(self) -> Iterator[DuckDBBackend]:
        """An Ibis connection to the store (the fact table is ``list_lines``)."""
        with self.raw() as con:
            yield ibis.duckdb.from_connection(con)

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        found = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
        if found is not None and found[0] == str(SCHEMA_VERSION):
            return
        for view in VIEWS:
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in ("list_lines", "enterprises_dim", "districts_dim"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(_create_sql("list_lines", [(n, _DUCK_TYPES[k]) for n, k in FACT_COLUMNS]))
        con.execute(_create_sql("enterprises_dim", ENTERPRISE_COLUMNS))
        con.execute(_create_sql("districts_dim", DISTRICT_COLUMNS))
        for view, sql in VIEWS.items():
            con.execute(f"CREATE VIEW {view} AS {sql}")
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?), ('needs_rebuild', 'yes')",
            [str(SCHEMA_VERSION)],
        )

    # ---- state -------------------------------------------------------------------------------

    def needs_rebuild(self) -> bool:
        """True right after the schema was (re)created: every list must be queued once."""
        with self.raw() as con:
            found = con.execute("SELECT value FROM store_meta WHERE key = 'needs_rebuild'").fetchone()
            return found is not None and found[0] == "yes"

    def mark_built(self) -> None:
        with self.raw() as con:
            con.execute("INSERT OR REPLACE INTO store_meta VALUES ('needs_rebuild', 'no')")

    @staticmethod
    def _bump(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "INSERT OR REPLACE INTO store_meta SELECT 'generation', CAST(COALESCE(MAX(CAST(value AS BIGINT)), 0) + 1"
            " AS VARCHAR) FROM store_meta WHERE key = 'generation'"
        )

    def generation(self) -> int:
        """How many times the store has changed: results computed at one generation stay valid
        until it moves (stats/cache.py)."""
        with self.raw() as con:
            found = con.execute("SELECT value FROM store_meta WHERE key = 'generation'").fetchone()
            return int(found[0]) if found else 0

    def line_count(self) -> int:
        with self.raw() as con:
            found = con.execute("SELECT count(*) FROM list_lines").fetchone()
            return int(found[0]) if found else 0

    # ---- writes ------------------------------------------------------------------------------

    def replace(self, list_keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
        """Replace every line of the given lists by ``rows`` in one transaction (a list that is
        gone — withdrawn or cancelled — simply gets no rows)."""
        incoming = pa.Table.from_pylist(rows, schema=fact_schema().to_pyarrow())
        keys = pa.table({"list_key": pa.array(sorted(set(list_keys)), pa.string())})
        self._write(
            {"incoming_lines": incoming, "incoming_keys": keys},
            "DELETE FROM list_lines WHERE list_key IN (SELECT list_key FROM incoming_keys)",
            "INSERT INTO list_lines SELECT * FROM incoming_lines",
        )

    def replace_dimension(self, table: str, rows: list[dict[str, Any]]) -> None:
        columns = {"enterprises_dim": ENTERPRISE_COLUMNS, "districts_dim": DISTRICT_COLUMNS}[table]
        names = [c for c, _ in columns]
        arrow = pa.Table.from_pylist(
            [{n: r.get(n) for n in names} for r in rows],
            schema=pa.schema([(n, pa.int64() if k == "BIGINT" else pa.string()) for n, k in columns]),
        )
        self._write(
            {"incoming_dim": arrow},
            f"DELETE FROM {table}",  # noqa: S608 — table is one of two fixed names
            f"INSERT INTO {table} SELECT * FROM incoming_dim",  # noqa: S608 — fixed names
        )

    def _write(self, incoming: dict[str, pa.Table], *statements: str) -> None:
        """Run ``statements`` over the registered Arrow tables in one transaction, and count the
        change (the generation) in the same transaction."""
        with self.raw() as con:
            for name, table in incoming.items():
                con.register(name, table)
            try:
                con.execute("BEGIN TRANSACTION")
                for statement in statements:
                    con.execute(statement)
                self._bump(con)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                for name in incoming:
                    con.unregister(name)

    def export_parquet(self, target: Path, sql: str = "SELECT * FROM list_lines") -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with self.raw() as con:
            quoted = target.as_posix().replace("'", "''")
            con.execute(f"COPY ({sql}) TO '{quoted}' (FORMAT parquet)")
