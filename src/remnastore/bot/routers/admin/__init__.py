"""Admin routers: only for ADMIN_IDS (everybody else falls through to the customer fallback)."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import F, Router

from remnastore.bot.filters import Magic
from remnastore.bot.routers.admin import orders


def admin_router(admin_ids: Iterable[int]) -> Router:
    admins = frozenset(admin_ids)
    router = Router(name="admin")
    router.message.filter(Magic(F.chat.type == "private"), Magic(F.from_user.id.in_(admins)))
    router.callback_query.filter(Magic(F.from_user.id.in_(admins)))
    router.include_routers(orders.build())
    return router
