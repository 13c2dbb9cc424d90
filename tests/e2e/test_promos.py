"""Promo codes end to end: every kind, every limit, the deep link, and a one-use discount under a race."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import (
    AuditEntry,
    BalanceEntry,
    Customer,
    Order,
    PromoActivation,
    PromoCode,
    SubscriptionPeriod,
)
from remnastore.db.repositories.promos import PromoRepository
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from remnastore.infra.clock import ManualClock
from remnastore.services.accounts import TelegramProfile
from tests.e2e.test_purchase_stars import orders, panel_expiry
from tests.fixtures.shop import ADMIN_ID, Shop, shop_settings


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"BALANCE_ENABLED": "true", "BALANCE_CURRENCY": "RUB", "TRIAL_DAYS": "3"}


async def make_code(shop: Shop | Application, code: str, kind: str, value: int, **terms: Any) -> int:
    app = shop.app if isinstance(shop, Shop) else shop
    async with app.db.session() as session:
        promo = await PromoRepository(session).create(code, kind=kind, value=value, **terms)
        return promo.id


async def activations(shop: Shop, code: str) -> list[PromoActivation]:
    async with shop.db.session() as session:
        query = (
            select(PromoActivation)
            .join(PromoCode, PromoCode.id == PromoActivation.promo_id)
            .where(PromoCode.code_normalized == code.upper())
        )
        return list((await session.scalars(query)).all())


async def count_of(shop: Shop, code: str) -> int:
    async with shop.db.session() as session:
        query = select(PromoCode.activations_count).where(PromoCode.code_normalized == code.upper())
        return int((await session.scalar(query)) or 0)


async def trial(shop: Shop, user_id: int) -> FakeUser:
    user = shop.user(user_id, first_name=f"U{user_id}", language_code="en")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("Free trial"))
    await shop.telegram.wait_until(lambda: shop.panel.user_by_telegram_id(user_id) is not None, timeout=10)
    return user


async def enter(user: FakeUser, code: str) -> str:
    """Type a code through the "Promo code" button of the main menu."""
    await user.wait_reply(await user.send("/menu"))
    reply = await user.wait_reply(await user.press("Promo code"))
    assert "Send the promo code" in reply.text
    return (await user.wait_reply(await user.send(code))).text


async def stars_invoice(user: FakeUser, tariff: str = "Standard", period: str = "1 month") -> tuple[str, int]:
    """Open the Stars invoice; the screen text and the amount of the invoice link."""
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press(tariff))
    await user.wait_reply(await user.press(period))
    reply = await user.wait_reply(await user.press("Telegram Stars"))
    return reply.text, await invoice_amount(user, reply)


async def invoice_amount(user: FakeUser, reply: Any) -> int:
    [url] = [b.url for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")]
    return int(user.emulator.state.invoice_links[url]["prices"][0]["amount"])


async def pay_last_invoice(shop: Shop, user: FakeUser) -> None:
    before = sum("Payment received" in m.text for m in user.history)
    reply = user.last_message
    assert reply is not None
    [url] = [b.url for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")]
    result = await user.pay_invoice(link=url)
    assert result.approved
    await shop.telegram.wait_until(
        lambda: sum("Payment received" in m.text for m in user.history) > before, timeout=10
    )


async def test_bonus_days_are_added_once(shop: Shop) -> None:
    await make_code(shop, "Welcome7", "days", 7)
    user = await trial(shop, 9501)
    before = panel_expiry(shop, 9501)

    text = await enter(user, "  welcome7 ")
    assert "+7 days" in text, text
    assert panel_expiry(shop, 9501) == before + timedelta(days=7)

    again = await user.wait_reply(await user.send("/promo WELCOME7"))
    assert "already used" in again.text
    assert panel_expiry(shop, 9501) == before + timedelta(days=7)
    async with shop.db.session() as session:
        kinds = (await session.scalars(select(SubscriptionPeriod.kind))).all()
    assert sorted(kinds) == ["promo", "trial"]
    [activation] = await activations(shop, "WELCOME7")
    assert activation.status == "applied" and await count_of(shop, "WELCOME7") == 1


async def test_unknown_and_garbage_codes_are_refused_politely(shop: Shop) -> None:
    user = await trial(shop, 9502)
    before = panel_expiry(shop, 9502)
    assert "no such promo code" in await enter(user, "NOPE123")
    reply = await user.wait_reply(await user.send("x" * 4000))
    assert "no such promo code" in reply.text
    reply = await user.wait_reply(await user.send("<b>DROP TABLE</b>"))
    assert "no such promo code" in reply.text
    assert panel_expiry(shop, 9502) == before


async def test_balance_credit_goes_to_the_ledger_once(shop: Shop) -> None:
    await make_code(shop, "GIFT100", "balance", 10000, currency="RUB")
    user = shop.user(9503, first_name="Bal", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "100.00 ₽" in await enter(user, "gift100")
    assert "already used" in await enter(user, "GIFT100")
    async with shop.db.session() as session:
        customer = (await session.scalars(select(Customer).where(Customer.telegram_id == 9503))).one()
        entries = (await session.scalars(select(BalanceEntry))).all()
    assert customer.balance_minor == 10000
    assert [(e.delta_minor, e.reason) for e in entries] == [(10000, "promo")]


async def test_percent_discount_is_shown_charged_and_consumed_once(shop: Shop) -> None:
    await make_code(shop, "SALE20", "percent", 20, max_activations=10)
    user = shop.user(9504, first_name="Sale", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "20%" in await enter(user, "sale20")

    await user.wait_reply(await user.send("/buy"))
    periods = await user.wait_reply(await user.press("Standard"))
    assert "SALE20" in periods.text
    assert any("199.00 ₽ → 159.20 ₽" in b for b in periods.button_texts), periods.button_texts
    methods = await user.wait_reply(await user.press("1 month"))
    assert any("150 ⭐ → 120 ⭐" in b for b in methods.button_texts), methods.button_texts
    invoice = await user.wait_reply(await user.press("Telegram Stars"))
    assert "<s>150 ⭐</s>" in (invoice.html or "") and await invoice_amount(user, invoice) == 120
    await pay_last_invoice(shop, user)

    [order] = await orders(shop)
    assert (order.amount_minor, order.discount_minor, order.status) == (120, 30, "fulfilled")
    [activation] = await activations(shop, "SALE20")
    assert activation.status == "consumed" and activation.order_id == order.id
    assert await count_of(shop, "SALE20") == 1

    # the next purchase is at full price
    text, amount = await stars_invoice(user)
    assert amount == 150 and "SALE20" not in text


async def test_fixed_discount_only_in_its_currency(shop: Shop) -> None:
    await make_code(shop, "MINUS50", "fixed", 50, currency="XTR")
    user = shop.user(9505, first_name="Fix", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "50 ⭐" in await enter(user, "MINUS50")
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Standard"))
    methods = await user.wait_reply(await user.press("1 month"))
    assert any("150 ⭐ → 100 ⭐" in b for b in methods.button_texts), methods.button_texts
    # rubles are not lowered by a discount in Stars
    assert any(b.endswith("199.00 ₽") for b in methods.button_texts), methods.button_texts
    invoice = await user.wait_reply(await user.press("Telegram Stars"))
    assert await invoice_amount(user, invoice) == 100
    await pay_last_invoice(shop, user)
    [order] = await orders(shop)
    assert (order.amount_minor, order.discount_minor) == (100, 50)


async def test_discount_paid_from_balance_is_consumed_in_the_same_step(shop: Shop) -> None:
    await make_code(shop, "TOPUP", "balance", 30000, currency="RUB")
    await make_code(shop, "HALF", "percent", 50)
    user = shop.user(9506, first_name="Half", language_code="en")
    await user.wait_reply(await user.send("/start"))
    await enter(user, "TOPUP")
    await enter(user, "HALF")
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Standard"))
    await user.wait_reply(await user.press("1 month"))
    await user.wait_reply(await user.press("From balance"))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in user.history), timeout=10
    )
    [paid] = [m for m in user.history if "from your balance" in m.text]
    assert "99.50 ₽" in paid.text and "<s>199.00 ₽</s>" in (paid.html or ""), paid.text
    async with shop.db.session() as session:
        customer = (await session.scalars(select(Customer).where(Customer.telegram_id == 9506))).one()
    assert customer.balance_minor == 30000 - 9950 and customer.pending_promo_code is None
    [activation] = await activations(shop, "HALF")
    assert activation.status == "consumed"


async def test_one_use_discount_raced_by_two_buyers(shop: Shop) -> None:
    await make_code(shop, "ONLYONE", "percent", 50, max_activations=1)
    buyers = [shop.user(uid, first_name=f"R{uid}", language_code="en") for uid in (9511, 9512)]
    for buyer in buyers:
        await buyer.wait_reply(await buyer.send("/start"))
        assert "50%" in await enter(buyer, "ONLYONE")
        await buyer.wait_reply(await buyer.send("/buy"))
        await buyer.wait_reply(await buyer.press("Standard"))
        methods = await buyer.wait_reply(await buyer.press("1 month"))
        assert any("150 ⭐ → 75 ⭐" in b for b in methods.button_texts)

    pressed = await asyncio.gather(*(b.press("Telegram Stars") for b in buyers))
    replies = [await b.wait_reply(u, timeout=10) for b, u in zip(buyers, pressed, strict=True)]
    amounts = sorted([await invoice_amount(b, r) for b, r in zip(buyers, replies, strict=True)])
    assert amounts == [75, 150]
    loser = next(r for b, r in zip(buyers, replies, strict=True) if "<s>" not in (r.html or ""))
    assert "could not be applied" in loser.text and "used up" in loser.text

    for buyer in buyers:
        await pay_last_invoice(shop, buyer)
    paid = await orders(shop)
    assert sorted(o.amount_minor for o in paid) == [75, 150]
    assert [o.discount_minor for o in paid if o.promo_code_id is not None] == [75]
    [activation] = await activations(shop, "ONLYONE")
    assert activation.status == "consumed"
    assert await count_of(shop, "ONLYONE") == 1

    # a third customer is told at once
    late = shop.user(9513, first_name="Late", language_code="en")
    await late.wait_reply(await late.send("/start"))
    assert "used up" in await enter(late, "ONLYONE")


async def test_validity_window(shop: Shop) -> None:
    now = datetime.now(UTC)
    await make_code(shop, "OLD", "percent", 10, valid_until=now - timedelta(minutes=1))
    await make_code(shop, "SOON", "percent", 10, valid_from=now + timedelta(days=1))
    await make_code(
        shop, "NOW", "percent", 10, valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=1)
    )
    user = shop.user(9521, first_name="Win", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "expired" in await enter(user, "OLD")
    assert "not valid yet" in await enter(user, "SOON")
    assert "10%" in await enter(user, "NOW")


async def test_first_purchase_only(shop: Shop) -> None:
    await make_code(shop, "NEWBIE", "percent", 30, first_purchase_only=True)
    veteran = shop.user(9531, first_name="Vet", language_code="en")
    await veteran.wait_reply(await veteran.send("/start"))
    await stars_invoice(veteran)
    await pay_last_invoice(shop, veteran)
    assert "first purchase only" in await enter(veteran, "NEWBIE")

    newcomer = shop.user(9532, first_name="New", language_code="en")
    await newcomer.wait_reply(await newcomer.send("/start"))
    assert "30%" in await enter(newcomer, "NEWBIE")
    _, amount = await stars_invoice(newcomer)
    assert amount == 105


async def test_tariff_restriction(shop: Shop) -> None:
    await make_code(shop, "FAMILY", "percent", 50, tariff_codes=["family"])
    user = shop.user(9541, first_name="Fam", language_code="en")
    await user.wait_reply(await user.send("/start"))
    text = await enter(user, "family")
    assert "family" in text
    _, standard = await stars_invoice(user, "Standard")
    assert standard == 150
    _, family = await stars_invoice(user, "Family")
    assert family == 130
    [activation] = await activations(shop, "FAMILY")
    assert activation.status == "reserved"


async def test_deep_link_applies_the_code(shop: Shop) -> None:
    await make_code(shop, "LINK3", "days", 3)
    user = await trial(shop, 9551)
    before = panel_expiry(shop, 9551)
    reply = await user.wait_reply(await user.send("/start promo_link3"))
    assert "+3 days" in reply.text, reply.text
    assert panel_expiry(shop, 9551) == before + timedelta(days=3)

    # a discount from a link waits for the purchase; a newcomer without access is told what to do
    await make_code(shop, "LINK10", "percent", 10)
    newcomer = shop.user(9552, first_name="Link", language_code="en")
    reply = await newcomer.wait_reply(await newcomer.send("/start promo_LINK10"))
    assert "10%" in reply.text
    _, amount = await stars_invoice(newcomer)
    assert amount == 135
    other = shop.user(9553, first_name="NoSub", language_code="en")
    reply = await other.wait_reply(await other.send("/start promo_LINK3"))
    assert "free trial or buy a subscription first" in reply.text
    assert await count_of(shop, "LINK3") == 1


async def test_a_switched_off_code_stops_working(shop: Shop) -> None:
    promo_id = await make_code(shop, "STOPME", "percent", 40)
    user = shop.user(9561, first_name="Stop", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "40%" in await enter(user, "STOPME")
    async with shop.db.session() as session:
        promo = await PromoRepository(session).get(promo_id)
        assert promo is not None
        await PromoRepository(session).set_active(promo, False)
    text, amount = await stars_invoice(user)
    assert amount == 150 and "switched off" in text and "full price" in text
    assert "switched off" in await enter(user, "STOPME")


# -- reservations expire with their orders (the shop runs on a manual clock) ----------------------


@pytest.fixture
async def clock_shop(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
) -> AsyncIterator[tuple[Shop, ManualClock]]:
    settings = load_settings(
        None,
        shop_settings(
            database_url, telegram_emulator, panel_emulator, redis_url, {"PROMO_RESERVATION_MINUTES": "15"}
        ),
    )
    clock = ManualClock(datetime.now(UTC))
    app = Application(settings, clock=clock)
    await app.start()
    try:
        yield Shop(app, telegram_emulator, panel_emulator, redis_url), clock
    finally:
        await app.stop()


async def test_an_unpaid_reservation_is_released_for_others(clock_shop: tuple[Shop, ManualClock]) -> None:
    shop, clock = clock_shop
    await make_code(shop, "HOLD", "percent", 50, max_activations=1)
    first = shop.user(9571, first_name="First", language_code="en")
    await first.wait_reply(await first.send("/start"))
    await enter(first, "HOLD")
    _, amount = await stars_invoice(first)
    assert amount == 75 and await count_of(shop, "HOLD") == 1

    second = shop.user(9572, first_name="Second", language_code="en")
    await second.wait_reply(await second.send("/start"))
    assert "used up" in await enter(second, "HOLD")

    clock.advance(timedelta(minutes=14))
    assert await shop.app.promos.release_expired() == 0  # type: ignore[union-attr]
    clock.advance(timedelta(minutes=2))
    assert await shop.app.promos.release_expired() == 1  # type: ignore[union-attr]
    [order] = await orders(shop)
    assert order.status == "expired" and await count_of(shop, "HOLD") == 0
    # the expired invoice can no longer be paid with the discount
    reply = first.last_message
    assert reply is not None
    [url] = [b.url for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")]
    assert not (await first.pay_invoice(link=url)).approved

    assert "50%" in await enter(second, "HOLD")
    _, amount = await stars_invoice(second)
    assert amount == 75
    await pay_last_invoice(shop, second)
    assert await count_of(shop, "HOLD") == 1
    statuses = sorted(a.status for a in await activations(shop, "HOLD"))
    assert statuses == ["consumed", "released"]
    async with shop.db.session() as session:
        assert (
            await session.scalar(select(func.count()).select_from(Order).where(Order.discount_minor > 0)) == 2
        )


# -- admin ---------------------------------------------------------------------------------------------


async def audit_actions(shop: Shop) -> list[tuple[str, int | None]]:
    async with shop.db.session() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(e.action, e.actor_telegram_id) for e in entries]


async def test_admin_wizard_creates_a_code_customers_can_use(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.send("/promos"))
    assert "No promo codes yet" in reply.text
    assert "Send the new code" in (await admin.wait_reply(await admin.press("New code"))).text
    reply = await admin.wait_reply(await admin.send("spring25"))
    assert "What does the code give" in reply.text
    reply = await admin.wait_reply(await admin.press("Percent discount"))
    assert "percent" in reply.text
    reply = await admin.wait_reply(await admin.send("250"))  # out of range: asked again, nothing changes
    assert "from 1 to 99" in reply.text
    reply = await admin.wait_reply(await admin.send("25"))
    assert "How many activations" in reply.text
    reply = await admin.wait_reply(await admin.send("100"))
    assert "how many days" in reply.text
    reply = await admin.wait_reply(await admin.send("30"))
    assert "first purchase only" in reply.text
    reply = await admin.wait_reply(await admin.press("No"))
    assert "which tariffs" in reply.text
    reply = await admin.wait_reply(await admin.press("Standard"))
    assert "Create code spring25" in reply.text and "−25%" in reply.text and "standard" in reply.text
    card = await admin.wait_reply(await admin.press("Create"))
    assert "spring25" in card.text and "Used: 0 of 100" in card.text

    async with shop.db.session() as session:
        promo = (await session.scalars(select(PromoCode))).one()
    assert (promo.kind, promo.value, promo.max_activations, promo.tariff_codes) == (
        "percent",
        25,
        100,
        ["standard"],
    )
    assert promo.valid_until is not None and promo.valid_until - datetime.now(UTC) > timedelta(days=29)
    assert promo.created_by == ADMIN_ID
    assert await audit_actions(shop) == [("promo.create", ADMIN_ID)]

    user = shop.user(9601, first_name="Buyer", language_code="en")
    await user.wait_reply(await user.send("/start"))
    assert "25%" in await enter(user, "SPRING25")
    _, amount = await stars_invoice(user)
    assert amount == 112  # 150 less 25 % (a discount of 37.5 Stars, rounded half up)

    # the same code (in another case) cannot be created twice
    await admin.wait_reply(await admin.send("/promos"))
    await admin.wait_reply(await admin.press("New code"))
    reply = await admin.wait_reply(await admin.send("SPRING25"))
    assert "already exists" in reply.text


async def test_wizard_buttons_out_of_step_show_the_list_and_create_nothing(shop: Shop) -> None:
    """Each step of the wizard has its own handler; a button of a step the wizard is not at (an old
    message, a cancelled wizard, a forged value) shows the list and creates nothing."""
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/promos"))
    # at the first step: "Create", "first purchase: yes" and "no limit" of steps the wizard is not at
    for data in ("apw:create:", "apw:first:yes", "apw:nolimit:"):
        # from the wizard's first prompt (asking for the code), so that showing the list is a change
        assert "No promo codes yet" not in (await admin.wait_reply(await admin.press("New code"))).text
        assert "No promo codes yet" in (await admin.wait_reply(await admin.press_data(data))).text
    await admin.wait_reply(await admin.press("New code"))
    await admin.wait_reply(await admin.send("autumn10"))
    # a kind the wizard does not offer is not taken: the list, and the wizard is over
    assert "No promo codes yet" in (await admin.wait_reply(await admin.press_data("apw:kind:bogus"))).text
    reply = await admin.wait_reply(await admin.send("10"))  # no longer an answer to the wizard
    assert "How many activations" not in reply.text
    # a wizard at its first steps ignores the buttons of later ones
    await admin.wait_reply(await admin.send("/promos"))
    await admin.wait_reply(await admin.press("New code"))
    await admin.wait_reply(await admin.send("autumn10"))
    assert "No promo codes yet" in (await admin.wait_reply(await admin.press_data("apw:create:"))).text
    await admin.wait_reply(await admin.press("New code"))
    assert "No promo codes yet" in (await admin.wait_reply(await admin.press("Cancel"))).text
    async with shop.db.session() as session:
        assert (await session.scalars(select(PromoCode))).all() == []
    assert await audit_actions(shop) == []


async def test_admin_bulk_generation_sends_a_csv_of_unique_codes(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/promos"))
    await admin.wait_reply(await admin.press("Many codes"))
    await admin.wait_reply(await admin.send("25"))
    await admin.wait_reply(await admin.press("Bonus days"))
    await admin.wait_reply(await admin.send("5"))
    await admin.wait_reply(await admin.send("1"))
    await admin.wait_reply(await admin.press("No end date"))
    await admin.wait_reply(await admin.press("No"))
    reply = await admin.wait_reply(await admin.press("All tariffs"))
    assert "25 generated codes" in reply.text
    await admin.wait_reply(await admin.press("Create"))
    document = await shop.telegram.wait_for_call("sendDocument")
    assert document.ok
    content = shop.telegram.state.files[document.result["document"]["file_id"]].data
    assert content is not None
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["code", "kind", "value", "currency", "max_activations", "link"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 25 and len(set(codes)) == 25
    assert all(row[1:3] == ["days", "5"] and row[4] == "1" for row in rows[1:])
    assert all(
        row[5].startswith("https://t.me/") and row[5].endswith(f"?start=promo_{row[0]}") for row in rows[1:]
    )
    async with shop.db.session() as session:
        stored = set((await session.scalars(select(PromoCode.code))).all())
    assert stored == set(codes)
    assert await audit_actions(shop) == [("promo.bulk", ADMIN_ID)]

    # a code of the batch works through its link
    user = await trial(shop, 9611)
    before = panel_expiry(shop, 9611)
    reply = await user.wait_reply(await user.send(f"/start promo_{codes[0]}"))
    assert "+5 days" in reply.text
    assert panel_expiry(shop, 9611) == before + timedelta(days=5)


async def test_admin_edits_switches_off_and_lists_activations(shop: Shop) -> None:
    promo_id = await make_code(shop, "EDITME", "days", 2, max_activations=1)
    first = await trial(shop, 9621)
    assert "+2 days" in await enter(first, "EDITME")
    second = await trial(shop, 9622)
    assert "used up" in await enter(second, "EDITME")

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/promos"))
    card = await admin.wait_reply(await admin.press("EDITME"))
    assert "Used: 1 of 1" in card.text
    await admin.wait_reply(await admin.press("Limit"))
    card = await admin.wait_reply(await admin.send("5"))
    assert "Used: 1 of 5" in card.text
    assert "+2 days" in await enter(second, "EDITME")

    await admin.wait_reply(await admin.press("Validity", message_id=card.message_id))
    card = await admin.wait_reply(await admin.send("10"))
    assert "no end date" not in card.text

    listing = await admin.wait_reply(await admin.press("Activations"))
    assert "9621" in listing.text and "9622" in listing.text and "applied" in listing.text
    await admin.wait_reply(await admin.press("Back"))
    card = await admin.wait_reply(await admin.press("Switch off"))
    assert "switched off" in card.text
    third = await trial(shop, 9623)
    assert "switched off" in await enter(third, "EDITME")
    async with shop.db.session() as session:
        promo = await PromoRepository(session).get(promo_id)
        assert promo is not None and not promo.is_active and promo.max_activations == 5
    assert await audit_actions(shop) == [
        ("promo.limit", ADMIN_ID),
        ("promo.validity", ADMIN_ID),
        ("promo.deactivate", ADMIN_ID),
    ]


async def test_customers_cannot_reach_promo_or_campaign_admin(shop: Shop) -> None:
    promo_id = await make_code(shop, "SECRET", "percent", 90)
    customer = shop.user(9631, first_name="Sneaky", language_code="en")
    await customer.wait_reply(await customer.send("/start"))
    for command in ("/promos", "/campaigns"):
        reply = await customer.wait_reply(await customer.send(command))
        assert "Unknown command" in reply.text
    for data in (
        f"apc:{promo_id}:off",
        f"apc:{promo_id}:limit",
        f"apa:{promo_id}:0",
        "apl:0",
        "apw:new:",
        "apw:bulk:",
        "apw:create:",
        "an:pr",
        "an:cp",
        "apcn:new",
        "apcl:0",
        "apcc:1",
    ):
        answer = await customer.wait_alert(await customer.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
    # had any of these started a wizard, this would be its answer
    reply = await customer.wait_reply(await customer.send("12"))
    assert "What would you like to do?" in reply.text
    async with shop.db.session() as session:
        promo = await PromoRepository(session).get(promo_id)
        assert promo is not None and promo.is_active and promo.max_activations is None
        assert (await session.scalar(select(func.count()).select_from(PromoCode))) == 1
    assert await audit_actions(shop) == []
    assert shop.telegram.calls_for("sendDocument") == []


async def test_bonus_days_survive_a_panel_failure_and_are_given_once(shop: Shop) -> None:
    await make_code(shop, "RETRY5", "days", 5)
    user = await trial(shop, 9641)
    before = panel_expiry(shop, 9641)
    shop.panel.fail_next(count=3, status=503, method="PATCH")  # the first try and both retries
    assert "temporarily unavailable" in await enter(user, "RETRY5")
    assert panel_expiry(shop, 9641) == before
    [activation] = await activations(shop, "RETRY5")
    assert activation.status == "reserved" and activation.grant_expires_at == before + timedelta(days=5)

    # the panel is back: entering the code again finishes the grant with the target fixed before
    assert "+5 days" in await enter(user, "RETRY5")
    assert panel_expiry(shop, 9641) == before + timedelta(days=5)
    assert "already used" in await enter(user, "RETRY5")
    assert await shop.app.promos.release_expired() == 0  # type: ignore[union-attr]
    assert panel_expiry(shop, 9641) == before + timedelta(days=5)
    assert await count_of(shop, "RETRY5") == 1
    async with shop.db.session() as session:
        periods = (await session.scalars(select(SubscriptionPeriod.kind))).all()
    assert sorted(periods) == ["promo", "trial"]


async def test_many_buyers_at_once_get_one_discount(shop: Shop) -> None:
    """Ten customers with the same one-use code pending start their checkouts at the same moment."""
    await make_code(shop, "RUSH", "fixed", 100, currency="XTR", max_activations=1)
    customers = []
    for uid in range(9651, 9661):
        user = shop.user(uid, first_name=f"Rush{uid}", language_code="en")
        await user.wait_reply(await user.send("/start"))
        await user.wait_reply(await user.send("/promo rush"))
        customers.append(await shop.app.accounts.arrive(TelegramProfile(uid, f"Rush{uid}")))
    started = await asyncio.gather(
        *(
            shop.app.checkout.start(c.customer, "standard", "1m", "stars", description="Standard")
            for c in customers
        )
    )
    assert sorted(p.amount.minor for p in started) == [50] + [150] * 9
    assert sum(p.promo.refused == "promo-used-up" for p in started) == 9
    assert await count_of(shop, "RUSH") == 1
    [activation] = await activations(shop, "RUSH")
    assert activation.status == "reserved"


async def test_the_reservation_follows_the_latest_checkout(shop: Shop) -> None:
    await make_code(shop, "MOVE", "percent", 50, max_activations=1)
    user = shop.user(9671, first_name="Move", language_code="en")
    await user.wait_reply(await user.send("/start"))
    await enter(user, "MOVE")
    _, first_amount = await stars_invoice(user)
    first_invoice = user.last_message
    assert first_invoice is not None and first_amount == 75
    _, second_amount = await stars_invoice(user, period="3 months")
    assert second_amount == 200
    assert await count_of(shop, "MOVE") == 1
    first, second = await orders(shop)
    assert first.status == "expired" and second.status == "pending"
    # the abandoned invoice cannot be paid with the discount any more
    [url] = [
        b.url for row in first_invoice.buttons for b in row if b.url and b.url.startswith("https://t.me/$")
    ]
    assert not (await user.pay_invoice(link=url)).approved
    await pay_last_invoice(shop, user)
    [activation] = await activations(shop, "MOVE")
    assert activation.status == "consumed" and activation.order_id == second.id


async def test_russian_customer_and_admin_section_buttons(shop: Shop) -> None:
    await make_code(shop, "PRIVET", "days", 2)
    user = shop.user(9691, first_name="Иван", language_code="ru")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("Пробный период"))
    await shop.telegram.wait_until(lambda: shop.panel.user_by_telegram_id(9691) is not None, timeout=10)
    await user.wait_reply(await user.send("/menu"))
    reply = await user.wait_reply(await user.press("Промокод"))
    assert "Отправьте промокод" in reply.text
    reply = await user.wait_reply(await user.send("privet"))
    assert "+2 дня" in reply.text and "Подписка активна до" in reply.text
    reply = await user.wait_reply(await user.send("/promo privet"))
    assert "уже использовали" in reply.text

    # the admin menu's section buttons open the promo and campaign screens
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    menu = await admin.wait_reply(await admin.send("/admin"))
    assert "Choose a section" in menu.text and "PRIVET" not in menu.text
    reply = await admin.wait_reply(await admin.press("Promo codes"))  # the an:pr button
    assert reply.message_id == menu.message_id  # the menu itself turned into the promo screen
    assert "Choose a section" not in reply.text and "PRIVET" in reply.text
    menu = await admin.wait_reply(await admin.send("/admin"))
    assert "Ad campaigns" not in menu.text
    reply = await admin.wait_reply(await admin.press("Ad campaigns"))  # the an:cp button
    assert reply.message_id == menu.message_id
    assert "Choose a section" not in reply.text and "Ad campaigns" in reply.text
