"""The account screen: balance and top-up (an offered amount or a typed one), referral link and
earnings, promo code, language."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import Pages, notice_of, redirect
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.locales import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)


class AccountScreens:
    def __init__(self, pages: Pages) -> None:
        self._pages = pages

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/account", self.account)
        router.add_post("/promo", self.promo)
        router.add_post("/topup", self.topup)
        router.add_post("/language", self.language)

    async def account(self, request: web.Request) -> web.Response:
        pages = self._pages
        session = pages.session(request)
        customer = session.customer
        text = pages.text(customer.language)
        balance = None
        topup: dict[str, Any] | None = None
        service = pages.s.balance
        if service is not None:
            balance = text.money((await service.overview(customer, limit=1)).balance)
            low, high = service.bounds
            methods = self._topup_methods(low)
            if methods:
                topup = {
                    "amounts": [{"minor": a.minor, "name": text.money(a)} for a in service.topups],
                    "methods": [{"code": m, "name": text.provider(m)} for m in methods],
                    "low": text.money(low),
                    "high": text.money(high),
                }
        referral = None
        username = pages.s.bot_username()
        if pages.s.referrals is not None and username:
            stats = await pages.s.referrals.stats(customer.id)
            referral = {
                "link": f"https://t.me/{username}?start=ref_{customer.referral_code}",
                "invited": stats.invited,
                "paying": stats.paying,
                "earned": ", ".join(text.money(m) for m in stats.earned),
            }
        return pages.page(
            request,
            session,
            "account.html",
            balance=balance,
            topup=topup,
            referral=referral,
            promos=pages.s.promos is not None,
            notice=notice_of(request),
            message=None,
        )

    def _topup_methods(self, amount: Money) -> list[str]:
        """Providers with a payment page that take a top-up in the balance currency."""
        checkout = self._pages.s.checkout
        return [m for m in checkout.topup_methods(amount) if not checkout.pays_in_telegram(m)]

    async def topup(self, request: web.Request) -> web.StreamResponse:
        """Top up the balance by an offered amount, or a typed one (the bot's parser and bounds), with a
        method that has a payment page."""
        pages = self._pages
        session, form = await pages.form(request)
        balance = pages.s.balance
        if balance is None:
            raise web.HTTPNotFound()
        customer = session.customer
        text = pages.text(customer.language)
        method = form.get("method", "")
        try:
            if "typed" in form:
                amount: Money | None = balance.parse_amount(form["typed"][:64])
            else:
                amount = next((a for a in balance.topups if str(a.minor) == form.get("amount")), None)
            if amount is None:
                raise web.HTTPBadRequest()
            if method not in self._topup_methods(amount):
                raise DomainError("checkout-method-unavailable")
            started = await pages.s.checkout.start_topup(
                customer,
                amount,
                method,
                description=str(text.t("balance-topup-title", amount=text.money(amount))),
                return_url=f"{pages.s.links.base}/return",
            )
        except DomainError as exc:
            return pages.page(request, session, "notice.html", status=400, message=text.error(exc))
        log.info("cabinet: top-up started", extra={"order_id": started.order_id, "customer_id": customer.id})
        response = redirect(started.pay_url)
        pages.remember_order(response, "topup", started.order_id)
        return response

    async def promo(self, request: web.Request) -> web.Response:
        pages = self._pages
        session, form = await pages.form(request)
        text = pages.text(session.customer.language)
        if pages.s.promos is None:
            raise web.HTTPNotFound()
        try:
            redeemed = await pages.s.promos.redeem(session.customer, form.get("code", "")[:64])
        except DomainError as exc:
            return pages.page(request, session, "notice.html", status=400, message=text.error(exc))
        if redeemed.days and redeemed.expires_at is not None:
            message = text("cabinet-promo-days", days=redeemed.days, expires=text.when(redeemed.expires_at))
        elif redeemed.credit is not None:
            message = text("cabinet-promo-credit", amount=text.money(redeemed.credit))
        else:
            message = text("cabinet-promo-discount")
        return pages.page(request, session, "notice.html", message=message)

    async def language(self, request: web.Request) -> web.StreamResponse:
        session, form = await self._pages.form(request)
        language = form.get("language", "")
        if language not in SUPPORTED_LANGUAGES:
            raise web.HTTPBadRequest()
        await self._pages.s.accounts.set_language(session.customer, language)
        back = form.get("back", "")
        target = (
            back if back.startswith(f"{PREFIX}/") and "//" not in back and "\\" not in back else f"{PREFIX}/"
        )
        return redirect(target)
