"""Throw-away PostgreSQL databases on a server the caller started (see scripts/pg.sh)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["scratch_database"]


@contextmanager
def scratch_database(base_url: str, prefix: str = "t") -> Iterator[str]:
    """Create an empty database beside ``base_url``'s, yield its URL, drop it afterwards (even
    with connections still open), so tests never see each other's rows."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
