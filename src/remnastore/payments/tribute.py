"""Tribute: products and channel subscriptions sold inside Telegram; no invoice API.

The shop hands out the link of the Tribute product configured for a catalogue item and learns about
purchases from webhooks ``{"name", "created_at", "sent_at", "payload"}`` signed in the ``trbt-signature``
header with hex HMAC-SHA256(API key, raw body). Events carry the buyer's Telegram id and the Tribute
product (or subscription) id, never our order id: settlement maps the product back to a catalogue item
with :func:`product_for` and creates the order itself.

``TRIBUTE_PRODUCTS`` lists the catalogue items sold through Tribute, entries separated by ``;``::

    <tariff_code>:<period_code>=<Tribute product or subscription id>@<link>

for example ``standard:1m=1234@https://t.me/tribute/app?startapp=sAbc; standard:12m=987@https://t.me/...``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import SecretStr, field_validator

from remnastore.domain.money import Money, UnknownCurrency
from remnastore.infra.untrusted_json import load_untrusted
from remnastore.payments.base import (
    EventKind,
    Invoice,
    InvoiceRequest,
    NotificationRejected,
    PaymentEvent,
    ProviderContext,
    ProviderError,
    RawRequest,
    WebhookReply,
)
from remnastore.settings_base import SettingsGroup, env

NAME = "tribute"
SUBSCRIPTION_EVENTS = frozenset({"new_subscription", "renewed_subscription"})
DONATION_EVENTS = frozenset({"new_donation", "recurrent_donation"})
PRODUCT_EVENTS = frozenset({"new_digital_product", "digital_product_refunded"})
HANDLED_EVENTS = SUBSCRIPTION_EVENTS | DONATION_EVENTS | PRODUCT_EVENTS
_CODE = re.compile(r"^[a-z0-9_-]{1,16}$")  # catalogue codes
_REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KEY_LIMIT = 128

logger = logging.getLogger("remnastore.payments.tribute")


@dataclass(frozen=True)
class TributeProduct:
    """One catalogue item sold as a Tribute product or channel subscription."""

    tariff_code: str
    period_code: str
    ref: str
    link: str


def parse_products(text: str) -> list[TributeProduct]:
    """Parse ``TRIBUTE_PRODUCTS``; raises ``ValueError`` naming the faulty entry."""
    products: list[TributeProduct] = []
    for entry in (part.strip() for part in text.replace("\n", ";").split(";")):
        if not entry:
            continue
        item, has_item, target = entry.partition("=")
        tariff, has_period, period = (part.strip() for part in item.partition(":"))
        ref, has_link, link = (part.strip() for part in target.partition("@"))
        if not (has_item and has_period and has_link):
            raise ValueError(f"'{entry}': expected <tariff>:<period>=<product id>@<link>")
        if not _CODE.match(tariff) or not _CODE.match(period):
            raise ValueError(f"'{entry}': tariff and period codes are 1-16 of a-z, 0-9, _ and -")
        if not _REF.match(ref):
            raise ValueError(f"'{entry}': the Tribute product id must be letters, digits, '_' or '-'")
        if not link.startswith(("https://", "http://", "tg://")):
            raise ValueError(f"'{entry}': the link must start with https:// or tg://")
        product = TributeProduct(tariff, period, ref, link)
        if any((p.tariff_code, p.period_code) == (tariff, period) for p in products):
            raise ValueError(f"'{entry}': {tariff}:{period} is listed twice")
        if any(p.ref == ref for p in products):
            raise ValueError(f"'{entry}': product {ref} is listed twice")
        products.append(product)
    return products


class Settings(SettingsGroup):
    enabled: bool = env("TRIBUTE_ENABLED", False, description="Offer Tribute products at checkout")
    api_key: SecretStr | None = env(
        "TRIBUTE_API_KEY", None, description="API key from the Tribute dashboard; it signs webhooks"
    )
    products: str = env(
        "TRIBUTE_PRODUCTS",
        "",
        description="Catalogue items sold on Tribute: <tariff>:<period>=<product id>@<link>, separated by ;",
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("products")
    @classmethod
    def _products(cls, value: str) -> str:
        parse_products(value)
        return value.strip()

    def catalogue(self) -> list[TributeProduct]:
        return parse_products(self.products)

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        required = {"TRIBUTE_API_KEY": self.api_key, "TRIBUTE_PRODUCTS": self.products or None}
        return [name for name, value in required.items() if value is None]


def product_for(settings: Settings, product_ref: str) -> tuple[str, str] | None:
    """The catalogue item ``(tariff_code, period_code)`` sold as Tribute product ``product_ref``."""
    for product in settings.catalogue():
        if product.ref == product_ref:
            return product.tariff_code, product.period_code
    return None


def _stable_key(*parts: object) -> str:
    """An idempotency key from several fields; hashed when it would not fit the database column."""
    key = ":".join(str(part) for part in parts)
    if len(key) <= _KEY_LIMIT:
        return key
    return f"{parts[0]}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _required(payload: Mapping[str, Any], name: str, event: str) -> Any:
    value = payload.get(name)
    if value is None or value == "":
        raise NotificationRejected(f"{event} without {name}", status=400)
    return value


def _user(payload: Mapping[str, Any], event: str) -> int:
    value = _required(payload, "telegram_user_id", event)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise NotificationRejected(f"{event}: telegram_user_id is not a number", status=400)
    return int(value)


def _money(payload: Mapping[str, Any], event: str) -> Money:
    amount = _required(payload, "amount", event)
    currency = _required(payload, "currency", event)
    if isinstance(amount, bool) or not isinstance(amount, int | str) or not str(amount).isdigit():
        raise NotificationRejected(f"{event}: amount {amount!r} is not in minor units", status=400)
    try:
        return Money(int(amount), str(currency).upper())
    except UnknownCurrency:
        raise NotificationRejected(f"{event}: unknown currency {currency!r}", status=400) from None


class TributeProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = False
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self._settings = settings
        self._context = context
        self._products = settings.catalogue()
        self.currencies: frozenset[str] = frozenset({"RUB", "EUR", "USD"})

    def has_product(self, tariff_code: str, period_code: str) -> bool:
        return self._product(tariff_code, period_code) is not None

    def product_for_ref(self, product_ref: str) -> tuple[str, str] | None:
        return next(((p.tariff_code, p.period_code) for p in self._products if p.ref == product_ref), None)

    def _product(self, tariff_code: str | None, period_code: str | None) -> TributeProduct | None:
        wanted = (tariff_code, period_code)
        return next((p for p in self._products if (p.tariff_code, p.period_code) == wanted), None)

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        product = self._product(request.tariff_code, request.period_code)
        if product is None:
            item = f"{request.tariff_code}:{request.period_code}"
            raise ProviderError(f"no Tribute product is configured for {item}", transient=False)
        return Invoice(provider_payment_id=None, pay_url=product.link, raw={"product_ref": product.ref})

    def _verify(self, request: RawRequest) -> None:
        given = request.headers.get("trbt-signature", "").strip().lower()
        if not given:
            logger.warning("tribute webhook without trbt-signature", extra={"peer": request.peer_ip})
            raise NotificationRejected("missing trbt-signature", status=401)
        if self._settings.api_key is None:
            raise NotificationRejected("TRIBUTE_API_KEY is not set", status=403)
        key = self._settings.api_key.get_secret_value().encode()
        expected = hmac.new(key, request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode()):
            logger.warning("tribute webhook with a wrong signature", extra={"peer": request.peer_ip})
            raise NotificationRejected("wrong trbt-signature", status=401)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        self._verify(request)
        try:
            body = load_untrusted(request.body)
        except ValueError:
            raise NotificationRejected("body is not JSON", status=400) from None
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise NotificationRejected("webhook without a name", status=400)
        name = body["name"]
        if name not in HANDLED_EVENTS:
            return []  # cancelled subscriptions and donations, physical orders, dashboard tests
        payload = body.get("payload")
        if not isinstance(payload, dict):
            raise NotificationRejected(f"{name} without a payload", status=400)
        if name in DONATION_EVENTS:
            # A donation is a gift to the seller, not a purchase: its link id may even equal a product id.
            logger.info("tribute donation received; donations buy nothing", extra={"event": name})
            return []
        if name in SUBSCRIPTION_EVENTS and payload.get("type") == "trial":
            # A free trial is no payment; it renews as a "regular" renewed_subscription, which is one.
            logger.info("tribute trial subscription; nothing is paid", extra={"event": name})
            return []
        created_at = _moment(body.get("created_at")) or datetime.now(UTC)
        user = _user(payload, name)
        amount = _money(payload, name)
        if name in SUBSCRIPTION_EVENTS:
            ref = str(_required(payload, "subscription_id", name))
            expires_at = _required(payload, "expires_at", name)
            key = _stable_key("sub", ref, user, name, expires_at)
            kind = EventKind.PAID
        else:
            ref = str(_required(payload, "product_id", name))
            key = str(_required(payload, "purchase_id", name))
            kind = EventKind.PAID if name == "new_digital_product" else EventKind.REFUNDED
        return [
            PaymentEvent(
                provider=NAME,
                provider_payment_id=key,
                kind=kind,
                order_id=None,
                amount=amount,
                occurred_at=created_at,
                telegram_user_id=user,
                product_ref=ref,
                raw=body,
            )
        ]

    def ack(self, *, accepted: bool) -> WebhookReply:
        if accepted:
            return WebhookReply(status=200, body="ok")
        return WebhookReply(status=500, body="retry later")

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        return None  # Tribute has no status API; webhooks are retried for about a day

    async def close(self) -> None:
        return None


def create(settings: Settings, context: ProviderContext) -> TributeProvider:
    return TributeProvider(settings, context)
