"""Buying and renewing: the catalogue's tariffs and periods with their methods, starting an order (a
payment page, Telegram's payment sheet inside the Mini App, or the balance), and the return page that
follows the order until it is fulfilled."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from remnastore.cabinet.addons import addon_offers
from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import ORDER_COOKIE, Pages, redirect
from remnastore.cabinet.render import PageText
from remnastore.cabinet.subscription import summary
from remnastore.domain.errors import DomainError
from remnastore.services.checkout import BALANCE, PaidFromBalance

log = logging.getLogger(__name__)

#: what the return page follows besides a subscription, and the flag its status address carries
ORDER_KINDS = ("topup", "addon")


class BuyingScreens:
    def __init__(self, pages: Pages) -> None:
        self._pages = pages

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/buy", self.buy_page)
        router.add_post("/buy", self.buy)
        router.add_get("/return", self.after_payment)
        router.add_get("/orders/{order_id}", self.order_status)

    def _offers(self, text: PageText) -> list[dict[str, Any]]:
        """Tariffs and periods on sale with the methods that have a payment page (or the balance)."""
        checkout = self._pages.s.checkout
        offers: list[dict[str, Any]] = []
        for tariff in checkout.catalogue.tariffs:
            periods = []
            for period in tariff.periods:
                methods = [
                    {
                        "code": m.provider,
                        "name": text.provider(m.provider),
                        "price": text.money(m.price),
                        # paid with Telegram's own payment sheet: offered inside the Mini App only
                        "in_telegram": m.provider != BALANCE and checkout.pays_in_telegram(m.provider),
                    }
                    for m in checkout.methods(period)
                ]
                if methods:
                    periods.append({"code": period.code, "name": text.period(period), "methods": methods})
            if periods:
                offers.append(
                    {
                        "code": tariff.code,
                        "name": tariff.name(text.language),
                        "description": tariff.description(text.language),
                        "periods": periods,
                    }
                )
        return offers

    async def buy_page(self, request: web.Request) -> web.Response:
        pages = self._pages
        session = pages.session(request)
        text = pages.text(session.customer.language)
        addons = await addon_offers(pages, session.customer, text)
        return pages.page(request, session, "buy.html", offers=self._offers(text), addons=addons)

    async def buy(self, request: web.Request) -> web.StreamResponse:
        pages = self._pages
        session, form = await pages.form(request)
        customer = session.customer
        text = pages.text(customer.language)
        checkout = pages.s.checkout
        method = form.get("method", "")
        # an invoice paid in Telegram's payment sheet: asked for by the Mini App's script only
        in_telegram = method != BALANCE and checkout.pays_in_telegram(method)
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if in_telegram != wants_json:
            raise web.HTTPBadRequest()
        try:
            tariff, period = checkout.item(form.get("tariff", ""), form.get("period", ""))
            period_text = text.period(period)
            started = await checkout.start(
                customer,
                tariff.code,
                period.code,
                method,
                description=str(
                    text.t("invoice-title", tariff=tariff.name(text.language), period=period_text)
                ),
                details=str(
                    text.t(
                        "invoice-details",
                        period=period_text,
                        description=tariff.description(text.language) or tariff.name(text.language),
                    )
                ),
                return_url=f"{pages.s.links.base}/return",
            )
        except DomainError as exc:
            return pages.page(request, session, "notice.html", status=400, message=text.error(exc))
        log.info("cabinet: order started", extra={"order_id": started.order_id, "customer_id": customer.id})
        response: web.Response
        if in_telegram and not isinstance(started, PaidFromBalance):
            response = web.json_response({"invoice": started.pay_url, "next": f"{PREFIX}/return"})
        else:
            target = f"{PREFIX}/return" if isinstance(started, PaidFromBalance) else started.pay_url
            response = redirect(target)
        pages.remember_order(response, "", started.order_id)
        return response

    async def after_payment(self, request: web.Request) -> web.Response:
        session = self._pages.session(request)
        kept = request.cookies.get(ORDER_COOKIE, "")[:80]
        kind, _, order_id = kept.rpartition(":")
        status_url = f"{PREFIX}/orders/{order_id}" + (f"?{kind}=1" if kind in ORDER_KINDS else "")
        return self._pages.page(
            request, session, "return.html", order_id=order_id or None, status_url=status_url
        )

    async def order_status(self, request: web.Request) -> web.Response:
        """One order of the session's customer: asked of the provider while pending; the expiry once
        the subscription is extended. Another customer's order is "not found"."""
        pages = self._pages
        session = pages.session(request)
        customer = session.customer
        text = pages.text(customer.language)
        try:
            status = await pages.s.checkout.refresh(customer, request.match_info["order_id"][:64])
        except DomainError:
            raise web.HTTPNotFound() from None
        body: dict[str, Any] = {
            "status": status,
            "done": status in {"fulfilled", "expired", "failed", "refunded"},
        }
        body["text"] = (
            str(text.t(f"cabinet-order-{status}")) if text.t.has(f"cabinet-order-{status}") else status
        )
        if status == "fulfilled" and request.query.get("topup") and pages.s.balance is not None:
            balance = (await pages.s.balance.overview(customer, limit=1)).balance
            body["balance_text"] = str(text.t("cabinet-topup-done", balance=text.money(balance)))
        elif status == "fulfilled" and request.query.get("addon"):
            body["addon_text"] = str(text.t("cabinet-addon-done"))
        elif status == "fulfilled":
            current = await summary(pages, customer, text)
            body.update(current)
            if current["expires"]:
                body["expiry_text"] = str(text.t("cabinet-return-new-expiry", expires=current["expires"]))
        return web.json_response(body, headers={"Cache-Control": "no-store"})
