"""Referrals, campaigns, promo codes and the audit log on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from remnastore.db import Database
from remnastore.db.models import PromoKind
from remnastore.db.repositories import (
    AuditRepository,
    CampaignRepository,
    CustomerRepository,
    OrderRepository,
    PromoRepository,
    ReferralRepository,
)
from remnastore.domain.money import Money


async def new_customer(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        customer, _ = await CustomerRepository(session).register(
            telegram_id, username=None, first_name=None, last_name=None, language="en", start_payload=None
        )
        return customer.id


async def referrer_of(db: Database, customer_id: int) -> int | None:
    async with db.session() as session:
        customer = await CustomerRepository(session).get(customer_id)
        assert customer is not None
        return customer.referred_by_id


async def test_referral_refuses_self_and_first_referrer_wins(database: Database) -> None:
    alice, bob, carol = [await new_customer(database, i) for i in (1, 2, 3)]
    async with database.session() as session:
        repo = ReferralRepository(session)
        assert not await repo.record(alice, alice)
        assert await repo.record(alice, bob)
        assert not await repo.record(carol, bob)  # bob already has a referrer
        assert not await repo.record(bob, alice)  # no cycles
        assert await repo.record(bob, carol)
    assert await referrer_of(database, bob) == alice
    assert await referrer_of(database, alice) is None
    assert await referrer_of(database, carol) == bob
    async with database.session() as session:
        repo = ReferralRepository(session)
        assert await repo.count_invited(alice) == 1
        assert await repo.count_invited(bob) == 1
        assert await repo.count_invited(carol) == 0
        referral = await repo.get_by_invitee(bob)
        assert referral is not None and referral.referrer_id == alice


async def test_referral_first_wins_under_concurrency(database: Database) -> None:
    invitee = await new_customer(database, 100)
    referrers = [await new_customer(database, 200 + i) for i in range(10)]

    async def record(referrer: int) -> bool:
        async with database.session() as session:
            return await ReferralRepository(session).record(referrer, invitee)

    results = await asyncio.gather(*(record(r) for r in referrers))
    assert results.count(True) == 1
    winner = referrers[results.index(True)]
    assert await referrer_of(database, invitee) == winner


async def test_referral_rewards_are_recorded_once(database: Database) -> None:
    alice, bob = await new_customer(database, 1), await new_customer(database, 2)
    async with database.session() as session:
        order = await OrderRepository(session).create(
            bob, kind="subscription", amount=Money(19900, "RUB"), provider="stars"
        )
        repo = ReferralRepository(session)
        assert await repo.record(alice, bob)
        referral = await repo.get_by_invitee(bob)
        assert referral is not None
        assert await repo.mark_first_paid(referral, order.id)
        assert not await repo.mark_first_paid(referral, order.id)
        assert await repo.add_reward(referral.id, order.id, kind="inviter_days", amount=7)
        assert not await repo.add_reward(referral.id, order.id, kind="inviter_days", amount=7)
        assert await repo.add_reward(referral.id, order.id, kind="inviter_money", amount=Money(1000, "RUB"))
        assert await repo.count_paying(alice) == 1


async def test_campaign_attribution_first_wins(database: Database) -> None:
    customer = await new_customer(database, 1)
    async with database.session() as session:
        repo = CampaignRepository(session)
        autumn = await repo.create("autumn_vk", title="Autumn VK", cost=Money(500000, "RUB"))
        spring = await repo.create(code="spring_tg", title="Spring TG")
        assert autumn.cost == Money(500000, "RUB") and spring.cost == Money(0, "RUB")
    results = await asyncio.gather(
        *(_attribute(database, (autumn.id, spring.id)[i % 2], customer) for i in range(10))
    )
    assert results.count(True) == 1
    async with database.session() as session:
        repo = CampaignRepository(session)
        attribution = await repo.attribution_of(customer)
        assert attribution is not None
        assert not await repo.attribute(autumn.id, customer)
        assert not await repo.attribute(spring.id, customer)
        assert await repo.count_attributed(attribution.campaign_id) == 1
        found = await repo.get_by_code("autumn_vk")
        assert found is not None and found.id == autumn.id
        assert await repo.get_by_code("AUTUMN_VK") is None  # campaign codes are exact deep-link payloads
        assert [c.code for c in await repo.all()] == ["spring_tg", "autumn_vk"]
    with pytest.raises(
        IntegrityError, match=r"(?s)(UNIQUE constraint failed: campaigns\.code|duplicate key value.*\(code\))"
    ):
        async with database.session() as session:
            await CampaignRepository(session).create("autumn_vk", title="duplicate")


async def _attribute(db: Database, campaign_id: int, customer_id: int) -> bool:
    async with db.session() as session:
        return await CampaignRepository(session).attribute(campaign_id, customer_id)


async def test_promo_lookup_is_case_insensitive(database: Database) -> None:
    until = datetime.now(UTC) + timedelta(days=7)
    async with database.session() as session:
        promo = await PromoRepository(session).create(
            " Spring25 ",
            kind=PromoKind.PERCENT,
            value=25,
            max_activations=100,
            valid_until=until,
            tariff_codes=["standard", "premium"],
            created_by=900001,
        )
        assert (promo.code, promo.code_normalized) == ("Spring25", "SPRING25")
    async with database.session() as session:
        repo = PromoRepository(session)
        for typed in ("spring25", "SPRING25", "  sPrInG25\n"):
            found = await repo.get_by_code(typed)
            assert found is not None and found.id == promo.id, typed
        assert found is not None
        assert found.valid_until == until and found.tariff_codes == ["standard", "premium"]
        assert found.is_active and not found.first_purchase_only and found.activations_count == 0
        assert await repo.get_by_code("spring") is None
        assert await repo.get_by_code("   ") is None
    with pytest.raises(
        IntegrityError,
        match=r"(?s)(UNIQUE constraint failed: promo_codes\.code_normalized"
        r"|duplicate key value.*\(code_normalized\))",
    ):
        async with database.session() as session:
            await PromoRepository(session).create("SPRING25", kind="days", value=7)


async def test_promo_activation_limit_holds_under_concurrency(database: Database) -> None:
    async with database.session() as session:
        promo = await PromoRepository(session).create("LIMITED", kind="days", value=7, max_activations=3)

    async def take() -> bool:
        async with database.session() as session:
            return await PromoRepository(session).take_activation(promo.id)

    results = await asyncio.gather(*(take() for _ in range(20)))
    assert results.count(True) == 3
    async with database.session() as session:
        repo = PromoRepository(session)
        loaded = await repo.get(promo.id)
        assert loaded is not None and loaded.activations_count == 3
        await repo.give_back_activation(promo.id)
        assert loaded.activations_count == 2
        assert await repo.take_activation(promo.id)
        assert not await repo.take_activation(promo.id)


async def test_promo_activation_once_per_customer(database: Database) -> None:
    customer = await new_customer(database, 1)
    now = datetime.now(UTC)
    async with database.session() as session:
        repo = PromoRepository(session)
        promo = await repo.create("ONCE", kind="days", value=3)
        activation = await repo.add_activation(
            promo.id, customer, status="reserved", reserved_until=now - timedelta(minutes=1)
        )
        assert activation is not None and activation.status == "reserved"
        assert await repo.add_activation(promo.id, customer, status="applied") is None
        assert [a.id for a in await repo.expired_reservations(now)] == [activation.id]
        await repo.set_activation_status(activation, "consumed", now=now)
    async with database.session() as session:
        repo = PromoRepository(session)
        stored = await repo.get_activation(promo.id, customer)
        assert stored is not None and stored.status == "consumed" and stored.consumed_at == now
        assert await repo.expired_reservations(now) == []


async def test_audit_log_records_and_lists_newest_first(database: Database) -> None:
    customer = await new_customer(database, 1)
    async with database.session() as session:
        repo = AuditRepository(session)
        await repo.record(900001, "ban", target_customer_id=customer, details={"reason": "spam"})
        await repo.record(900001, "broadcast", details={"recipients": 10})
        await repo.record(None, "sync")
    async with database.session() as session:
        repo = AuditRepository(session)
        entries = await repo.recent(10)
        assert [e.action for e in entries] == ["sync", "broadcast", "ban"]
        assert entries[2].details == {"reason": "spam"} and entries[0].details == {}
        assert [e.action for e in await repo.recent(10, target_customer_id=customer)] == ["ban"]
        assert len(await repo.recent(2)) == 2
