"""A discount through a webhook provider: the provider bills the discounted amount, a cancelled payment
releases the code at once, and a fixed-price product link is never discounted."""

from __future__ import annotations

import pytest

from tests.e2e.test_promos import activations, count_of, enter, make_code
from tests.e2e.test_purchase_providers import METHOD_BUTTON, the_order, wait_fulfilled
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


async def checkout(shop: Shop, user_id: int, method: str) -> str:
    buyer = shop.user(user_id)
    await buyer.wait_reply(await buyer.send("/buy"))
    await buyer.wait_reply(await buyer.press("Standard"))
    methods = await buyer.wait_reply(await buyer.press("1 month"))
    assert any(METHOD_BUTTON[method] in b for b in methods.button_texts), methods.button_texts
    reply = await buyer.wait_reply(await buyer.press(METHOD_BUTTON[method]))
    return reply.text


async def test_cancelled_payment_releases_the_code_and_the_next_one_consumes_it(
    shop: Shop, providers: PaymentEmulators
) -> None:
    await make_code(shop, "RUB50", "fixed", 5000, currency="RUB", max_activations=1)
    user_id = 9681
    buyer = shop.user(user_id, first_name="Yoo", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    assert "50.00 ₽" in await enter(buyer, "RUB50")

    text = await checkout(shop, user_id, "yookassa")
    assert "149.00 ₽" in text
    order = await the_order(shop)
    assert (order.amount_minor, order.discount_minor) == (14900, 5000)
    assert providers.yookassa.payments[str(order.provider_payment_id)]["amount"]["value"] == "149.00"
    assert await count_of(shop, "RUB50") == 1

    reply = await providers.yookassa.deliver(providers.yookassa.cancel(str(order.provider_payment_id)))
    assert reply.status == 200
    assert (await the_order(shop)).status == "failed"
    [activation] = await activations(shop, "RUB50")
    assert activation.status == "released" and await count_of(shop, "RUB50") == 0

    # the customer's code is still pending: the next checkout reserves it again and the payment uses it
    text = await checkout(shop, user_id, "yookassa")
    assert "149.00 ₽" in text
    order = await the_order(shop)
    await providers.yookassa.deliver(providers.yookassa.pay(str(order.provider_payment_id)))
    fulfilled = await wait_fulfilled(shop, user_id)
    assert (fulfilled.amount_minor, fulfilled.discount_minor) == (14900, 5000)
    [activation] = await activations(shop, "RUB50")
    assert activation.status == "consumed" and activation.order_id == fulfilled.id
    assert await count_of(shop, "RUB50") == 1


async def test_fixed_price_product_links_are_not_discounted(shop: Shop, providers: PaymentEmulators) -> None:
    await make_code(shop, "TRIB", "percent", 30)
    buyer = shop.user(9682, first_name="Trib", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await enter(buyer, "TRIB")
    await buyer.wait_reply(await buyer.send("/buy"))
    await buyer.wait_reply(await buyer.press("Standard"))
    methods = await buyer.wait_reply(await buyer.press("1 month"))
    [tribute] = [b for b in methods.button_texts if "Tribute" in b]
    [yookassa] = [b for b in methods.button_texts if "YooKassa" in b]
    assert "→" not in tribute and "199.00 ₽ → 139.30 ₽" in yookassa
    await buyer.wait_reply(await buyer.press("Tribute"))
    assert await activations(shop, "TRIB") == []
