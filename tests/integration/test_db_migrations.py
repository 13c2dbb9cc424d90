"""Migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from remnastore.db import Database
from remnastore.db.migrate import (
    current_revision,
    downgrade,
    head_revision,
    is_up_to_date,
    schema_differences,
    upgrade,
    upgrade_connection,
)
from remnastore.db.models import Base
from tests.fixtures.database import TEST_DATABASE_URL_ENV, postgres_test_url, recreate_postgres_database


@pytest.fixture
async def empty_url(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/sub/dir/empty.sqlite3"  # the directory is created too
        return
    url = postgres_test_url("_empty")
    await recreate_postgres_database(url)
    yield url
    await recreate_postgres_database(url, create=False)


def _metadata_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for table in Base.metadata.sorted_tables:
        found = {str(c.name) for c in table.constraints if c.name is not None}
        found |= {str(i.name) for i in table.indexes}
        names[table.name] = found
    return names


def _reflected_names(sync: Any) -> dict[str, set[str]]:
    inspector = inspect(sync)
    names: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        found = {str(inspector.get_pk_constraint(table)["name"])}
        found |= {str(u["name"]) for u in inspector.get_unique_constraints(table)}
        found |= {str(f["name"]) for f in inspector.get_foreign_keys(table)}
        found |= {str(i["name"]) for i in inspector.get_indexes(table)}
        names[table] = found
    return names


async def test_upgrade_from_empty_reaches_head_and_matches_models(empty_url: str) -> None:
    assert await current_revision(empty_url) is None
    assert not await is_up_to_date(empty_url)

    await upgrade(empty_url)

    assert await current_revision(empty_url) == head_revision() == "0014"
    assert await is_up_to_date(empty_url)
    assert await schema_differences(empty_url) == []
    await upgrade(empty_url)  # a second run is a no-op
    assert await current_revision(empty_url) == "0014"


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
async def test_migrated_names_match_the_naming_convention(database: Database) -> None:
    async with database.engine.connect() as connection:
        reflected = await connection.run_sync(_reflected_names)
    expected = _metadata_names()
    if database.dialect == "sqlite":
        # SQLite cannot reflect the expression index; it is looked up in the catalogue instead.
        async with database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers'")
            )
            assert "ix_customers_username_lower" in {row[0] for row in rows}
        reflected["customers"].add("ix_customers_username_lower")
    for table in expected:
        assert reflected.get(table) == expected[table], table
    assert set(reflected) == set(expected)


async def test_schema_comparison_detects_drift(database_url: str, database: Database) -> None:
    """The comparison above is not vacuous: a schema that differs from the models is reported."""
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_orders_created_at"))
        await connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    try:
        differences = await schema_differences(database_url)
    finally:  # the PostgreSQL test database is shared by the whole session: put it back
        async with database.engine.begin() as connection:
            await connection.execute(text("DROP TABLE stray"))
            await connection.execute(text("CREATE INDEX ix_orders_created_at ON orders (created_at)"))
    kinds = {(diff[0], getattr(diff[1], "name", None)) for diff in differences if isinstance(diff, tuple)}
    assert ("add_index", "ix_orders_created_at") in kinds
    assert ("remove_table", "stray") in kinds


async def test_downgrade_to_base_and_back(empty_url: str) -> None:
    await upgrade(empty_url)
    await downgrade(empty_url, "base")
    assert await current_revision(empty_url) is None
    db = Database(empty_url)
    try:
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await db.dispose()
    await upgrade(empty_url)
    assert await schema_differences(empty_url) == []


async def test_in_memory_sqlite_can_be_migrated_through_its_connection() -> None:
    db = Database("sqlite://")
    try:
        assert db.dialect == "sqlite"
        async with db.engine.connect() as connection:
            await upgrade_connection(connection)
        async with db.session() as session:
            count = await session.scalar(text("SELECT count(*) FROM customers"))
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
        assert (count, version) == (0, head_revision())
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get(TEST_DATABASE_URL_ENV), reason="needs PostgreSQL (TEST_DATABASE_URL)")
async def test_processes_starting_together_migrate_one_after_another() -> None:
    url = postgres_test_url("_together")
    await recreate_postgres_database(url)
    try:
        await asyncio.gather(*(upgrade(url) for _ in range(4)))
        assert await current_revision(url) == head_revision()
        assert await schema_differences(url) == []
    finally:
        await recreate_postgres_database(url, create=False)
