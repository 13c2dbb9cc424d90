"""The rate limit as customers meet it: a person clicking quickly through the menus is never held back; a
flood is, and the warning is in the language the customer chose in the shop, not Telegram's."""

from __future__ import annotations

from remnastore.bot.callbacks import Nav, Screen
from remnastore.emulators.telegram import FakeUser
from tests.fixtures.shop import Shop

WARNING_RU = "Вы отправляете сообщения слишком часто"
WARNING_EN = "You are sending messages too fast"


def alerts(user: FakeUser, since: int) -> list[str]:
    return [
        str(call.params.get("text", ""))
        for call in user.emulator.calls_for("answerCallbackQuery")[since:]
        if call.params.get("show_alert") in (True, "true")
    ]


async def test_fast_menu_navigation_passes_and_a_flood_is_warned_in_the_chosen_language(shop: Shop) -> None:
    customer = shop.user(7701, first_name="Olga", language_code="en")  # Telegram says English
    await customer.wait_reply(await customer.send("/start"))
    await customer.wait_reply(await customer.press("Language"))
    chosen = await customer.wait_reply(await customer.press("Русский"))
    assert "Язык" in chosen.text  # she reads the shop in Russian from now on

    before = len(shop.telegram.calls_for("answerCallbackQuery"))
    screens = [Screen.MAIN, Screen.SUBSCRIPTION, Screen.MAIN, Screen.REFERRALS]
    for press in range(40):  # forty presses, each as soon as the previous answer is shown
        reply = await customer.wait_reply(await customer.press_data(Nav(screen=screens[press % 4]).pack()))
        assert WARNING_RU not in reply.text
    assert alerts(customer, before) == []  # nobody told her to slow down

    before = len(shop.telegram.calls_for("answerCallbackQuery"))
    for _ in range(120):  # a script: presses without waiting for anything
        await customer.press_data(Nav(screen=Screen.MAIN).pack())
    await shop.telegram.wait_until(lambda: any(WARNING_RU in text for text in alerts(customer, before)))
    assert not any(WARNING_EN in text for text in alerts(customer, before))
