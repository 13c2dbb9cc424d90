"""Builds the cabinet from the shop's own objects (called once by the composition root)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from remnastore.cabinet.auth import LinkTokens, cabinet_secret
from remnastore.cabinet.links import CabinetLinks
from remnastore.cabinet.routes import CabinetServices, CabinetWeb
from remnastore.cabinet.sessions import CabinetAccess
from remnastore.infra.ratelimit import KEY_PREFIX, Limits, MemoryRateLimiter, RateLimiter, RedisRateLimiter

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from remnastore.app import Application

log = logging.getLogger(__name__)

#: an address may make this many times a session's requests (several people behind one NAT)
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Cabinet:
    access: CabinetAccess
    links: CabinetLinks
    web: CabinetWeb


def _limiter(redis: Redis | None, events: int, name: str) -> RateLimiter:
    limits = Limits(events=events, window=60.0, ban=120.0, strikes=3)
    if redis is not None:
        return RedisRateLimiter(redis, limits, prefix=f"{KEY_PREFIX}cabinet-{name}:")
    return MemoryRateLimiter(limits)


def build_cabinet(app: Application) -> Cabinet | None:
    """The cabinet when it is switched on and the shop has a public address; else None."""
    settings = app.settings
    config = settings.cabinet
    if not config.enabled:
        return None
    public = settings.sales.public_url or settings.telegram.webhook_base_url
    if not public:
        log.warning("CABINET_ENABLED is set but PUBLIC_URL is not: the cabinet is off")
        return None
    token = settings.telegram.bot_token.get_secret_value()
    access = CabinetAccess(
        app.db,
        app.clock,
        app.accounts,
        bot_token=token,
        links=LinkTokens(cabinet_secret(token)),
        link_ttl=timedelta(minutes=config.link_minutes),
        session_ttl=timedelta(days=config.session_days),
        init_data_age=timedelta(seconds=config.init_data_seconds),
    )
    links = CabinetLinks(access, public)
    services = CabinetServices(
        access=access,
        links=links,
        accounts=app.accounts,
        subscriptions=app.subscriptions,
        devices=app.devices if settings.shop.devices_enabled else None,
        checkout=app.checkout,
        balance=app.balance,
        promos=app.promos,
        referrals=app.referrals if settings.referrals.enabled else None,
        bot_username=lambda: app.bot_username,
    )
    web = CabinetWeb(
        services,
        config,
        app.locales,
        timezone=settings.shop.timezone,
        support_url=settings.links.support,
        trusted_proxies=settings.web.trusted_proxies,
        per_address=_limiter(app.redis, config.requests_per_minute * ADDRESS_FACTOR, "ip"),
        per_session=_limiter(app.redis, config.requests_per_minute, "session"),
    )
    return Cabinet(access, links, web)
