"""The composition root: builds every object once, wires them together, starts and stops them."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from contextlib import suppress
from datetime import timedelta
from functools import partial
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand, BotCommandScopeChat, FSInputFile
from aiohttp import web
from redis.asyncio import BlockingConnectionPool, Redis

from remnastore import __version__
from remnastore.bot.broadcasts import TelegramBroadcastReporter, TelegramBroadcastSender
from remnastore.bot.errors import error_router
from remnastore.bot.keyboards import MenuOptions
from remnastore.bot.log_chat import LogChat
from remnastore.bot.middlewares.channel import install_channel_gate
from remnastore.bot.middlewares.commands import CommandEndsConversation
from remnastore.bot.middlewares.concurrency import ConcurrencyLimitMiddleware
from remnastore.bot.middlewares.customer import CustomerMiddleware
from remnastore.bot.middlewares.metrics import install_metrics_middleware
from remnastore.bot.middlewares.settings import SettingsMiddleware
from remnastore.bot.middlewares.throttle import ThrottleMiddleware
from remnastore.bot.notifier import TelegramNotifier
from remnastore.bot.panel_event_messages import TelegramPanelEventSender
from remnastore.bot.payment_intake import PaymentIntake, SettleBeforeAcknowledging, SettleFirstRequestHandler
from remnastore.bot.reminders import TelegramReminderSender
from remnastore.bot.render import Renderer
from remnastore.bot.renewal_notices import RenewalMessages
from remnastore.bot.routers.admin import admin_router
from remnastore.bot.routers.user import user_router
from remnastore.bot.send_budget import budget_for
from remnastore.bot.session import BotSession
from remnastore.bot.tax_receipt_messages import TaxReceiptMessages
from remnastore.cabinet.app import Cabinet, build_cabinet
from remnastore.config import Settings
from remnastore.db.models import OrderKind
from remnastore.db.session import Database
from remnastore.domain.catalogue import ADDON_KINDS, load_catalogue, uses_example_catalogue
from remnastore.infra.cache import Cache
from remnastore.infra.clock import Clock, SystemClock
from remnastore.infra.io_counters import count_redis_round_trips, count_sql_statements
from remnastore.infra.loop_guard import LoopGuard
from remnastore.infra.metrics import Metrics
from remnastore.infra.ratelimit import build_rate_limiter
from remnastore.infra.shutdown import InFlight, InFlightMiddleware, web_gate
from remnastore.jobs.scheduler import Job, MemoryLock, RedisLock, Scheduler
from remnastore.locales import SUPPORTED_LANGUAGES, Locales
from remnastore.ops.backup import backup_and_rotate
from remnastore.ops.backup_cli import backup_sources
from remnastore.ops.check import check_provider
from remnastore.panel.watched import WatchedPanelClient
from remnastore.payments.base import Provider, ProviderContext
from remnastore.payments.capabilities import InChatPayments, ProductLinks, Refunds, SavedMethodCharges
from remnastore.payments.registry import provider_module
from remnastore.receipts.client import NalogoClient
from remnastore.receipts.queue import TaxReceipts
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import AccountService
from remnastore.services.addon_fulfilment import AddonFulfilment
from remnastore.services.autorenewal import AutoRenewalService
from remnastore.services.backups import BackupShelf
from remnastore.services.balance import BalanceService
from remnastore.services.broadcast_worker import BroadcastWorker
from remnastore.services.broadcasts import Broadcasts
from remnastore.services.campaigns import CampaignAdmin
from remnastore.services.channel_gate import ChannelGate
from remnastore.services.checkout import Checkout
from remnastore.services.customer_admin import CustomerAdmin
from remnastore.services.customer_cache import CustomerCache
from remnastore.services.device_limits import DeviceLimits
from remnastore.services.devices import DeviceService
from remnastore.services.effective_settings import (
    LINK_KINDS,
    Defaults,
    EffectiveSettings,
    TrialOptions,
)
from remnastore.services.fulfilment import Fulfilment, FulfilmentFailures, OrderKinds
from remnastore.services.gifts import GiftService
from remnastore.services.lifecycle import Lifecycle, OrderEvents
from remnastore.services.lifecycle_subscribers import Reactions, subscribe_order_events
from remnastore.services.light_sync import LightSync
from remnastore.services.order_admin import OrderAdmin
from remnastore.services.panel_cache import PanelUserCache
from remnastore.services.panel_config import ConfigurationAlerts
from remnastore.services.panel_events import PanelEvents
from remnastore.services.panel_link import PanelLink
from remnastore.services.panel_state import PanelState
from remnastore.services.panel_sync import PanelSync
from remnastore.services.promo_admin import PromoAdmin
from remnastore.services.promos import PromoService
from remnastore.services.reconciliation import Reconciliation
from remnastore.services.referral_refunds import ReferralRefunds
from remnastore.services.referrals import ReferralRewards
from remnastore.services.reminders import ReminderService
from remnastore.services.settlement import ProductLookup, Settlement
from remnastore.services.shop_health import ShopHealth
from remnastore.services.stars_reconciliation import StarsReconciliation, StarTransactions
from remnastore.services.statistics import Statistics
from remnastore.services.subscription_fulfilment import SubscriptionFulfilment
from remnastore.services.subscriptions import SubscriptionService
from remnastore.services.topup_fulfilment import TopUpFulfilment
from remnastore.web.health import HealthRoutes, Probe
from remnastore.web.panel_webhooks import PanelWebhooks
from remnastore.web.payments import PaymentWebhooks

log = logging.getLogger(__name__)

COMMANDS = ("start", "buy", "subscription", "devices", "language", "referrals", "promo", "gifts")
#: shown, after the customers' commands, in each admin's own chat only
ADMIN_COMMANDS = (
    "admin",
    "orders",
    "promos",
    "campaigns",
    "broadcast",
    "sync",
    "settings",
    "maintenance",
    "health",
    "backups",
)


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram echoes in every webhook call; derived from the bot token unless configured,
    so that every instance of one shop agrees on it without extra configuration."""
    if settings.telegram.webhook_secret is not None:
        return settings.telegram.webhook_secret.get_secret_value()
    token = settings.telegram.bot_token.get_secret_value()
    return hashlib.sha256(f"remnastore-webhook:{token}".encode()).hexdigest()


class Application:
    """One shop process: bot, web server and (later) jobs."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None, workers: int = 1) -> None:
        """``workers``: how many processes of this shop share one port (``run --workers``)."""
        self.settings = settings
        self.workers = workers
        self.clock: Clock = clock or SystemClock()
        self.db = Database(
            settings.database.url, pool_size=settings.database.pool_size, echo=settings.database.echo
        )
        self.redis: Redis | None = None
        if settings.redis.url:
            # A bounded pool: a burst of updates waits for a connection instead of opening thousands.
            pool = BlockingConnectionPool.from_url(
                settings.redis.url, max_connections=settings.redis.max_connections, timeout=10
            )
            self.redis = Redis(connection_pool=pool)
        self.metrics = Metrics(version=__version__)
        count_sql_statements(self.db.engine, self.metrics.registry)
        if self.redis is not None:
            count_redis_round_trips(self.redis.connection_pool, self.metrics.registry)
        hold = settings.log.loop_hold_seconds
        self.loop_guard = LoopGuard(hold, self.metrics.registry) if hold > 0 else None
        self.inflight = InFlight()
        panel = settings.panel
        self.cache = Cache(
            self.redis,
            max_local_entries=settings.performance.local_max_entries,
            on_lookup=lambda area, hit: self.metrics.cache(area, hit=hit),
        )
        self.customer_cache = CustomerCache(self.cache, settings.performance.customer_ttl_seconds)
        self.db.on_customers_changed = self.customer_cache.invalidate
        self.panel_cache = PanelUserCache(self.cache, settings.performance.panel_ttl_seconds)
        self.panel = WatchedPanelClient(
            panel.url,
            panel.token.get_secret_value(),
            api_version=panel.api_version,
            extra_headers=panel.extra_headers,
            cookies=panel.cookies,
            timeout=panel.timeout,
            retries=panel.retries,
            on_call=self.metrics.panel_call,
            on_write=self.panel_cache.forget,
        )
        self.locales = Locales(settings.shop.default_language)
        limiter = build_rate_limiter(settings.rate_limit, self.redis)
        self.throttle = (
            ThrottleMiddleware(
                limiter,
                frozenset(settings.telegram.admin_ids),
                self.locales,
                metrics=self.metrics,
                language_of=lambda telegram_id: self.accounts.language_of(telegram_id),
            )
            if limiter is not None
            else None
        )
        self.renderer = Renderer(settings.shop.timezone)
        self.bot = Bot(
            token=settings.telegram.bot_token.get_secret_value(),
            session=BotSession(
                budget_for(settings, workers),
                api=TelegramAPIServer.from_base(settings.telegram.api_url),
                timeout=settings.telegram.request_timeout,
            ),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
        )
        self.log_chat = LogChat(
            self.bot,
            self.locales,
            chat_id=settings.sales.log_chat_id,
            thread_id=settings.sales.log_thread_id,
            spawn=self.inflight.spawn,
        )
        self.effective = self._effective_settings()
        self.accounts = AccountService(
            self.db,
            default_language=settings.shop.default_language,
            events=self.log_chat,
            cache=self.customer_cache,
        )
        self.panel_link = PanelLink(self.db, self.panel, username_prefix=panel.username_prefix)
        self.access = AccessGrant(self.db, self.panel, self.panel_link, self.clock)
        self.subscriptions = SubscriptionService(
            self.db,
            self.panel,
            self.panel_link,
            self.clock,
            settings=self.effective,
            paid_squads=tuple(panel.squads),
            external_squad=panel.external_squad,
            user_tag=panel.user_tag,
            access=self.access,
            events=self.log_chat,
            cache=self.panel_cache,
        )
        self.device_limits = DeviceLimits(self.panel)
        self.subscriptions.device_limits = self.device_limits
        self.devices = DeviceService(self.panel, self.panel_link, self.device_limits)
        self.menu = MenuOptions(
            devices_enabled=settings.shop.devices_enabled,
            mini_app=settings.links.mini_app,
            balance_enabled=settings.sales.balance_enabled,
            referrals_enabled=settings.referrals.enabled,
            promos_enabled=settings.promos.enabled,
        )
        self._build_sales()
        self.statistics = Statistics(self.db, self.panel, self.clock, timezone=settings.shop.timezone)
        self.customer_admin = CustomerAdmin(
            self.db,
            self.panel,
            self.panel_link,
            self.clock,
            access=self.access,
            refundable_providers=frozenset(
                name for name, provider in self.providers.items() if isinstance(provider, Refunds)
            ),
            timezone=settings.shop.timezone,
            balance_currency=settings.sales.balance_currency,
        )
        self.customer_admin.device_limits = self.device_limits
        self._build_admin_tools()
        self.channel_gate = ChannelGate.from_settings(settings.channel_gate, self.redis)
        if self.channel_gate is not None:
            self.channel_gate.on_lookup = lambda area, hit: self.metrics.cache(area, hit=hit)
        self.storage = self._storage()
        self.health = HealthRoutes(
            self._probes(), version=__version__, cache_seconds=settings.web.readyz_cache_seconds
        )
        self.shop_health = ShopHealth(
            self.db,
            partial(self.health.check, max_age=0.0),  # an admin's Refresh probes again
            {f"payments:{name}": partial(check_provider, settings, name) for name in self.providers},
            self.clock,
            version=__version__,
            example_catalogue=uses_example_catalogue(settings.sales.catalogue_file),
        )
        self.backup_shelf = BackupShelf(settings.backup, partial(backup_sources, settings))
        self.bot_username: str | None = None
        self.cabinet: Cabinet | None = build_cabinet(self)
        if self.cabinet is not None:
            self.menu = dataclasses.replace(self.menu, cabinet_enabled=True)
            purge = Job("cabinet-purge", 3600.0, self.cabinet.access.purge_stale, first_delay=120.0)
            self.scheduler.add(purge)
        self.dispatcher = self._dispatcher()
        self.web_app = self._web_app()
        self._runner: web.AppRunner | None = None
        self._private_runner: web.AppRunner | None = None
        #: port of the private /metrics and /readyz listener, once started
        self.metrics_port: int | None = None
        self._polling: asyncio.Task[None] | None = None
        self._stopped = False
        self.port: int | None = None

    def _effective_settings(self) -> EffectiveSettings:
        """The settings in force: configuration and catalogue as defaults, admin changes on top."""
        settings = self.settings
        self.catalogue = load_catalogue(settings.sales.catalogue_file)
        enabled = [name for name, group in settings.payments.items() if getattr(group, "enabled", False)]
        configured = settings.sales.payment_methods_order
        trial = settings.trial
        links = settings.links
        defaults = Defaults(
            catalogue=self.catalogue,
            trial=TrialOptions(trial.enabled, trial.days, trial.traffic_gb, trial.device_limit),
            trial_strategy=trial.traffic_strategy,
            trial_squads=tuple(trial.squads),
            methods=tuple(
                [name for name in configured if name in enabled]
                + sorted(name for name in enabled if name not in configured)
            ),
            links={kind: getattr(links, kind) for kind in LINK_KINDS},
        )
        return EffectiveSettings(
            self.db, defaults, self.clock, refresh_seconds=settings.shop.settings_refresh_seconds
        )

    def _build_sales(self) -> None:
        settings = self.settings
        sales = settings.sales
        public = sales.public_url or settings.telegram.webhook_base_url
        self.provider_context = ProviderContext(
            public_url=public, return_url=sales.return_url or "https://t.me"
        )
        self.providers: dict[str, Provider] = {}
        for name, group in settings.payments.items():
            if getattr(group, "enabled", False):
                provider = provider_module(name).create(group, self.provider_context)
                if isinstance(provider, InChatPayments):
                    provider.attach(self.bot)
                self.providers[name] = provider
        self.notifier = TelegramNotifier(
            self.bot,
            self.locales,
            self.renderer,
            admin_ids=settings.telegram.admin_ids,
            log_chat=self.log_chat,
            mini_app=settings.links.mini_app,
        )
        self._build_promos()
        self.order_events = OrderEvents()
        self.lifecycle = Lifecycle(self.clock, self.order_events, promos=self.promos)
        self.referrals = ReferralRewards(
            self.db,
            self.access,
            self.clock,
            settings.referrals,
            notifier=self.notifier,
            balance_currency=sales.balance_currency if sales.balance_enabled else None,
        )
        self.config_alerts = ConfigurationAlerts(self.panel, self.notifier)
        self.subscriptions.config_alerts = self.config_alerts
        failures = FulfilmentFailures(self.db, self.clock, self.notifier)
        self.fulfilment = Fulfilment(self.db, self.clock, OrderKinds(), failures, self.notifier)
        subscriptions = SubscriptionFulfilment(
            self.db,
            self.panel,
            self.panel_link,
            self.catalogue,
            self.clock,
            customers=self.notifier,
            admins=self.notifier,
            default_squads=tuple(settings.panel.squads),
            external_squad=settings.panel.external_squad,
            user_tag=settings.panel.user_tag,
            lifecycle=self.lifecycle,
            access=self.access,
            failed=failures,
            config_alerts=self.config_alerts,
        )
        self._build_tax_receipts()
        addons = AddonFulfilment(
            self.db,
            self.panel,
            self.panel_link,
            self.catalogue,
            self.clock,
            customers=self.notifier,
            admins=self.notifier,
            failed=failures,
            lifecycle=self.lifecycle,
        )
        topups = TopUpFulfilment(self.db, self.lifecycle, customers=self.notifier, admins=self.notifier)
        # the order kinds, one line each (gifts: see _build_renewals)
        self.fulfilment.kinds.register(OrderKind.SUBSCRIPTION.value, subscriptions)
        self.fulfilment.kinds.register(OrderKind.TOPUP.value, topups)
        for addon_kind in ADDON_KINDS:
            self.fulfilment.kinds.register(addon_kind, addons)
        lookups: dict[str, ProductLookup] = {
            name: provider.product_for_ref
            for name, provider in self.providers.items()
            if isinstance(provider, ProductLinks)
        }
        self.settlement = Settlement(
            self.db,
            self.clock,
            self.catalogue,
            lifecycle=self.lifecycle,
            admins=self.notifier,
            product_lookups=lookups,
            on_outcome=self.metrics.payment_event,
            tax_receipts=self.tax_receipts if self.tax_receipts.enabled else None,
        )
        self.checkout = Checkout(
            self.db,
            self.effective,
            self.providers,
            self.clock,
            lifecycle=self.lifecycle,
            order_ttl=timedelta(minutes=sales.order_ttl_minutes),
            settle=self.settlement.settle,
            balance_currency=sales.balance_currency if sales.balance_enabled else None,
            promos=self.promos,
        )
        self.balance = (
            BalanceService(
                self.db,
                currency=sales.balance_currency,
                topups=sales.topup_amounts(),
                bounds=sales.topup_bounds(),
            )
            if sales.balance_enabled
            else None
        )
        self.order_admin = OrderAdmin(
            self.db, self.clock, providers=self.providers, settle=self.settlement.settle
        )
        self.reconciliation = Reconciliation(self.db, self.providers, self.clock, self.settlement.settle)
        self.scheduler = Scheduler(
            RedisLock(self.redis) if self.redis is not None else MemoryLock(), on_run=self.metrics.job_run
        )
        self.scheduler.add(Job("fulfilment", 15.0, self.fulfilment.fulfil_due))
        if settings.referrals.enabled:
            self.scheduler.add(Job("referral-rewards", 60.0, self.referrals.grant_pending, first_delay=20.0))
        self.scheduler.add(Job("reconciliation", 60.0, self.reconciliation.poll_pending, first_delay=5.0))
        self.scheduler.add(Job("expire-orders", 300.0, self.reconciliation.expire_stale, first_delay=10.0))
        # Stars payments: settled before their update is acknowledged, and found in the Star transactions
        # should the update still be lost (see bot/payment_intake.py and services/stars_reconciliation.py)
        self.payment_intake = PaymentIntake(self.settlement.settle)
        if not settings.use_webhook:
            self.bot.session.middleware(SettleBeforeAcknowledging(self.payment_intake))
        self.stars_reconciliation: StarsReconciliation | None = None
        stars = self.providers.get("stars")
        if isinstance(stars, StarTransactions):
            self.stars_reconciliation = StarsReconciliation(
                self.db, stars, self.clock, self.settlement.settle
            )
            self.scheduler.add(
                Job("stars-reconciliation", 120.0, self.stars_reconciliation.run, first_delay=15.0)
            )
        if self.promos is not None:
            self.scheduler.add(Job("promo-reservations", 60.0, self.promos.release_expired, first_delay=20.0))
        if self.tax_receipts.enabled:
            interval = float(settings.tax_receipts.interval_seconds)
            self.scheduler.add(Job("tax-receipts", interval, self.tax_receipts.run_due, first_delay=15.0))
            self.scheduler.add(
                Job("tax-receipts-summary", 86400.0, self.tax_receipts.post_daily_summary, first_delay=3600.0)
            )
        reminder_settings = settings.reminders
        self.panel_state = PanelState(self.db, self.panel, self.clock)
        self.reminders = ReminderService(
            self.db,
            TelegramReminderSender(self.bot, self.locales, self.renderer),
            self.clock,
            offsets=reminder_settings.offsets(),
            enabled=reminder_settings.enabled,
            expiry_check=self.panel_state,
        )
        traffic_addons = any(addon.kind == "traffic" for addon in self.catalogue.addons)
        self.panel_events = PanelEvents(
            self.db,
            self.panel_state,
            TelegramPanelEventSender(self.bot, self.locales, traffic_addons=traffic_addons),
            self.clock,
            message_events=settings.panel_sync.event_messages,
        )
        if reminder_settings.enabled:
            self.scheduler.add(
                Job(
                    "reminders",
                    float(reminder_settings.interval_seconds),
                    self.reminders.run_due,
                    first_delay=30.0,
                )
            )
        panel_secret = settings.panel.webhook_secret
        self.panel_webhooks = PanelWebhooks(
            panel_secret.get_secret_value() if panel_secret is not None else None,
            self.reminders,
            self.clock,
            redis=self.redis,
            spawn=self.inflight.spawn,
            on_refusal=self.metrics.webhook_refused,
            on_user_event=self.panel_cache.forget,
            events=self.panel_events,
        )
        if settings.backup.interval_hours:
            self.scheduler.add(
                Job(
                    "backup",
                    settings.backup.interval_hours * 3600.0,
                    self._scheduled_backup,
                    first_delay=600.0,
                )
            )
        self._build_renewals()
        self.payment_webhooks = PaymentWebhooks(
            self.providers,
            self.settlement.settle,
            trusted_proxies=settings.web.trusted_proxies,
            on_refusal=self.metrics.webhook_refused,
        )

    def _build_tax_receipts(self) -> None:
        """Self-employed tax receipts: the queue written by settlement and worked by a job."""
        receipts = self.settings.tax_receipts
        self.tax_receipts = TaxReceipts(
            self.db,
            self.clock,
            receipts,
            NalogoClient(receipts, self.clock),
            messages=TaxReceiptMessages(self.bot, self.locales, self.renderer),
            shop_log=self.log_chat,
        )

    def _build_promos(self) -> None:
        """Promo codes for customers (None when switched off), their admin, and ad campaigns."""
        settings = self.settings
        sales = settings.sales
        self.promos: PromoService | None = None
        if settings.promos.enabled:
            self.promos = PromoService(
                self.db,
                self.panel,
                self.panel_link,
                self.clock,
                access=self.access,
                reservation=timedelta(minutes=settings.promos.reservation_minutes),
                balance_currency=sales.balance_currency if sales.balance_enabled else None,
            )
        self.promo_admin = PromoAdmin(
            self.db, self.clock, self.catalogue, default_currency=sales.balance_currency
        )
        self.campaign_admin = CampaignAdmin(self.db, default_currency=sales.balance_currency)

    def _build_admin_tools(self) -> None:
        """Broadcasts (a background worker) and the panel sync (on demand and scheduled)."""
        settings = self.settings.broadcasts
        self.broadcasts = Broadcasts(self.db, self.clock, on_change=lambda: self.broadcast_worker.wake())
        self.broadcast_worker = BroadcastWorker(
            self.db,
            self.broadcasts,
            TelegramBroadcastSender(self.bot, paid=settings.paid),
            TelegramBroadcastReporter(self.bot, self.locales),
            RedisLock(self.redis) if self.redis is not None else MemoryLock(),
            self.clock,
            rate=settings.effective_rate(),
            progress_seconds=settings.progress_seconds,
            lock_seconds=settings.lock_seconds,
            on_send=self.metrics.broadcast_message,
        )
        sync = self.settings.panel_sync
        self.panel_sync = PanelSync(
            self.db,
            self.panel,
            self.clock,
            concurrency=sync.concurrency,
            page_size=sync.page_size,
            username_prefix=self.settings.panel.username_prefix,
            default_language=self.settings.shop.default_language,
            spawn=self.inflight.spawn,
        )
        if sync.interval_minutes:
            self.scheduler.add(
                Job(
                    "panel-sync",
                    sync.interval_minutes * 60.0,
                    self.panel_sync.run_scheduled,
                    first_delay=60.0,
                )
            )
        self.light_sync = LightSync(self.panel, self.panel_sync, self.clock)
        if sync.light_interval_minutes and not self.panel_webhooks.enabled:
            # Without webhooks nothing tells the shop about changes made in the panel: look for them.
            self.scheduler.add(
                Job(
                    "panel-light-sync",
                    sync.light_interval_minutes * 60.0,
                    self.light_sync.run,
                    first_delay=45.0,
                )
            )

    def _build_renewals(self) -> None:
        """Auto-renewal (with its scheduler job) and gifts."""
        renewal = self.settings.renewal
        sales = self.settings.sales
        messages = RenewalMessages(self.bot, self.locales, self.renderer)
        self.gifts: GiftService | None = None
        if renewal.gifts_enabled:
            self.gifts = GiftService(
                self.db, self.catalogue, self.clock, notifier=messages, lifecycle=self.lifecycle
            )
            self.fulfilment.kinds.register(OrderKind.GIFT.value, self.gifts)
        self.autorenew: AutoRenewalService | None = None
        if renewal.autorenew_enabled:
            chargers = {n: p for n, p in self.providers.items() if isinstance(p, SavedMethodCharges)}
            self.autorenew = AutoRenewalService(
                self.db,
                self.catalogue,
                self.clock,
                renewal,
                chargers=chargers,
                settle=self.settlement.settle,
                lifecycle=self.lifecycle,
                notifier=messages,
                balance_currency=sales.balance_currency if sales.balance_enabled else None,
            )
            self.scheduler.add(
                Job("autorenew", float(renewal.interval_seconds), self.autorenew.run_due, first_delay=45.0)
            )
        subscribe_order_events(
            self.order_events,
            Reactions(
                fulfilment=self.fulfilment,
                metrics=self.metrics,
                admins=self.notifier,
                customers=self.notifier,
                spawn=self.inflight.spawn,
                remember_card=self.autorenew.remember_card if self.autorenew is not None else None,
                referral_reward=self.referrals.reward if self.settings.referrals.enabled else None,
                gift_notice=self.gifts.on_fulfilled if self.gifts is not None else None,
                # a receipt is registered now rather than at the job's next period
                tax_receipts_now=(
                    partial(self.scheduler.run_now, "tax-receipts") if self.tax_receipts.enabled else None
                ),
                undo=(
                    ("referral-rewards", ReferralRefunds(self.db, self.access, self.clock, self.notifier)),
                ),
            ),
        )

    async def _scheduled_backup(self) -> None:
        await backup_and_rotate(
            backup_sources(self.settings), self.settings.backup, progress=log.info, deliver=self._send_backup
        )

    async def _send_backup(self, path: Path) -> None:
        if not self.settings.backup.send_to_admins:
            return
        if (await asyncio.to_thread(path.stat)).st_size > 50 * 1024 * 1024:
            log.warning("the backup is too large to send through Telegram (50 MB)")
            return
        for admin in self.settings.telegram.admin_ids:
            try:
                await self.bot.send_document(admin, FSInputFile(path))
            except TelegramAPIError as exc:
                log.warning("could not send a backup to an admin: %s", exc.message)

    def _storage(self) -> BaseStorage:
        if self.redis is not None:
            ttl = self.settings.redis.state_ttl_seconds
            return RedisStorage(self.redis, state_ttl=ttl, data_ttl=ttl)
        return MemoryStorage()

    def _dispatcher(self) -> Dispatcher:
        isolation = (
            self.storage.create_isolation()
            if isinstance(self.storage, RedisStorage)
            else SimpleEventIsolation()
        )
        dp = Dispatcher(storage=self.storage, events_isolation=isolation)
        # aiogram registers its FSM middleware (which takes the per-chat isolation lock) at construction;
        # move it behind metrics, in-flight tracking and the rate limiter, so that a flood is dropped
        # before it waits for locks, Redis connections or the database.
        dp.update.outer_middleware.unregister(dp.fsm)
        if self.settings.use_webhook:
            dp.update.outer_middleware(ConcurrencyLimitMiddleware(self.settings.telegram.update_concurrency))
        install_metrics_middleware(dp, self.metrics)
        dp.update.outer_middleware(InFlightMiddleware(self.inflight))
        if self.throttle is not None:
            dp.update.outer_middleware(self.throttle)
        dp.update.outer_middleware(dp.fsm)
        dp.update.outer_middleware(
            CustomerMiddleware(self.accounts, self.locales, frozenset(self.settings.telegram.admin_ids))
        )
        dp.update.outer_middleware(SettingsMiddleware(self.effective, self.menu, self.locales))
        dp.message.outer_middleware(CommandEndsConversation())
        install_channel_gate(
            dp,
            self.channel_gate,
            self.settings.channel_gate,
            self.locales,
            frozenset(self.settings.telegram.admin_ids),
        )
        dp.include_router(admin_router(self.settings.telegram.admin_ids))
        dp.include_router(user_router())
        dp.include_router(error_router(self.locales, self.renderer, self.log_chat))
        dp.workflow_data.update(
            accounts=self.accounts,
            subscriptions=self.subscriptions,
            device_service=self.devices,
            renderer=self.renderer,
            locales=self.locales,
            checkout=self.checkout,
            order_admin=self.order_admin,
            statistics=self.statistics,
            customer_admin=self.customer_admin,
            balance=self.balance,
            settlement=self.settlement,
            menu=self.menu,
            clock=self.clock,
            referrals=self.referrals if self.settings.referrals.enabled else None,
            effective_settings=self.effective,
            shop_health=self.shop_health,
            backup_shelf=self.backup_shelf,
            promos=self.promos,
            promo_admin=self.promo_admin,
            campaign_admin=self.campaign_admin,
            broadcasts=self.broadcasts,
            panel_sync=self.panel_sync,
            autorenew=self.autorenew,
            autorenew_enabled=self.autorenew is not None,
            gifts=self.gifts,
            gifts_enabled=self.gifts is not None,
            tax_receipts=self.tax_receipts,
            cabinet_links=self.cabinet.links if self.cabinet is not None else None,
        )
        return dp

    def _probes(self) -> dict[str, Probe]:
        probes: dict[str, Probe] = {"database": self.db.ping, "panel": self.panel.system_stats}
        if self.redis is not None:
            redis = self.redis

            async def redis_ping() -> object:
                return await redis.ping()  # type: ignore[misc]

            probes["redis"] = redis_ping
        return probes

    def _web_app(self) -> web.Application:
        app = web.Application(
            client_max_size=1024 * 1024,
            middlewares=[web_gate(self.inflight, lambda: self.health.accepting)],
        )
        self.health.register_public(app)
        self.payment_webhooks.register(app)
        self.panel_webhooks.register(app)
        if self.cabinet is not None:
            self.cabinet.web.register(app)
        if self.settings.use_webhook:
            SettleFirstRequestHandler(
                self.dispatcher,
                self.bot,
                secret_token=webhook_secret(self.settings),
                intake=self.payment_intake,
            ).register(app, path=self.settings.telegram.webhook_path)
        return app

    def _private_web_app(self) -> web.Application:
        """The private listener (METRICS_HOST:METRICS_PORT): /metrics, and /readyz with details."""
        app = web.Application(client_max_size=64 * 1024)
        self.health.register_private(app)
        self.metrics.register(app)
        return app

    async def start(self) -> None:
        """Start the web servers, then take updates (webhook or long polling)."""
        if self.loop_guard is not None:
            await self.loop_guard.start()
        web_settings = self.settings.web
        self._private_runner = web.AppRunner(self._private_web_app(), access_log=None)
        await self._private_runner.setup()
        await web.TCPSite(self._private_runner, web_settings.metrics_host, web_settings.metrics_port).start()
        self.metrics_port = int(self._private_runner.addresses[0][1])
        log.info("metrics listening", extra={"host": web_settings.metrics_host, "port": self.metrics_port})
        self._runner = web.AppRunner(self.web_app, access_log=None)
        await self._runner.setup()
        # several workers of one shop share the port (run --workers): the kernel spreads connections
        site = web.TCPSite(
            self._runner, web_settings.host, web_settings.port, reuse_port=self.workers > 1 or None
        )
        await site.start()
        for address in self._runner.addresses:
            self.port = int(address[1])
        log.info("web server listening", extra={"host": web_settings.host, "port": self.port})
        me = await self.bot.get_me()
        self.bot_username = me.username
        if not self.settings.sales.return_url:
            self.provider_context.return_url = f"https://t.me/{me.username}"
        await self._set_commands()
        self.scheduler.start()
        self.broadcast_worker.start()
        allowed = self.dispatcher.resolve_used_update_types()
        if self.settings.use_webhook:
            url = f"{self.settings.telegram.webhook_base_url}{self.settings.telegram.webhook_path}"
            await self.bot.set_webhook(
                url,
                secret_token=webhook_secret(self.settings),
                allowed_updates=allowed,
                drop_pending_updates=self.settings.telegram.drop_pending_updates,
            )
            log.info("taking updates by webhook")
        else:
            await self.bot.delete_webhook(drop_pending_updates=self.settings.telegram.drop_pending_updates)
            self._polling = asyncio.create_task(
                self.dispatcher.start_polling(
                    self.bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=allowed,
                    tasks_concurrency_limit=self.settings.telegram.update_concurrency,
                ),
                name="polling",
            )
            log.info("taking updates by long polling")

    async def _set_commands(self) -> None:
        for language in SUPPORTED_LANGUAGES:
            t = self.locales.get(language)
            commands = [BotCommand(command=name, description=t(f"cmd-{name}")) for name in COMMANDS]
            await self.bot.set_my_commands(commands, language_code=language)
            if language == self.settings.shop.default_language:
                await self.bot.set_my_commands(commands)
        for admin in self.settings.telegram.admin_ids:
            scope = BotCommandScopeChat(chat_id=admin)
            try:
                # each admin reads the menu in their Telegram language (the shop's default otherwise)
                for code in ("", *SUPPORTED_LANGUAGES):
                    tr = self.locales.get(code or None)
                    admin_commands = [
                        BotCommand(command=name, description=tr(f"cmd-{name}"))
                        for name in (*COMMANDS, *ADMIN_COMMANDS)
                    ]
                    await self.bot.set_my_commands(admin_commands, scope=scope, language_code=code or None)
            except TelegramAPIError as exc:  # e.g. an admin who has not started the bot yet
                log.info("could not set the admin commands for %s: %s", admin, exc.message)

    async def stop(self) -> None:
        """Stop taking updates, let in-flight work finish, close every connection."""
        if self._stopped:
            return
        self._stopped = True
        self.health.accepting = False
        if self._polling is not None:
            with suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            with suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        deadline = self.settings.web.shutdown_timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self.broadcast_worker.stop()
        await self.scheduler.stop(timeout=deadline)
        drained = await self.inflight.drain(max(0.1, deadline - (loop.time() - started)))
        if not drained:
            log.warning("some work was cancelled at shutdown")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._private_runner is not None:
            await self._private_runner.cleanup()
            self._private_runner = None
        if self.throttle is not None:
            await self.throttle.close()
        for provider in self.providers.values():
            await provider.close()
        await self.tax_receipts.close()
        await self.bot.session.close()
        await self.panel.close()
        await self.storage.close()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)
        await self.db.dispose()
        if self.loop_guard is not None:
            await self.loop_guard.stop()
        log.info("stopped")
