"""Tribute emulator: Tribute offers no API to the shop, so this only builds webhooks exactly as Tribute
sends them (JSON envelope, ``trbt-signature`` = hex HMAC-SHA256(API key, body))."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator, compact_json


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class TributeEmulator(ProviderEmulator):
    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self._ids = itertools.count(1001)

    def routes(self, app: web.Application) -> None:
        """Tribute has no endpoints the shop calls."""

    # -- envelope ----------------------------------------------------------------------------------
    def event(
        self,
        name: str,
        payload: dict[str, Any],
        *,
        created_at: datetime | None = None,
        api_key: str | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """Any webhook; ``api_key``/``signature`` forge the signature."""
        moment = created_at or datetime.now(UTC)
        body = compact_json(
            {"name": name, "created_at": _iso(moment), "sent_at": _iso(datetime.now(UTC)), "payload": payload}
        )
        key = (self.api_key if api_key is None else api_key).encode()
        digest = hmac.new(key, body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "trbt-signature": digest if signature is None else signature,
        }
        return Delivery(self.notify_url or "", body, headers)

    # -- subscriptions -----------------------------------------------------------------------------
    def subscription_payload(
        self,
        telegram_user_id: int,
        subscription_id: int,
        *,
        amount: int = 19900,
        currency: str = "rub",
        expires_at: datetime | None = None,
        kind: str = "regular",
        period: str = "monthly",
    ) -> dict[str, Any]:
        expires = expires_at or datetime.now(UTC) + timedelta(days=30)
        return {
            "subscription_name": "VPN",
            "subscription_id": subscription_id,
            "period_id": subscription_id * 10 + 1,
            "period": period,
            "price": amount,
            "amount": amount,
            "currency": currency,
            "user_id": 900_000 + telegram_user_id % 1000,
            "telegram_user_id": telegram_user_id,
            "channel_id": 614,
            "channel_name": "VPN club",
            "expires_at": _iso(expires),
            "type": kind,
        }

    def new_subscription(self, telegram_user_id: int, subscription_id: int, **fields: Any) -> Delivery:
        return self.event(
            "new_subscription", self.subscription_payload(telegram_user_id, subscription_id, **fields)
        )

    def pay(self, subscription_id: int, telegram_user_id: int, **fields: Any) -> Delivery:
        """A bought subscription (the usual way a shop sells through Tribute)."""
        return self.new_subscription(telegram_user_id, subscription_id, **fields)

    def renewed_subscription(self, telegram_user_id: int, subscription_id: int, **fields: Any) -> Delivery:
        payload = self.subscription_payload(telegram_user_id, subscription_id, **fields)
        return self.event("renewed_subscription", payload)

    def cancelled_subscription(self, telegram_user_id: int, subscription_id: int, **fields: Any) -> Delivery:
        payload = self.subscription_payload(telegram_user_id, subscription_id, **fields)
        payload["cancel_reason"] = "user request"
        return self.event("cancelled_subscription", payload)

    # -- digital products and donations ------------------------------------------------------------
    def product_payload(
        self,
        telegram_user_id: int,
        product_id: int,
        *,
        purchase_id: int | None = None,
        amount: int = 19900,
        currency: str = "rub",
    ) -> dict[str, Any]:
        purchase = next(self._ids) if purchase_id is None else purchase_id
        return {
            "product_id": product_id,
            "product_name": "VPN, 1 month",
            "amount": amount,
            "currency": currency,
            "purchase_id": purchase,
            "transaction_id": purchase * 7,
            "purchase_created_at": _iso(datetime.now(UTC)),
            "telegram_user_id": telegram_user_id,
            "user_id": 900_000 + telegram_user_id % 1000,
        }

    def new_digital_product(self, telegram_user_id: int, product_id: int, **fields: Any) -> Delivery:
        return self.event("new_digital_product", self.product_payload(telegram_user_id, product_id, **fields))

    def digital_product_refunded(
        self, telegram_user_id: int, product_id: int, purchase_id: int, **fields: Any
    ) -> Delivery:
        payload = self.product_payload(telegram_user_id, product_id, purchase_id=purchase_id, **fields)
        return self.event("digital_product_refunded", payload)

    def new_donation(
        self,
        telegram_user_id: int,
        donation_request_id: int,
        *,
        amount: int = 10000,
        currency: str = "rub",
        created_at: datetime | None = None,
        name: str = "new_donation",
    ) -> Delivery:
        moment = created_at or datetime.now(UTC)
        payload = {
            "donation_request_id": donation_request_id,
            "donation_name": "Support",
            "period": "once" if name == "new_donation" else "monthly",
            "amount": amount,
            "currency": currency,
            "telegram_user_id": telegram_user_id,
            "trb_user_id": 900_000 + telegram_user_id % 1000,
        }
        return self.event(name, payload, created_at=moment)
