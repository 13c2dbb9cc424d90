"""Customer-facing routers."""

from __future__ import annotations

from remnastore.bot.filters import InPrivateChat
from remnastore.bot.routers.user import (
    addons,
    autorenew,
    balance,
    buy,
    cabinet,
    devices,
    fallback,
    gifts,
    inline,
    language,
    promos,
    referrals,
    stars,
    start,
    subscription,
    trial,
)
from remnastore.bot.routing import Router


def user_router() -> Router:
    router = Router(name="user")
    router.message.filter(InPrivateChat())
    router.callback_query.filter(InPrivateChat())
    router.include_routers(
        start.build(),
        stars.build(),
        buy.build(),
        gifts.build(),
        autorenew.build(),
        addons.build(),
        balance.build(),
        referrals.build(),
        promos.build(),
        trial.build(),
        subscription.build(),
        cabinet.build(),
        devices.build(),
        language.build(),
        inline.build(),
        fallback.build(),
    )
    return router
