"""Schema migrations (alembic), driven from code: no alembic.ini is needed at run time.

Alembic's command API is synchronous; here it runs inside ``AsyncConnection.run_sync`` on a connection
we open ourselves and hand to ``env.py``, so it works from inside a running event loop. Alembic keeps
its environment in process-global state: run one migration at a time per process.

On SQLite the migration connection keeps ``PRAGMA foreign_keys`` OFF: batch migrations rebuild tables,
and dropping a parent table with foreign keys enforced would cascade-delete the rows that refer to it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from remnastore.db.models import Base
from remnastore.db.session import build_engine, normalize_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x72656D6E61  # any constant shared by every process of this application


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An alembic ``Config`` for our migrations directory; ``url``/``connection`` are passed to env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = normalize_url(url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migration_context_options(dialect_name: str) -> dict[str, Any]:
    """Options shared by env.py and the schema comparison, so both see the schema the same way."""
    return {
        "target_metadata": Base.metadata,
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
        "compare_server_default": False,
    }


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError("no migration revisions found")
    return head


def _engine(url: str) -> AsyncEngine:
    return build_engine(url, sqlite_foreign_keys=False, pooled=False)


async def upgrade_connection(connection: AsyncConnection, revision: str = "head") -> None:
    """Upgrade through an open connection (e.g. an in-memory SQLite database); commits it.

    On PostgreSQL a transaction-level advisory lock makes processes that start together migrate one
    after another (the later ones find the schema already current).
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    await connection.run_sync(lambda sync: command.upgrade(alembic_config(connection=sync), revision))
    await connection.commit()


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (default: the newest)."""
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            await upgrade_connection(connection, revision)
    finally:
        await engine.dispose()


def _downgrade(config: Config, connection: Connection, revision: str) -> None:
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def downgrade(url: str, revision: str) -> None:
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(connection=sync), revision)
            )
            await connection.commit()
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def is_up_to_date(url: str) -> bool:
    return await current_revision(url) == head_revision()


async def schema_differences(url: str) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when in sync)."""

    def compare(sync: Connection) -> list[Any]:
        context = MigrationContext.configure(sync, opts=migration_context_options(sync.dialect.name))
        with warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (lower(username)); alembic skips them and says so.
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
            return list(compare_metadata(context, Base.metadata))

    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()
