"""The subscription screens: the overview (status, link, QR, devices), disconnecting a device, the
status as JSON, and the connect guides per platform."""

from __future__ import annotations

import io
import logging
from typing import Any

import segno
from aiohttp import web

from remnastore.cabinet.guides import guide
from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import Pages, notice_of, redirect
from remnastore.cabinet.render import PageText
from remnastore.domain.errors import DomainError
from remnastore.services.accounts import CustomerView
from remnastore.services.devices import DeviceList

log = logging.getLogger(__name__)


class SubscriptionScreens:
    def __init__(self, pages: Pages) -> None:
        self._pages = pages

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.overview)
        router.add_get("/theme.css", self.theme)
        router.add_get("/qr.svg", self.qr)
        router.add_post("/devices/disconnect", self.disconnect)
        router.add_get("/connect", self.connect)
        router.add_get("/connect/{platform}", self.connect_platform)
        router.add_get("/status", self.status)

    async def theme(self, request: web.Request) -> web.Response:
        colours = self._pages.settings
        body = f":root{{--accent:{colours.accent_colour};--background:{colours.background_colour}}}\n"
        return web.Response(text=body, content_type="text/css")

    async def overview(self, request: web.Request) -> web.Response:
        pages = self._pages
        session = pages.session(request)
        customer = session.customer
        error = None
        view = None
        listing: DeviceList | None = None
        try:
            view = await pages.s.subscriptions.overview(customer, with_devices=False)
            if view is not None and pages.s.devices is not None:
                listing = await pages.s.devices.listing(customer)
        except DomainError as exc:
            error = pages.text(customer.language).error(exc)
        return pages.page(
            request,
            session,
            "overview.html",
            view=view,
            devices=listing,
            devices_enabled=pages.s.devices is not None,
            notice=notice_of(request),
            error=error,
        )

    async def qr(self, request: web.Request) -> web.Response:
        session = self._pages.session(request)
        view = await self._pages.s.subscriptions.overview(session.customer, with_devices=False)
        if view is None:
            raise web.HTTPNotFound()
        buffer = io.BytesIO()
        segno.make(view.link, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=False)
        return web.Response(body=buffer.getvalue(), content_type="image/svg+xml")

    async def disconnect(self, request: web.Request) -> web.StreamResponse:
        pages = self._pages
        session, form = await pages.form(request)
        if pages.s.devices is None:
            raise web.HTTPNotFound()
        try:
            await pages.s.devices.disconnect(session.customer, form.get("device", "")[:32])
        except DomainError as exc:
            log.info(
                "cabinet: device not disconnected (%s)",
                exc.text_key,
                extra={"customer_id": session.customer.id},
            )
            return pages.page(
                request,
                session,
                "notice.html",
                status=400,
                message=pages.text(session.customer.language).error(exc),
            )
        return redirect(f"{PREFIX}/?notice=device-disconnected#devices")

    async def connect(self, request: web.Request) -> web.Response:
        session = self._pages.session(request)
        return self._pages.page(request, session, "connect.html", platforms=self._pages.settings.platforms)

    async def connect_platform(self, request: web.Request) -> web.Response:
        pages = self._pages
        session = pages.session(request)
        platform = request.match_info["platform"]
        if platform not in pages.settings.platforms:
            raise web.HTTPNotFound()
        view = await pages.s.subscriptions.overview(session.customer, with_devices=False)
        link = view.link if view is not None else None
        happ_link = view.happ_link if view is not None else None
        apps = guide(platform, pages.settings.apps, link, pages.settings.shop_name, happ_link=happ_link)
        return pages.page(
            request,
            session,
            "guide.html",
            platform=platform,
            platforms=pages.settings.platforms,
            apps=apps,
            link=link,
        )

    async def status(self, request: web.Request) -> web.Response:
        session = self._pages.session(request)
        text = self._pages.text(session.customer.language)
        return web.json_response(await summary(self._pages, session.customer, text))


async def summary(pages: Pages, customer: CustomerView, text: PageText) -> dict[str, Any]:
    """Whether the subscription is active and until when (for the status and the return page)."""
    view = await pages.s.subscriptions.overview(customer, with_devices=False)
    if view is None:
        return {"active": False, "expires": None}
    return {
        "active": view.active,
        "expires": text.when(view.expires_at),
        "expires_at": view.expires_at.isoformat(),
    }
