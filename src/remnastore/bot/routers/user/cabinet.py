"""The Cabinet button: a personal sign-in link to the customer cabinet (and the Mini App on https)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import Nav, Screen
from remnastore.bot.keyboards import cabinet as cabinet_keyboard
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.cabinet.links import CabinetLinks
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView


async def open_cabinet(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    cabinet_links: CabinetLinks | None = None,
) -> None:
    if cabinet_links is None:
        raise DomainError("cabinet-disabled")
    link = await cabinet_links.sign_in_link(customer.id)
    minutes = cabinet_links.link_minutes
    await show(
        event,
        t("cabinet-link-text", minutes=minutes),
        cabinet_keyboard(t, link=link, mini_app=cabinet_links.mini_app_url),
    )


def build() -> Router:
    router = Router(name="cabinet")
    router.message.register(open_cabinet, Command("cabinet"))
    router.callback_query.register(open_cabinet, Nav.filter(F.screen == Screen.CABINET))
    return router
