"""The access grant's rules one by one (the real database, the in-process panel): where a target starts,
that the stored target wins, when the panel is written to at all, what is sent with it, and the period
recorded once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from remnastore.db.models import AccessGrant as GrantRow
from remnastore.db.models import Customer, SubscriptionPeriod
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.errors import ServiceUnavailable
from remnastore.panel.errors import PanelBadRequest, PanelUnavailable
from remnastore.panel.models import CreateUserRequest, UpdateUserRequest
from remnastore.services.access_grant import unavailable
from tests.service.fakes import new_customer
from tests.service.logs import lines
from tests.service.shop import NOW, Shop


def new_user(target: datetime) -> CreateUserRequest:
    return CreateUserRequest(username="tg_new", expire_at=target, telegram_id=None)


def user_of(telegram_id: int) -> Callable[[datetime], CreateUserRequest]:
    """The create request the shop makes for this Telegram user (``tg_<id>``)."""
    return lambda target: CreateUserRequest(
        username=f"tg_{telegram_id}", expire_at=target, telegram_id=telegram_id
    )


async def grant_row(db: Database, key: str) -> GrantRow:
    async with db.session() as session:
        row = await session.scalar(select(GrantRow).where(GrantRow.key == key))
    assert row is not None
    return row


async def periods(db: Database) -> list[tuple[str, int, object, object, str | None, str | None]]:
    async with db.session() as session:
        rows = (await session.scalars(select(SubscriptionPeriod).order_by(SubscriptionPeriod.id))).all()
    return [(p.kind, p.days, p.starts_at, p.ends_at, p.order_id, p.tariff_code) for p in rows]


async def test_days_start_at_the_later_of_now_and_the_panels_expiry_and_are_stored_once(shop: Shop) -> None:
    ahead, behind = await new_customer(shop.db, 1001), await new_customer(shop.db, 1002)
    shop.panel.add(1001, NOW + timedelta(days=10))
    shop.panel.add(1002, NOW - timedelta(days=10))
    order_id = await shop.order(ahead.id)

    target = await shop.access.plan_days(ahead, 7, "paid", key="k-ahead", order_id=order_id)
    assert target == NOW + timedelta(days=17)
    assert await shop.access.plan_days(behind, 7, "promo", key="k-behind") == NOW + timedelta(days=7)
    shop.clock.advance(timedelta(days=1))
    shop.panel.down = True  # a planned grant is read back without asking the panel
    assert await shop.access.plan_days(ahead, 30, "paid", key="k-ahead") == NOW + timedelta(days=17)
    shop.panel.down = False

    row = await grant_row(shop.db, "k-ahead")
    assert (row.customer_id, row.reason, row.days, row.starts_at, row.target_expires_at, row.order_id) == (
        ahead.id,
        "paid",
        7,
        NOW + timedelta(days=10),
        NOW + timedelta(days=17),
        order_id,
    )
    assert shop.panel.calls.count("update") == 0  # planning never writes to the panel


async def test_days_for_a_customer_without_a_panel_user_start_now(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1003)
    assert await shop.access.plan_days(customer, 3, "trial", key="k-none") == NOW + timedelta(days=3)
    assert (await grant_row(shop.db, "k-none")).starts_at == NOW


async def test_an_unplanned_target_is_stored_with_the_whole_days_to_it(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1004)
    shop.panel.add(1004, NOW)
    target = NOW + timedelta(days=5, hours=23)
    granted = await shop.access.extend_to(customer, target, "admin", key="k-admin")
    assert granted is not None and granted.first and granted.expires_at == target
    row = await grant_row(shop.db, "k-admin")
    assert (row.days, row.starts_at, row.target_expires_at, row.reason) == (5, NOW, target, "admin")
    assert shop.panel.users[1].expire_at == target

    past = await shop.access.extend_to(customer, NOW - timedelta(days=2), "admin", key="k-past")
    assert past is not None and (await grant_row(shop.db, "k-past")).days == 0


async def test_the_stored_target_wins_over_the_one_passed(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1005)
    shop.panel.add(1005, NOW)
    stored = await shop.access.plan_days(customer, 10, "paid", key="k-stored")
    granted = await shop.access.extend_to(customer, NOW + timedelta(days=99), "paid", key="k-stored")
    assert granted is not None and granted.expires_at == stored == NOW + timedelta(days=10)
    assert shop.panel.users[1].expire_at == stored


async def test_a_customer_without_a_panel_user_gets_one_only_when_asked(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1006)
    target = NOW + timedelta(days=30)
    assert await shop.access.extend_to(customer, target, "paid", key="k-new") is None
    assert "create" not in shop.panel.calls and await periods(shop.db) == []

    granted = await shop.access.extend_to(
        customer, target, "paid", key="k-new", create=new_user, tariff_code="standard"
    )
    assert granted is not None and granted.first and granted.user.expire_at == target
    async with shop.db.session() as session:
        row = await session.get(Customer, customer.id)
        assert row is not None and row.panel_user_id == granted.user.id  # remembered
    assert await periods(shop.db) == [("paid", 30, NOW, target, None, "standard")]


async def test_a_username_held_by_somebody_else_gives_the_customer_a_suffixed_user(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1007)
    stranger = shop.panel.add(555, NOW, username="tg_1007")  # made by hand on the panel
    granted = await shop.access.extend_to(
        customer, NOW + timedelta(days=1), "trial", key="k-taken", create=user_of(1007)
    )
    assert granted is not None and shop.panel.calls.count("create") == 2
    mine = next(u for u in shop.panel.users.values() if u.telegram_id == 1007)
    assert mine.username == "tg_1007_2" and mine.expire_at == NOW + timedelta(days=1)
    assert shop.panel.users[int(stranger.id or 0)].expire_at == NOW  # the other user is left alone


async def test_a_username_that_is_already_the_customers_is_adopted(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1009)
    own = shop.panel.add(1009, NOW - timedelta(days=3))  # created before, its link not recorded
    await shop.access.extend_to(customer, NOW + timedelta(days=2), "trial", key="k-own", create=user_of(1009))
    assert len(shop.panel.users) == 1
    assert shop.panel.users[int(own.id or 0)].expire_at == NOW + timedelta(days=2)


async def test_an_expiry_within_a_second_of_the_target_is_not_written_again(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1008)
    target = NOW + timedelta(days=3)
    shop.panel.add(1008, target - timedelta(milliseconds=500))
    granted = await shop.access.extend_to(customer, target, "paid", key="k-close")
    assert "update" not in shop.panel.calls
    assert granted is not None and granted.expires_at == target and granted.first

    shop.panel.users[1] = shop.panel.users[1].model_copy(update={"expire_at": target - timedelta(seconds=1)})
    await shop.access.extend_to(customer, target, "paid", key="k-close")
    assert "update" not in shop.panel.calls  # a second short, at the edge: still the target

    shop.panel.users[1] = shop.panel.users[1].model_copy(update={"expire_at": target - timedelta(seconds=2)})
    await shop.access.extend_to(customer, target, "paid", key="k-close")
    assert shop.panel.calls.count("update") == 1 and shop.panel.users[1].expire_at == target


async def test_a_later_expiry_is_kept_unless_the_target_is_exact(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1009)
    later = NOW + timedelta(days=40)
    shop.panel.add(1009, later)
    target = NOW + timedelta(days=30)

    kept = await shop.access.extend_to(customer, target, "paid", key="k-keep")
    assert kept is not None and kept.expires_at == later and shop.panel.users[1].expire_at == later

    exact = await shop.access.extend_to(customer, target, "paid", key="k-exact", exact=True)
    assert exact is not None and exact.expires_at == target and shop.panel.users[1].expire_at == target


async def test_further_changes_go_in_the_same_call_and_the_callers_request_is_left_alone(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1010)
    shop.panel.add(1010, NOW + timedelta(days=40))
    changes = UpdateUserRequest(traffic_limit_bytes=5)
    await shop.access.extend_to(customer, NOW + timedelta(days=1), "paid", key="k-changes", changes=changes)
    assert shop.panel.calls.count("update") == 1
    assert shop.panel.users[1].traffic_limit_bytes == 5
    assert shop.panel.users[1].expire_at == NOW + timedelta(days=40)
    assert changes.model_fields_set == {"traffic_limit_bytes"}


async def test_an_expired_user_is_activated_unless_banned_or_told_otherwise(shop: Shop) -> None:
    for telegram_id, banned, changes, status in (
        (1011, False, None, "ACTIVE"),
        (1012, True, None, "EXPIRED"),
        (1013, False, UpdateUserRequest(status="DISABLED"), "DISABLED"),
    ):
        customer = await new_customer(shop.db, telegram_id)
        if banned:
            customer = type(customer)(**{**customer.__dict__, "is_banned": True})
        user = shop.panel.add(telegram_id, NOW + timedelta(days=50))
        shop.panel.users[int(user.id or 0)] = user.model_copy(update={"status": "EXPIRED"})
        await shop.access.extend_to(
            customer, NOW + timedelta(days=1), "paid", key=f"k-{telegram_id}", changes=changes
        )
        assert shop.panel.users[int(user.id or 0)].status == status, telegram_id


async def test_a_grant_recorded_by_the_caller_is_recorded_once(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1014)
    shop.panel.add(1014, NOW)
    target = NOW + timedelta(days=30)
    granted = await shop.access.extend_to(customer, target, "paid", key="k-caller", record=False)
    assert granted is not None and granted.first is False and await periods(shop.db) == []
    async with shop.db.session() as session:
        await SubscriptionRepository(session).set_current(
            customer.id, kind="paid", tariff_code="standard", expires_at=NOW + timedelta(days=1)
        )
    async with shop.db.session() as session:
        assert await shop.access.record(session, customer.id, "k-caller", "standard")
    async with shop.db.session() as session:
        assert not await shop.access.record(session, customer.id, "k-caller", "standard")
        current = await SubscriptionRepository(session).get_current(customer.id)
        assert current is not None and current.expires_at == target  # the shop's record follows
    assert await periods(shop.db) == [("paid", 30, NOW, target, None, "standard")]
    assert (await grant_row(shop.db, "k-caller")).applied_at == NOW


async def test_a_later_subscription_record_is_not_shortened_and_a_period_never_starts_after_its_end(
    shop: Shop,
) -> None:
    customer = await new_customer(shop.db, 1015)
    end = NOW + timedelta(days=5)
    await shop.access.reserve(
        customer.id, key="k-back", reason="admin", days=0, starts_at=NOW + timedelta(days=10), target=end
    )
    async with shop.db.session() as session:
        await SubscriptionRepository(session).set_current(
            customer.id, kind="paid", tariff_code="standard", expires_at=NOW + timedelta(days=60)
        )
    async with shop.db.session() as session:
        assert await shop.access.record(session, customer.id, "k-back")
        current = await SubscriptionRepository(session).get_current(customer.id)
        assert current is not None and current.expires_at == NOW + timedelta(days=60)
    assert await periods(shop.db) == [("admin", 0, end, end, None, None)]


def test_a_panel_failure_becomes_try_again_later_and_a_refusal_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="remnastore.services.access_grant")
    assert isinstance(unavailable(PanelUnavailable("timeout")), ServiceUnavailable)
    assert caplog.records == []
    assert isinstance(unavailable(PanelBadRequest("squad unknown")), ServiceUnavailable)
    [record] = caplog.records
    assert record.getMessage() == "the panel refused an access grant: squad unknown (HTTP 400)"


async def test_granted_days_name_their_order_on_the_grant_and_the_period(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="remnastore.services.access_grant")
    customer = await new_customer(shop.db, 1016)
    shop.panel.add(1016, NOW)
    order_id = await shop.order(customer.id)
    granted = await shop.access.grant_days(customer, 30, "paid", key="k-order", order_id=order_id)
    assert granted is not None and granted.expires_at == NOW + timedelta(days=30)
    assert (await grant_row(shop.db, "k-order")).order_id == order_id
    assert await periods(shop.db) == [("paid", 30, NOW, NOW + timedelta(days=30), order_id, None)]
    assert lines(caplog, "remnastore.services.access_grant") == [
        ("INFO", "access granted", {"customer_id": customer.id, "reason": "paid"})
    ]
    assert await shop.access.grant_days(customer, 30, "paid", key="k-order") is not None
    assert len(caplog.records) == 1  # a repeat is no new grant


async def test_the_current_panel_user_is_the_linked_one(shop: Shop) -> None:
    customer = await new_customer(shop.db, 1017)
    assert await shop.access.current(customer) is None
    user = shop.panel.add(1017, NOW + timedelta(days=3))
    current = await shop.access.current(customer)
    assert current is not None and (current.id, current.expire_at) == (user.id, NOW + timedelta(days=3))
