"""The main screens cost a bounded number of SQL statements per update (no N+1); a warm button press costs
none and no panel call: the customer comes from the cache, and so does the panel's view of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from remnastore.bot.callbacks import Nav, Screen
from remnastore.db.models import Customer
from remnastore.db.session import Database
from remnastore.infra.logging import log_context
from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.shop import Shop
from tests.fixtures.text import shows

COLD_START_BOUND = 2  # the shop's first customer: the registration (one INSERT), the settings loaded
WARM_BOUND = 0
NEW_CUSTOMER_STATEMENTS = 1  # INSERT ... ON CONFLICT DO NOTHING RETURNING (no lookup before it)
REFERRAL_SCREEN_STATEMENTS = 2  # invited and paying counted together, commissions earned
NEW_CUSTOMER_REFERRAL_SCREEN_STATEMENTS = 0  # their numbers (zeros) were cached at registration
NEW_CUSTOMER_REDIS_REQUESTS = 3  # the gate, the customer kept (one pipeline), the lock released


@contextmanager
def statements_per_update(db: Database) -> Iterator[Counter[int]]:
    """SQL statements sent while handling each update, by update id (background jobs are not counted)."""
    counts: Counter[int] = Counter()

    def record(*_args: Any) -> None:
        update_id = (log_context.get() or {}).get("update_id")
        if isinstance(update_id, int):
            counts[update_id] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield counts
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_main_screens_use_a_bounded_number_of_statements(shop: Shop) -> None:
    vera = shop.user(7101, first_name="Vera", language_code="en")
    with statements_per_update(shop.db) as counts:
        first_start = await vera.send("/start")
        await vera.wait_reply(first_start)
        cold = counts[first_start]
        assert 1 <= cold <= COLD_START_BOUND, f"/start of a new customer took {cold} statements"

        await vera.wait_reply(await vera.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
        panel_calls = len(shop.panel.requests)
        # each press changes the screen (the subscription screen is showing now)
        screens = [Screen.BUY, Screen.MAIN, Screen.SUBSCRIPTION, Screen.BUY, Screen.MAIN, Screen.SUBSCRIPTION]
        pressed: list[tuple[Screen, int]] = []
        for screen in screens:
            update_id = await vera.press_data(Nav(screen=screen).pack())
            await vera.wait_reply(update_id)
            pressed.append((screen, update_id))
        again = await vera.send("/start")
        await vera.wait_reply(again)

    over = {f"{screen.value}#{update_id}": counts[update_id] for screen, update_id in pressed}
    assert all(n <= WARM_BOUND for n in over.values()), f"statements per press: {over}"
    assert counts[again] <= WARM_BOUND, f"/start of a known customer took {counts[again]} statements"
    assert shop.panel.requests[panel_calls:] == [], "a warm screen called the panel"


async def test_a_language_change_is_seen_at_once_despite_the_cache(shop: Shop) -> None:
    """The cached profile is dropped when the customer changes it: the very next screen is translated."""
    ivan = shop.user(7102, first_name="Ivan", language_code="en")
    await ivan.wait_reply(await ivan.send("/start"))
    await ivan.wait_reply(await ivan.press_data(Nav(screen=Screen.MAIN).pack()))
    await ivan.wait_reply(await ivan.press("🌐 Language"))
    await ivan.wait_reply(await ivan.press("🇷🇺 Русский"))
    reply = await ivan.wait_reply(await ivan.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    assert reply.text.startswith("У вас пока нет подписки"), reply.text


async def test_a_crowd_of_new_customers_costs_one_statement_each_and_invite_friends_none(
    shop: Shop,
) -> None:
    """A burst of new customers: a /start is at most one statement that registers and returns the row
    (those who come together share their group's, counted for the first of them); their
    first view of "invite friends" sends no statement (nobody invited, nothing earned yet: known at
    registration)."""
    first = shop.user(7199, first_name="First", language_code="en")
    await first.wait_reply(await first.send("/start"))  # the shop's first customer loads its settings
    users = [shop.user(7200 + n, first_name=f"N{n}", language_code="en") for n in range(3)]
    with statements_per_update(shop.db) as counts:
        starts = [await user.send("/start") for user in users]
        for user, update in zip(users, starts, strict=True):
            await user.wait_reply(update)
        views = [await user.press_data(Nav(screen=Screen.REFERRALS).pack()) for user in users]
        for user, update in zip(users, views, strict=True):
            text = (await user.wait_reply(update)).text
            assert "Invite friends" in text and shows("Invited: 0", text) and shows("Paid: 0", text), text
    registering = [counts[update] for update in starts]
    # newcomers who come together share the registering statements of their group (counted for the
    # group's first update): never more than one per newcomer in all
    assert 1 <= sum(registering) <= NEW_CUSTOMER_STATEMENTS * len(users), registering
    assert [counts[update] for update in views] == [NEW_CUSTOMER_REFERRAL_SCREEN_STATEMENTS] * len(users)


async def test_invite_friends_viewed_again_costs_no_statement_and_shows_each_change_at_once(
    shop: Shop,
) -> None:
    """The referral numbers are kept with the customer: a view reads no database until they change, and
    a new invitee or an invitee's payment shows on the very next view."""
    inviter = shop.user(7301, first_name="Inviter", language_code="en")
    await inviter.wait_reply(await inviter.send("/start"))

    async def view() -> tuple[str, int]:
        await inviter.wait_reply(await inviter.press_data(Nav(screen=Screen.MAIN).pack()))
        update = await inviter.press_data(Nav(screen=Screen.REFERRALS).pack())
        return (await inviter.wait_reply(update)).text, update

    with statements_per_update(shop.db) as counts:
        text, first = await view()
        assert shows("Invited: 0", text), text
        text, again = await view()
    assert shows("Invited: 0", text), text
    assert counts[first] == NEW_CUSTOMER_REFERRAL_SCREEN_STATEMENTS
    assert counts[again] == WARM_BOUND

    async with shop.db.session() as session:
        code = (await session.scalars(select(Customer).where(Customer.telegram_id == 7301))).one()
    friend = shop.user(7302, first_name="Friend", language_code="en")
    await friend.wait_reply(await friend.send(f"/start ref_{code.referral_code}"))
    with statements_per_update(shop.db) as counts:
        text, changed = await view()
        assert shows("Invited: 1", text) and shows("Paid: 0", text), text
        text, again = await view()
    assert shows("Invited: 1", text), text
    assert (counts[changed], counts[again]) == (REFERRAL_SCREEN_STATEMENTS, WARM_BOUND)

    await friend.pay_invoice(link=await open_invoice(shop, 7302))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in friend.messages), timeout=10
    )
    await shop.idle()  # the purchase's fulfilment and its referral step have finished
    text, _ = await view()
    assert shows("Invited: 1", text) and shows("Paid: 1", text), text


@pytest.mark.postgres  # the PostgreSQL backend runs with Redis
async def test_a_warm_press_costs_one_redis_request_before_its_handler(shop: Shop) -> None:
    """With Redis, the rate limit, the chat lock, the conversation state and the cached customer (with
    their referral numbers and their panel user, which "invite friends", "my subscription" and "my
    devices" show) are one request; the lock's release is the only other one when no further update comes
    (it travels with the next update's request otherwise). Before, a press took six."""
    assert shop.redis_url is not None
    registry = shop.app.core.metrics.registry

    def round_trips() -> float:
        return registry.get_sample_value("remnastore_redis_round_trips_total") or 0.0

    vera = shop.user(7401, first_name="Vera", language_code="en")
    await vera.wait_reply(await vera.send("/start"))
    await vera.wait_reply(await vera.press("🎁 Free trial"))  # linked to a panel user, with devices
    screens = (Screen.SUBSCRIPTION, Screen.DEVICES, Screen.REFERRALS, Screen.BUY)
    for screen in screens:  # each screen seen once: what it read from the panel is cached now
        await vera.wait_reply(await vera.press_data(Nav(screen=screen).pack()))
    for screen in screens:
        per_press: list[float] = []
        for pressed in (screen, Screen.MAIN) * 3:
            await shop.idle()
            before = round_trips()
            await vera.wait_reply(await vera.press_data(Nav(screen=pressed).pack()))
            await shop.idle()
            if pressed is screen:
                per_press.append(round_trips() - before)
        # the median: a scheduled job of the shop may use Redis during one of the presses
        assert sorted(per_press)[len(per_press) // 2] <= 2, (screen, per_press)


async def test_a_friend_who_joins_right_after_registration_shows_at_once(shop: Shop) -> None:
    """The zeros kept at registration give way to the first referral: the inviter, who has not looked at
    "invite friends" yet, sees the friend on their first view."""
    inviter = shop.user(7501, first_name="Inviter", language_code="en")
    await inviter.wait_reply(await inviter.send("/start"))
    async with shop.db.session() as session:
        row = (await session.scalars(select(Customer).where(Customer.telegram_id == 7501))).one()
    friend = shop.user(7502, first_name="Friend", language_code="en")
    await friend.wait_reply(await friend.send(f"/start ref_{row.referral_code}"))

    text = (await inviter.wait_reply(await inviter.press_data(Nav(screen=Screen.REFERRALS).pack()))).text
    assert shows("Invited: 1", text) and shows("Paid: 0", text), text
    # and the friend, new too, has invited nobody
    text = (await friend.wait_reply(await friend.press_data(Nav(screen=Screen.REFERRALS).pack()))).text
    assert shows("Invited: 0", text), text


@pytest.mark.postgres  # the PostgreSQL backend runs with Redis
async def test_a_new_customers_start_costs_few_redis_requests(shop: Shop) -> None:
    """/start of a new customer: the gate's request, the customer kept for the next updates (profile,
    id and referral numbers in one request) and the lock's release."""
    assert shop.redis_url is not None
    registry = shop.app.core.metrics.registry

    def round_trips() -> float:
        return registry.get_sample_value("remnastore_redis_round_trips_total") or 0.0

    first = shop.user(7600, first_name="First", language_code="en")
    await first.wait_reply(await first.send("/start"))  # the shop's first customer loads its settings
    per_start: list[float] = []
    for n in range(5):
        user = shop.user(7601 + n, first_name=f"N{n}", language_code="en")
        await shop.idle()
        before = round_trips()
        await user.wait_reply(await user.send("/start"))
        await shop.idle()
        per_start.append(round_trips() - before)
    # the median: a scheduled job of the shop may use Redis during one of them
    assert sorted(per_start)[len(per_start) // 2] <= NEW_CUSTOMER_REDIS_REQUESTS, per_start


async def test_a_tariffs_periods_cost_no_statement_without_a_pending_promo_code(shop: Shop) -> None:
    """The periods of a tariff show a discount only for a customer with a pending promo code; whether
    there is one comes with the cached customer, so the screen reads no database for everybody else."""
    tess = shop.user(7401, first_name="Tess", language_code="en")
    await tess.wait_reply(await tess.send("/start"))
    await tess.wait_reply(await tess.send("/buy"))
    with statements_per_update(shop.db) as counts:
        periods = await tess.press("Standard")
        reply = await tess.wait_reply(periods)
    assert "1 month" in " ".join(reply.button_texts), reply.button_texts
    assert counts[periods] == 0
