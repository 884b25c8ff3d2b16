"""Alembic environment: the URL comes from the caller's Config (see cbec.storage.migrate)."""

from __future__ import annotations

from alembic import context

from cbec.storage.db import is_sqlite, make_engine
from cbec.storage.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "cbec.storage.migrate sets sqlalchemy.url"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=is_sqlite(url))
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=is_sqlite(url))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
