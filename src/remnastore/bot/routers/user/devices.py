"""My devices: the panel's HWID list and disconnecting one."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import DisconnectDevice, Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import MenuOptions, devices, only_back
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.devices import DeviceService


async def list_devices(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    device_service: DeviceService,
    renderer: Renderer,
    menu: MenuOptions,
) -> None:
    if not menu.devices_enabled:
        await show(event, t("devices-disabled"), only_back(t))
        return
    listing = await device_service.listing(customer)
    await show(event, renderer.devices(listing, t), devices(t, listing))


async def disconnect(
    query: CallbackQuery,
    callback_data: DisconnectDevice,
    t: Translator,
    customer: CustomerView,
    device_service: DeviceService,
    renderer: Renderer,
    menu: MenuOptions,
) -> None:
    if not menu.devices_enabled:
        await show(query, t("devices-disabled"), only_back(t))
        return
    listing = await device_service.disconnect(customer, callback_data.token)
    await show(query, renderer.devices(listing, t), devices(t, listing), notice=t("device-disconnected"))


def build() -> Router:
    router = Router(name="devices")
    router.message.register(list_devices, Command("devices"))
    router.callback_query.register(list_devices, OpensScreen(Screen.DEVICES))
    router.callback_query.register(disconnect, DisconnectDevice.filter())
    return router
