"""Add-ons to an active paid subscription (more traffic, more devices), as the bot sells them: the
catalogue's add-ons this customer may buy, with every method that has a payment page or the balance."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import Pages, redirect
from remnastore.cabinet.render import PageText
from remnastore.domain.catalogue import Addon
from remnastore.domain.errors import DomainError
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import BALANCE
from remnastore.services.order_placement import MethodOption

log = logging.getLogger(__name__)


def _methods(pages: Pages, addon: Addon) -> list[MethodOption]:
    """The add-on's methods that work in a browser: a payment page, or the balance."""
    checkout = pages.s.checkout
    return [
        m
        for m in checkout.addon_methods(addon)
        if m.provider == BALANCE or not checkout.pays_in_telegram(m.provider)
    ]


async def addon_offers(pages: Pages, customer: CustomerView, text: PageText) -> list[dict[str, Any]]:
    """The add-ons this customer may buy now, each with its methods and prices."""
    offers = []
    for addon in await pages.s.checkout.addons_for(customer):
        methods = [
            {"code": m.provider, "name": text.provider(m.provider), "price": text.money(m.price)}
            for m in _methods(pages, addon)
        ]
        if methods:
            offers.append({"code": addon.code, "name": addon.name(text.language), "methods": methods})
    return offers


class AddonScreens:
    def __init__(self, pages: Pages) -> None:
        self._pages = pages

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post("/addons", self.buy)

    async def buy(self, request: web.Request) -> web.StreamResponse:
        """Start an add-on order: to its payment page, or (paid from the balance) to the return page."""
        pages = self._pages
        session, form = await pages.form(request)
        customer = session.customer
        text = pages.text(customer.language)
        checkout = pages.s.checkout
        method = form.get("method", "")
        try:
            addon = await checkout.addon(customer, form.get("addon", "")[:64])
            if method not in {m.provider for m in _methods(pages, addon)}:
                raise DomainError("checkout-method-unavailable")
            name = addon.name(text.language)
            started = await checkout.start_addon(
                customer,
                addon.code,
                method,
                description=str(text.t("addon-invoice-title", name=name)),
                details=str(text.t("addon-invoice-details", name=name)),
                return_url=f"{pages.s.links.base}/return",
            )
        except DomainError as exc:
            return pages.page(request, session, "notice.html", status=400, message=text.error(exc))
        log.info(
            "cabinet: add-on order started", extra={"order_id": started.order_id, "customer_id": customer.id}
        )
        response = redirect(started.pay_url or f"{PREFIX}/return")
        pages.remember_order(response, "addon", started.order_id)
        return response
