"""Admin routers: only for ADMIN_IDS (everybody else falls through to the customer fallback).

Admin buttons (callback data with an ``AdminCallback`` prefix) pressed by anybody else are refused by
:mod:`guard` before any handler runs. The menu shows one button per section in :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from remnastore.bot.callbacks import AdminSection
from remnastore.bot.filters import FromUsers, InPrivateChat
from remnastore.bot.routers.admin import (
    broadcasts,
    campaigns,
    customers,
    guard,
    health,
    maintenance,
    menu,
    orders,
    panel_sync,
    promo_wizard,
    promos,
    settings,
    stats,
    tax_receipts,
)
from remnastore.bot.routing import Router

SECTIONS: tuple[AdminSection, ...] = (
    AdminSection.STATS,
    AdminSection.CUSTOMERS,
    AdminSection.ORDERS,
    AdminSection.PROMOS,
    AdminSection.CAMPAIGNS,
    AdminSection.BROADCASTS,
    AdminSection.SYNC,
    AdminSection.SETTINGS,
    AdminSection.MAINTENANCE,
    AdminSection.HEALTH,
    AdminSection.BACKUPS,
    AdminSection.RECEIPTS,
)


def admin_router(admin_ids: Iterable[int]) -> Router:
    admins = frozenset(admin_ids)
    root = Router(name="admin-root")
    root.include_router(guard.build(admins))
    router = Router(name="admin")
    router.message.filter(InPrivateChat(), FromUsers(admins))
    router.callback_query.filter(FromUsers(admins))
    router.include_routers(
        menu.build(SECTIONS),
        stats.build(),
        customers.build(),
        orders.build(),
        promos.build(),
        promo_wizard.build(),
        campaigns.build(),
        broadcasts.build(),
        panel_sync.build(),
        settings.build(),
        maintenance.build(),
        health.build(),
        tax_receipts.build(),
    )
    root.include_router(router)
    return root
