"""My subscription: status, expiry, traffic, devices, link, Connect button and QR code."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from remnastore.bot.callbacks import Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import MenuOptions, subscription
from remnastore.bot.qr import qr_png
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.user.autorenew import toggle_button
from remnastore.bot.routing import Router
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.autorenewal import AutoRenewalService
from remnastore.services.checkout import Checkout
from remnastore.services.subscriptions import SubscriptionService


async def my_subscription(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    renderer: Renderer,
    menu: MenuOptions,
    checkout: Checkout,
    autorenew: AutoRenewalService | None = None,
) -> None:
    view = await subscriptions.overview(customer, with_devices=menu.devices_enabled)
    trial = subscriptions.trial_offered(customer)
    if view is None:
        text = t("subscription-none-trial") if trial else t("subscription-none")
        await show(event, text, subscription(t, link=None, mini_app=None, devices=False, trial=trial))
        return
    kinds = {addon.kind for addon in await checkout.addons_for(customer)} if view.active else set()
    if view.limit_bytes == 0:
        kinds.discard("traffic")  # unlimited on the panel
    markup = subscription(
        t,
        link=view.link,
        mini_app=menu.mini_app,
        devices=menu.devices_enabled,
        trial=trial,
        addon_kinds=kinds,
        cabinet=menu.cabinet_enabled,
    )
    if autorenew is not None:
        renewal = await autorenew.view(customer)
        offered = renewal.tariff is not None and (renewal.card_provider or renewal.balance_possible)
        if renewal.enabled or offered:  # above "Renew" and "Back"
            markup.inline_keyboard.insert(
                len(markup.inline_keyboard) - 2, [toggle_button(t, renewal.enabled)]
            )
    await show(event, renderer.overview(view, t), markup)


async def qr_code(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
) -> None:
    view = await subscriptions.overview(customer, with_devices=False)
    if view is None:
        raise DomainError("error-no-panel-user")
    await query.answer()
    photo = BufferedInputFile(qr_png(view.link), filename="subscription.png")
    await query.bot.send_photo(  # type: ignore[union-attr]
        query.from_user.id, photo, caption=t("subscription-qr-caption")
    )


def build() -> Router:
    router = Router(name="subscription")
    router.message.register(my_subscription, Command("subscription", "connect"))
    router.callback_query.register(my_subscription, OpensScreen(Screen.SUBSCRIPTION))
    router.callback_query.register(qr_code, OpensScreen(Screen.QR))
    return router
