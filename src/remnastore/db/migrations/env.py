"""Alembic environment: migrations run on a connection handed in by :mod:`remnastore.db.migrate`.

Run directly by the ``alembic`` tool (for writing new revisions), it reads the URL from the config
attribute ``url``, ``-x url=...``, the ``sqlalchemy.url`` option or ``DATABASE_URL``, in that order.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from remnastore.db.migrate import migration_context_options
from remnastore.db.session import build_engine, normalize_url

config = context.config


def _url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("DATABASE_URL")
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set DATABASE_URL")
    return normalize_url(str(url))


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **migration_context_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = build_engine(_url(), sqlite_foreign_keys=False, pooled=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    url = _url()
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    options = migration_context_options(dialect)
    context.configure(url=url, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
