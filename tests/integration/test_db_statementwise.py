"""Units of work whose statements stand alone: on PostgreSQL each statement commits by itself (no BEGIN
and COMMIT round trips); a normal unit of work is one transaction. On SQLite both are transactions, and
the statementwise ones (a customer's arrival) take turns in the process."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from remnastore.db import Database
from remnastore.db.models import Customer
from remnastore.db.repositories.customers import CustomerRepository


async def one_transaction(db: Database, *, statementwise: bool) -> bool:
    """Whether two statements of one unit of work ran in one transaction (the same transaction id)."""
    async with db.session(statementwise=statementwise) as session:
        first = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        return bool(first == (await session.execute(text("SELECT txid_current()"))).scalar_one())


@pytest.mark.postgres
async def test_on_postgresql_each_statement_commits_by_itself(database: Database) -> None:
    assert await one_transaction(database, statementwise=False)
    assert not await one_transaction(database, statementwise=True)
    assert await one_transaction(database, statementwise=False)  # the pooled connection is reset


async def test_a_statementwise_failure_keeps_what_was_written_before_it_on_postgresql(
    database: Database, db_backend: str
) -> None:
    """The contract callers rely on: use it only where every statement stands alone."""
    with pytest.raises(RuntimeError):
        async with database.session(statementwise=True) as session:
            await CustomerRepository(session).register(
                5001, username=None, first_name="A", last_name=None, language="en", start_payload=None
            )
            raise RuntimeError("after the first statement")
    async with database.session() as session:
        kept = (await session.execute(select(Customer.id).where(Customer.telegram_id == 5001))).first()
    assert (kept is not None) == (db_backend == "postgres")  # SQLite: one transaction, rolled back


async def test_a_crowd_of_arrivals_takes_turns_on_sqlite_and_runs_together_on_postgresql(
    database: Database, db_backend: str
) -> None:
    """A burst of newcomers registering at once. SQLite has one writer: colliding writers wait in its
    busy handler, which sleeps up to 100 ms between tries, and a 200-customer burst waited over a second
    for its welcome. So on SQLite these short write units queue in the process, one at a time, in order;
    PostgreSQL takes them all together. Every newcomer is registered either way."""
    inside = most = 0

    async def arrive(n: int) -> None:
        nonlocal inside, most
        async with database.session(statementwise=True) as session:
            inside += 1
            most = max(most, inside)
            await CustomerRepository(session).register(
                7000 + n, username=None, first_name=f"N{n}", last_name=None, language="en", start_payload=None
            )
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(arrive(n) for n in range(20)))
    assert most == (1 if db_backend == "sqlite" else 20)
    async with database.session() as session:
        ids = (await session.execute(select(Customer.telegram_id).where(Customer.telegram_id >= 7000))).all()
    assert len(ids) == 20
