"""Serialising the work of one customer: the customer row, locked until the transaction ends."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer
from remnastore.db.session import dialect_of


async def lock_customer(session: AsyncSession, customer_id: int, *, lock: bool = True) -> Customer:
    """The customer row; with ``lock`` held until the transaction ends (fulfilments of one customer queue).

    SQLite serialises writers itself, so only PostgreSQL takes a row lock."""
    query = select(Customer).where(Customer.id == customer_id).execution_options(populate_existing=True)
    if lock and dialect_of(session) == "postgresql":
        query = query.with_for_update()
    return (await session.execute(query)).scalars().one()
