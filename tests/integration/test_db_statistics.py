"""The statistics queries on every backend: counts, conversion, revenue and top tariffs of a seeded shop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db import Database
from remnastore.db.models import Customer, Order, Subscription
from remnastore.db.repositories.statistics import RevenueTotals, StatisticsRepository, Windows

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def windows_at(now: datetime) -> Windows:
    return Windows(
        now=now,
        day=now - timedelta(days=1),
        week=now - timedelta(days=7),
        month=now - timedelta(days=30),
        today=now.replace(hour=0, minute=0, second=0, microsecond=0),
    )


def _customer(telegram_id: int, created: datetime, *, trial: bool = False, banned: bool = False) -> Customer:
    return Customer(
        telegram_id=telegram_id,
        first_name=f"C{telegram_id}",
        language="en",
        created_at=created,
        updated_at=created,
        last_seen_at=created,
        trial_used_at=created if trial else None,
        is_banned=banned,
    )


def _order(
    customer: Customer,
    provider: str,
    amount: int,
    currency: str,
    paid_at: datetime | None,
    *,
    status: str = "fulfilled",
    tariff: str | None = "standard",
    kind: str = "subscription",
) -> Order:
    return Order(
        customer_id=customer.id,
        kind=kind,
        tariff_code=tariff,
        period_code="1m" if tariff else None,
        days=30 if tariff else None,
        amount_minor=amount,
        currency=currency,
        provider=provider,
        status=status,
        created_at=paid_at or NOW,
        paid_at=paid_at,
    )


async def seed_shop_figures(session: AsyncSession, now: datetime, first_telegram_id: int = 5001) -> None:
    """Six customers whose figures are spelled out in :func:`test_counts_conversion_revenue_and_tariffs`."""
    day = timedelta(days=1)
    ids = range(first_telegram_id, first_telegram_id + 6)
    c1, c2, c3, c4, c5, c6 = customers = [
        _customer(ids[0], now - timedelta(hours=2), trial=True),
        _customer(ids[1], now - 3 * day, trial=True),
        _customer(ids[2], now - 10 * day),
        _customer(ids[3], now - 40 * day, trial=True),
        _customer(ids[4], now - 100 * day, banned=True),
        _customer(ids[5], now - 20 * day, trial=True),
    ]
    session.add_all(customers)
    await session.flush()
    session.add_all(
        [
            Subscription(customer_id=c1.id, kind="trial", expires_at=now + 2 * day),
            Subscription(customer_id=c2.id, kind="paid", tariff_code="standard", expires_at=now + 27 * day),
            Subscription(customer_id=c3.id, kind="paid", tariff_code="premium", expires_at=now + 20 * day),
            Subscription(customer_id=c4.id, kind="trial", expires_at=now - 30 * day),
            Subscription(customer_id=c6.id, kind="trial", expires_at=now - 10 * day),
            _order(c2, "stars", 150, "XTR", now - 3 * day),
            _order(c3, "yookassa", 19900, "RUB", now - 10 * day, tariff="premium"),
            _order(c4, "stars", 150, "XTR", now - 35 * day, status="refunded"),
            _order(c4, "yookassa", 29900, "RUB", None, status="pending"),
            _order(c5, "stars", 300, "XTR", now - 60 * day),
            _order(c5, "yookassa", 50000, "RUB", now, tariff=None, kind="topup"),
            _order(c5, "balance", 19900, "RUB", now, tariff="premium"),
        ]
    )
    await session.flush()


async def test_counts_conversion_revenue_and_tariffs(database: Database) -> None:
    async with database.session() as session:
        await seed_shop_figures(session, NOW)
    windows = windows_at(NOW)
    async with database.session() as session:
        repository = StatisticsRepository(session)
        counts = await repository.customer_counts(windows)
        revenue = await repository.revenue(windows, exclude_providers=("balance",))
        everything = await repository.revenue(windows)
        top = await repository.top_tariffs()

    assert (counts.total, counts.new_day, counts.new_week, counts.new_month) == (6, 1, 2, 4)
    assert (counts.banned, counts.trials_taken, counts.active_paid, counts.active_trials) == (1, 4, 2, 1)
    assert counts.converted == 1  # c2; c4's only paid order was refunded
    assert revenue == [
        RevenueTotals("stars", "XTR", today=0, week=150, month=150, total=450),
        RevenueTotals("yookassa", "RUB", today=50000, week=50000, month=69900, total=69900),
    ]
    assert RevenueTotals("balance", "RUB", 19900, 19900, 19900, 19900) in everything
    assert top == [("premium", 2), ("standard", 2)]


async def test_an_empty_shop_has_zeros(database: Database) -> None:
    async with database.session() as session:
        repository = StatisticsRepository(session)
        counts = await repository.customer_counts(windows_at(NOW))
        assert counts.total == counts.converted == counts.active_paid == 0
        assert await repository.revenue(windows_at(NOW)) == []
        assert await repository.top_tariffs() == []
