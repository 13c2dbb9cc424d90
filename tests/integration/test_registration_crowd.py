"""A crowd of newcomers at once (after a broadcast or an ad): everyone registered exactly once, returning
customers recognised, and the crowd registered together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from remnastore.db import Database
from remnastore.db.models import Customer
from remnastore.db.repositories import CustomerRepository
from remnastore.db.repositories import customers as customers_module
from remnastore.db.repositories.customers import Newcomer
from remnastore.services.accounts import AccountService, TelegramProfile
from tests.fixtures.database import sent_statements


class Told:
    """The shop's log chat, as far as new customers go."""

    def __init__(self) -> None:
        self.new: list[int] = []

    def new_customer(self, *, telegram_id: int, name: str, username: str | None) -> None:
        self.new.append(telegram_id)

    def trial_started(self, *, telegram_id: int, days: int) -> None: ...

    def promo_used(self, *, telegram_id: int, code: str, effect: str) -> None: ...


def registering(statements: list[str]) -> list[str]:
    return [statement for statement in statements if statement.startswith("INSERT INTO customers")]


def profile(telegram_id: int, **changes: Any) -> TelegramProfile:
    values = {"first_name": f"Guest {telegram_id}", "username": f"guest{telegram_id}", "language_code": "ru"}
    return TelegramProfile(telegram_id=telegram_id, **{**values, **changes})


async def test_a_crowd_of_newcomers_is_registered_once_each(database: Database) -> None:
    told = Told()
    accounts = AccountService(database, default_language="en", events=told)
    ids = list(range(5_000, 5_120))
    with sent_statements(database) as sent:
        arrivals = await asyncio.gather(*(accounts.arrive(profile(telegram_id)) for telegram_id in ids))
    assert [arrival.customer.telegram_id for arrival in arrivals] == ids
    assert all(arrival.created for arrival in arrivals)
    assert sorted(told.new) == ids
    assert len({arrival.customer.id for arrival in arrivals}) == len(ids)
    assert {arrival.customer.language for arrival in arrivals} == {"ru"}
    async with database.session() as session:
        stored = (
            await session.scalars(select(Customer.telegram_id).where(Customer.telegram_id >= 5_000))
        ).all()
    assert sorted(stored) == ids
    assert len(registering(sent)) < 30  # the crowd shares a few statements instead of one each


async def test_returning_customers_in_a_crowd_are_recognised_and_their_profile_refreshed(
    database: Database,
) -> None:
    earlier = AccountService(database, default_language="en")
    known = [(await earlier.arrive(profile(telegram_id))).customer.id for telegram_id in (7_001, 7_002)]
    told = Told()
    restarted = AccountService(database, default_language="en", events=told)  # knows nobody yet
    crowd = [
        profile(7_001, username="renamed"),
        profile(7_003),
        profile(7_002),
        profile(7_004),
        profile(7_003),  # the same newcomer twice in one crowd (two devices)
    ]
    arrivals = await asyncio.gather(*(restarted.arrive(one) for one in crowd))
    assert [arrival.created for arrival in arrivals].count(True) == 2
    assert sorted(told.new) == [7_003, 7_004]
    assert [arrivals[0].customer.id, arrivals[2].customer.id] == known
    assert arrivals[1].customer.id == arrivals[4].customer.id
    async with database.session() as session:
        renamed = await CustomerRepository(session).get_by_telegram_id(7_001)
        count = len((await session.scalars(select(Customer.id).where(Customer.telegram_id == 7_003))).all())
    assert renamed is not None and renamed.username == "renamed"
    assert count == 1


async def test_a_referral_code_clash_in_a_group_retries_only_the_clashing_newcomer(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.session() as session:
        taken = (
            await CustomerRepository(session).register(
                8_000, username=None, first_name="A", last_name=None, language="en", start_payload=None
            )
        )[0].referral_code
    codes = iter(["GROUP2AB", taken, "GROUP3CD", "GROUP4EF"])
    monkeypatch.setattr(customers_module, "new_referral_code", lambda: next(codes))
    newcomers = [Newcomer(8_001 + n, None, f"N{n}", None, "en") for n in range(3)]
    async with database.session() as session:
        found = await CustomerRepository(session).register_all(newcomers)
    assert {
        telegram_id: (customer.referral_code, created) for telegram_id, (customer, created) in found.items()
    } == {
        8_001: ("GROUP2AB", True),
        8_002: ("GROUP4EF", True),
        8_003: ("GROUP3CD", True),
    }


async def test_a_group_is_registered_by_statements_of_a_few_sizes(database: Database) -> None:
    """37 newcomers at once: statements of 32, 4 and 1 rows, each row registered once."""
    newcomers = [Newcomer(9_000 + n, None, f"N{n}", None, "en") for n in range(37)]
    with sent_statements(database) as sent:
        async with database.session() as session:
            found = await CustomerRepository(session).register_all(newcomers)
    assert sorted(found) == [newcomer.telegram_id for newcomer in newcomers]
    assert all(created for _, created in found.values())
    assert [statement.count("(?,") + statement.count("($") for statement in registering(sent)] == [32, 4, 1]


async def test_a_groups_statement_is_compiled_once_per_size(database: Database) -> None:
    """The statement of a group is taken from SQLAlchemy's cache from the second group of its size on (an
    INSERT of several VALUES rows built by SQLAlchemy was compiled afresh for every group)."""
    hits: list[bool] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO customers"):
            context = _args[-2]  # before_cursor_execute(conn, cursor, statement, parameters, context, many)
            hits.append(context.cache_hit is CacheStats.CACHE_HIT)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        for group in range(4):
            newcomers = [Newcomer(9_500 + 10 * group + n, None, f"N{n}", None, "en") for n in range(4)]
            async with database.session(statementwise=True) as session:
                found = await CustomerRepository(session).register_all(newcomers)
            assert all(created for _, created in found.values())
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    assert hits[1:] == [True, True, True], hits
