"""The cabinet's pages on the shop's web server (an aiohttp sub-application mounted at /cabinet).

Handlers are thin: they read the session and the form, call the same services as the bot (subscription
overview, devices, checkout, promo codes, accounts) and render a Jinja2 template. Every state-changing
request is a POST that carries the session's CSRF token; every request is rate limited per address and
per session; a customer only ever reaches their own data, because every lookup starts from the session's
customer.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from remnastore.cabinet.auth import SignInRefused
from remnastore.cabinet.guides import guide
from remnastore.cabinet.links import PREFIX, CabinetLinks
from remnastore.cabinet.render import PageText
from remnastore.cabinet.sessions import CabinetAccess, CabinetSession
from remnastore.cabinet.settings import CabinetSettings
from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.infra.ratelimit import RateLimiter
from remnastore.locales import SUPPORTED_LANGUAGES, Locales
from remnastore.services.accounts import AccountService, CustomerView
from remnastore.services.balance import BalanceService
from remnastore.services.checkout import BALANCE, Checkout, PaidFromBalance
from remnastore.services.devices import DeviceList, DeviceService
from remnastore.services.promos import PromoService
from remnastore.services.referrals import ReferralRewards
from remnastore.services.subscriptions import SubscriptionService
from remnastore.web.payments import client_ip

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "remnastore_cabinet"
ORDER_COOKIE = "remnastore_cabinet_order"
#: set when the session was opened inside Telegram (Mini App): pages then load Telegram's Web App script
MINI_APP_COOKIE = "remnastore_cabinet_tg"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
MAX_FORM = 16 * 1024
#: notices a redirect may ask a page to show (fixed codes, never free text from the address)
NOTICES = frozenset({"device-disconnected", "language-changed", "signed-out-everywhere"})
SESSION_KEY = web.RequestKey("cabinet_session", object)

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'{scripts};"
    " connect-src 'self'; base-uri 'none'; object-src 'none';"
    " frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


@dataclass(frozen=True)
class CabinetServices:
    """What the cabinet uses: the bot's own services (None where the shop switched a feature off)."""

    access: CabinetAccess
    links: CabinetLinks
    accounts: AccountService
    subscriptions: SubscriptionService
    devices: DeviceService | None
    checkout: Checkout
    balance: BalanceService | None
    promos: PromoService | None
    referrals: ReferralRewards | None
    bot_username: Callable[[], str | None]


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _same_origin(request: web.Request, public_host: str) -> bool:
    """A POST from our own pages: a browser's Origin header, when it sends one, names the shop's public
    address (or the host asked for), so a form on another site can neither sign a visitor in to somebody
    else's cabinet nor act in theirs."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() in {public_host, request.host.lower()}


def _limiter_key(kind: str, value: str) -> int:
    """An integer key for the rate limiter (which counts integers) from an address or a session."""
    return int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:7], "big")


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
        self._s = services
        self._settings = settings
        self._locales = locales
        self._timezone = timezone
        self._support = settings.support_url or support_url
        self._trusted = list(trusted_proxies)
        self._per_address = per_address
        self._per_session = per_session
        self._secure = services.links.base.startswith("https://")
        self._public_host = urlsplit(services.links.base).netloc.lower()
        self._jinja = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # ------------------------------------------------------------------ wiring

    def register(self, app: web.Application) -> None:
        sub = web.Application(client_max_size=MAX_FORM, middlewares=[self._guard])
        r = sub.router
        r.add_get("/", self.overview)
        r.add_get("/login", self.login_page)
        r.add_post("/login", self.login)
        r.add_get("/app", self.mini_app)
        r.add_post("/auth/telegram", self.telegram_sign_in)
        r.add_get("/theme.css", self.theme)
        r.add_get("/qr.svg", self.qr)
        r.add_post("/devices/disconnect", self.disconnect)
        r.add_get("/connect", self.connect)
        r.add_get("/connect/{platform}", self.connect_platform)
        r.add_get("/buy", self.buy_page)
        r.add_post("/buy", self.buy)
        r.add_get("/return", self.after_payment)
        r.add_get("/orders/{order_id}", self.order_status)
        r.add_get("/status", self.status)
        r.add_get("/account", self.account)
        r.add_post("/promo", self.promo)
        r.add_post("/topup", self.topup)
        r.add_post("/language", self.language)
        r.add_post("/logout", self.logout)
        r.add_post("/logout-everywhere", self.logout_everywhere)
        r.add_static("/static", HERE / "static", append_version=False)
        app.add_subapp(PREFIX, sub)

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Rate limits, the session, refusals as pages, and the security headers of every answer."""
        token = request.cookies.get(COOKIE, "")
        static = request.path.startswith(f"{PREFIX}/static/") or request.path == f"{PREFIX}/theme.css"
        if request.method == "POST" and not _same_origin(request, self._public_host):
            log.info("cabinet: a form posted from another site was refused")
            response: web.StreamResponse = self._page(
                request, None, "notice.html", status=403, message_key="cabinet-forbidden"
            )
        elif await self._limited(request, "" if static else token):
            response = self._page(
                request, None, "notice.html", status=429, message_key="cabinet-too-many-requests"
            )
        else:
            request[SESSION_KEY] = await self._s.access.session(token) if token else None
            try:
                response = await handler(request)
            except DomainError as exc:  # e.g. the panel is down: said in the customer's words
                session = request.get(SESSION_KEY)
                language = session.customer.language if isinstance(session, CabinetSession) else None
                message = self._text(language).error(exc)
                status = 503 if isinstance(exc, ServiceUnavailable) else 400
                log.info("cabinet: %s refused: %s", request.path, exc.text_key)
                response = self._page(request, session, "notice.html", status=status, message=message)
            except web.HTTPException as exc:
                if exc.status >= 400 and exc.status != 405:
                    key = {403: "cabinet-forbidden", 404: "cabinet-not-found"}.get(
                        exc.status, "cabinet-bad-request"
                    )
                    response = self._page(
                        request, request.get(SESSION_KEY), "notice.html", status=exc.status, message_key=key
                    )
                else:
                    raise
        in_telegram = request.cookies.get(MINI_APP_COOKIE) == "1" or request.path == f"{PREFIX}/app"
        response.headers["Content-Security-Policy"] = _CSP.format(
            scripts=" https://telegram.org" if in_telegram else ""
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=3600" if static else "no-store"
        return response

    async def _limited(self, request: web.Request, token: str) -> bool:
        address = client_ip(request, self._trusted)
        if self._per_address is not None:
            verdict = await self._per_address.hit(_limiter_key("ip", address))
            if not verdict.allowed:
                log.info("cabinet: too many requests from one address")
                return True
        if token and self._per_session is not None:
            verdict = await self._per_session.hit(_limiter_key("session", token))
            if not verdict.allowed:
                log.info("cabinet: too many requests in one session")
                return True
        return False

    # ------------------------------------------------------------------ helpers

    def _text(self, language: str | None) -> PageText:
        return PageText(self._locales.get(language), self._timezone)

    def _page(
        self,
        request: web.Request,
        session: CabinetSession | None,
        template: str,
        *,
        status: int = 200,
        language: str | None = None,
        **context: Any,
    ) -> web.Response:
        lang = language or (session.customer.language if session else self._guess_language(request))
        text = self._text(lang)
        context.setdefault(
            "telegram_script", TELEGRAM_SCRIPT if request.cookies.get(MINI_APP_COOKIE) == "1" else None
        )
        body = self._jinja.get_template(template).render(
            t=text,
            session=session,
            csrf=session.csrf if session else "",
            shop_name=self._settings.shop_name,
            support_url=self._support,
            languages=SUPPORTED_LANGUAGES,
            base=PREFIX,
            path=request.path,
            **context,
        )
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def _guess_language(self, request: web.Request) -> str:
        wanted = request.headers.get("Accept-Language", "")[:64].lower()
        for part in wanted.split(","):
            code = part.split(";")[0].strip()[:2]
            if code in SUPPORTED_LANGUAGES:
                return code
        return self._locales.default_language

    @staticmethod
    def _session(request: web.Request) -> CabinetSession:
        session = request.get(SESSION_KEY)
        if not isinstance(session, CabinetSession):
            raise web.HTTPSeeOther(f"{PREFIX}/login")
        return session

    async def _form(self, request: web.Request) -> tuple[CabinetSession, Mapping[str, str]]:
        """The session and the posted form, if the form carries the session's CSRF token."""
        session = request.get(SESSION_KEY)
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        sent = fields.get("csrf", "")
        if not isinstance(session, CabinetSession):
            log.info("cabinet: a form was posted without a session")
            raise web.HTTPForbidden()
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            log.info(
                "cabinet: a form without the session's CSRF token", extra={"customer_id": session.customer.id}
            )
            raise web.HTTPForbidden()
        return session, fields

    def _with_cookie(self, response: web.StreamResponse, token: str) -> web.StreamResponse:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(self._s.access.session_ttl.total_seconds()),
            path=PREFIX,
            httponly=True,
            secure=self._secure,
            samesite="Lax",
        )
        return response

    # ------------------------------------------------------------------ signing in

    async def login_page(self, request: web.Request) -> web.Response:
        notice = request.query.get("notice")
        return self._page(
            request,
            request.get(SESSION_KEY),
            "login.html",
            notice=notice if notice in NOTICES else None,
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = form.get("token")
        try:
            if not isinstance(token, str):
                raise SignInRefused("no sign-in token")
            opened = await self._s.access.sign_in_with_link(token.strip())
        except SignInRefused as exc:
            log.info("cabinet sign-in by link refused: %s", exc.reason)
            return self._page(request, None, "notice.html", status=403, message_key="cabinet-link-refused")
        return self._with_cookie(_redirect(f"{PREFIX}/"), opened.token)

    async def mini_app(self, request: web.Request) -> web.Response:
        return self._page(request, None, "app.html", telegram_script=TELEGRAM_SCRIPT)

    async def telegram_sign_in(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        init_data = form.get("init_data")
        current = request.get(SESSION_KEY)
        try:
            if not isinstance(init_data, str):
                raise SignInRefused("no init data")
            if isinstance(current, CabinetSession):
                # the Mini App reloaded with its launch data: its own customer's session goes on
                signed = self._s.access.verify_launch(init_data)
                if signed.telegram_id == current.customer.telegram_id:
                    return web.json_response({"ok": True, "next": f"{PREFIX}/"})
            opened = await self._s.access.sign_in_with_telegram(init_data)
        except SignInRefused as exc:
            log.info("cabinet Mini App sign-in refused: %s", exc.reason)
            return web.json_response({"ok": False}, status=403)
        response = self._with_cookie(web.json_response({"ok": True, "next": f"{PREFIX}/"}), opened.token)
        response.set_cookie(
            MINI_APP_COOKIE,
            "1",
            max_age=int(self._s.access.session_ttl.total_seconds()),
            path=PREFIX,
            secure=self._secure,
            samesite="Lax",
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session, _ = await self._form(request)
        await self._s.access.sign_out(session)
        response = _redirect(f"{PREFIX}/login")
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    async def logout_everywhere(self, request: web.Request) -> web.StreamResponse:
        session, _ = await self._form(request)
        await self._s.access.sign_out_everywhere(session.customer.id)
        response = _redirect(f"{PREFIX}/login?notice=signed-out-everywhere")
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    # ------------------------------------------------------------------ screens

    async def theme(self, request: web.Request) -> web.Response:
        colours = self._settings
        body = f":root{{--accent:{colours.accent_colour};--background:{colours.background_colour}}}\n"
        return web.Response(text=body, content_type="text/css")

    async def overview(self, request: web.Request) -> web.Response:
        session = self._session(request)
        customer = session.customer
        notice = request.query.get("notice")
        error = None
        view = None
        listing: DeviceList | None = None
        try:
            view = await self._s.subscriptions.overview(customer, with_devices=False)
            if view is not None and self._s.devices is not None:
                listing = await self._s.devices.listing(customer)
        except DomainError as exc:
            error = self._text(customer.language).error(exc)
        return self._page(
            request,
            session,
            "overview.html",
            view=view,
            devices=listing,
            devices_enabled=self._s.devices is not None,
            notice=notice if notice in NOTICES else None,
            error=error,
        )

    async def qr(self, request: web.Request) -> web.Response:
        session = self._session(request)
        view = await self._s.subscriptions.overview(session.customer, with_devices=False)
        if view is None:
            raise web.HTTPNotFound()
        buffer = io.BytesIO()
        segno.make(view.link, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=False)
        return web.Response(body=buffer.getvalue(), content_type="image/svg+xml")

    async def disconnect(self, request: web.Request) -> web.StreamResponse:
        session, form = await self._form(request)
        if self._s.devices is None:
            raise web.HTTPNotFound()
        try:
            await self._s.devices.disconnect(session.customer, form.get("device", "")[:32])
        except DomainError as exc:
            log.info(
                "cabinet: device not disconnected (%s)",
                exc.text_key,
                extra={"customer_id": session.customer.id},
            )
            return self._page(
                request,
                session,
                "notice.html",
                status=400,
                message=self._text(session.customer.language).error(exc),
            )
        return _redirect(f"{PREFIX}/?notice=device-disconnected#devices")

    async def connect(self, request: web.Request) -> web.Response:
        session = self._session(request)
        return self._page(request, session, "connect.html", platforms=self._settings.platforms)

    async def connect_platform(self, request: web.Request) -> web.Response:
        session = self._session(request)
        platform = request.match_info["platform"]
        if platform not in self._settings.platforms:
            raise web.HTTPNotFound()
        view = await self._s.subscriptions.overview(session.customer, with_devices=False)
        link = view.link if view is not None else None
        apps = guide(platform, self._settings.apps, link, self._settings.shop_name)
        return self._page(
            request,
            session,
            "guide.html",
            platform=platform,
            platforms=self._settings.platforms,
            apps=apps,
            link=link,
        )

    # ------------------------------------------------------------------ buying

    def _offers(self, text: PageText) -> list[dict[str, Any]]:
        """Tariffs and periods on sale with the methods that have a payment page (or the balance)."""
        checkout = self._s.checkout
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
        session = self._session(request)
        text = self._text(session.customer.language)
        return self._page(request, session, "buy.html", offers=self._offers(text))

    async def buy(self, request: web.Request) -> web.StreamResponse:
        session, form = await self._form(request)
        customer = session.customer
        text = self._text(customer.language)
        method = form.get("method", "")
        # an invoice paid in Telegram's payment sheet: asked for by the Mini App's script only
        in_telegram = method != BALANCE and self._s.checkout.pays_in_telegram(method)
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if in_telegram != wants_json:
            raise web.HTTPBadRequest()
        try:
            tariff, period = self._s.checkout.item(form.get("tariff", ""), form.get("period", ""))
            period_text = text.period(period)
            started = await self._s.checkout.start(
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
                return_url=f"{self._s.links.base}/return",
            )
        except DomainError as exc:
            return self._page(request, session, "notice.html", status=400, message=text.error(exc))
        log.info("cabinet: order started", extra={"order_id": started.order_id, "customer_id": customer.id})
        response: web.Response
        if in_telegram and not isinstance(started, PaidFromBalance):
            response = web.json_response({"invoice": started.pay_url, "next": f"{PREFIX}/return"})
        else:
            target = f"{PREFIX}/return" if isinstance(started, PaidFromBalance) else started.pay_url
            response = _redirect(target)
        response.set_cookie(
            ORDER_COOKIE, started.order_id, path=PREFIX, httponly=True, secure=self._secure, samesite="Lax"
        )
        return response

    async def after_payment(self, request: web.Request) -> web.Response:
        session = self._session(request)
        kept = request.cookies.get(ORDER_COOKIE, "")[:80]
        topup, _, order_id = kept.rpartition(":")
        status_url = f"{PREFIX}/orders/{order_id}" + ("?topup=1" if topup else "")
        return self._page(request, session, "return.html", order_id=order_id or None, status_url=status_url)

    async def order_status(self, request: web.Request) -> web.Response:
        """One order of the session's customer: asked of the provider while pending; the expiry once
        the subscription is extended. Another customer's order is "not found"."""
        session = self._session(request)
        customer = session.customer
        text = self._text(customer.language)
        try:
            status = await self._s.checkout.refresh(customer, request.match_info["order_id"][:64])
        except DomainError:
            raise web.HTTPNotFound() from None
        body: dict[str, Any] = {
            "status": status,
            "done": status in {"fulfilled", "expired", "failed", "refunded"},
        }
        body["text"] = (
            str(text.t(f"cabinet-order-{status}")) if text.t.has(f"cabinet-order-{status}") else status
        )
        if status == "fulfilled" and request.query.get("topup") and self._s.balance is not None:
            balance = (await self._s.balance.overview(customer, limit=1)).balance
            body["balance_text"] = str(text.t("cabinet-topup-done", balance=text.money(balance)))
        elif status == "fulfilled":
            summary = await self._summary(customer, text)
            body.update(summary)
            if summary["expires"]:
                body["expiry_text"] = str(text.t("cabinet-return-new-expiry", expires=summary["expires"]))
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def status(self, request: web.Request) -> web.Response:
        session = self._session(request)
        text = self._text(session.customer.language)
        return web.json_response(await self._summary(session.customer, text))

    async def _summary(self, customer: CustomerView, text: PageText) -> dict[str, Any]:
        view = await self._s.subscriptions.overview(customer, with_devices=False)
        if view is None:
            return {"active": False, "expires": None}
        return {
            "active": view.active,
            "expires": text.when(view.expires_at),
            "expires_at": view.expires_at.isoformat(),
        }

    # ------------------------------------------------------------------ account

    async def account(self, request: web.Request) -> web.Response:
        session = self._session(request)
        customer = session.customer
        text = self._text(customer.language)
        balance = None
        topup: dict[str, Any] | None = None
        if self._s.balance is not None:
            balance = text.money((await self._s.balance.overview(customer, limit=1)).balance)
            amounts = self._s.balance.topups
            methods = self._topup_methods(amounts[0]) if amounts else []
            if methods:
                topup = {
                    "amounts": [{"minor": a.minor, "name": text.money(a)} for a in amounts],
                    "methods": [{"code": m, "name": text.provider(m)} for m in methods],
                }
        referral = None
        username = self._s.bot_username()
        if self._s.referrals is not None and username:
            stats = await self._s.referrals.stats(customer.id)
            referral = {
                "link": f"https://t.me/{username}?start=ref_{customer.referral_code}",
                "invited": stats.invited,
                "paying": stats.paying,
                "earned": ", ".join(text.money(m) for m in stats.earned),
            }
        notice = request.query.get("notice")
        return self._page(
            request,
            session,
            "account.html",
            balance=balance,
            topup=topup,
            referral=referral,
            promos=self._s.promos is not None,
            notice=notice if notice in NOTICES else None,
            message=None,
        )

    def _topup_methods(self, amount: Money) -> list[str]:
        """Providers with a payment page that take a top-up in the balance currency."""
        checkout = self._s.checkout
        return [m for m in checkout.topup_methods(amount) if not checkout.pays_in_telegram(m)]

    async def topup(self, request: web.Request) -> web.StreamResponse:
        """Top up the balance by one of the offered amounts (never a typed one) with a payment page."""
        session, form = await self._form(request)
        balance = self._s.balance
        if balance is None:
            raise web.HTTPNotFound()
        customer = session.customer
        text = self._text(customer.language)
        amount = next((a for a in balance.topups if str(a.minor) == form.get("amount")), None)
        method = form.get("method", "")
        if amount is None or method not in self._topup_methods(amount):
            raise web.HTTPBadRequest()
        try:
            started = await self._s.checkout.start_topup(
                customer,
                amount,
                method,
                description=str(text.t("balance-topup-title", amount=text.money(amount))),
                return_url=f"{self._s.links.base}/return",
            )
        except DomainError as exc:
            return self._page(request, session, "notice.html", status=400, message=text.error(exc))
        log.info("cabinet: top-up started", extra={"order_id": started.order_id, "customer_id": customer.id})
        response = _redirect(started.pay_url)
        response.set_cookie(
            ORDER_COOKIE,
            f"topup:{started.order_id}",
            path=PREFIX,
            httponly=True,
            secure=self._secure,
            samesite="Lax",
        )
        return response

    async def promo(self, request: web.Request) -> web.Response:
        session, form = await self._form(request)
        text = self._text(session.customer.language)
        if self._s.promos is None:
            raise web.HTTPNotFound()
        try:
            redeemed = await self._s.promos.redeem(session.customer, form.get("code", "")[:64])
        except DomainError as exc:
            return self._page(request, session, "notice.html", status=400, message=text.error(exc))
        if redeemed.days and redeemed.expires_at is not None:
            message = text("cabinet-promo-days", days=redeemed.days, expires=text.when(redeemed.expires_at))
        elif redeemed.credit is not None:
            message = text("cabinet-promo-credit", amount=text.money(redeemed.credit))
        else:
            message = text("cabinet-promo-discount")
        return self._page(request, session, "notice.html", message=message)

    async def language(self, request: web.Request) -> web.StreamResponse:
        session, form = await self._form(request)
        language = form.get("language", "")
        if language not in SUPPORTED_LANGUAGES:
            raise web.HTTPBadRequest()
        await self._s.accounts.set_language(session.customer, language)
        back = form.get("back", "")
        target = (
            back if back.startswith(f"{PREFIX}/") and "//" not in back and "\\" not in back else f"{PREFIX}/"
        )
        return _redirect(target)
