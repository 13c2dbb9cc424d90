"""The payer's side of a YooKassa redirect payment: the page behind ``confirmation_url``.

YooKassa shows the payer a checkout page; paying (or failing to) changes the payment's status, YooKassa
sends the shop its notification and sends the payer back to ``return_url``. The emulator's page has two
buttons: "Pay" (the payment succeeds, ``payment.succeeded`` is delivered) and "Decline" (the bank refuses,
``payment.canceled`` is delivered); then the payer is redirected to ``return_url``.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from remnastore.emulators.yookassa import YooKassaEmulator

logger = logging.getLogger(__name__)

CHECKOUT_PATH = "/checkout/payments/v2/contract"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>YooKassa checkout (emulated)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; }}
main {{ max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px; padding: 24px;
  box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 18px; margin: 0 0 4px; }} .amount {{ font-size: 32px; font-weight: 600; margin: 16px 0; }}
.muted {{ color: #6b7280; font-size: 13px; }} form {{ display: flex; gap: 12px; margin-top: 20px; }}
button {{ flex: 1; padding: 12px; border: 0; border-radius: 8px; font-size: 15px; cursor: pointer; }}
.pay {{ background: #0070f0; color: #fff; }} .decline {{ background: #e5e7eb; }}
</style></head>
<body><main>
<h1>YooKassa (emulated checkout)</h1>
<div class="muted">Shop {shop}</div>
<div class="amount" id="amount">{amount} {currency}</div>
<div id="description">{description}</div>
<div class="muted" id="status">Payment {payment_id}: {status}</div>
{body}
</main></body></html>
"""

_FORM = """<form method="post" action="{path}">
<input type="hidden" name="orderId" value="{payment_id}">
<button class="pay" name="action" value="pay" id="pay">Pay</button>
<button class="decline" name="action" value="decline" id="decline">Decline</button>
</form>"""


def _page(
    emulator: YooKassaEmulator, payment: dict[str, Any], body: str, *, status: int = 200
) -> web.Response:
    text = _PAGE.format(
        shop=html.escape(emulator.shop_id),
        amount=html.escape(str(payment["amount"]["value"])),
        currency=html.escape(str(payment["amount"]["currency"])),
        description=html.escape(str(payment.get("description", ""))),
        payment_id=html.escape(str(payment["id"])),
        status=html.escape(str(payment["status"])),
        body=body,
    )
    return web.Response(text=text, content_type="text/html", status=status)


def _not_found() -> web.Response:
    return web.Response(text="Payment not found", status=404, content_type="text/plain")


class CheckoutPage:
    """GET shows the payment; POST pays or declines it, notifies the shop and redirects back."""

    def __init__(self, emulator: YooKassaEmulator) -> None:
        self.emulator = emulator

    def register(self, app: web.Application) -> None:
        app.router.add_get(CHECKOUT_PATH, self.show)
        app.router.add_post(CHECKOUT_PATH, self.submit)

    async def show(self, request: web.Request) -> web.Response:
        payment = self.emulator.payments.get(request.query.get("orderId", ""))
        if payment is None:
            return _not_found()
        if payment["status"] != "pending":
            return _page(self.emulator, payment, "<p>This payment is no longer waiting for the payer.</p>")
        payment_id = html.escape(str(payment["id"]))
        return _page(self.emulator, payment, _FORM.format(path=CHECKOUT_PATH, payment_id=payment_id))

    async def submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        payment = self.emulator.payments.get(str(form.get("orderId", "")))
        if payment is None:
            return _not_found()
        action = form.get("action")
        if payment["status"] != "pending" or action not in {"pay", "decline"}:
            return _page(self.emulator, payment, "<p>Nothing was changed.</p>", status=409)
        return_url = str(payment.get("confirmation", {}).get("return_url", ""))
        if action == "pay":
            delivery = self.emulator.pay(str(payment["id"]))
        else:
            delivery = self.emulator.cancel(
                str(payment["id"]), reason="insufficient_funds", party="payment_network"
            )
        if self.emulator.notify_url:
            try:
                await self.emulator.deliver(delivery)
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.warning("the shop did not take the YooKassa notification: %r", exc)
                return _page(self.emulator, payment, "<p>The shop could not be notified.</p>", status=502)
        if return_url.startswith(("http://", "https://")):
            raise web.HTTPSeeOther(return_url)
        return _page(self.emulator, payment, "<p>Done.</p>")
