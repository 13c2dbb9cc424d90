"""The customer cabinet (web pages and Mini App), when switched on: built from the customers' and sales'
services; its menu button is shown only when it exists."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from remnastore.cabinet.app import ADDRESS_FACTOR, Cabinet, cabinet_limiter
from remnastore.cabinet.auth import LinkTokens, cabinet_secret
from remnastore.cabinet.codes import SignInCodes, address_limits, code_limits
from remnastore.cabinet.links import CabinetLinks
from remnastore.cabinet.pages import CabinetServices
from remnastore.cabinet.routes import CabinetWeb
from remnastore.cabinet.sessions import CabinetAccess
from remnastore.wiring.core import Core
from remnastore.wiring.customers import Customers
from remnastore.wiring.sales import Sales

log = logging.getLogger(__name__)


def build_cabinet(core: Core, customers: Customers, sales: Sales) -> Cabinet | None:
    """The cabinet when it is switched on and the shop has a public address; else None."""
    settings = core.settings
    config = settings.cabinet
    if not config.enabled:
        return None
    public = settings.sales.public_url or settings.telegram.webhook_base_url
    if not public:
        log.warning("CABINET_ENABLED is set but PUBLIC_URL is not: the cabinet is off")
        return None
    token = settings.telegram.bot_token.get_secret_value()
    access = CabinetAccess(
        core.db,
        core.clock,
        customers.accounts,
        bot_token=token,
        links=LinkTokens(cabinet_secret(token)),
        link_ttl=timedelta(minutes=config.link_minutes),
        reminder_link_ttl=timedelta(hours=config.reminder_link_hours),
        session_ttl=timedelta(days=config.session_days),
        init_data_age=timedelta(seconds=config.init_data_seconds),
    )
    links = CabinetLinks(access, public)
    codes = None
    if config.code_sign_in:
        code_ttl = timedelta(minutes=config.code_minutes)
        codes = SignInCodes(
            core.db,
            core.clock,
            access,
            secret=cabinet_secret(token),
            ttl=code_ttl,
            per_code=cabinet_limiter(core.redis, code_limits(code_ttl), "code"),
            per_address=cabinet_limiter(core.redis, address_limits(), "code-ip"),
        )
    services = CabinetServices(
        access=access,
        links=links,
        accounts=customers.accounts,
        subscriptions=customers.subscriptions,
        devices=customers.devices if settings.shop.devices_enabled else None,
        checkout=sales.checkout,
        balance=sales.balance,
        promos=sales.promos,
        referrals=sales.referrals if settings.referrals.enabled else None,
        bot_username=lambda: core.bot_username,
        codes=codes,
    )
    web = CabinetWeb(
        services,
        config,
        core.locales,
        timezone=settings.shop.timezone,
        support_url=settings.links.support,
        trusted_proxies=settings.web.trusted_proxies,
        per_address=cabinet_limiter(core.redis, config.requests_per_minute * ADDRESS_FACTOR, "ip"),
        per_session=cabinet_limiter(core.redis, config.requests_per_minute, "session"),
    )
    return Cabinet(access, links, web, codes)


def build_shop_cabinet(core: Core, customers: Customers, sales: Sales) -> Cabinet | None:
    cabinet = build_cabinet(core, customers, sales)
    if cabinet is not None:
        customers.menu = dataclasses.replace(customers.menu, cabinet_enabled=True)
    return cabinet
