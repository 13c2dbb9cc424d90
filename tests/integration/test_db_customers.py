"""CustomerRepository on every backend: race-safe registration, exactly-once trial, lookups, balance."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from remnastore.db import Database
from remnastore.db.models import REFERRAL_CODE_ALPHABET, BalanceEntry, Customer
from remnastore.db.repositories import CustomerRepository, InsufficientBalance
from remnastore.db.repositories import customers as customers_module
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.domain.money import Money

CONCURRENCY = 20


async def register(db: Database, telegram_id: int, **kwargs: object) -> Customer:
    values: dict[str, object] = {
        "username": None,
        "first_name": "Test",
        "last_name": None,
        "language": "en",
        "start_payload": None,
    }
    values.update(kwargs)
    async with db.session() as session:
        customer, _ = await CustomerRepository(session).register(telegram_id, **values)  # type: ignore[arg-type]
        return customer


async def test_register_creates_once_and_returns_existing(database: Database) -> None:
    async with database.session() as session:
        repo = CustomerRepository(session)
        first, created = await repo.register(
            1001,
            username="Alice",
            first_name="Alice",
            last_name="Liddell",
            language="en",
            start_payload="ref_ABC",
        )
        assert created
        assert first.id == 1  # every test starts from an empty database with fresh id sequences
        assert first.telegram_id == 1001
        assert first.language == "en" and first.start_payload == "ref_ABC"
        assert first.balance_minor == 0 and first.is_banned is False and first.trial_used_at is None
        assert len(first.referral_code) == 8 and set(first.referral_code) <= set(REFERRAL_CODE_ALPHABET)
        assert first.created_at.tzinfo is not None
    async with database.session() as session:
        again, created = await CustomerRepository(session).register(
            1001, username="other", first_name=None, last_name=None, language="ru", start_payload="x"
        )
        assert not created
        assert again.id == first.id
        assert (again.username, again.language, again.start_payload) == ("Alice", "en", "ref_ABC")
        assert await CustomerRepository(session).count() == 1


async def test_register_is_race_safe(database: Database) -> None:
    async def attempt() -> tuple[int, bool]:
        async with database.session() as session:
            customer, created = await CustomerRepository(session).register(
                4242, username="racer", first_name="R", last_name=None, language="en", start_payload=None
            )
            return customer.id, created

    results = await asyncio.gather(*(attempt() for _ in range(CONCURRENCY)))

    assert sum(created for _, created in results) == 1
    assert len({customer_id for customer_id, _ in results}) == 1
    async with database.session() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.telegram_id == 4242)
        )
    assert rows == 1


class _Echo(logging.Handler):
    """SQLAlchemy's echo: a statement, then ``[generated in ...]`` (compiled now) or ``[cached since
    ...]`` (taken from the engine's compiled cache) with its parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def compilations(prefix: str) -> Iterator[list[str]]:
    """The cache marker (``generated``, ``cached``, ``no key``...) of each statement starting with
    ``prefix`` executed inside the block."""
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    echo, level, disabled = _Echo(), logger.level, logger.disabled
    logger.addHandler(echo)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    markers: list[str] = []
    try:
        yield markers
    finally:
        logger.removeHandler(echo)
        logger.setLevel(level)
        logger.disabled = disabled
        for statement, stats in zip(echo.lines, echo.lines[1:], strict=False):
            if statement.startswith(prefix) and stats.startswith("["):
                markers.append(stats[1:].split(" ")[0] + (" key" if stats.startswith("[no key") else ""))


async def test_registration_is_compiled_once_then_taken_from_the_statement_cache(database: Database) -> None:
    """Registering is INSERT ... ON CONFLICT DO NOTHING RETURNING, a construct SQLAlchemy does not cache
    as such: every new customer compiled it afresh. The second registration (and a referral recorded
    for the second invitee) must come from the cache."""
    with compilations("INSERT INTO customers") as registered:
        inviter = await register(database, 81, username="a")
        first = await register(database, 82, first_name="B", referred_by_id=inviter.id)
        second = await register(database, 83, first_name="C", referred_by_id=inviter.id)
    assert registered == ["generated", "cached", "cached"]
    assert (first.first_name, second.first_name, second.referred_by_id) == ("B", "C", inviter.id)

    with compilations("INSERT INTO referrals") as recorded:
        async with database.session() as session:
            assert await ReferralRepository(session).record(inviter.id, first.id)
        async with database.session() as session:
            assert await ReferralRepository(session).record(inviter.id, second.id)
            assert not await ReferralRepository(session).record(inviter.id, second.id)
    assert recorded == ["generated", "cached", "cached"]


async def test_a_referral_code_clash_is_retried_with_a_new_code(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = (await register(database, 91)).referral_code
    codes = iter([taken, taken, "FRESH234"])
    monkeypatch.setattr(customers_module, "new_referral_code", lambda: next(codes))
    async with database.session() as session:
        customer, created = await CustomerRepository(session).register(
            92, username=None, first_name="N", last_name=None, language="en", start_payload=None
        )
    assert created and customer.referral_code == "FRESH234" and customer.telegram_id == 92


async def test_register_keeps_the_referrer(database: Database) -> None:
    inviter = await register(database, 1)
    invitee = await register(database, 2, referred_by_id=inviter.id)
    assert invitee.referred_by_id == inviter.id


async def test_claim_trial_is_exactly_once_under_concurrency(database: Database) -> None:
    customer = await register(database, 777)
    now = datetime.now(UTC)

    async def claim() -> bool:
        async with database.session() as session:
            return await CustomerRepository(session).claim_trial(customer.id, now)

    results = await asyncio.gather(*(claim() for _ in range(CONCURRENCY)))

    assert results.count(True) == 1
    async with database.session() as session:
        repo = CustomerRepository(session)
        stored = await repo.get(customer.id)
        assert stored is not None and stored.trial_used_at == now
        assert not await repo.claim_trial(customer.id, now)
        await repo.reset_trial(customer.id)
    async with database.session() as session:
        repo = CustomerRepository(session)
        loaded = await repo.get(customer.id)
        assert loaded is not None and loaded.trial_used_at is None
        assert await repo.claim_trial(customer.id, now)
        assert loaded.trial_used_at == now  # the object in this session sees its own claim


async def test_username_lookup_is_case_insensitive_and_ignores_at(database: Database) -> None:
    stored = await register(database, 10, username="JohnDoe")
    await register(database, 11, username="someone_else")
    async with database.session() as session:
        repo = CustomerRepository(session)
        for query in ("johndoe", "@JOHNDOE", "  @JohnDoe "):
            found = await repo.get_by_username(query)
            assert found is not None and found.id == stored.id, query
        assert await repo.get_by_username("john") is None
        assert await repo.get_by_username("@") is None


async def test_username_lookup_prefers_the_most_recently_seen(database: Database) -> None:
    old = await register(database, 20, username="Shared")
    new = await register(database, 21, username="shared")
    async with database.session() as session:
        repo = CustomerRepository(session)
        stale = await repo.get(old.id)
        fresh = await repo.get(new.id)
        assert stale is not None and fresh is not None
        stale.last_seen_at = datetime.now(UTC) - timedelta(days=30)
        fresh.last_seen_at = datetime.now(UTC)
    async with database.session() as session:
        found = await CustomerRepository(session).get_by_username("SHARED")
        assert found is not None and found.id == new.id


async def test_referral_code_and_panel_lookups(database: Database) -> None:
    customer = await register(database, 30)
    async with database.session() as session:
        repo = CustomerRepository(session)
        found = await repo.get_by_referral_code(f"  {customer.referral_code.lower()} ")
        assert found is not None and found.id == customer.id
        assert await repo.get_by_referral_code("") is None
        assert await repo.get_by_referral_code("NOPE1234") is None
        loaded = await repo.get_by_telegram_id(30)
        assert loaded is not None
        await repo.set_panel_link(loaded, panel_user_id=555, panel_uuid=None, panel_username="tg_30")
    async with database.session() as session:
        repo = CustomerRepository(session)
        linked = await repo.get_by_panel_username("tg_30")
        assert linked is not None and linked.id == customer.id and linked.panel_user_id == 555
        assert await repo.get_by_telegram_id(31) is None


async def test_touch_writes_only_when_something_changed(database: Database) -> None:
    customer = await register(database, 40, username="u", first_name="F")
    now = datetime.now(UTC)
    async with database.session() as session:
        repo = CustomerRepository(session)
        loaded = await repo.get(customer.id)
        assert loaded is not None
        assert not await repo.touch(loaded, username="u", first_name="F", last_name=None, now=now)
        assert await repo.touch(loaded, username="u2", first_name="F", last_name=None, now=now)
        later = now + timedelta(hours=1)
        assert await repo.touch(loaded, username="u2", first_name="F", last_name=None, now=later)
        assert not await repo.touch(loaded, username="u2", first_name="F", last_name=None, now=later)
        assert await repo.mark_blocked(40, later)
        assert not await repo.mark_blocked(41, later)
    async with database.session() as session:
        repo = CustomerRepository(session)
        loaded = await repo.get(customer.id)
        assert loaded is not None
        assert loaded.username == "u2" and loaded.last_seen_at == later and loaded.blocked_bot_at == later
        assert await repo.touch(loaded, username="u2", first_name="F", last_name=None, now=later)
        assert loaded.blocked_bot_at is None  # writing to the bot again means it is unblocked


async def test_profile_setters_persist(database: Database) -> None:
    customer = await register(database, 50)
    async with database.session() as session:
        repo = CustomerRepository(session)
        loaded = await repo.get(customer.id)
        assert loaded is not None
        await repo.set_language(loaded, "ru")
        await repo.set_pending_promo(loaded, "SPRING25")
        await repo.set_banned(loaded, True)
    async with database.session() as session:
        loaded = await CustomerRepository(session).get(customer.id)
        assert loaded is not None
        assert (loaded.language, loaded.pending_promo_code, loaded.is_banned) == ("ru", "SPRING25", True)


async def test_balance_changes_apply_once_and_never_go_negative(database: Database) -> None:
    customer = await register(database, 60)
    async with database.session() as session:
        repo = CustomerRepository(session)
        topup, debit = Money(50000, "RUB"), Money(-20000, "RUB")
        assert await repo.change_balance(customer.id, topup, reason="topup", idempotency_key="t1")
        assert not await repo.change_balance(customer.id, topup, reason="topup", idempotency_key="t1")
        assert await repo.change_balance(customer.id, debit, reason="buy", idempotency_key="b1")
    with pytest.raises(InsufficientBalance, match="balance would go below zero"):
        async with database.session() as session:
            await CustomerRepository(session).change_balance(
                customer.id, Money(-30001, "RUB"), reason="buy", idempotency_key="b2"
            )
    async with database.session() as session:
        loaded = await CustomerRepository(session).get(customer.id)
        assert loaded is not None and loaded.balance_minor == 30000
        keys = (await session.scalars(select(BalanceEntry.idempotency_key).order_by(BalanceEntry.id))).all()
        assert keys == ["t1", "b1"]  # the refused debit left nothing behind


async def test_session_rolls_back_on_error(database: Database) -> None:
    with pytest.raises(RuntimeError, match=r"^boom$"):
        async with database.session() as session:
            await CustomerRepository(session).register(
                70, username=None, first_name=None, last_name=None, language="en", start_payload=None
            )
            raise RuntimeError("boom")
    async with database.session() as session:
        assert await CustomerRepository(session).get_by_telegram_id(70) is None


async def test_database_ping_and_dialect(database: Database, db_backend: str) -> None:
    assert await database.ping() >= 0
    assert database.dialect == {"sqlite": "sqlite", "postgres": "postgresql"}[db_backend]
