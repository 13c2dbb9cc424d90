"""YooMoney quickpay emulator: the payer's form page and the wallet's HTTP notifications.

``GET`` (or ``POST``) ``/quickpay/confirm`` with the quickpay fields checks them as YooMoney does (the
receiver must be this wallet, ``quickpay-form`` set, a positive ``sum`` in roubles with at most two decimals,
``paymentType`` AC or PC) and shows a page with "Pay" and "Decline". Paying makes a transfer: the payer is
charged ``sum`` (``withdraw_amount``), the wallet receives it minus the commission (``amount``), and the
notification is POSTed to ``notify_url`` as a form signed with ``sha1_hash`` over the nine fields, exactly
as YooMoney sends it; then the payer goes to ``successURL``. Declining sends nothing (YooMoney notifies only
about money that arrived).

Tests may also build notifications directly (:meth:`YooMoneyEmulator.notification`), forged in any part.
"""

from __future__ import annotations

import hashlib
import html
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator

logger = logging.getLogger(__name__)

FORM_PATH = "/quickpay/confirm"
SUBMIT_PATH = "/quickpay/confirm/submit"
#: commission YooMoney keeps from the receiver, by payment type (bank card, wallet)
COMMISSION = {"AC": Decimal("0.03"), "PC": Decimal("0.01")}
SIGNED_FIELDS = ("notification_type", "operation_id", "amount", "currency", "datetime", "sender", "codepro")

_PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>ЮMoney (emulated quickpay)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f0ff; margin: 0; }}
main {{ max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px; padding: 24px;
  box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 18px; margin: 0 0 4px; }} .amount {{ font-size: 32px; font-weight: 600; margin: 16px 0; }}
.muted {{ color: #6b7280; font-size: 13px; }} form {{ display: flex; gap: 12px; margin-top: 20px; }}
button {{ flex: 1; padding: 12px; border: 0; border-radius: 8px; font-size: 15px; cursor: pointer; }}
.pay {{ background: #8b3ffd; color: #fff; }} .decline {{ background: #e5e7eb; }}
</style></head>
<body><main>
<h1>ЮMoney (emulated quickpay)</h1>
<div class="muted">Wallet {wallet}</div>
<div class="amount" id="amount">{amount} RUB</div>
<div class="muted" id="method">{method}</div>
<div class="muted" id="status">Transfer {transfer_id}: {status}</div>
{body}
</main></body></html>
"""

_FORM = """<form method="post" action="{path}">
<input type="hidden" name="transfer" value="{transfer_id}">
<button class="pay" name="action" value="pay" id="pay">Pay</button>
<button class="decline" name="action" value="decline" id="decline">Decline</button>
</form>"""


@dataclass
class Transfer:
    """One opened quickpay form and what became of it."""

    transfer_id: str
    label: str
    sum: Decimal
    payment_type: str
    success_url: str
    status: str = "pending"  # pending -> paid | declined
    operation_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _two_places(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


class YooMoneyEmulator(ProviderEmulator):
    def __init__(self, wallet: str, notification_secret: str) -> None:
        super().__init__()
        self.wallet = wallet
        self.notification_secret = notification_secret
        self.transfers: dict[str, Transfer] = {}
        self._operations = 0
        #: where the payer's form is served when not on the emulator's own address (the sandbox serves
        #: it next to its chat page, so that one forwarded port is enough)
        self.form_base: str | None = None

    @property
    def quickpay_url(self) -> str:
        return f"{self.form_base or self.url}{FORM_PATH}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(FORM_PATH, self._open)
        app.router.add_post(FORM_PATH, self._open)
        app.router.add_post(SUBMIT_PATH, self._submit)

    # -- the payer's pages -------------------------------------------------------------------------
    def _page(self, transfer: Transfer, body: str, *, status: int = 200) -> web.Response:
        text = _PAGE.format(
            wallet=html.escape(self.wallet),
            amount=html.escape(_two_places(transfer.sum)),
            method="Bank card" if transfer.payment_type == "AC" else "YooMoney wallet",
            transfer_id=html.escape(transfer.transfer_id),
            status=html.escape(transfer.status),
            body=body,
        )
        return web.Response(text=text, content_type="text/html", status=status)

    @staticmethod
    def _refuse(message: str, status: int = 400) -> web.Response:
        return web.Response(text=message, status=status, content_type="text/plain")

    def open_form(self, fields: Mapping[str, str]) -> Transfer:
        """What opening the form does: check its fields as YooMoney does and start a transfer.
        Raises ValueError with YooMoney's complaint."""
        if fields.get("receiver") != self.wallet:
            raise ValueError("The receiver wallet does not exist")
        if not fields.get("quickpay-form"):
            raise ValueError("quickpay-form is required")
        try:
            amount = Decimal(fields.get("sum", "").strip())
        except InvalidOperation:
            raise ValueError("sum is not a number") from None
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError("sum must be a positive amount in roubles")
        payment_type = fields.get("paymentType", "AC")
        if payment_type not in COMMISSION:
            raise ValueError("paymentType must be AC or PC")
        transfer = Transfer(
            transfer_id=secrets.token_hex(10),
            label=fields.get("label", ""),
            sum=amount,
            payment_type=payment_type,
            success_url=fields.get("successURL", ""),
        )
        self.transfers[transfer.transfer_id] = transfer
        return transfer

    def open_link(self, pay_url: str) -> Transfer:
        """The payer follows the shop's link (for tests that skip the page)."""
        return self.open_form(dict(parse_qsl(urlsplit(pay_url).query, keep_blank_values=True)))

    async def _open(self, request: web.Request) -> web.Response:
        fields: dict[str, str] = dict(request.query)
        if request.method == "POST":
            fields.update({key: str(value) for key, value in (await request.post()).items()})
        try:
            transfer = self.open_form(fields)
        except ValueError as exc:
            return self._refuse(str(exc))
        form = _FORM.format(path=SUBMIT_PATH, transfer_id=html.escape(transfer.transfer_id))
        return self._page(transfer, form)

    async def _submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        transfer = self.transfers.get(str(form.get("transfer", "")))
        if transfer is None:
            return self._refuse("Transfer not found", 404)
        action = form.get("action")
        if transfer.status != "pending" or action not in {"pay", "decline"}:
            return self._page(transfer, "<p>Nothing was changed.</p>", status=409)
        if action == "decline":
            transfer.status = "declined"
        else:
            delivery = self.pay(transfer.transfer_id)
            if self.notify_url:
                try:
                    await self.deliver(delivery)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    logger.warning("the shop did not take the YooMoney notification: %r", exc)
        if transfer.success_url.startswith(("http://", "https://")):
            raise web.HTTPSeeOther(transfer.success_url)
        return self._page(transfer, "<p>Done.</p>")

    def find(self, label: str) -> Transfer:
        """The latest transfer opened with ``label`` (our order id)."""
        found = [transfer for transfer in self.transfers.values() if transfer.label == label]
        if not found:
            raise KeyError(label)
        return found[-1]

    # -- notifications -----------------------------------------------------------------------------
    def pay(self, transfer_id: str, **forged: Any) -> Delivery:
        """The transfer succeeds: the notification YooMoney sends for it (fields may be overridden)."""
        transfer = self.transfers[transfer_id]
        transfer.status = "paid"
        if transfer.operation_id is None:
            self._operations += 1
            transfer.operation_id = f"{700000000 + self._operations}{secrets.randbelow(10**6):06d}"
        credited = (transfer.sum * (1 - COMMISSION[transfer.payment_type])).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )
        card = transfer.payment_type == "AC"
        fields = {
            "notification_type": "card-incoming" if card else "p2p-incoming",
            "bill_id": "",
            "amount": _two_places(credited),
            "datetime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "codepro": "false",
            "sender": "" if card else "41001" + "".join(str(secrets.randbelow(10)) for _ in range(10)),
            "currency": "643",
            "operation_label": secrets.token_hex(16),
            "operation_id": transfer.operation_id,
            "label": transfer.label,
            "withdraw_amount": _two_places(transfer.sum),
            "unaccepted": "false",
            **{key: str(value) for key, value in forged.items() if key not in {"secret", "sha1_hash"}},
        }
        return self.notification(fields, secret=forged.get("secret"), sha1_hash=forged.get("sha1_hash"))

    def notification(
        self, fields: dict[str, str], *, secret: str | None = None, sha1_hash: str | None = None
    ) -> Delivery:
        """A notification form with its sha1_hash (computed with ``secret``, or replaced by ``sha1_hash``)."""
        word = self.notification_secret if secret is None else secret
        text = "&".join([*(fields.get(name, "") for name in SIGNED_FIELDS), word, fields.get("label", "")])
        digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        body = {**fields, "sha1_hash": digest if sha1_hash is None else sha1_hash}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return Delivery(self.notify_url or "", urlencode(body).encode(), headers, extra={"fields": body})

    def test_notification(self) -> Delivery:
        """What the wallet settings page's "Test" button sends."""
        fields = {
            "notification_type": "p2p-incoming",
            "bill_id": "",
            "amount": "4.98",
            "datetime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "codepro": "false",
            "sender": "41001000040",
            "currency": "643",
            "operation_label": "",
            "operation_id": "test-notification",
            "label": "",
            "withdraw_amount": "5.00",
            "unaccepted": "false",
            "test_notification": "true",
        }
        return self.notification(fields)
