"""My devices: the panel's HWID list and disconnecting one."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import DisconnectDevice, Nav, Screen
from remnastore.bot.keyboards import MenuOptions, devices, only_back
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.devices import DeviceService

router = Router(name="devices")


@router.message(Command("devices"))
@router.callback_query(Nav.filter(F.screen == Screen.DEVICES))
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
    listing = await device_service.list(customer)
    await show(event, renderer.devices(listing, t), devices(t, listing))


@router.callback_query(DisconnectDevice.filter())
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
