"""Units of work whose statements stand alone: on PostgreSQL each statement commits by itself (no BEGIN
and COMMIT round trips); a normal unit of work is one transaction. On SQLite both are transactions."""

from __future__ import annotations

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
