"""The web listeners: the public one (Telegram and payment/panel webhooks, /healthz) and the private
one (/metrics, /readyz). A new route is registered here, next to the others."""

from __future__ import annotations

import hashlib

from aiogram import Dispatcher
from aiohttp import web

from remnastore.bot.webhook import SettleFirstRequestHandler
from remnastore.cabinet.app import Cabinet
from remnastore.config import Settings
from remnastore.infra.shutdown import web_gate
from remnastore.wiring.core import Core
from remnastore.wiring.operations import Operations
from remnastore.wiring.sales import Sales


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram echoes in every webhook call; derived from the bot token unless configured,
    so that every instance of one shop agrees on it without extra configuration."""
    if settings.telegram.webhook_secret is not None:
        return settings.telegram.webhook_secret.get_secret_value()
    token = settings.telegram.bot_token.get_secret_value()
    return hashlib.sha256(f"remnastore-webhook:{token}".encode()).hexdigest()


def public_web_app(
    core: Core, sales: Sales, ops: Operations, dispatcher: Dispatcher, cabinet: Cabinet | None = None
) -> web.Application:
    settings = core.settings
    health = ops.health
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[web_gate(core.inflight, lambda: health.accepting)],
    )
    health.register_public(app)
    sales.payment_webhooks.register(app)
    ops.panel_webhooks.register(app)
    if cabinet is not None:
        cabinet.web.register(app)
    if settings.use_webhook:
        SettleFirstRequestHandler(
            dispatcher,
            core.bot,
            secret_token=webhook_secret(settings),
            intake=sales.payment_intake,
        ).register(app, path=settings.telegram.webhook_path)
    return app


def private_web_app(core: Core, ops: Operations) -> web.Application:
    """The private listener (METRICS_HOST:METRICS_PORT): /metrics, and /readyz with details."""
    app = web.Application(client_max_size=64 * 1024)
    ops.health.register_private(app)
    core.metrics.register(app)
    return app
