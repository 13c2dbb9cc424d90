"""The cached customer behind an update is dropped by every kind of write to their row, on both backends
(Redis with PostgreSQL, the in-process cache with SQLite)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, update

from remnastore.config.referrals import ReferralSettings
from remnastore.db import Database
from remnastore.db.changes import CustomerChanges
from remnastore.db.models import Customer, Referral
from remnastore.db.repositories import CustomerRepository
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.domain.money import Money
from remnastore.infra.cache import Cache
from remnastore.services.accounts import AccountService, CustomerView, TelegramProfile
from remnastore.services.customer_cache import CustomerCache
from remnastore.services.referrals import ReferralRewards, ReferralStats
from tests.fixtures.database import sent_statements


@dataclass
class Cached:
    accounts: AccountService
    db: Database
    hits: list[bool]
    customers: CustomerCache


@pytest.fixture
async def cached(database: Database, db_backend: str) -> AsyncIterator[Cached]:
    url = os.environ.get("TEST_REDIS_URL")
    redis = Redis.from_url(url) if db_backend == "postgres" and url else None
    if redis is not None:
        await redis.flushdb()
    hits: list[bool] = []
    cache = Cache(redis, on_lookup=lambda _area, hit: hits.append(hit))
    customers = CustomerCache(cache, 300)
    database.on_customers_changed = customers.invalidate
    try:
        accounts = AccountService(database, default_language="en", cache=customers)
        yield Cached(accounts, database, hits, customers)
    finally:
        if redis is not None:
            await redis.aclose()


async def arrive(cached: Cached, telegram_id: int = 4242, **profile: Any) -> CustomerView:
    values = {"first_name": "Mira", "username": "mira", "language_code": "en", **profile}
    return (await cached.accounts.arrive(TelegramProfile(telegram_id=telegram_id, **values))).customer


async def test_a_known_customer_costs_no_statement_until_their_row_changes(cached: Cached) -> None:
    first = await arrive(cached)
    with sent_statements(cached.db) as seen:
        again = await arrive(cached)
    assert seen == [] and again == first and cached.hits[-1] is True

    # a changed profile is written (and the entry refreshed)
    with sent_statements(cached.db) as seen:
        renamed = await arrive(cached, username="mira_new")
    assert seen and renamed.username == "mira_new"
    assert (await arrive(cached, username="mira_new")).username == "mira_new"


async def test_every_kind_of_write_drops_the_entry(cached: Cached) -> None:
    customer = await arrive(cached)
    # an ORM change (flush): language
    changed = await cached.accounts.set_language(customer, "ru")
    assert changed.language == "ru"
    assert (await arrive(cached)).language == "ru"

    # a bulk UPDATE naming the row by id: the trial
    async with cached.db.session() as session:
        assert await CustomerRepository(session).claim_trial(customer.id, datetime.now(UTC))
    assert (await arrive(cached)).trial_used is True

    # an ORM change made elsewhere: a ban
    async with cached.db.session() as session:
        repo = CustomerRepository(session)
        row = await repo.get(customer.id)
        assert row is not None
        await repo.set_banned(row, True)
    assert (await arrive(cached)).is_banned is True

    # a bulk UPDATE whose rows cannot be told: everything cached is dropped
    async with cached.db.session() as session:
        await session.execute(update(Customer).where(Customer.language == "ru").values(is_banned=False))
    assert (await arrive(cached)).is_banned is False


async def test_a_customer_who_blocked_the_bot_is_written_when_they_come_back(cached: Cached) -> None:
    await arrive(cached)
    async with cached.db.session() as session:  # a bulk UPDATE naming the row by Telegram id
        assert await CustomerRepository(session).mark_blocked(4242, datetime.now(UTC))
    with sent_statements(cached.db) as seen:
        await arrive(cached)
    assert any(s.lstrip().upper().startswith("UPDATE") for s in seen)
    async with cached.db.session() as session:
        row = await CustomerRepository(session).get_by_telegram_id(4242)
        assert row is not None and row.blocked_bot_at is None


async def test_a_rolled_back_change_keeps_the_entry(cached: Cached) -> None:
    customer = await arrive(cached)
    with pytest.raises(RuntimeError, match="the unit of work fails"):
        async with cached.db.session() as session:
            await CustomerRepository(session).claim_trial(customer.id, datetime.now(UTC))
            raise RuntimeError("the unit of work fails")
    with sent_statements(cached.db) as seen:
        again = await arrive(cached)
    assert seen == [] and again.trial_used is False


async def test_referral_numbers_are_kept_until_a_write_changes_them(cached: Cached) -> None:
    inviter, friend = await arrive(cached, 5001), await arrive(cached, 5002, username="friend")
    rewards = ReferralRewards(
        cached.db,
        None,  # no days are granted here
        None,
        ReferralSettings(),
        notifier=None,
        balance_currency="RUB",
        cache=cached.customers,
    )

    async def numbers() -> tuple[ReferralStats, list[str]]:
        with sent_statements(cached.db) as seen:
            return await rewards.stats(inviter.id), seen

    first, seen = await numbers()  # kept at registration: a new customer has invited nobody
    assert (first.invited, first.paying, first.earned) == (0, 0, []) and seen == []
    await cached.customers.invalidate(CustomerChanges(ids={inviter.id}))
    counted, seen = await numbers()
    assert counted == first and seen  # counted in the database once dropped
    assert await numbers() == (first, [])

    async with cached.db.session() as session:  # an invitee (the inviter's own row is not written)
        assert await ReferralRepository(session).record(inviter.id, friend.id)
    invited, seen = await numbers()
    assert invited.invited == 1 and seen
    assert await numbers() == (invited, [])

    async with cached.db.session() as session:  # a commission credited
        await CustomerRepository(session).change_balance(
            inviter.id, Money(1990, "RUB"), reason="referral", idempotency_key="referral:o-1"
        )
    earned, _ = await numbers()
    assert earned.earned == [Money(1990, "RUB")]

    async with cached.db.session() as session:  # a write to referrals that names no referrer
        await session.execute(delete(Referral).where(Referral.invitee_id == friend.id))
    gone, _ = await numbers()
    assert gone.invited == 0


async def test_a_customer_registered_elsewhere_is_found_and_refreshed(cached: Cached) -> None:
    """Another instance (or this one before a restart) registered the customer: their first update here
    finds the row (not a second registration, no new-customer event) and writes the changed profile."""
    first = await arrive(cached, 6001, username="old_name")
    events: list[int] = []

    class Events:
        def new_customer(self, *, telegram_id: int, name: str, username: str | None) -> None:
            events.append(telegram_id)

    elsewhere = AccountService(
        cached.db,
        default_language="en",
        events=Events(),
        cache=None,  # type: ignore[arg-type]
    )
    arrival = await elsewhere.arrive(TelegramProfile(6001, "Mira", username="new_name", language_code="ru"))
    assert not arrival.created and arrival.customer.id == first.id
    assert arrival.customer.username == "new_name" and arrival.customer.language == "en"
    assert events == []
    with sent_statements(cached.db) as seen:  # known to this instance now: one lookup, nothing to write
        again = await elsewhere.arrive(TelegramProfile(6001, "Mira", username="new_name"))
    assert again.customer == arrival.customer and len(seen) == 1 and seen[0].lstrip().startswith("SELECT")
    async with cached.db.session() as session:
        assert await CustomerRepository(session).count() == 1

    new = await elsewhere.arrive(TelegramProfile(6002, "Nina"))
    assert new.created and events == [6002]

    # a restarted instance that has the customer in the shared cache looks them up (no INSERT first)
    await arrive(cached, 6001, username="new_name")  # kept in the cache again
    restarted = AccountService(cached.db, default_language="en", cache=cached.customers)
    with sent_statements(cached.db) as seen:
        renamed = await restarted.arrive(TelegramProfile(6001, "Mira", username="third_name"))
    assert renamed.customer.username == "third_name"
    assert [s.lstrip().split()[0] for s in seen] == ["SELECT", "UPDATE"], seen
