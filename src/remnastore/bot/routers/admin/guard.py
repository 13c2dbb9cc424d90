"""Admin buttons pressed by anybody else: refused politely, logged, nothing changed."""

from __future__ import annotations

import logging
from collections.abc import Set

from aiogram.types import CallbackQuery

from remnastore.bot.callbacks import admin_prefixes
from remnastore.bot.routing import PrefixFilter, Router
from remnastore.locales import Translator

log = logging.getLogger(__name__)


class ForeignAdminButton(PrefixFilter):
    """A button whose data carries an admin prefix, pressed by somebody who is not an admin."""

    def __init__(self, admin_ids: Set[int]) -> None:
        self._admins = admin_ids

    def callback_prefixes(self) -> frozenset[str]:
        return admin_prefixes()

    async def __call__(self, query: CallbackQuery) -> bool:
        if query.from_user.id in self._admins:
            return False
        prefix = (query.data or "").split(":", 1)[0]
        return prefix in admin_prefixes()


async def refuse(query: CallbackQuery, t: Translator) -> None:
    log.warning(
        "admin button pressed by a non-admin",
        extra={"telegram_id": query.from_user.id, "prefix": (query.data or "").split(":", 1)[0][:8]},
    )
    await query.answer(t("admin-only"), show_alert=True)


def build(admin_ids: Set[int]) -> Router:
    router = Router(name="admin-guard")
    router.callback_query.register(refuse, ForeignAdminButton(admin_ids))
    return router
