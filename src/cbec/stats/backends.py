"""The fact table on each backend the catalog runs on, and one way to read results back.

``duckdb_memory``, ``postgres`` and ``spark`` load the same fact rows (``FactLine.row()``
dicts) with the exact schema of ``catalog.fact_schema()`` and return the Ibis table; ``run``
executes any catalog expression and returns plain Python rows, so results from different
backends compare with ``==`` (tests/integration/test_stats_parity.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cbec.stats.catalog import fact_schema
from cbec.stats.facts import COLUMN_NAMES, FACT_COLUMNS, check_row

__all__ = ["FACT_TABLE", "duckdb_memory", "postgres", "run", "spark"]

FACT_TABLE = "stat_fact_lines"

# Ibis type -> Spark DDL type, for the types FACT_COLUMNS uses.
_SPARK_TYPES = {"string": "string", "int64": "bigint", "int32": "int", "date": "date", "boolean": "boolean"}


def _arrow(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    checked = []
    for row in rows:
        check_row(row)
        checked.append(dict(row))
    return pa.Table.from_pylist(checked, schema=fact_schema().to_pyarrow())


def duckdb_memory(rows: Iterable[Mapping[str, Any]]) -> ir.Table:
    """A fresh in-memory DuckDB holding the rows."""
    con = ibis.duckdb.connect()
    return con.create_table(FACT_TABLE, _arrow(rows))


def postgres(url: str, rows: Iterable[Mapping[str, Any]], table_name: str = FACT_TABLE) -> ir.Table:
    """(Re)create ``table_name`` on the PostgreSQL database at ``url`` (SQLAlchemy-style
    ``postgresql+psycopg://user:pw@host:port/db`` or ``postgres://...``) with the fact schema,
    load the rows and return the table. The table is created from the schema first, then
    filled, so PostgreSQL column types are exactly the schema's and not inferred from data."""
    parts = urlsplit(url)
    con = ibis.postgres.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None,
    )
    con.create_table(table_name, schema=fact_schema(), overwrite=True)
    con.insert(table_name, _arrow(rows))
    return con.table(table_name)


def spark(session: Any, rows: Iterable[Mapping[str, Any]]) -> ir.Table:
    """The rows as a temporary view of the given ``pyspark.sql.SparkSession`` (nothing is
    written to a warehouse directory). Each call makes a new view name, so tests sharing one
    session do not see each other's rows."""
    ddl = ", ".join(f"{name} {_SPARK_TYPES[kind]}" for name, kind in FACT_COLUMNS)
    data = [tuple(row[name] for name in COLUMN_NAMES) for row in _arrow(rows).to_pylist()]
    view = f"{FACT_TABLE}_{uuid.uuid4().hex[:12]}"
    session.createDataFrame(data, schema=ddl).createOrReplaceTempView(view)
    con = ibis.pyspark.connect(session)
    return con.table(view)


def _plain(value: Any) -> Any:
    """One result value as a plain Python value: numpy/pandas scalars unwrapped, NaN and NaT as
    None, integral Decimals (PostgreSQL numeric sums) as int, datetimes as dates (the fact table
    has no timestamps), floats to 4 places (every ratio metric rounds to 4 already; this only
    keeps a backend's float formatting from showing)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 4)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool | int | str | date):
        return value
    if value != value:  # pandas NA/NaT compare unequal to themselves
        return None
    return value


def _sort_key(row: Sequence[Any]) -> tuple[tuple[bool, Any], ...]:
    # Nulls last, and never compared with a value (None < 1 raises).
    return tuple((item is None, 0 if item is None else item) for item in row)


def _to_arrow(expr: ir.Table) -> pa.Table:
    backend = ibis.get_backend(expr)
    if backend.name == "pyspark":
        # Ibis reads Spark results through toPandas, which raises pandas 3 deprecation warnings
        # and turns null integers into floats; Spark 4 hands Arrow over directly.
        return backend.raw_sql(backend.compile(expr)).toArrow()
    return expr.to_pyarrow()


def run(expr: ir.Table) -> list[dict[str, Any]]:
    """Execute ``expr`` and return its rows as dicts of plain Python values, sorted by all
    columns in column order (dimensions come first in every metric), so the same question gives
    the same list on every backend whatever order the engine produced."""
    table = _to_arrow(expr)
    names = table.column_names
    rows = [tuple(_plain(value) for value in row.values()) for row in table.to_pylist()]
    rows.sort(key=_sort_key)
    return [dict(zip(names, row, strict=True)) for row in rows]
