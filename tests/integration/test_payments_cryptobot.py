"""The CryptoBot module against its emulator over real HTTP; webhooks reach it through a test server."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from pydantic import ValidationError

from remnastore.domain.money import Money
from remnastore.emulators.cryptobot import CryptoBotEmulator
from remnastore.payments import cryptobot
from remnastore.payments.base import (
    EventKind,
    InvoiceRequest,
    Provider,
    ProviderContext,
    ProviderError,
)
from remnastore.payments.capabilities import Refunds
from tests.fixtures.payments import NotificationReceiver, silent_server

TOKEN = f"{secrets.randbelow(10**6)}:AA{secrets.token_urlsafe(24)}"
CONTEXT = ProviderContext(public_url="https://shop.example", return_url="https://t.me/shop_bot", timeout=5.0)


def make_settings(api_url: str, **overrides: Any) -> cryptobot.Settings:
    values: dict[str, Any] = {
        "CRYPTOBOT_ENABLED": True,
        "CRYPTOBOT_TOKEN": TOKEN,
        "CRYPTOBOT_API_URL": api_url,
        "CRYPTOBOT_CURRENCY_TYPE": "fiat",
        "CRYPTOBOT_FIAT": "RUB",
        "CRYPTOBOT_ACCEPTED_ASSETS": "USDT,TON",
    }
    values.update(overrides)
    return cryptobot.Settings(**values)


def order(amount: Money | None = None, **overrides: Any) -> InvoiceRequest:
    values: dict[str, Any] = {
        "order_id": str(uuid.uuid4()),
        "amount": amount or Money(19900, "RUB"),
        "description": "VPN, 1 month",
        "telegram_user_id": 777002,
        "idempotency_key": str(uuid.uuid4()),
    }
    values.update(overrides)
    return InvoiceRequest(**values)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[CryptoBotEmulator]:
    async with CryptoBotEmulator(TOKEN) as running:
        yield running


@pytest_asyncio.fixture
async def provider(emulator: CryptoBotEmulator) -> AsyncIterator[cryptobot.CryptoBotProvider]:
    module = cryptobot.create(make_settings(emulator.api_url), CONTEXT)
    yield module
    await module.close()


@pytest_asyncio.fixture
async def receiver(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider
) -> AsyncIterator[NotificationReceiver]:
    async with NotificationReceiver(provider, path="/webhooks/cryptobot") as running:
        emulator.notify_url = running.url
        yield running


async def make_invoice(provider: cryptobot.CryptoBotProvider, request: InvoiceRequest) -> int:
    invoice = await provider.create_invoice(request)
    return int(invoice.provider_payment_id or 0)


# -- invoices ------------------------------------------------------------


def refusal(receiver: NotificationReceiver) -> str:
    """The reason the provider module gave for refusing the last notification (logged for the seller)."""
    rejected = receiver.outcomes[-1].rejected
    assert rejected is not None, receiver.outcomes[-1]
    return rejected.reason


async def test_module_satisfies_the_provider_protocol(provider: cryptobot.CryptoBotProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "cryptobot" and provider.currencies == frozenset({"RUB"})
    assert not isinstance(provider, Refunds) and provider.supports_status_poll and provider.uses_webhook


async def test_fiat_invoice(emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider) -> None:
    request = order()
    invoice = await provider.create_invoice(request)

    stored = emulator.invoices[int(invoice.provider_payment_id or 0)]
    assert invoice.pay_url == stored["bot_invoice_url"]
    assert invoice.expires_at is not None
    assert 3590 <= (invoice.expires_at - datetime.now(UTC)).total_seconds() <= 3600
    sent = emulator.requests[-1]
    assert sent.path == "/api/createInvoice" and sent.headers["Crypto-Pay-API-Token"] == TOKEN
    assert json.loads(sent.body) == {
        "currency_type": "fiat",
        "fiat": "RUB",
        "amount": "199.00",
        "accepted_assets": "USDT,TON",
        "description": "VPN, 1 month",
        "payload": request.order_id,
        "expires_in": 3600,
        "allow_comments": False,
        "paid_btn_name": "callback",
        "paid_btn_url": "https://t.me/shop_bot",
    }


async def test_crypto_invoice(emulator: CryptoBotEmulator) -> None:
    settings = make_settings(
        emulator.api_url, CRYPTOBOT_CURRENCY_TYPE="crypto", CRYPTOBOT_ASSET="usdt", CRYPTOBOT_EXPIRES_IN=900
    )
    module = cryptobot.create(settings, CONTEXT)
    try:
        assert module.currencies == frozenset({"USDT"})
        invoice = await module.create_invoice(order(Money(5_250_000, "USDT")))
    finally:
        await module.close()
    body = json.loads(emulator.requests[-1].body)
    assert body["currency_type"] == "crypto" and body["asset"] == "USDT" and body["amount"] == "5.25"
    assert body["expires_in"] == 900 and "fiat" not in body and "accepted_assets" not in body
    assert emulator.invoices[int(invoice.provider_payment_id or 0)]["asset"] == "USDT"


async def test_other_currencies_are_refused(provider: cryptobot.CryptoBotProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order(Money(500, "USD")))
    assert not caught.value.transient


async def test_wrong_token_is_a_permanent_error(emulator: CryptoBotEmulator) -> None:
    module = cryptobot.create(make_settings(emulator.api_url, CRYPTOBOT_TOKEN="1:wrong"), CONTEXT)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert caught.value.status == 401 and not caught.value.transient


async def test_api_errors_are_permanent(emulator: CryptoBotEmulator) -> None:
    module = cryptobot.create(make_settings(emulator.api_url, CRYPTOBOT_ACCEPTED_ASSETS="USDT,DOGE"), CONTEXT)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert (
        caught.value.status == 400 and not caught.value.transient and "ACCEPTED_ASSETS" in str(caught.value)
    )


# -- webhooks ------------------------------------------------------------


async def test_paid_webhook(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    request = order()
    invoice_id = await make_invoice(provider, request)
    delivery = await emulator.deliver(emulator.pay(invoice_id, asset="TON"))

    assert delivery.status == 200
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.provider == "cryptobot"
    assert event.provider_payment_id == str(invoice_id) and event.order_id == request.order_id
    assert event.amount == Money(19900, "RUB")
    assert event.raw["paid_asset"] == "TON" and event.raw["paid_amount"] != "199.00"
    assert event.occurred_at.tzinfo is not None


async def test_paid_crypto_invoice_carries_the_asset_amount(emulator: CryptoBotEmulator) -> None:
    module = cryptobot.create(make_settings(emulator.api_url, CRYPTOBOT_CURRENCY_TYPE="crypto"), CONTEXT)
    try:
        async with NotificationReceiver(module) as receiver:
            emulator.notify_url = receiver.url
            invoice_id = await make_invoice(module, order(Money(3_000_000, "USDT")))
            await emulator.deliver(emulator.pay(invoice_id))
    finally:
        await module.close()
    assert receiver.events[0].amount == Money(3_000_000, "USDT")


async def test_duplicate_webhooks_are_each_acknowledged(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    replies = await emulator.deliver_many(emulator.pay(invoice_id), 3)
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert {event.provider_payment_id for event in receiver.events} == {str(invoice_id)}


async def test_signature_from_another_token_is_refused(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    emulator.pay(invoice_id)
    forged = emulator.notification(emulator.invoices[invoice_id], token="999:AAforged")
    assert (await emulator.deliver(forged)).status == 401
    assert receiver.events == [] and refusal(receiver) == "signature mismatch"


async def test_missing_signature_is_refused(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    delivery = emulator.pay(invoice_id)
    del delivery.headers["crypto-pay-api-signature"]
    assert (await emulator.deliver(delivery)).status == 401
    assert refusal(receiver) == "no signature header"


async def test_the_signature_covers_the_raw_bytes(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    delivery = emulator.pay(invoice_id)
    signed_body = delivery.body
    delivery.body = json.dumps(json.loads(signed_body), indent=1).encode()  # same data, other bytes
    assert (await emulator.deliver(delivery)).status == 401
    delivery.body = signed_body.replace(b'"amount":"199.00"', b'"amount":"1.00"')
    assert (await emulator.deliver(delivery)).status == 401
    delivery.body = signed_body
    assert (await emulator.deliver(delivery)).status == 200


async def test_wrong_amount_is_reported_faithfully(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    emulator.pay(invoice_id)
    cheap = dict(emulator.invoices[invoice_id], amount="1.00")
    assert (await emulator.deliver(emulator.notification(cheap))).status == 200
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.amount == Money(100, "RUB")


async def test_stale_and_future_updates_are_refused(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    emulator.pay(invoice_id)
    invoice = emulator.invoices[invoice_id]
    now = datetime.now(UTC)
    stale = await emulator.deliver(emulator.notification(invoice, request_date=now - timedelta(days=2)))
    future = await emulator.deliver(emulator.notification(invoice, request_date=now + timedelta(hours=1)))
    late = await emulator.deliver(emulator.notification(invoice, request_date=now - timedelta(hours=23)))
    assert (stale.status, future.status, late.status) == (403, 403, 200)
    assert len(receiver.events) == 1


async def test_replay_window_is_configurable(emulator: CryptoBotEmulator) -> None:
    module = cryptobot.create(make_settings(emulator.api_url, CRYPTOBOT_REPLAY_WINDOW=600), CONTEXT)
    try:
        async with NotificationReceiver(module) as receiver:
            emulator.notify_url = receiver.url
            invoice_id = await make_invoice(module, order())
            emulator.pay(invoice_id)
            old = datetime.now(UTC) - timedelta(minutes=20)
            delivery = await emulator.deliver(
                emulator.notification(emulator.invoices[invoice_id], request_date=old)
            )
    finally:
        await module.close()
    assert delivery.status == 403 and receiver.events == []


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (None, "body is not JSON"),
        ([], "not a Crypto Pay update"),
        (
            {"update_type": "invoice_paid", "payload": {"invoice_id": 1, "status": "paid"}},
            "request_date is missing or unreadable",
        ),
        (
            {"update_type": "invoice_paid", "request_date": "yesterday", "payload": {}},
            "request_date is missing or unreadable",
        ),
        ({"update_id": 1, "update_type": "invoice_paid", "request_date": "NOW"}, "update without an invoice"),
        (
            {
                "update_id": 1,
                "update_type": "invoice_paid",
                "request_date": "NOW",
                "payload": {"invoice_id": 5},
            },
            "invoice with an unknown status",
        ),
    ],
    ids=["garbage", "array", "no-date", "bad-date", "no-invoice", "no-status"],
)
async def test_malformed_but_signed_bodies_are_400(
    emulator: CryptoBotEmulator, receiver: NotificationReceiver, update: Any, reason: str
) -> None:
    if update is None:
        body = b"not json"
    else:
        if isinstance(update, dict) and update.get("request_date") == "NOW":
            update["request_date"] = datetime.now(UTC).isoformat()
        body = json.dumps(update).encode()
    delivery = emulator.notification({})
    delivery.body = body
    delivery.headers["crypto-pay-api-signature"] = cryptobot.signature(TOKEN, body)
    assert (await emulator.deliver(delivery)).status == 400
    assert receiver.events == [] and refusal(receiver) == reason


async def test_other_update_types_are_acknowledged_without_events(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    delivery = emulator.notification(emulator.invoices[invoice_id], update_type="check_activated")
    assert (await emulator.deliver(delivery)).status == 200
    assert receiver.events == [] and len(receiver.outcomes) == 1


async def test_our_failure_asks_for_redelivery(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    receiver.settle_ok = False
    assert (await emulator.deliver(emulator.pay(invoice_id))).status == 500


def test_ack_replies(provider: cryptobot.CryptoBotProvider) -> None:
    assert provider.ack(accepted=True).status == 200
    assert provider.ack(accepted=False).status >= 500


# -- status, refunds, outages ------------------------------------------------------------


async def test_fetch_status_maps_active_paid_and_expired(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider
) -> None:
    request = order()
    invoice_id = await make_invoice(provider, request)
    pending = await provider.fetch_status(request.order_id, str(invoice_id))
    assert pending is not None and pending.kind is EventKind.PENDING and pending.order_id == request.order_id
    assert emulator.requests[-1].path == "/api/getInvoices"
    emulator.pay(invoice_id)
    paid = await provider.fetch_status(request.order_id, str(invoice_id))
    assert paid is not None and paid.kind is EventKind.PAID and paid.amount == Money(19900, "RUB")

    other = order()
    other_id = await make_invoice(provider, other)
    emulator.expire(other_id)
    expired = await provider.fetch_status(other.order_id, str(other_id))
    assert expired is not None and expired.kind is EventKind.CANCELED
    assert await provider.fetch_status(other.order_id, "987654") is None


async def test_fetch_status_by_order_id_prefers_the_paid_invoice(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider
) -> None:
    request = order()
    first = await make_invoice(provider, request)
    await make_invoice(provider, request)  # a retried create makes a second invoice
    emulator.pay(first)
    found = await provider.fetch_status(request.order_id, None)
    assert found is not None and found.kind is EventKind.PAID and found.provider_payment_id == str(first)
    assert await provider.fetch_status(str(uuid.uuid4()), None) is None


async def test_refunds_are_not_supported(provider: cryptobot.CryptoBotProvider) -> None:
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard


async def test_provider_down_is_transient(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider
) -> None:
    emulator.set_down()
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order())
    assert caught.value.transient and caught.value.status == 503
    emulator.set_down(False)
    emulator.fail_next(500)
    with pytest.raises(ProviderError) as again:
        await provider.fetch_status("x", "1")
    assert again.value.transient


async def test_hanging_provider_times_out_transiently() -> None:
    async with silent_server() as url:
        module = cryptobot.create(
            make_settings(url), ProviderContext(None, "https://t.me/shop_bot", timeout=0.5)
        )
        started = time.monotonic()
        try:
            with pytest.raises(ProviderError) as caught:
                await module.create_invoice(order())
        finally:
            await module.close()
    assert caught.value.transient and time.monotonic() - started < 3


# -- settings ------------------------------------------------------------


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRYPTOBOT_TOKEN", raising=False)
    assert cryptobot.Settings(CRYPTOBOT_ENABLED=False).missing() == []
    defaults = cryptobot.Settings(CRYPTOBOT_ENABLED=True)
    assert defaults.missing() == ["CRYPTOBOT_TOKEN"]
    assert defaults.api_url == "https://pay.crypt.bot/api" and defaults.replay_window == 86400
    assert defaults.currency_type == "fiat" and defaults.fiat == "RUB"
    monkeypatch.setenv("CRYPTOBOT_ACCEPTED_ASSETS", "usdt, ton")
    assert cryptobot.Settings().accepted_assets == ["USDT", "TON"]
    with pytest.raises(ValidationError, match="'XYZ' is not a currency"):
        cryptobot.Settings(CRYPTOBOT_FIAT="XYZ")
    with pytest.raises(ValidationError, match="CRYPTOBOT_CURRENCY_TYPE"):
        cryptobot.Settings(CRYPTOBOT_CURRENCY_TYPE="barter")
    for name, field in cryptobot.Settings.model_fields.items():
        assert field.description, name
    assert TOKEN not in repr(make_settings("http://x"))


async def test_the_event_takes_its_time_from_paid_at_and_an_empty_payload_is_no_order(
    emulator: CryptoBotEmulator, provider: cryptobot.CryptoBotProvider, receiver: NotificationReceiver
) -> None:
    invoice_id = await make_invoice(provider, order())
    emulator.pay(invoice_id)
    paid = dict(emulator.invoices[invoice_id], paid_at="2026-03-01T10:00:00.000Z", payload="")
    sent_at = datetime.now(UTC)
    assert (await emulator.deliver(emulator.notification(paid, request_date=sent_at))).status == 200
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.order_id is None
    assert event.occurred_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    # an invoice that is not paid has no paid_at: the update's own date is the event's time
    expired = dict(emulator.invoices[invoice_id], status="expired", paid_at=None)
    assert (await emulator.deliver(emulator.notification(expired, request_date=sent_at))).status == 200
    assert receiver.events[-1].occurred_at == sent_at.replace(microsecond=sent_at.microsecond // 1000 * 1000)
