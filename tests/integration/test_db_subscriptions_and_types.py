"""Subscriptions, periods and column types (aware datetimes, JSON) on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from remnastore.db import Database
from remnastore.db.models import Customer, PeriodKind, SubscriptionKind
from remnastore.db.repositories import CustomerRepository, SubscriptionRepository

MOSCOW = timezone(timedelta(hours=3))
T0 = datetime(2025, 1, 10, 9, 30, 15, 123456, tzinfo=UTC)


async def new_customer(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        customer, _ = await CustomerRepository(session).register(
            telegram_id, username=None, first_name=None, last_name=None, language="en", start_payload=None
        )
        return customer.id


async def test_datetimes_round_trip_timezone_aware_in_utc(database: Database) -> None:
    customer_id = await new_customer(database, 1)
    moscow_time = datetime(2025, 1, 10, 12, 30, 15, 123456, tzinfo=MOSCOW)  # == T0
    async with database.session() as session:
        await CustomerRepository(session).claim_trial(customer_id, moscow_time)
    async with database.session() as session:
        stored = await session.scalar(select(Customer.trial_used_at).where(Customer.id == customer_id))
        created = await session.scalar(select(Customer.created_at).where(Customer.id == customer_id))
    assert stored is not None and created is not None
    assert stored == T0 and stored.utcoffset() == timedelta(0) and stored.tzinfo is not None
    assert created.tzinfo is not None and abs(datetime.now(UTC) - created) < timedelta(minutes=1)


async def test_datetime_comparisons_in_sql_respect_time_zones(database: Database) -> None:
    customer_id = await new_customer(database, 1)
    async with database.session() as session:
        await CustomerRepository(session).claim_trial(customer_id, T0)
    async with database.session() as session:
        query = select(Customer.id).where(
            Customer.trial_used_at < T0.astimezone(MOSCOW) + timedelta(seconds=1)
        )
        assert (await session.scalars(query)).all() == [customer_id]
        query = select(Customer.id).where(Customer.trial_used_at > T0.astimezone(MOSCOW))
        assert (await session.scalars(query)).all() == []


async def test_naive_datetimes_are_refused(database: Database) -> None:
    customer_id = await new_customer(database, 1)
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.session() as session:
            await CustomerRepository(session).claim_trial(customer_id, datetime(2025, 1, 1))


async def test_stored_value_is_utc(database: Database) -> None:
    """What the database itself holds is UTC (SQLite: one fixed, sortable text format)."""
    customer_id = await new_customer(database, 1)
    query = text("SELECT trial_used_at FROM customers WHERE id = :id")
    if database.dialect == "postgresql":
        query = text(
            "SELECT to_char(trial_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
            " FROM customers WHERE id = :id"
        )
    async with database.session() as session:
        await CustomerRepository(session).claim_trial(customer_id, T0.astimezone(MOSCOW))
        raw = await session.scalar(query, {"id": customer_id})
    assert raw == "2025-01-10 09:30:15.123456"


async def test_set_current_upserts_one_row_per_customer(database: Database) -> None:
    customer_id = await new_customer(database, 1)
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        assert await repo.get_current(customer_id) is None
        trial = await repo.set_current(
            customer_id,
            kind=SubscriptionKind.TRIAL,
            tariff_code=None,
            expires_at=T0 + timedelta(days=3),
            traffic_limit_bytes=10 * 1024**3,
            device_limit=1,
        )
        assert trial.kind == "trial" and trial.expires_at == T0 + timedelta(days=3)
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        current = await repo.get_current(customer_id)
        assert current is not None
        paid = await repo.set_current(
            customer_id,
            kind=SubscriptionKind.PAID,
            tariff_code="standard",
            expires_at=(T0 + timedelta(days=33)).astimezone(MOSCOW),
            traffic_limit_bytes=0,
            device_limit=None,
        )
        assert paid.id == trial.id and paid is current  # the same row, refreshed in this session
        assert (paid.kind, paid.tariff_code, paid.device_limit) == ("paid", "standard", None)
        assert paid.expires_at == T0 + timedelta(days=33) and paid.expires_at.tzinfo is not None
        assert paid.created_at == trial.created_at and paid.updated_at >= trial.updated_at


async def test_periods_and_expiring_between(database: Database) -> None:
    alice, bob, carol = [await new_customer(database, i) for i in (1, 2, 3)]
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        for customer_id, days in ((alice, 1), (bob, 2), (carol, 10)):
            await repo.set_current(
                customer_id, kind="paid", tariff_code="standard", expires_at=T0 + timedelta(days=days)
            )
        await repo.add_period(
            alice, kind=PeriodKind.TRIAL, days=3, starts_at=T0, ends_at=T0 + timedelta(days=3)
        )
        await repo.add_period(
            alice,
            kind=PeriodKind.PAID,
            days=30,
            starts_at=T0 + timedelta(days=3),
            ends_at=T0 + timedelta(days=33),
            tariff_code="standard",
        )
        with pytest.raises(ValueError, match="cannot end before it starts"):
            await repo.add_period(alice, kind="bonus", days=1, starts_at=T0, ends_at=T0 - timedelta(days=1))
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        periods = await repo.periods(alice)
        assert [(p.kind, p.days) for p in periods] == [("trial", 3), ("paid", 30)]
        assert periods[1].ends_at == T0 + timedelta(days=33) and periods[1].tariff_code == "standard"
        assert await repo.periods(bob) == []
        soon = await repo.expiring_between(T0, T0 + timedelta(days=3), limit=10)
        assert [s.customer_id for s in soon] == [alice, bob]
        assert [s.customer_id for s in await repo.expiring_between(T0, T0 + timedelta(days=3), limit=1)] == [
            alice
        ]
        # the window is half-open: [start, end)
        edge = await repo.expiring_between(T0 + timedelta(days=1), T0 + timedelta(days=2), limit=10)
        assert [s.customer_id for s in edge] == [alice]


async def test_deleting_a_customer_cascades_to_their_state(database: Database) -> None:
    customer_id = await new_customer(database, 1)
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        await repo.set_current(customer_id, kind="trial", tariff_code=None, expires_at=T0)
        await repo.add_period(customer_id, kind="trial", days=1, starts_at=T0, ends_at=T0 + timedelta(days=1))
    async with database.session() as session:
        customer = await CustomerRepository(session).get(customer_id)
        await session.delete(customer)
    async with database.session() as session:
        repo = SubscriptionRepository(session)
        assert await repo.get_current(customer_id) is None and await repo.periods(customer_id) == []
