"""The panel's view of a customer is cached for a short time, yet changes show at once: those the shop
makes, and those the panel announces by webhook."""

from __future__ import annotations

import pytest

from remnastore.bot.callbacks import Nav, Screen
from tests.fixtures.shop import Shop

SECRET = "panel-webhook-secret-for-tests"


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"PANEL_WEBHOOK_SECRET": SECRET}


@pytest.mark.parametrize("panel_emulator", [{"hwid_limiting": True}], indirect=True)
async def test_changes_in_the_panel_show_at_once_when_announced(shop: Shop) -> None:
    lena = shop.user(7301, first_name="Lena", language_code="en")
    await lena.wait_reply(await lena.send("/start"))
    await lena.wait_reply(await lena.press("🎁 Free trial"))  # the shop writes: the panel user is created
    first = await lena.wait_reply(await lena.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    assert "Devices: 0 of" in first.text

    await lena.wait_reply(await lena.press_data(Nav(screen=Screen.MAIN).pack()))
    requests = len(shop.panel.requests)
    again = await lena.wait_reply(await lena.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    assert again.text == first.text
    assert shop.panel.requests[requests:] == []  # served from the cache

    panel_user = shop.panel.user_by_telegram_id(7301)
    assert panel_user is not None
    shop.panel.add_device(panel_user["id"], "hwid-lena-phone")
    status = await shop.panel.send_webhook(
        f"http://127.0.0.1:{shop.app.port}/webhooks/panel",
        "user_hwid_devices.added",
        panel_user["id"],
        secret=SECRET,
        hwid="hwid-lena-phone",
    )
    assert status == 200
    after = await lena.wait_reply(await lena.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    assert "Devices: 1 of" in after.text


async def test_my_devices_after_my_subscription_asks_the_panel_only_for_the_devices(shop: Shop) -> None:
    """The panel user found for "my subscription" is not looked up again for "my devices"; the devices
    themselves are always asked of the panel, so a phone connected a moment ago is listed."""
    mila = shop.user(7311, first_name="Mila", language_code="en")
    await mila.wait_reply(await mila.send("/start"))
    await mila.wait_reply(await mila.press("🎁 Free trial"))
    await mila.wait_reply(await mila.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    panel_user = shop.panel.user_by_telegram_id(7311)
    assert panel_user is not None
    shop.panel.add_device(panel_user["id"], "hwid-mila-phone")  # not announced: the panel is asked

    requests = len(shop.panel.requests)
    listing = await mila.wait_reply(await mila.press_data(Nav(screen=Screen.DEVICES).pack()))
    assert "My devices (1" in listing.text, listing.text
    asked = [(r.method, r.path.rsplit("/", 1)[0]) for r in shop.panel.requests[requests:]]
    assert asked == [("GET", "/api/hwid/devices")], asked


@pytest.mark.parametrize("first", [Screen.SUBSCRIPTION, Screen.DEVICES])
async def test_my_devices_without_a_subscription_asks_the_panel_nothing_once_it_was_asked(
    shop: Shop, first: Screen
) -> None:
    nina = shop.user(7312, first_name="Nina", language_code="en")
    await nina.wait_reply(await nina.send("/start"))
    pressed = await nina.press_data(Nav(screen=first).pack())  # the panel is asked: no user
    await (nina.wait_reply(pressed) if first is Screen.SUBSCRIPTION else nina.wait_alert(pressed))
    requests = len(shop.panel.requests)
    refused = await nina.wait_alert(await nina.press_data(Nav(screen=Screen.DEVICES).pack()))
    assert refused["text"] == "You have no active access yet."
    assert shop.panel.requests[requests:] == []


async def test_my_devices_of_a_panel_user_deleted_meanwhile_looks_them_up_afresh(shop: Shop) -> None:
    """The seller deleted the customer's panel user by hand after "my subscription" cached it: the device
    list is refused by the panel, and the customer is told they have no access instead of an error."""
    olga = shop.user(7313, first_name="Olga", language_code="en")
    await olga.wait_reply(await olga.send("/start"))
    await olga.wait_reply(await olga.press("🎁 Free trial"))
    await olga.wait_reply(await olga.press_data(Nav(screen=Screen.SUBSCRIPTION).pack()))
    panel_user = shop.panel.user_by_telegram_id(7313)
    assert panel_user is not None
    shop.panel.delete_user(panel_user["id"])
    refused = await olga.wait_alert(await olga.press_data(Nav(screen=Screen.DEVICES).pack()))
    assert refused["text"] == "You have no active access yet."
