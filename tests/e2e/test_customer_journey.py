"""A customer's first minutes with the shop, over the Telegram and panel protocols."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Customer, Subscription, SubscriptionPeriod
from tests.fixtures.shop import Shop
from tests.fixtures.text import shows

GIB = 1024**3


def button_texts(message: object) -> list[str]:
    return [button.text for row in message.buttons for button in row]  # type: ignore[attr-defined]


async def count(shop: Shop, model: type) -> int:
    async with shop.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def customer(shop: Shop, telegram_id: int) -> Customer:
    async with shop.db.session() as session:
        row = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
        assert row is not None
        return row


async def test_start_trial_subscription_link(shop: Shop) -> None:
    alice = shop.user(5001, first_name="Alice", username="alice", language_code="en")
    reply = await alice.wait_reply(await alice.send("/start"))
    assert "Welcome, Alice" in reply.text
    assert "Free trial" in " ".join(button_texts(reply))
    assert (await customer(shop, 5001)).language == "en"

    reply = await alice.wait_reply(await alice.press("Free trial"))
    assert "Your free trial is active" in reply.text
    panel_user = shop.panel.user_by_telegram_id(5001)
    assert panel_user is not None
    assert panel_user["username"] == "tg_5001"
    expires = datetime.fromisoformat(panel_user["expireAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=3))) < timedelta(minutes=1)
    assert panel_user["trafficLimitBytes"] == 10 * GIB
    assert panel_user["hwidDeviceLimit"] == 1
    assert panel_user["activeInternalSquads"], "a trial user without squads would get a dead config"
    assert panel_user["subscriptionUrl"] in reply.text
    connect = [b for row in reply.buttons for b in row if b.url]
    assert connect and connect[0].url == panel_user["subscriptionUrl"]

    reply = await alice.wait_reply(await alice.press("My subscription"))
    assert "active" in reply.text
    assert panel_user["subscriptionUrl"] in reply.text
    assert shows("Days left: 3", reply.text) and "Days left: <b>3</b>" in str(reply.html)
    assert "0 MB of 10 GB" in reply.text

    update = await alice.press("QR code")
    await alice.wait_reply(update)
    photo = await shop.telegram.wait_for_call("sendPhoto")
    assert photo.ok

    async with shop.db.session() as session:
        subscription = await session.scalar(select(Subscription))
        assert subscription is not None and subscription.kind == "trial"
        assert await session.scalar(select(func.count()).select_from(SubscriptionPeriod)) == 1


async def test_second_trial_is_refused_and_changes_nothing(shop: Shop) -> None:
    bob = shop.user(5002, first_name="Bob", language_code="en")
    await bob.wait_reply(await bob.send("/start"))
    first_menu = bob.last_message
    await bob.wait_reply(await bob.send("/start"))
    await bob.wait_reply(await bob.press("Free trial"))
    first_expiry = shop.panel.user_by_telegram_id(5002)["expireAt"]

    # The first menu message still has the trial button: pressing it must not grant a second trial.
    update = await bob.press("Free trial", message_id=first_menu.message_id)
    assert "already used" in (await bob.wait_alert(update))["text"]
    assert shop.panel.user_by_telegram_id(5002)["expireAt"] == first_expiry
    assert len([u for u in shop.panel.users if u["telegramId"] == 5002]) == 1

    reply = await bob.wait_reply(await bob.send("/start"))
    assert "Free trial" not in " ".join(button_texts(reply))


@pytest.mark.parametrize("panel_emulator", [{"hwid_limiting": True}], indirect=True)
async def test_devices_list_and_disconnect(shop: Shop) -> None:
    carol = shop.user(5003, first_name="Carol", language_code="en")
    await carol.wait_reply(await carol.send("/start"))
    await carol.wait_reply(await carol.press("Free trial"))
    panel_id = shop.panel.user_by_telegram_id(5003)["id"]
    shop.panel.add_device(panel_id, "HWIDAAAA1111", platform="Android", device_model="Pixel 8")
    shop.panel.add_device(panel_id, "HWIDBBBB2222", platform="iOS", device_model="iPhone <15>")

    reply = await carol.wait_reply(await carol.send("/devices"))
    assert "Pixel 8" in reply.text and "iPhone <15>" in reply.text  # escaped on the wire, plain on screen
    assert "(2 of 1)" in reply.text

    # The panel lists the newest device first.
    reply = await carol.wait_reply(await carol.press("Disconnect 1"))
    assert "iPhone <15>" not in reply.text and "Pixel 8" in reply.text
    remaining = await shop.app.panel.list_devices(panel_id)
    assert [d.hwid for d in remaining] == ["HWIDAAAA1111"]


async def test_panel_outage_during_trial_keeps_the_trial_available(shop: Shop) -> None:
    dave = shop.user(5004, first_name="Dave", language_code="en")
    await dave.wait_reply(await dave.send("/start"))
    shop.panel.set_down(True)
    assert "temporarily unavailable" in (await dave.wait_alert(await dave.press("Free trial")))["text"]
    assert (await customer(shop, 5004)).trial_used_at is None

    shop.panel.set_down(False)
    reply = await dave.wait_reply(await dave.press("Free trial"))
    assert "Your free trial is active" in reply.text
    assert shop.panel.user_by_telegram_id(5004) is not None


async def test_language_switch_is_remembered(shop: Shop) -> None:
    erin = shop.user(5005, first_name="Erin", language_code="ru")
    reply = await erin.wait_reply(await erin.send("/start"))
    assert "Добро пожаловать" in reply.text
    await erin.wait_reply(await erin.press("Язык"))
    reply = await erin.wait_reply(await erin.press("English"))
    assert "Language set" in reply.text
    assert (await customer(shop, 5005)).language == "en"
    reply = await erin.wait_reply(await erin.send("/start"))
    assert "What would you like to do?" in reply.text


async def test_garbage_callback_and_huge_message_get_a_polite_reply_and_change_nothing(shop: Shop) -> None:
    frank = shop.user(5006, first_name="Frank", language_code="en")
    await frank.wait_reply(await frank.send("/start"))
    customers_before = await count(shop, Customer)
    panel_requests_before = len(shop.panel.requests)

    for data in ("n:doesnotexist", "dd:", "l:xx", "\x00\x01garbage", "n:trial:extra:1000:RUB"):
        answer = await frank.wait_alert(await frank.press_data(data))
        assert "outdated" in answer["text"], data

    reply = await frank.wait_reply(await frank.send("x" * 10_000))
    assert "did not understand" in reply.text
    assert "xxxxxxxxxx" not in reply.text

    reply = await frank.wait_reply(await frank.send("/definitely_not_a_command"))
    assert "Unknown command" in reply.text

    assert await count(shop, Customer) == customers_before
    assert (await customer(shop, 5006)).trial_used_at is None
    assert shop.panel.user_by_telegram_id(5006) is None
    mutating = [r for r in shop.panel.requests[panel_requests_before:] if r[0] != "GET"]
    assert mutating == []


async def test_bot_keeps_answering_after_a_handler_fails(shop: Shop) -> None:
    grace = shop.user(5007, first_name="Grace", language_code="en")
    shop.telegram.fail_next("sendMessage", error_code=500, description="Internal Server Error")
    await grace.wait_reply(await grace.send("/start"), settle=0.5)
    # The handler's reply failed; the customer got an apology instead.
    assert "Something went wrong" in grace.last_message.text
    reply = await grace.wait_reply(await grace.send("/start"))
    assert "What would you like to do?" in reply.text


async def test_deep_links_record_referral_promo_and_campaign(shop: Shop) -> None:
    from remnastore.db.models import CampaignAttribution, Referral
    from remnastore.db.repositories.campaigns import CampaignRepository
    from remnastore.db.repositories.promos import PromoRepository

    inviter = shop.user(5101, first_name="Ivy", language_code="en")
    await inviter.wait_reply(await inviter.send("/start"))
    code = (await customer(shop, 5101)).referral_code
    async with shop.db.session() as session:
        await CampaignRepository(session).create(code="autumn_vk", title="Autumn VK")
        # a discount code from a link waits for the next purchase (an unknown one would be forgotten)
        await PromoRepository(session).create("SPRING25", kind="percent", value=25)

    invitee = shop.user(5102, first_name="Jack", language_code="en")
    await invitee.wait_reply(await invitee.send(f"/start ref_{code.lower()}"))
    promo_user = shop.user(5103, first_name="Kim", language_code="en")
    reply = await promo_user.wait_reply(await promo_user.send("/start promo_spring25"))
    assert "25%" in reply.text
    ad_user = shop.user(5104, first_name="Leo", language_code="en")
    await ad_user.wait_reply(await ad_user.send("/start autumn_vk"))
    # Self-referral and re-referral of an existing customer are ignored.
    await inviter.wait_reply(await inviter.send(f"/start ref_{code}"))
    await ad_user.wait_reply(await ad_user.send(f"/start ref_{code}"))

    assert (await customer(shop, 5102)).referred_by_id == (await customer(shop, 5101)).id
    assert (await customer(shop, 5101)).referred_by_id is None
    assert (await customer(shop, 5104)).referred_by_id is None
    assert (await customer(shop, 5103)).pending_promo_code == "SPRING25"
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Referral)) == 1
        attributions = (await session.scalars(select(CampaignAttribution))).all()
        assert [a.customer_id for a in attributions] == [(await customer(shop, 5104)).id]


async def test_concurrent_starts_register_one_customer(shop: Shop) -> None:
    mia = shop.user(5201, first_name="Mia", language_code="en")
    updates = [await mia.send("/start") for _ in range(5)]
    await mia.wait_reply(updates[-1])
    assert await count(shop, Customer) == 1
    welcomes = [m for m in mia.history if "Welcome" in (m.text or "")]
    assert len(welcomes) == 1


async def test_device_limit_shown_is_the_one_the_panel_enforces(shop: Shop) -> None:
    """HWID limiting is off on a fresh panel: no limit applies, whatever the user's own number."""
    erin = shop.user(5011, first_name="Erin", language_code="en")
    await erin.wait_reply(await erin.send("/start"))
    await erin.wait_reply(await erin.press("Free trial"))
    panel_id = shop.panel.user_by_telegram_id(5011)["id"]
    shop.panel.add_device(panel_id, "HWIDEEEE1111")
    shop.panel.add_device(panel_id, "HWIDEEEE2222")
    reply = await erin.wait_reply(await erin.send("/devices"))
    assert "My devices (2)" in reply.text and " of " not in reply.text.split("\n")[0]


@pytest.mark.parametrize(
    "panel_emulator", [{"hwid_limiting": True, "fallback_device_limit": 4}], indirect=True
)
async def test_a_null_device_limit_shows_the_panels_fallback(shop: Shop) -> None:
    fred = shop.user(5012, first_name="Fred", language_code="en")
    await fred.wait_reply(await fred.send("/start"))
    await fred.wait_reply(await fred.press("Free trial"))
    panel_id = shop.panel.user_by_telegram_id(5012)["id"]
    shop.panel._record(panel_id)["hwidDeviceLimit"] = None  # set back to the panel's default by hand
    shop.panel.add_device(panel_id, "HWIDFFFF1111")
    reply = await fred.wait_reply(await fred.send("/devices"))
    assert "My devices (1 of 4)" in reply.text
