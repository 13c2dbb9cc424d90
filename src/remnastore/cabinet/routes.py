"""The cabinet's pages on the shop's web server (an aiohttp sub-application mounted at /cabinet).

The screens live in modules of their own (``sign_in``, ``subscription``, ``buying``, ``addons``,
``account``); they are thin: they read the session and the form, call the same services as the bot and
render a Jinja2 template (``pages``). Every request passes the ``guard`` first: every state-changing
request is a POST that carries the session's CSRF token; every request is rate limited per address and
per session; a customer only ever reaches their own data, because every lookup starts from the session's
customer.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from remnastore.cabinet.account import AccountScreens
from remnastore.cabinet.addons import AddonScreens
from remnastore.cabinet.buying import BuyingScreens
from remnastore.cabinet.guard import Guard
from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import HERE, CabinetServices, Pages
from remnastore.cabinet.settings import CabinetSettings
from remnastore.cabinet.sign_in import SignInScreens
from remnastore.cabinet.subscription import SubscriptionScreens
from remnastore.infra.ratelimit import RateLimiter
from remnastore.locales import Locales

__all__ = ["CabinetServices", "CabinetWeb"]

MAX_FORM = 16 * 1024


class CabinetWeb:
    def __init__(
        self,
        services: CabinetServices,
        settings: CabinetSettings,
        locales: Locales,
        *,
        timezone: str,
        support_url: str | None,
        trusted_proxies: Sequence[str] = (),
        per_address: RateLimiter | None = None,
        per_session: RateLimiter | None = None,
    ) -> None:
        self.pages = Pages(services, settings, locales, timezone=timezone, support_url=support_url)
        self.guard = Guard(
            self.pages, trusted_proxies=trusted_proxies, per_address=per_address, per_session=per_session
        )
        self.screens = (
            SubscriptionScreens(self.pages),
            SignInScreens(self.pages, self.guard.client_address),
            BuyingScreens(self.pages),
            AddonScreens(self.pages),
            AccountScreens(self.pages),
        )

    def register(self, app: web.Application) -> None:
        sub = web.Application(client_max_size=MAX_FORM, middlewares=[self.guard.middleware])
        for screens in self.screens:
            screens.register(sub.router)
        sub.router.add_static("/static", HERE / "static", append_version=False)
        app.add_subapp(PREFIX, sub)
