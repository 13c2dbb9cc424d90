"""OrderRepository on every backend: forward-only states, deduplicated events, unique payments."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from remnastore.db import Database
from remnastore.db.models import Order, OrderStatus
from remnastore.db.repositories import (
    ConcurrentStatusChange,
    CustomerRepository,
    InvalidTransition,
    OrderRepository,
)
from remnastore.domain.money import Money

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def new_customer(db: Database, telegram_id: int = 1) -> int:
    async with db.session() as session:
        customer, _ = await CustomerRepository(session).register(
            telegram_id, username=None, first_name=None, last_name=None, language="en", start_payload=None
        )
        return customer.id


async def new_order(db: Database, customer_id: int, provider: str = "yookassa", **kwargs: Any) -> Order:
    async with db.session() as session:
        return await OrderRepository(session).create(
            customer_id,
            kind="subscription",
            amount=Money(19900, "RUB"),
            provider=provider,
            **kwargs,
        )


async def status_of(db: Database, order_id: str) -> str:
    async with db.session() as session:
        order = await OrderRepository(session).get(order_id)
        assert order is not None
        return order.status


async def test_create_generates_ids_and_stores_money(database: Database) -> None:
    customer_id = await new_customer(database)
    order = await new_order(
        database,
        customer_id,
        tariff_code="standard",
        period_code="m1",
        days=30,
        discount=Money(2000, "RUB"),
        meta={"source": "test", "items": [1, 2]},
    )
    other = await new_order(database, customer_id)
    assert len(order.id) == 32 and order.id != other.id
    assert order.idempotency_key and order.idempotency_key != other.idempotency_key
    async with database.session() as session:
        loaded = await OrderRepository(session).get(order.id)
        assert loaded is not None
        assert loaded.status == OrderStatus.PENDING
        assert loaded.status == "pending"
        assert loaded.amount == Money(19900, "RUB") and loaded.discount == Money(2000, "RUB")
        assert loaded.meta == {"source": "test", "items": [1, 2]}
        assert (loaded.tariff_code, loaded.period_code, loaded.days) == ("standard", "m1", 30)
        assert loaded.fulfilment_attempts == 0 and loaded.paid_at is None


async def test_create_validates_money(database: Database) -> None:
    customer_id = await new_customer(database)
    async with database.session() as session:
        repo = OrderRepository(session)
        with pytest.raises(ValueError, match="cannot be negative"):
            await repo.create(customer_id, kind="subscription", amount=Money(-1, "RUB"), provider="x")
        with pytest.raises(ValueError, match="discount and amount must be in the same currency"):
            await repo.create(
                customer_id,
                kind="subscription",
                amount=Money(100, "RUB"),
                discount=Money(1, "USD"),
                provider="x",
            )


async def test_state_machine_moves_forward_and_stamps_times(database: Database) -> None:
    order = await new_order(database, await new_customer(database))
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = await repo.get_for_update(order.id)
        assert loaded is not None
        await repo.set_status(loaded, OrderStatus.PAID, now=NOW)
        assert loaded.status == "paid" and loaded.paid_at == NOW
        await repo.set_status(loaded, "fulfilled", now=NOW + timedelta(seconds=5))
        assert loaded.fulfilled_at == NOW + timedelta(seconds=5)
        await repo.set_status(loaded, "refunded", now=NOW + timedelta(days=1))
    assert await status_of(database, order.id) == "refunded"


@pytest.mark.parametrize("late", ["expired", "failed"])
async def test_money_that_arrives_after_expiry_or_failure_still_pays_the_order(
    database: Database, late: str
) -> None:
    order = await new_order(database, await new_customer(database))
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = await repo.get(order.id)
        assert loaded is not None
        await repo.set_status(loaded, late, now=NOW)
        await repo.set_status(loaded, "paid", now=NOW)
    assert await status_of(database, order.id) == "paid"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "fulfilled"),
        ([], "refunded"),
        ([], "pending"),
        (["paid"], "pending"),
        (["paid"], "failed"),
        (["paid"], "expired"),
        (["paid", "fulfilled"], "paid"),
        (["paid", "fulfilled"], "pending"),
        (["expired"], "fulfilled"),
        (["expired"], "failed"),
        (["failed"], "expired"),
        (["paid", "refunded"], "fulfilled"),
        (["paid", "refunded"], "paid"),
    ],
)
async def test_state_machine_refuses_other_moves(database: Database, path: list[str], refused: str) -> None:
    order = await new_order(database, await new_customer(database))
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = await repo.get(order.id)
        assert loaded is not None
        for status in path:
            await repo.set_status(loaded, status, now=NOW)
        with pytest.raises(InvalidTransition, match="is not allowed"):
            await repo.set_status(loaded, refused, now=NOW)
    assert await status_of(database, order.id) == (path[-1] if path else "pending")


async def test_stale_status_is_refused(database: Database) -> None:
    """Two holders of the same pending order: only the first move wins, even without a lock."""
    order = await new_order(database, await new_customer(database))
    async with database.session() as first_session:
        first = await OrderRepository(first_session).get(order.id)
    async with database.session() as second_session:
        second = await OrderRepository(second_session).get(order.id)
    assert first is not None and second is not None
    async with database.session() as session:
        await OrderRepository(session).set_status(first, "paid", now=NOW)
    with pytest.raises(ConcurrentStatusChange, match="no longer pending"):
        async with database.session() as session:
            await OrderRepository(session).set_status(second, "expired", now=NOW)
    assert await status_of(database, order.id) == "paid"


async def test_concurrent_settlement_pays_exactly_once(database: Database) -> None:
    order = await new_order(database, await new_customer(database))

    async def settle() -> bool:
        async with database.session() as session:
            repo = OrderRepository(session)
            locked = await repo.get_for_update(order.id)
            assert locked is not None
            if locked.status != OrderStatus.PENDING:
                return False
            await asyncio.sleep(0.01)  # work done while holding the lock
            await repo.set_status(locked, OrderStatus.PAID, now=NOW)
            return True

    results = await asyncio.gather(*(settle() for _ in range(10)))
    assert results.count(True) == 1
    assert await status_of(database, order.id) == "paid"


async def test_record_event_dedupes(database: Database) -> None:
    order = await new_order(database, await new_customer(database))
    event: dict[str, Any] = {
        "provider": "yookassa",
        "provider_payment_id": "pay-1",
        "amount": Money(19900, "RUB"),
        "raw": {"event": "payment.succeeded"},
        "order_id": order.id,
    }
    async with database.session() as session:
        repo = OrderRepository(session)
        assert await repo.record_event(kind="paid", **event)
        assert not await repo.record_event(kind="paid", **event)
        assert await repo.record_event(kind="refunded", **event)
    results = await asyncio.gather(*(_record(database, kind="chargeback", **event) for _ in range(10)))
    assert results.count(True) == 1
    async with database.session() as session:
        events = await OrderRepository(session).events("yookassa", "pay-1")
        assert [e.kind for e in events] == ["paid", "refunded", "chargeback"]
        assert events[0].raw == {"event": "payment.succeeded"} and events[0].amount_minor == 19900


async def _record(db: Database, **kwargs: Any) -> bool:
    async with db.session() as session:
        return await OrderRepository(session).record_event(**kwargs)


async def test_provider_payment_id_is_unique_per_provider(database: Database) -> None:
    customer_id = await new_customer(database)
    first = await new_order(database, customer_id, provider="yookassa")
    second = await new_order(database, customer_id, provider="yookassa")
    third = await new_order(database, customer_id, provider="cryptobot")
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = await repo.get(first.id)
        assert loaded is not None
        await repo.set_provider_payment(loaded, provider_payment_id="p-1", pay_url="https://pay.example/p-1")
    async with database.session() as session:  # the same id at another provider is another payment
        loaded = await OrderRepository(session).get(third.id)
        assert loaded is not None
        await OrderRepository(session).set_provider_payment(loaded, provider_payment_id="p-1")
    with pytest.raises(
        IntegrityError, match=r"(?s)(UNIQUE constraint failed|duplicate key value).*provider_payment_id"
    ):
        async with database.session() as session:
            loaded = await OrderRepository(session).get(second.id)
            assert loaded is not None
            await OrderRepository(session).set_provider_payment(loaded, provider_payment_id="p-1")
    async with database.session() as session:
        found = await OrderRepository(session).get_by_provider_payment("yookassa", "p-1")
        assert found is not None and found.id == first.id and found.pay_url == "https://pay.example/p-1"
        other = await OrderRepository(session).get_by_provider_payment("cryptobot", "p-1")
        assert other is not None and other.id == third.id
        assert await OrderRepository(session).get_by_provider_payment("yookassa", "p-2") is None


async def test_due_for_fulfilment(database: Database) -> None:
    customer_id = await new_customer(database)
    orders = [await new_order(database, customer_id) for _ in range(4)]
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = [found for order in orders if (found := await repo.get(order.id)) is not None]
        assert len(loaded) == 4
        fresh, retry_due, retry_later, fulfilled = loaded
        for order in loaded:
            await repo.set_status(order, "paid", now=NOW)
        await repo.record_fulfilment_failure(retry_due, error="panel down", next_attempt_at=NOW)
        await repo.record_fulfilment_failure(
            retry_later, error="panel down", next_attempt_at=NOW + timedelta(minutes=5)
        )
        await repo.set_status(fulfilled, "fulfilled", now=NOW)
    async with database.session() as session:
        due = await OrderRepository(session).due_for_fulfilment(NOW, limit=10)
        assert [o.id for o in due] == [fresh.id, retry_due.id]
        assert due[1].fulfilment_attempts == 1 and due[1].last_error == "panel down"
        later = await OrderRepository(session).due_for_fulfilment(NOW + timedelta(minutes=5), limit=10)
        assert {o.id for o in later} == {fresh.id, retry_due.id, retry_later.id}
        assert len(await OrderRepository(session).due_for_fulfilment(NOW, limit=1)) == 1


async def test_list_filters(database: Database) -> None:
    alice, bob = await new_customer(database, 1), await new_customer(database, 2)
    a1 = await new_order(database, alice, provider="stars")
    a2 = await new_order(database, alice, provider="yookassa")
    b1 = await new_order(database, bob, provider="stars")
    async with database.session() as session:
        repo = OrderRepository(session)
        loaded = await repo.get(a2.id)
        assert loaded is not None
        await repo.set_status(loaded, "paid", now=NOW)
    async with database.session() as session:
        repo = OrderRepository(session)
        assert {o.id for o in await repo.list(customer_id=alice)} == {a1.id, a2.id}
        assert [o.id for o in await repo.list(status="paid")] == [a2.id]
        assert {o.id for o in await repo.list(status=["pending", "paid"])} == {a1.id, a2.id, b1.id}
        assert {o.id for o in await repo.list(provider="stars")} == {a1.id, b1.id}
        assert [o.id for o in await repo.list(customer_id=bob, provider="stars")] == [b1.id]
        everything = await repo.list()
        stamps = [o.created_at for o in everything]
        assert stamps == sorted(stamps, reverse=True)  # newest first
        assert len(await repo.list(limit=2)) == 2 and len(await repo.list(limit=2, offset=2)) == 1
        assert len(await repo.list(created_from=datetime.now(UTC) + timedelta(minutes=1))) == 0
        assert len(await repo.list(created_to=datetime.now(UTC) + timedelta(minutes=1))) == 3
