"""Admin customer queries on every backend: search, and deleting a customer tied to others by referrals,
rewards, balance entries, promo activations and payment events."""

from __future__ import annotations

from sqlalchemy import func, select

from remnastore.db import Database
from remnastore.db.models import (
    AuditEntry,
    BalanceEntry,
    Customer,
    Order,
    PaymentEvent,
    PromoActivation,
    Referral,
    ReferralReward,
)
from remnastore.db.repositories import (
    AuditRepository,
    CustomerRepository,
    OrderRepository,
    PromoRepository,
    ReferralRepository,
)
from remnastore.db.repositories.customer_admin import CustomerAdminRepository
from remnastore.domain.money import Money


async def _customer(db: Database, telegram_id: int, username: str | None = None) -> int:
    async with db.session() as session:
        customer, _ = await CustomerRepository(session).register(
            telegram_id, username=username, first_name="X", last_name=None, language="en", start_payload=None
        )
        return customer.id


async def _count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_search_by_telegram_id_username_and_panel_username(database: Database) -> None:
    alice = await _customer(database, 1001, "Alice")
    bob = await _customer(database, 1002)
    async with database.session() as session:
        row = await CustomerRepository(session).get(bob)
        assert row is not None
        await CustomerRepository(session).set_panel_link(
            row, panel_user_id=77, panel_uuid=None, panel_username="shop_1002"
        )
    async with database.session() as session:
        repository = CustomerAdminRepository(session)
        assert [c.id for c in await repository.search("1001")] == [alice]
        assert [c.id for c in await repository.search("@ALICE")] == [alice]
        assert [c.id for c in await repository.search("shop_1002")] == [bob]
        assert await repository.search("@") == []
        assert await repository.search("99999999999999999999999") == []
        page, more = await repository.page(0, 1)
        assert [c.id for c in page] == [bob] and more


async def test_delete_everything_keeps_other_customers_whole(database: Database) -> None:
    inviter = await _customer(database, 2001)
    target = await _customer(database, 2002)
    invitee = await _customer(database, 2003)
    async with database.session() as session:
        referrals = ReferralRepository(session)
        assert await referrals.record(inviter, target)
        assert await referrals.record(target, invitee)
        orders = OrderRepository(session)
        order = await orders.create(target, kind="subscription", amount=Money(150, "XTR"), provider="stars")
        invitee_order = await orders.create(
            invitee, kind="subscription", amount=Money(150, "XTR"), provider="stars"
        )
        await orders.record_event(
            provider="stars",
            provider_payment_id="ch-1",
            kind="paid",
            order_id=order.id,
            amount=Money(150, "XTR"),
            raw={},
        )
        first = await referrals.get_by_invitee(target)
        second = await referrals.get_by_invitee(invitee)
        assert first is not None and second is not None
        await referrals.mark_first_paid(first, order.id)
        await referrals.add_reward(first.id, order.id, kind="inviter_balance", amount=Money(1000, "RUB"))
        await referrals.add_reward(second.id, invitee_order.id, kind="inviter_days", amount=7)
        customers = CustomerRepository(session)
        await customers.change_balance(
            inviter, Money(1000, "RUB"), reason="referral", idempotency_key="r-1", order_id=order.id
        )
        await customers.change_balance(target, Money(500, "RUB"), reason="topup", idempotency_key="t-1")
        promos = PromoRepository(session)
        promo = await promos.create("WELCOME", kind="days", value=3)
        await promos.add_activation(promo.id, target, status="applied", order_id=order.id)
        await AuditRepository(session).record(1, "customer.ban", target_customer_id=target)

    async with database.session() as session:
        await CustomerAdminRepository(session).delete_everything(target)

    async with database.session() as session:
        ids = set((await session.scalars(select(Customer.id))).all())
        assert ids == {inviter, invitee}
        stored_invitee = await session.get(Customer, invitee)
        assert stored_invitee is not None and stored_invitee.referred_by_id is None
        stored_inviter = await session.get(Customer, inviter)
        assert stored_inviter is not None and stored_inviter.balance_minor == 1000
        ledger = (await session.scalars(select(BalanceEntry))).all()
        assert [(e.customer_id, e.order_id) for e in ledger] == [(inviter, None)]
        assert (await session.scalars(select(Order.id))).all() == [invitee_order.id]
        event = (await session.scalars(select(PaymentEvent))).one()
        assert event.order_id is None  # the provider's notification stays, unlinked
    assert await _count(database, Referral) == 0
    assert await _count(database, ReferralReward) == 0
    assert await _count(database, PromoActivation) == 0
    assert await _count(database, AuditEntry) == 1
