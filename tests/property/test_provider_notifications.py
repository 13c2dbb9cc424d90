"""Every payment provider's notification parser against random and mutated bodies (Hypothesis).

The providers are the shop's own modules, configured against their emulators over real HTTP, each with one
paid invoice whose genuine notification is known. Three properties, for every provider:

* any body and headers are answered (events or a refusal) within a small time bound, and nothing but
  :class:`NotificationRejected` escapes;
* a random body never yields a payment;
* a genuine notification with any part of its body changed, the signature kept, yields nothing but what the
  genuine one says (a signed body no longer verifies; a body that only names a payment is re-read from the
  provider), so a forged or mutated notification can never credit anything.

The shop-level property (a refusal changes nothing in the database) is at the end, through the real
webhook routes.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from remnastore.db.models import Order, PaymentEvent
from remnastore.domain.money import Money
from remnastore.emulators.provider_base import Delivery
from remnastore.payments.base import (
    EventKind,
    InvoiceRequest,
    NotificationRejected,
    Provider,
    ProviderContext,
    RawRequest,
)
from remnastore.payments.registry import provider_module
from tests.fixtures.providers import TRIBUTE_SUBSCRIPTION, PaymentEmulators
from tests.fixtures.shop import Shop

WEBHOOK_PROVIDERS = ("yookassa", "cryptobot", "heleket", "freekassa", "platega", "severpay", "tribute")
TIME_BOUND = 2.0  # seconds, one API round trip to an emulator included
BUYER = 424242
SHARED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass
class Genuine:
    provider: Provider
    delivery: Delivery
    event: tuple[str, EventKind, str | None, Money | None]


def _settings_of(name: str, emulators: PaymentEmulators) -> Any:
    values = {k: v for k, v in emulators.settings().items() if k.startswith(name.upper() + "_")}
    return provider_module(name).Settings(**values)


def _raw(delivery: Delivery, body: bytes | None = None) -> RawRequest:
    headers = {key.lower(): value for key, value in delivery.headers.items()}
    peer = headers.get("x-forwarded-for", "127.0.0.1")
    return RawRequest("POST", "/webhooks/x", headers, {}, delivery.body if body is None else body, peer)


def _key(event: Any) -> tuple[str, EventKind, str | None, Money | None]:
    return (event.provider_payment_id, event.kind, event.order_id, event.amount)


async def _genuine(name: str, provider: Provider, emulators: PaymentEmulators) -> Delivery:
    if name == "tribute":
        return emulators.tribute.pay(TRIBUTE_SUBSCRIPTION, BUYER, amount=19900)
    order_id = f"order-{name}-0001"
    amount = Money(250, "USD") if name == "heleket" else Money(19900, "RUB")
    invoice = await provider.create_invoice(
        InvoiceRequest(order_id, amount, "VPN, 1 month", BUYER, f"idem-{name}", tariff_code="standard")
    )
    payment_id = str(invoice.provider_payment_id)
    if name == "heleket":
        return emulators.heleket.pay(order_id)
    if name == "freekassa":
        return emulators.freekassa.pay(order_id)
    if name == "severpay":
        return emulators.severpay.pay(int(payment_id))
    emulator: Any = emulators.all()[name]
    return emulator.pay(payment_id)  # type: ignore[no-any-return]


@pytest.fixture
async def genuine(payment_emulators: PaymentEmulators) -> AsyncIterator[dict[str, Genuine]]:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    found: dict[str, Genuine] = {}
    try:
        for name in WEBHOOK_PROVIDERS:
            provider = provider_module(name).create(_settings_of(name, payment_emulators), context)
            delivery = await _genuine(name, provider, payment_emulators)
            [event] = await provider.parse_notification(_raw(delivery))
            assert event.kind is EventKind.PAID
            found[name] = Genuine(provider, delivery, _key(event))
        yield found
    finally:
        for item in found.values():
            await item.provider.close()


async def _parse(provider: Provider, request: RawRequest) -> list[Any] | None:
    """The parser's events, or None for a refusal; within the time bound, nothing else escapes."""
    started = time.perf_counter()
    try:
        events: list[Any] | None = await provider.parse_notification(request)
    except NotificationRejected as refusal:
        assert 400 <= refusal.status < 500
        events = None
    assert time.perf_counter() - started < TIME_BOUND
    return events


# -- strategies ----------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False).map(str) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
random_bodies = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"[" * 200_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000, b"[" * 3_000 + b"]" * 3_000]),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=8).map(
        lambda fields: "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    ),
)
hostile_headers = st.dictionaries(
    st.sampled_from(
        [
            "crypto-pay-api-signature",
            "trbt-signature",
            "x-merchantid",
            "x-secret",
            "content-type",
            "x-signature",
        ]
    ),
    st.text(alphabet="0123456789abcdef", max_size=64),
    max_size=4,
)


@st.composite
def mutations(draw: st.DrawFn, body: bytes) -> bytes:
    """The body with one change: bytes flipped, cut out or inserted, or one JSON/form value replaced."""
    kind = draw(st.sampled_from(["flip", "cut", "insert", "value"]))
    if kind == "value":
        try:
            document = json.loads(body, parse_float=Decimal)
        except ValueError:
            document = None
        if isinstance(document, dict):
            changed = _replace_leaf(document, draw)
            return json.dumps(changed, default=str, separators=(",", ":")).encode()
        kind = "flip"
    position = draw(st.integers(0, max(len(body) - 1, 0)))
    if kind == "flip":
        mask = draw(st.integers(1, 255))
        return body[:position] + bytes([body[position] ^ mask]) + body[position + 1 :]
    if kind == "cut":
        length = draw(st.integers(1, 16))
        return body[:position] + body[position + length :]
    return body[:position] + draw(st.binary(min_size=1, max_size=16)) + body[position:]


def _replace_leaf(document: Any, draw: st.DrawFn) -> Any:
    if isinstance(document, dict) and document:
        key = draw(st.sampled_from(sorted(document)))
        return {**document, key: _replace_leaf(document[key], draw)}
    if isinstance(document, list) and document:
        index = draw(st.integers(0, len(document) - 1))
        return [*document[:index], _replace_leaf(document[index], draw), *document[index + 1 :]]
    replacement = draw(json_values)
    return replacement if replacement != document else f"{document}x"


# -- properties ----------------------------------------------------------------------------------------


@SHARED
@given(name=st.sampled_from(WEBHOOK_PROVIDERS), body=random_bodies, headers=hostile_headers)
async def test_random_notifications_are_answered_quickly_and_never_pay(
    genuine: dict[str, Genuine], name: str, body: bytes, headers: dict[str, str]
) -> None:
    request = RawRequest("POST", f"/webhooks/{name}", headers, {}, body, "127.0.0.1")
    events = await _parse(genuine[name].provider, request)
    assert not [event for event in events or [] if event.kind is EventKind.PAID]


@SHARED
@given(name=st.sampled_from(WEBHOOK_PROVIDERS), data=st.data())
async def test_a_mutated_genuine_notification_says_nothing_the_genuine_one_does_not(
    genuine: dict[str, Genuine], name: str, data: st.DataObject
) -> None:
    item = genuine[name]
    body = data.draw(mutations(item.delivery.body))
    events = await _parse(item.provider, _raw(item.delivery, body))
    assert all(_key(event) == item.event for event in events or [])


# -- through the shop: a refusal changes nothing -------------------------------------------------------


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@SHARED
@given(name=st.sampled_from(WEBHOOK_PROVIDERS), body=random_bodies, headers=hostile_headers)
async def test_hostile_posts_to_the_shop_change_nothing(
    shop: Shop, name: str, body: bytes, headers: dict[str, str]
) -> None:
    url = f"http://127.0.0.1:{shop.app.port}/webhooks/{name}"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        assert response.status < 500, (name, response.status)
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
        assert await session.scalar(select(func.count()).select_from(Order)) == 0
