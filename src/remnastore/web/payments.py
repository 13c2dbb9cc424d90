"""/webhooks/<provider>: authenticate, parse, settle, and answer exactly what the provider expects.

Forged or malformed notifications get the provider module's refusal (4xx) and change nothing; our own
transient failures answer so that the provider delivers again. Every refusal is logged and counted.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiohttp import web

from remnastore.infra.untrusted_json import json_refusal, looks_like_json
from remnastore.payments.base import NotificationRejected, PaymentEvent, Provider, RawRequest, WebhookReply

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024

RefusalHook = Callable[[str, str], None]
#: metric label of a refusal, by HTTP status: a fixed set (the reason text names addresses and ids)
REFUSAL_REASONS = {400: "malformed", 401: "unauthenticated", 403: "forbidden", 413: "too_large"}


def client_ip(request: web.Request, trusted_proxies: Sequence[str]) -> str:
    """The payer-side address: the TCP peer, or X-Forwarded-For's last untrusted hop behind our proxies.

    Every X-Forwarded-For header line counts, as one list in order (a proxy such as HAProxy appends its own
    line after any the client sent). Walking back from the nearest hop, the first one that is not one of our
    proxies is the client; a value there that is not an IP address gives no address at all (``""``, which no
    allow-list admits), so a forged or garbled entry can never stand in for the sender.
    """
    peer = request.remote or ""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        try:
            return ipaddress.ip_address(value)
        except ValueError:
            return None

    def trusted(value: str) -> bool:
        ip = address(value)
        return ip is not None and any(ip in net for net in networks)

    if not networks or not trusted(peer):
        return peer
    lines = request.headers.getall("X-Forwarded-For", [])
    hops = [hop.strip() for line in lines for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            ip = address(hop)
            return str(ip) if ip is not None else ""
    return hops[0] if hops else peer


class PaymentWebhooks:
    def __init__(
        self,
        providers: Mapping[str, Provider],
        settle: Callable[[PaymentEvent], Awaitable[object]],
        *,
        trusted_proxies: Sequence[str] = (),
        on_refusal: RefusalHook | None = None,
    ) -> None:
        self._providers = {name: p for name, p in providers.items() if p.uses_webhook}
        self._settle = settle
        self._trusted = list(trusted_proxies)
        self._on_refusal = on_refusal

    def register(self, app: web.Application) -> None:
        for name in self._providers:
            app.router.add_route("POST", f"/webhooks/{name}", self.handle)
            app.router.add_route("GET", f"/webhooks/{name}", self.handle)

    def _refuse(self, provider: str, reason: str) -> None:
        if self._on_refusal is not None:
            self._on_refusal(provider, reason)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.path.rsplit("/", 1)[-1]
        provider = self._providers[name]
        if request.content_length is not None and request.content_length > MAX_BODY:
            self._refuse(name, "too_large")
            log.warning("payment notification refused: body too large", extra={"provider": name})
            return web.Response(status=413, text="payload too large")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            self._refuse(name, "too_large")
            return web.Response(status=413, text="payload too large")
        if looks_like_json(body) and (problem := json_refusal(body)) is not None:
            self._refuse(name, "malformed")
            log.warning("payment notification refused: body %s", problem, extra={"provider": name})
            return web.Response(status=400, text="refused")
        raw = RawRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(request.query),
            body=body,
            peer_ip=client_ip(request, self._trusted),
        )
        try:
            events = await provider.parse_notification(raw)
        except NotificationRejected as exc:
            self._refuse(name, REFUSAL_REASONS.get(exc.status, "other"))
            log.warning(
                "payment notification refused: %s", exc.reason, extra={"provider": name, "peer": raw.peer_ip}
            )
            return web.Response(status=exc.status, text="refused")
        except Exception:
            log.exception("payment notification could not be checked", extra={"provider": name})
            return _reply(provider.ack(accepted=False))
        try:
            for event in events:
                await self._settle(event)
        except Exception:
            log.exception("payment notification could not be settled", extra={"provider": name})
            return _reply(provider.ack(accepted=False))
        return _reply(provider.ack(accepted=True))


def _reply(reply: WebhookReply) -> web.Response:
    return web.Response(status=reply.status, text=reply.body, content_type=reply.content_type)
