"""The aiogram dispatcher: FSM storage, outer middlewares in their order, routers, and workflow data."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

from remnastore.bot.errors import error_router
from remnastore.bot.middlewares.channel import install_channel_gate
from remnastore.bot.middlewares.commands import CommandEndsConversation
from remnastore.bot.middlewares.concurrency import ConcurrencyLimitMiddleware
from remnastore.bot.middlewares.customer import CustomerMiddleware
from remnastore.bot.middlewares.metrics import install_metrics_middleware
from remnastore.bot.middlewares.settings import SettingsMiddleware
from remnastore.bot.middlewares.throttle import ThrottleMiddleware
from remnastore.bot.payment_intake import SettleBeforeAcknowledging
from remnastore.bot.routers.admin import admin_router
from remnastore.bot.routers.user import user_router
from remnastore.bot.update_gate import GateMiddleware, GateStorage
from remnastore.cabinet.app import Cabinet
from remnastore.infra.cache import Derived
from remnastore.infra.ratelimit import RedisRateLimiter, build_rate_limiter
from remnastore.infra.shutdown import InFlightMiddleware
from remnastore.services import customer_cache, panel_cache
from remnastore.wiring.core import Core
from remnastore.wiring.customers import Customers
from remnastore.wiring.operations import Operations
from remnastore.wiring.sales import Sales


def update_prefetch(devices_enabled: bool, key: StorageKey) -> list[str | Derived]:
    """What an update reads from the cache besides its conversation state: the customer, their referral
    numbers and their panel user (as "my subscription" and "my devices" ask for it)."""
    telegram_id = key.user_id
    wanted = customer_cache.prefetch(telegram_id)
    entry, fields = customer_cache.entry_key(telegram_id), customer_cache.PANEL_REF_FIELDS
    wanted.append(panel_cache.prefetch(entry, fields, telegram_id, with_devices=devices_enabled))
    return wanted


def build_storage(core: Core) -> BaseStorage:
    """Conversation state: in Redis when there is one (shared by the instances), in memory otherwise.

    In Redis, the chat lock taken for each update also reads the state and the cached customer
    (bot/update_gate.py): one request for what every update needs."""
    if core.redis is not None:
        return GateStorage(
            core.redis,
            ttl_seconds=core.settings.redis.state_ttl_seconds,
            prefetch=partial(update_prefetch, core.settings.shop.devices_enabled),
        )
    return MemoryStorage()


def build_throttle(core: Core, customers: Customers) -> ThrottleMiddleware | None:
    """The rate limit of updates per customer; None when switched off."""
    settings = core.settings
    limiter = build_rate_limiter(settings.rate_limit, core.redis)
    if limiter is None:
        return None
    accounts = customers.accounts
    return ThrottleMiddleware(
        limiter,
        frozenset(settings.telegram.admin_ids),
        core.locales,
        metrics=core.metrics,
        language_of=accounts.language_of,
    )


def workflow_data(
    core: Core, customers: Customers, sales: Sales, ops: Operations, cabinet: Cabinet | None
) -> dict[str, Any]:
    """What the handlers receive by name (one entry per service a handler may call)."""
    referrals_enabled = core.settings.referrals.enabled
    return {
        "accounts": customers.accounts,
        "subscriptions": customers.subscriptions,
        "device_service": customers.devices,
        "renderer": core.renderer,
        "locales": core.locales,
        "checkout": sales.checkout,
        "order_admin": sales.order_admin,
        "statistics": ops.statistics,
        "customer_admin": ops.customer_admin,
        "balance": sales.balance,
        "settlement": sales.settlement,
        "menu": customers.menu,
        "clock": core.clock,
        "referrals": sales.referrals if referrals_enabled else None,
        "effective_settings": customers.effective,
        "shop_health": ops.shop_health,
        "backup_shelf": ops.backup_shelf,
        "promos": sales.promos,
        "promo_admin": sales.promo_admin,
        "campaign_admin": sales.campaign_admin,
        "broadcasts": ops.broadcasts,
        "panel_sync": ops.panel_sync,
        "autorenew": sales.autorenew,
        "autorenew_enabled": sales.autorenew is not None,
        "gifts": sales.gifts,
        "gifts_enabled": sales.gifts is not None,
        "tax_receipts": sales.tax_receipts,
        "cabinet_links": cabinet.links if cabinet is not None else None,
        "cabinet_codes": cabinet.codes if cabinet is not None else None,
    }


def build_dispatcher(
    core: Core,
    customers: Customers,
    sales: Sales,
    ops: Operations,
    storage: BaseStorage,
    throttle: ThrottleMiddleware | None,
    cabinet: Cabinet | None = None,
) -> Dispatcher:
    settings = core.settings
    admin_ids = frozenset(settings.telegram.admin_ids)
    isolation = storage.create_isolation() if isinstance(storage, GateStorage) else SimpleEventIsolation()
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    # aiogram registers its FSM middleware (which takes the per-chat isolation lock) at construction;
    # move it behind metrics, in-flight tracking and the rate limiter, so that a flood is dropped
    # before it waits for locks, Redis connections or the database. With Redis, the gate takes the
    # rate limiter's verdict, the lock and the state in one request (a refused update takes no lock).
    dp.update.outer_middleware.unregister(dp.fsm)
    gate: GateMiddleware | None = None
    if isinstance(storage, GateStorage):
        limiter = throttle.limiter if throttle is not None else None
        redis_limiter = limiter if isinstance(limiter, RedisRateLimiter) else None
        gate = GateMiddleware(storage, throttle, redis_limiter)
        if redis_limiter is not None:
            throttle = None  # the gate applies it
    if settings.use_webhook:
        dp.update.outer_middleware(ConcurrencyLimitMiddleware(settings.telegram.update_concurrency))
    install_metrics_middleware(dp, core.metrics)
    dp.update.outer_middleware(InFlightMiddleware(core.inflight))
    if throttle is not None:
        dp.update.outer_middleware(throttle)
    dp.update.outer_middleware(gate if gate is not None else dp.fsm)
    dp.update.outer_middleware(CustomerMiddleware(customers.accounts, core.locales, admin_ids))
    dp.update.outer_middleware(SettingsMiddleware(customers.effective, customers.menu, core.locales))
    dp.message.outer_middleware(CommandEndsConversation())
    install_channel_gate(dp, ops.channel_gate, settings.channel_gate, core.locales, admin_ids)
    dp.include_router(admin_router(settings.telegram.admin_ids))
    dp.include_router(user_router())
    dp.include_router(error_router(core.locales, core.renderer, core.log_chat))
    dp.workflow_data.update(workflow_data(core, customers, sales, ops, cabinet))
    if not settings.use_webhook:
        # long polling: a payment message is settled before getUpdates acknowledges it (webhook mode:
        # the webhook handler settles before its 200, see web.py)
        core.bot.session.middleware(SettleBeforeAcknowledging(sales.payment_intake))
    return dp
