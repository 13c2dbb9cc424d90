"""Ad campaigns end to end: the admin creates one, customers arrive through its link, the funnel counts."""

from __future__ import annotations

import re

from sqlalchemy import select

from remnastore.db.models import AuditEntry, Campaign, CampaignAttribution, Customer
from remnastore.emulators.telegram import FakeUser
from tests.e2e.test_promos import pay_last_invoice, stars_invoice
from tests.fixtures.shop import ADMIN_ID, Shop
from tests.fixtures.text import shows


async def create_campaign(shop: Shop, title: str, code: str | None, cost: str | None) -> str:
    """Through the admin wizard; returns the campaign's start link."""
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/campaigns"))
    reply = await admin.wait_reply(await admin.press("New campaign"))
    assert "name" in reply.text
    reply = await admin.wait_reply(await admin.send(title))
    assert "code in the link" in reply.text
    if code is None:
        reply = await admin.wait_reply(await admin.press("Generate"))
    else:
        reply = await admin.wait_reply(await admin.send(code))
    assert "cost" in reply.text
    if cost is None:
        card = await admin.wait_reply(await admin.press("Free"))
    else:
        card = await admin.wait_reply(await admin.send(cost))
    assert title in card.text
    match = re.search(r"https://t\.me/remnastore_test_bot\?start=([A-Za-z0-9_-]+)", card.text)
    assert match, card.text
    return match.group(0)


def payload(link: str) -> str:
    return link.split("?start=", 1)[1]


async def arrive(shop: Shop, user_id: int, link: str) -> FakeUser:
    user = shop.user(user_id, first_name=f"C{user_id}", language_code="en")
    await user.wait_reply(await user.send(f"/start {payload(link)}"))
    return user


async def funnel_card(shop: Shop, title: str) -> str:
    admin = shop.user(ADMIN_ID)
    await admin.wait_reply(await admin.send("/campaigns"))
    return (await admin.wait_reply(await admin.press(title))).text


async def test_campaign_link_attribution_and_funnel(shop: Shop) -> None:
    link = await create_campaign(shop, "Channel X", "chan_x", "300 XTR")
    assert payload(link) == "chan_x"
    other = await create_campaign(shop, "Blog Y", None, None)

    # four customers come through the link, one of them twice and later through another campaign
    users = [await arrive(shop, uid, link) for uid in (9701, 9702, 9703, 9704)]
    await users[0].wait_reply(await users[0].send(f"/start {payload(link)}"))
    await users[0].wait_reply(await users[0].send(f"/start {payload(other)}"))
    # two take the trial
    for user in users[:2]:
        await user.wait_reply(await user.press("Free trial"))
    # two pay: one twice (Stars), one after a trial
    for user in (users[1], users[2], users[2]):
        await stars_invoice(user)
        await pay_last_invoice(shop, user)
    # a customer who came by no campaign and paid is not counted
    stranger = shop.user(9705, first_name="Direct", language_code="en")
    await stranger.wait_reply(await stranger.send("/start"))
    await stars_invoice(stranger)
    await pay_last_invoice(shop, stranger)
    # an unknown campaign code attributes nobody
    await arrive(shop, 9706, "https://t.me/x?start=no_such_campaign")

    text = await funnel_card(shop, "Channel X")
    assert shows("Started the bot: 4", text), text
    assert shows("Took the trial: 2", text)
    assert shows("Paid: 2", text)
    assert "Revenue: 450 ⭐" in text
    assert "Cost: 300 ⭐" in text and "Result: 150 ⭐" in text and "150%" in text
    assert link in text

    text = await funnel_card(shop, "Blog Y")
    assert shows("Started the bot: 0", text) and shows("Paid: 0", text)

    async with shop.db.session() as session:
        rows = (
            await session.execute(
                select(Customer.telegram_id, Campaign.code)
                .join(CampaignAttribution, CampaignAttribution.customer_id == Customer.id)
                .join(Campaign, Campaign.id == CampaignAttribution.campaign_id)
            )
        ).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    assert sorted(rows) == [(uid, "chan_x") for uid in (9701, 9702, 9703, 9704)]
    assert [(a.action, a.actor_telegram_id) for a in audit] == [("campaign.create", ADMIN_ID)] * 2


async def test_bad_campaign_codes_are_refused(shop: Shop) -> None:
    await create_campaign(shop, "First", "spring", None)
    admin = shop.user(ADMIN_ID)
    await admin.wait_reply(await admin.send("/campaigns"))
    await admin.wait_reply(await admin.press("New campaign"))
    await admin.wait_reply(await admin.send("Second"))
    for bad in ("ref_abc", "promo_abc", "a", "has space", "x" * 65):
        reply = await admin.wait_reply(await admin.send(bad))
        assert "does not start with ref_ or promo_" in reply.text, bad
    reply = await admin.wait_reply(await admin.send("spring"))
    assert "already exists" in reply.text
    await admin.wait_reply(await admin.send("summer"))
    await admin.wait_reply(await admin.press("Free"))
    async with shop.db.session() as session:
        assert sorted((await session.scalars(select(Campaign.code))).all()) == ["spring", "summer"]


async def test_wizard_buttons_out_of_step_show_the_list_and_create_nothing(shop: Shop) -> None:
    """ "Generate" before a name and "Free" before a code (an old message, a forged button) are not
    steps the wizard is at: the list is shown and no campaign is created."""
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/campaigns"))
    for data in ("apcn:gen", "apcn:free"):
        # from the wizard's first prompt (asking for a name), so that showing the list is a change
        assert "No campaigns yet" not in (await admin.wait_reply(await admin.press("New campaign"))).text
        assert "No campaigns yet" in (await admin.wait_reply(await admin.press_data(data))).text
    await admin.wait_reply(await admin.press("New campaign"))
    await admin.wait_reply(await admin.send("Autumn"))
    assert "No campaigns yet" in (await admin.wait_reply(await admin.press_data("apcn:free"))).text
    async with shop.db.session() as session:
        assert (await session.scalars(select(Campaign))).all() == []
