"""The Cabinet button: a personal sign-in link to the customer cabinet (and the Mini App on https), and,
when the shop gives them, a one-time sign-in code (the button, or ``/cabinet code``)."""

from __future__ import annotations

from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import cabinet as cabinet_keyboard
from remnastore.bot.keyboards import only_back
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.cabinet.codes import SignInCodes, shown
from remnastore.cabinet.links import CabinetLinks
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView


async def open_cabinet(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    cabinet_links: CabinetLinks | None = None,
    cabinet_codes: SignInCodes | None = None,
    command: CommandObject | None = None,
) -> None:
    if cabinet_links is None:
        raise DomainError("cabinet-disabled")
    if command is not None and (command.args or "").strip().lower() == "code":
        await send_code(event, t, customer, cabinet_links, cabinet_codes)
        return
    link = await cabinet_links.sign_in_link(customer.id)
    minutes = cabinet_links.link_minutes
    await show(
        event,
        t("cabinet-link-text", minutes=minutes),
        cabinet_keyboard(t, link=link, mini_app=cabinet_links.mini_app_url, code=cabinet_codes is not None),
    )


async def send_code(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    cabinet_links: CabinetLinks | None = None,
    cabinet_codes: SignInCodes | None = None,
) -> None:
    """A new one-time code for the cabinet's sign-in page (any earlier unused one is voided)."""
    if cabinet_links is None or cabinet_codes is None:
        raise DomainError("cabinet-code-disabled")
    code = await cabinet_codes.issue(customer.id)
    text = t(
        "cabinet-code-text",
        code=shown(code),
        minutes=cabinet_codes.minutes,
        url=f"{cabinet_links.base}/login",
    )
    await show(event, text, only_back(t))


def build() -> Router:
    router = Router(name="cabinet")
    router.message.register(open_cabinet, Command("cabinet"))
    router.callback_query.register(open_cabinet, OpensScreen(Screen.CABINET))
    router.callback_query.register(send_code, OpensScreen(Screen.CABINET_CODE))
    return router
