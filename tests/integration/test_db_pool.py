"""Pooled PostgreSQL connections: one that the server dropped while it sat idle in the pool is replaced
before use, so the unit of work that takes it does not fail (connections in constant use skip the ping)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from remnastore.db import Database

pytestmark = pytest.mark.postgres

IDLE = 0.2


@pytest.fixture
async def pooled(database_url: str, db_backend: str) -> AsyncIterator[Database]:
    if db_backend != "postgres":
        pytest.skip("the connection pool with pings is PostgreSQL's")
    db = Database(database_url, pool_size=1, ping_after_idle=IDLE)
    try:
        yield db
    finally:
        await db.dispose()


async def backend_pid(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_dropped_while_idle_is_replaced_without_an_error(
    pooled: Database, database_url: str
) -> None:
    first = await backend_pid(pooled)
    killer = Database(database_url, pool_size=1)
    try:
        async with killer.session() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        await killer.dispose()
    await asyncio.sleep(IDLE * 2)  # the pooled connection sits idle past the ping threshold
    assert await backend_pid(pooled) != first


async def test_a_connection_used_again_at_once_is_the_same_one(pooled: Database) -> None:
    first = await backend_pid(pooled)
    assert [await backend_pid(pooled) for _ in range(3)] == [first] * 3


async def test_connections_opened_for_a_burst_are_kept_for_the_next_one(
    database_url: str, db_backend: str
) -> None:
    """A burst needs more connections than are usually busy; opening one costs the shop and PostgreSQL a
    new backend each time, so the connections a burst opened (up to twice the pool size) stay open."""
    if db_backend != "postgres":
        pytest.skip("the connection pool is PostgreSQL's")
    db = Database(database_url, pool_size=2)
    try:

        async def burst() -> set[int]:
            async def one() -> int:
                async with db.session() as session:
                    pid = int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                    await asyncio.sleep(0.2)  # all four are busy at once
                    return pid

            return set(await asyncio.gather(*(one() for _ in range(4))))

        first = await burst()
        assert len(first) == 4  # twice the pool size, all at once
        assert await burst() == first  # the same four, none opened again
    finally:
        await db.dispose()
