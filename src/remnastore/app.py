"""The composition root: one shop process built from the builders in :mod:`remnastore.wiring`, started and
stopped in order.

The builders make the parts (core infrastructure, customers, providers, sales, operations, the jobs, the
order event subscribers, the dispatcher and the web listeners); the :class:`Application` keeps them and
owns start and stop. Nothing here decides anything about the business.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from aiohttp import web

from remnastore.bot.commands import set_commands
from remnastore.cabinet.app import Cabinet
from remnastore.config import Settings
from remnastore.infra.clock import Clock, SystemClock
from remnastore.payments.base import Provider
from remnastore.wiring.cabinet import build_shop_cabinet
from remnastore.wiring.core import Core, build_core
from remnastore.wiring.customers import Customers, build_customers
from remnastore.wiring.dispatcher import build_dispatcher, build_storage, build_throttle
from remnastore.wiring.jobs import Parts, build_scheduler
from remnastore.wiring.operations import Operations, build_operations
from remnastore.wiring.providers import Providers, build_providers
from remnastore.wiring.sales import Sales, build_sales
from remnastore.wiring.subscribers import register_subscribers
from remnastore.wiring.web import private_web_app, public_web_app, webhook_secret

__all__ = ["Application", "webhook_secret"]

log = logging.getLogger(__name__)


class Application:
    """One shop process: bot, web servers, scheduled jobs and background workers.

    The objects the builders made are reachable by name through their parts (``app.sales.checkout``)
    and, for tests and scripts, directly (``app.checkout``).
    """

    core: Core
    customers: Customers
    payment_providers: Providers
    sales: Sales
    ops: Operations

    def __init__(self, settings: Settings, *, clock: Clock | None = None, workers: int = 1) -> None:
        """``workers``: how many processes of this shop share one port (``run --workers``)."""
        self.settings = settings
        self.workers = workers
        self.core = build_core(settings, clock or SystemClock(), workers)
        self.customers = build_customers(self.core)
        self.payment_providers = build_providers(settings, self.core.bot)
        self.providers: dict[str, Provider] = self.payment_providers.by_name
        self.sales = build_sales(self.core, self.customers, self.payment_providers)
        self.cabinet: Cabinet | None = build_shop_cabinet(self.core, self.customers, self.sales)
        self.ops = build_operations(
            self.core,
            self.customers,
            self.payment_providers,
            self.cabinet.links if self.cabinet is not None else None,
        )
        self.scheduler = build_scheduler(self.core, Parts(settings, self.sales, self.ops, self.cabinet))
        register_subscribers(self.core, self.customers, self.sales, self.scheduler)
        self.storage = build_storage(self.core)
        self.throttle = build_throttle(self.core, self.customers)
        self.dispatcher = build_dispatcher(
            self.core, self.customers, self.sales, self.ops, self.storage, self.throttle, self.cabinet
        )
        self.web_app = public_web_app(self.core, self.sales, self.ops, self.dispatcher, self.cabinet)
        self._runner: web.AppRunner | None = None
        self._private_runner: web.AppRunner | None = None
        #: port of the private /metrics and /readyz listener, once started
        self.metrics_port: int | None = None
        self._polling: asyncio.Task[None] | None = None
        self._stopped = False
        self.port: int | None = None

    def __getattr__(self, name: str) -> Any:
        """An object of one of the parts by its name (``app.checkout`` is ``app.sales.checkout``)."""
        parts = self.__dict__
        for part in ("core", "customers", "sales", "ops"):
            if part in parts and hasattr(parts[part], name):
                return getattr(parts[part], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    async def start(self) -> None:
        """Start the web servers, then take updates (webhook or long polling)."""
        core, settings = self.core, self.settings
        if core.loop_guard is not None:
            await core.loop_guard.start()
        web_settings = settings.web
        self._private_runner = web.AppRunner(private_web_app(core, self.ops), access_log=None)
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
        me = await core.bot.get_me()
        core.bot_username = me.username
        self.payment_providers.bot_known(me.username)
        await set_commands(
            core.bot,
            core.locales,
            default_language=settings.shop.default_language,
            admin_ids=settings.telegram.admin_ids,
        )
        self.scheduler.start()
        self.ops.broadcast_worker.start()
        allowed = self.dispatcher.resolve_used_update_types()
        telegram = settings.telegram
        if settings.use_webhook:
            await core.bot.set_webhook(
                f"{telegram.webhook_base_url}{telegram.webhook_path}",
                secret_token=webhook_secret(settings),
                allowed_updates=allowed,
                drop_pending_updates=telegram.drop_pending_updates,
            )
            log.info("taking updates by webhook")
        else:
            await core.bot.delete_webhook(drop_pending_updates=telegram.drop_pending_updates)
            self._polling = asyncio.create_task(
                self.dispatcher.start_polling(
                    core.bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=allowed,
                    tasks_concurrency_limit=telegram.update_concurrency,
                ),
                name="polling",
            )
            log.info("taking updates by long polling")

    async def stop(self) -> None:
        """Stop taking updates, let in-flight work finish, close every connection."""
        if self._stopped:
            return
        self._stopped = True
        core = self.core
        self.ops.health.accepting = False
        if self._polling is not None:
            with suppress(RuntimeError):
                await self.dispatcher.stop_polling()
            with suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        deadline = self.settings.web.shutdown_timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        await self.ops.broadcast_worker.stop()
        await self.scheduler.stop(timeout=deadline)
        drained = await core.inflight.drain(max(0.1, deadline - (loop.time() - started)))
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
        await self.payment_providers.close()
        await self.sales.tax_receipts.close()
        await core.bot.session.close()
        await core.panel.close()
        await self.storage.close()
        if core.redis is not None:
            await core.redis.aclose(close_connection_pool=True)
        await core.db.dispose()
        if core.loop_guard is not None:
            await core.loop_guard.stop()
        log.info("stopped")
