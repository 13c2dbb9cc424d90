"""The infrastructure every other part uses: database, Redis, metrics, caches, panel client, bot."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from redis.asyncio import BlockingConnectionPool, Redis

from remnastore import __version__
from remnastore.bot.log_chat import LogChat
from remnastore.bot.render import Renderer
from remnastore.bot.send_budget import budget_for
from remnastore.bot.session import BotSession
from remnastore.config import Settings
from remnastore.db.session import Database
from remnastore.infra.cache import Cache
from remnastore.infra.clock import Clock
from remnastore.infra.cluster_lock import ClusterLock, MemoryLock, RedisLock
from remnastore.infra.io_counters import count_redis_round_trips, count_sql_statements
from remnastore.infra.loop_guard import LoopGuard
from remnastore.infra.metrics import Metrics
from remnastore.infra.shutdown import InFlight
from remnastore.locales import Locales
from remnastore.panel.watched import WatchedPanelClient
from remnastore.services.customer_cache import CustomerCache
from remnastore.services.panel_cache import PanelUserCache


@dataclass
class Core:
    settings: Settings
    clock: Clock
    db: Database
    redis: Redis | None
    metrics: Metrics
    loop_guard: LoopGuard | None
    inflight: InFlight
    cache: Cache
    customer_cache: CustomerCache
    panel_cache: PanelUserCache
    panel: WatchedPanelClient
    locales: Locales
    renderer: Renderer
    bot: Bot
    log_chat: LogChat
    #: the bot's @username, known once the shop has started (``getMe``)
    bot_username: str | None = None

    def cluster_lock(self) -> ClusterLock:
        """A lock shared by every instance (Redis), or this process's own."""
        return RedisLock(self.redis) if self.redis is not None else MemoryLock()


def build_core(settings: Settings, clock: Clock, workers: int = 1) -> Core:
    """``workers``: how many processes of this shop share the Telegram send budget (``run --workers``)."""
    db = Database(settings.database.url, pool_size=settings.database.pool_size, echo=settings.database.echo)
    redis: Redis | None = None
    if settings.redis.url:
        # A bounded pool: a burst of updates waits for a connection instead of opening thousands.
        pool = BlockingConnectionPool.from_url(
            settings.redis.url, max_connections=settings.redis.max_connections, timeout=10
        )
        redis = Redis(connection_pool=pool)
    metrics = Metrics(version=__version__)
    count_sql_statements(db.engine, metrics.registry)
    if redis is not None:
        count_redis_round_trips(redis.connection_pool, metrics.registry)
    hold = settings.log.loop_hold_seconds
    inflight = InFlight()
    cache = Cache(
        redis,
        max_local_entries=settings.performance.local_max_entries,
        on_lookup=lambda area, hit: metrics.cache(area, hit=hit),
    )
    customer_cache = CustomerCache(cache, settings.performance.customer_ttl_seconds)
    db.on_customers_changed = customer_cache.invalidate
    panel_cache = PanelUserCache(cache, settings.performance.panel_ttl_seconds)
    panel = settings.panel
    locales = Locales(settings.shop.default_language)
    bot = Bot(
        token=settings.telegram.bot_token.get_secret_value(),
        session=BotSession(
            budget_for(settings, workers),
            api=TelegramAPIServer.from_base(settings.telegram.api_url),
            timeout=settings.telegram.request_timeout,
        ),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    return Core(
        settings=settings,
        clock=clock,
        db=db,
        redis=redis,
        metrics=metrics,
        loop_guard=LoopGuard(hold, metrics.registry) if hold > 0 else None,
        inflight=inflight,
        cache=cache,
        customer_cache=customer_cache,
        panel_cache=panel_cache,
        panel=WatchedPanelClient(
            panel.url,
            panel.token.get_secret_value(),
            api_version=panel.api_version,
            extra_headers=panel.extra_headers,
            cookies=panel.cookies,
            timeout=panel.timeout,
            retries=panel.retries,
            on_call=metrics.panel_call,
            on_write=panel_cache.forget,
        ),
        locales=locales,
        renderer=Renderer(settings.shop.timezone),
        bot=bot,
        log_chat=LogChat(
            bot,
            locales,
            chat_id=settings.sales.log_chat_id,
            thread_id=settings.sales.log_thread_id,
            spawn=inflight.spawn,
        ),
    )
