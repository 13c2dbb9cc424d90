"""Running the shop: admin tools, broadcasts, the panel sync and events, reminders, health, backups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from remnastore import __version__
from remnastore.bot.backup_delivery import TelegramBackupDelivery
from remnastore.bot.broadcasts import TelegramBroadcastReporter, TelegramBroadcastSender
from remnastore.bot.panel_event_messages import TelegramPanelEventSender
from remnastore.bot.reminders import TelegramReminderSender
from remnastore.cabinet.links import CabinetLinks
from remnastore.domain.catalogue import uses_example_catalogue
from remnastore.infra.probes import Probe
from remnastore.ops.backup_cli import backup_sources
from remnastore.ops.check import check_provider
from remnastore.ops.scheduled_backup import ScheduledBackup
from remnastore.services.backups import BackupShelf
from remnastore.services.broadcast_worker import BroadcastWorker
from remnastore.services.broadcasts import Broadcasts
from remnastore.services.channel_gate import ChannelGate
from remnastore.services.customer_admin import CustomerAdmin
from remnastore.services.light_sync import LightSync
from remnastore.services.panel_events import PanelEvents
from remnastore.services.panel_state import PanelState
from remnastore.services.panel_sync import PanelSync
from remnastore.services.reminders import ReminderService
from remnastore.services.shop_health import ShopHealth
from remnastore.services.statistics import Statistics
from remnastore.web.health import HealthRoutes
from remnastore.web.panel_webhooks import PanelWebhooks
from remnastore.wiring.core import Core
from remnastore.wiring.customers import Customers
from remnastore.wiring.providers import Providers


@dataclass
class Operations:
    statistics: Statistics
    customer_admin: CustomerAdmin
    broadcasts: Broadcasts
    broadcast_worker: BroadcastWorker
    panel_sync: PanelSync
    light_sync: LightSync
    panel_state: PanelState
    reminders: ReminderService
    panel_events: PanelEvents
    panel_webhooks: PanelWebhooks
    channel_gate: ChannelGate | None
    health: HealthRoutes
    shop_health: ShopHealth
    backup_shelf: BackupShelf
    backup: ScheduledBackup


def probes(core: Core) -> dict[str, Probe]:
    """What /readyz and the admin's health screen ask."""
    found: dict[str, Probe] = {"database": core.db.ping, "panel": core.panel.system_stats}
    if core.redis is not None:
        redis = core.redis

        async def redis_ping() -> object:
            return await redis.ping()  # type: ignore[misc]

        found["redis"] = redis_ping
    return found


def build_broadcasts(core: Core) -> tuple[Broadcasts, BroadcastWorker]:
    """Broadcasts and their background worker (woken whenever a broadcast changes)."""
    settings = core.settings.broadcasts
    worker: BroadcastWorker | None = None
    broadcasts = Broadcasts(core.db, core.clock, on_change=lambda: worker.wake() if worker else None)
    worker = BroadcastWorker(
        core.db,
        broadcasts,
        TelegramBroadcastSender(core.bot, paid=settings.paid),
        TelegramBroadcastReporter(core.bot, core.locales),
        core.cluster_lock(),
        core.clock,
        rate=settings.effective_rate(),
        progress_seconds=settings.progress_seconds,
        lock_seconds=settings.lock_seconds,
        on_send=core.metrics.broadcast_message,
    )
    return broadcasts, worker


def build_panel_watch(
    core: Core, customers: Customers, cabinet_links: CabinetLinks | None = None
) -> tuple[PanelState, ReminderService, PanelEvents, PanelWebhooks]:
    """The stored view of the panel's users, the reminders checked against it (with a cabinet sign-in
    link when the cabinet is on), the panel's events."""
    settings = core.settings
    panel_state = PanelState(core.db, core.panel, core.clock)
    reminder_settings = settings.reminders
    reminders = ReminderService(
        core.db,
        TelegramReminderSender(core.bot, core.locales, core.renderer, cabinet_links=cabinet_links),
        core.clock,
        offsets=reminder_settings.offsets(),
        enabled=reminder_settings.enabled,
        expiry_check=panel_state,
    )
    traffic_addons = any(addon.kind == "traffic" for addon in customers.catalogue.addons)
    panel_events = PanelEvents(
        core.db,
        panel_state,
        TelegramPanelEventSender(core.bot, core.locales, traffic_addons=traffic_addons),
        core.clock,
        message_events=settings.panel_sync.event_messages,
    )
    panel_secret = settings.panel.webhook_secret
    panel_webhooks = PanelWebhooks(
        panel_secret.get_secret_value() if panel_secret is not None else None,
        reminders,
        core.clock,
        redis=core.redis,
        spawn=core.inflight.spawn,
        on_refusal=core.metrics.webhook_refused,
        on_user_event=core.panel_cache.forget,
        events=panel_events,
    )
    return panel_state, reminders, panel_events, panel_webhooks


def build_operations(
    core: Core, customers: Customers, providers: Providers, cabinet_links: CabinetLinks | None = None
) -> Operations:
    settings = core.settings
    panel_state, reminders, panel_events, panel_webhooks = build_panel_watch(core, customers, cabinet_links)
    customer_admin = CustomerAdmin(
        core.db,
        core.panel,
        customers.panel_link,
        core.clock,
        access=customers.access,
        refundable_providers=providers.refundable(),
        timezone=settings.shop.timezone,
        balance_currency=settings.sales.balance_currency,
    )
    customer_admin.device_limits = customers.device_limits
    broadcasts, broadcast_worker = build_broadcasts(core)
    sync = settings.panel_sync
    panel_sync = PanelSync(
        core.db,
        core.panel,
        core.clock,
        concurrency=sync.concurrency,
        page_size=sync.page_size,
        username_prefix=settings.panel.username_prefix,
        default_language=settings.shop.default_language,
        spawn=core.inflight.spawn,
    )
    channel_gate = ChannelGate.from_settings(settings.channel_gate, core.redis)
    if channel_gate is not None:
        channel_gate.on_lookup = lambda area, hit: core.metrics.cache(area, hit=hit)
    health = HealthRoutes(probes(core), version=__version__, cache_seconds=settings.web.readyz_cache_seconds)
    return Operations(
        statistics=Statistics(core.db, core.panel, core.clock, timezone=settings.shop.timezone),
        customer_admin=customer_admin,
        broadcasts=broadcasts,
        broadcast_worker=broadcast_worker,
        panel_sync=panel_sync,
        light_sync=LightSync(core.panel, panel_sync, core.clock),
        panel_state=panel_state,
        reminders=reminders,
        panel_events=panel_events,
        panel_webhooks=panel_webhooks,
        channel_gate=channel_gate,
        health=health,
        shop_health=ShopHealth(
            core.db,
            partial(health.check, max_age=0.0),  # an admin's Refresh probes again
            {f"payments:{name}": partial(check_provider, settings, name) for name in providers.by_name},
            core.clock,
            version=__version__,
            example_catalogue=uses_example_catalogue(settings.sales.catalogue_file),
        ),
        backup_shelf=BackupShelf(settings.backup, partial(backup_sources, settings)),
        backup=ScheduledBackup(
            settings,
            TelegramBackupDelivery(
                core.bot, settings.telegram.admin_ids, enabled=settings.backup.send_to_admins
            ),
        ),
    )
