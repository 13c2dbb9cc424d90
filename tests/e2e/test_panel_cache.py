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
