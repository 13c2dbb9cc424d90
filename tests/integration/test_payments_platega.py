"""Platega module against its emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.platega import PlategaEmulator
from remnastore.emulators.provider_base import Delivery
from remnastore.payments import platega
from remnastore.payments.base import (
    EventKind,
    InvoiceRequest,
    NotificationRejected,
    Provider,
    ProviderContext,
    ProviderError,
    RawRequest,
)
from remnastore.payments.capabilities import Refunds
from remnastore.payments.platega import PlategaProvider, Settings
from tests.fixtures.payments import NotificationReceiver


def _settings(emulator: PlategaEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "PLATEGA_ENABLED": True,
        "PLATEGA_MERCHANT_ID": emulator.merchant_id,
        "PLATEGA_SECRET": emulator.secret,
        "PLATEGA_API_URL": emulator.url,
    }
    values.update(overrides)
    return Settings(**values)


def _request(
    order_id: str = "ord-1", minor: int = 19900, description: str = "VPN, 1 month"
) -> InvoiceRequest:
    return InvoiceRequest(
        order_id=order_id,
        amount=Money(minor, "RUB"),
        description=description,
        telegram_user_id=777000111,
        idempotency_key=f"idem-{order_id}",
    )


def _raw(delivery: Delivery) -> RawRequest:
    headers = {key.lower(): value for key, value in delivery.headers.items()}
    return RawRequest("POST", "/webhooks/platega", headers, {}, delivery.body, "127.0.0.1")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[PlategaEmulator]:
    async with PlategaEmulator(str(uuid.uuid4()), secrets.token_urlsafe(24)) as emu:
        yield emu


@pytest_asyncio.fixture
async def provider(emulator: PlategaEmulator) -> AsyncIterator[PlategaProvider]:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = platega.create(_settings(emulator), context)
    yield module
    await module.close()


async def _transaction(provider: PlategaProvider, order_id: str = "ord-1") -> str:
    invoice = await provider.create_invoice(_request(order_id))
    assert invoice.provider_payment_id is not None
    return invoice.provider_payment_id


def test_settings() -> None:
    assert Settings(PLATEGA_ENABLED=True).missing() == ["PLATEGA_MERCHANT_ID", "PLATEGA_SECRET"]
    assert Settings(PLATEGA_ENABLED=False).missing() == []
    assert Settings().api_url == "https://app.platega.io"
    assert Settings().payment_method == 2
    assert Settings(PLATEGA_MERCHANT_ID=" ").merchant_id is None


async def test_create_invoice(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    assert isinstance(provider, Provider) and provider.currencies == frozenset({"RUB"})
    long_text = "Подписка VPN " * 10
    invoice = await provider.create_invoice(_request(description=long_text))
    assert invoice.provider_payment_id in emulator.transactions
    assert invoice.pay_url == f"{emulator.url}/pay/{invoice.provider_payment_id}"
    transaction = emulator.transactions[invoice.provider_payment_id]
    assert transaction.payload == "ord-1"
    assert transaction.amount == Decimal("199.00") and transaction.currency == "RUB"
    assert transaction.description == long_text[:64]
    assert transaction.return_url == "https://t.me/shop_bot"
    sent = json.loads(emulator.requests[-1].body, parse_float=Decimal)
    assert sent["paymentMethod"] == 2 and sent["paymentDetails"]["amount"] == Decimal("199.00")
    assert emulator.requests[-1].headers["X-MerchantId"] == emulator.merchant_id
    # expiresIn "00:15:00": the invoice is payable for 15 minutes
    assert invoice.expires_at is not None
    remaining = invoice.expires_at - datetime.now(UTC)
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)


async def test_paid_callback_over_http_and_ping(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    transaction_id = await _transaction(provider)
    async with NotificationReceiver(provider, path="/webhooks/platega") as receiver:
        emulator.notify_url = receiver.url
        ping = await emulator.deliver(emulator.ping())
        paid = await emulator.deliver(emulator.pay(transaction_id))
        emulator.set_down()
        retry = await emulator.deliver(emulator.callback(transaction_id, "CONFIRMED"))
    assert ping.status == 200 and paid.status == 200
    assert retry.status >= 500, "a callback that cannot be confirmed must be delivered again"
    assert receiver.last.error is not None and receiver.last.status == retry.status
    [event] = receiver.events
    assert event.kind is EventKind.PAID
    assert event.provider_payment_id == transaction_id
    assert event.order_id == "ord-1"
    assert event.amount == Money(19900, "RUB")


@pytest.mark.parametrize(
    ("move", "kind"),
    [
        ("cancel", EventKind.CANCELED),
        ("chargeback", EventKind.CHARGEBACK),
        ("fail", EventKind.FAILED),
        ("expire", EventKind.FAILED),
    ],
)
async def test_states(
    provider: PlategaProvider, emulator: PlategaEmulator, move: str, kind: EventKind
) -> None:
    transaction_id = await _transaction(provider)
    if move == "chargeback":
        [paid] = await provider.parse_notification(_raw(emulator.pay(transaction_id)))
        assert paid.kind is EventKind.PAID
        delivery = emulator.chargeback(transaction_id)
    elif move == "expire":
        delivery = emulator.fail(transaction_id, status="EXPIRED")
    else:
        delivery = getattr(emulator, move)(transaction_id)
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.kind is kind and event.provider_payment_id == transaction_id


async def test_callback_state_is_confirmed_through_the_api(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    claim = emulator.callback(transaction_id, "CONFIRMED", amount=Decimal("1.00"), payload="other-order")
    [event] = await provider.parse_notification(_raw(claim))
    assert event.kind is EventKind.PENDING
    assert event.order_id == "ord-1" and event.amount == Money(19900, "RUB")
    emulator.pay(transaction_id)
    late_pending = emulator.callback(transaction_id, "PENDING")
    [event] = await provider.parse_notification(_raw(late_pending))
    assert event.kind is EventKind.PAID
    assert len([r for r in emulator.requests if r.method == "GET"]) == 2


async def test_wrong_amount_paid_is_reported(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    transaction_id = await _transaction(provider)
    [event] = await provider.parse_notification(_raw(emulator.pay(transaction_id, amount=Decimal("1.50"))))
    assert event.kind is EventKind.PAID and event.amount == Money(150, "RUB")


@pytest.mark.parametrize("keys", ["camel", "pascal", "upper"])
async def test_key_casing(provider: PlategaProvider, emulator: PlategaEmulator, keys: Any) -> None:
    transaction_id = await _transaction(provider)
    delivery = emulator.pay(transaction_id, keys=keys)
    assert (b'"ID"' in delivery.body) == (keys == "upper")
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.kind is EventKind.PAID and event.provider_payment_id == transaction_id


async def test_wrong_credentials_are_401(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    transaction_id = await _transaction(provider)
    forged = [
        emulator.callback(transaction_id, "CONFIRMED", secret="guess"),
        emulator.callback(transaction_id, "CONFIRMED", merchant_id=str(uuid.uuid4())),
        Delivery("", emulator.callback(transaction_id, "CONFIRMED").body, {}),
    ]
    for delivery in forged:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert caught.value.status == 401
    assert emulator.transactions[transaction_id].status == "PENDING"


async def test_malformed_and_unknown(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    good = emulator.callback("x", "CONFIRMED")
    for body in (b"{not json", b"[1, 2]", b'{"status": "CONFIRMED"}', b'{"id": ""}'):
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(Delivery("", body, good.headers)))
        assert caught.value.status == 400
    unknown = emulator.callback(str(uuid.uuid4()), "CONFIRMED")
    assert await provider.parse_notification(_raw(unknown)) == []
    assert await provider.parse_notification(_raw(emulator.ping())) == []


async def test_fetch_status_and_no_refund(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    transaction_id = await _transaction(provider)
    assert await provider.fetch_status("ord-1", None) is None
    assert await provider.fetch_status("ord-1", str(uuid.uuid4())) is None
    pending = await provider.fetch_status("ord-1", transaction_id)
    assert pending is not None and pending.kind is EventKind.PENDING
    emulator.pay(transaction_id)
    paid = await provider.fetch_status("ord-1", transaction_id)
    assert paid is not None and paid.kind is EventKind.PAID and paid.amount == Money(19900, "RUB")
    assert not isinstance(provider, Refunds)
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard


def test_ack(provider: PlategaProvider) -> None:
    assert provider.ack(accepted=True).status == 200
    assert provider.ack(accepted=False).status >= 500


async def test_provider_errors(provider: PlategaProvider, emulator: PlategaEmulator) -> None:
    emulator.fail_next(502)
    with pytest.raises(ProviderError) as bad_gateway:
        await provider.create_invoice(_request())
    assert bad_gateway.value.transient is True
    emulator.fail_next(400)
    with pytest.raises(ProviderError) as refused:
        await provider.create_invoice(_request())
    assert refused.value.transient is False
    emulator.set_down()
    with pytest.raises(ProviderError) as down:
        await provider.fetch_status("ord-1", "any")
    assert down.value.transient is True


async def test_wrong_api_credentials_are_not_transient(emulator: PlategaEmulator) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = platega.create(_settings(emulator, PLATEGA_SECRET="wrong"), context)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(_request())
    finally:
        await module.close()
    assert caught.value.transient is False and caught.value.status == 401


async def test_silent_provider_times_out(emulator: PlategaEmulator) -> None:
    release = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=0.5)
    module = platega.create(_settings(emulator, PLATEGA_API_URL=f"http://127.0.0.1:{port}"), context)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(_request())
    finally:
        await module.close()
        release.set()
        server.close()
        await server.wait_closed()
    assert caught.value.transient is True
    assert time.monotonic() - started < 2.0


# -- the notification path, rule by rule ------------------------------------------------------

LOGGER = "remnastore.payments.platega"


def _logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, object]]]:
    keys = ("peer", "id", "state")
    return [(r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in caplog.records]


async def test_an_event_keeps_the_transaction_as_platega_reports_it_and_is_dated_on_arrival(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    delivery = emulator.pay(transaction_id)
    before = datetime.now(UTC)
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.provider == "platega" and before <= event.occurred_at <= datetime.now(UTC)
    assert event.raw["id"] == transaction_id and event.raw["status"] == "CONFIRMED"
    assert event.raw["paymentDetails"] == {"amount": "199.00", "currency": "RUB"}


async def test_an_order_id_and_a_currency_are_read_only_when_given(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    transaction = emulator.transactions[transaction_id]
    transaction.payload = ""
    transaction.currency = ""
    [event] = await provider.parse_notification(_raw(emulator.pay(transaction_id)))
    assert event.order_id is None and event.amount == Money(19900, "RUB")


async def test_an_amount_platega_cannot_have_meant_is_an_error_not_a_payment(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    delivery = emulator.pay(transaction_id, amount=Decimal("1.005"))
    with pytest.raises(ProviderError, match=r"platega amount Decimal\('1.005'\) 'RUB'") as caught:
        await provider.parse_notification(_raw(delivery))
    assert caught.value.transient is False


async def test_each_refusal_says_why_and_the_suspicious_ones_are_logged(
    provider: PlategaProvider, emulator: PlategaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    transaction_id = await _transaction(provider)
    good = emulator.callback(transaction_id, "CONFIRMED")
    cases = [
        (emulator.callback(transaction_id, "CONFIRMED", secret="guess"), "wrong X-MerchantId/X-Secret", 401),
        (Delivery("", b"{not json", good.headers), "body is not JSON", 400),
        (Delivery("", b"[1, 2]", good.headers), "body is not a JSON object", 400),
        (Delivery("", b'{"status": "CONFIRMED"}', good.headers), "callback without a transaction id", 400),
        (Delivery("", b'{"id": "  "}', good.headers), "callback without a transaction id", 400),
        (Delivery("", b'{"id": [1]}', good.headers), "callback without a transaction id", 400),
    ]
    for delivery, reason, status in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert (caught.value.reason, caught.value.status) == (reason, status)
    assert _logged(caplog) == [("platega callback with wrong credentials", {"peer": "127.0.0.1"})]


async def test_a_numeric_transaction_id_is_looked_up_as_text(
    provider: PlategaProvider, emulator: PlategaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    good = emulator.callback("x", "CONFIRMED")
    assert await provider.parse_notification(_raw(Delivery("", b'{"id": 42}', good.headers))) == []
    assert _logged(caplog) == [("platega callback for an unknown transaction", {"id": "42"})]
    assert [r.path for r in emulator.requests if r.method == "GET"] == ["/transaction/42"]


async def test_credentials_with_an_empty_body_are_acknowledged_without_an_event(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    headers = emulator.callback("x", "CONFIRMED").headers
    assert await provider.parse_notification(_raw(Delivery("", b"  ", headers))) == []
    only_merchant = {k: v for k, v in headers.items() if k != "X-Secret"}
    with pytest.raises(NotificationRejected, match="wrong X-MerchantId/X-Secret"):
        await provider.parse_notification(_raw(Delivery("", b"", only_merchant)))


async def test_a_transaction_in_a_state_this_module_does_not_know_gives_no_event(
    provider: PlategaProvider, emulator: PlategaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    transaction_id = await _transaction(provider)
    emulator.transactions[transaction_id].status = "on_hold"
    assert await provider.parse_notification(_raw(emulator.callback(transaction_id, "CONFIRMED"))) == []
    assert _logged(caplog) == [("platega transaction in an unknown state", {"state": "ON_HOLD"})]


async def test_the_transaction_asked_for_names_the_event_when_plategas_record_omits_its_id(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    delivery = emulator.pay(transaction_id)
    emulator.transactions[transaction_id].id = ""
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.provider_payment_id == transaction_id


async def test_a_callback_may_name_its_transaction_as_transaction_id(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    headers = emulator.pay(transaction_id).headers
    body = json.dumps({"transactionId": transaction_id, "status": "CONFIRMED"}).encode()
    [event] = await provider.parse_notification(_raw(Delivery("", body, headers)))
    assert event.provider_payment_id == transaction_id and event.kind is EventKind.PAID


async def test_the_amount_is_read_in_the_transactions_currency_or_not_at_all(
    provider: PlategaProvider, emulator: PlategaEmulator
) -> None:
    transaction_id = await _transaction(provider)
    emulator.transactions[transaction_id].currency = "USD"
    [event] = await provider.parse_notification(_raw(emulator.pay(transaction_id, amount=Decimal("2.50"))))
    assert event.amount == Money(250, "USD")
    emulator.transactions[transaction_id].amount = None  # type: ignore[assignment]  # a record without one
    [event] = await provider.parse_notification(_raw(emulator.callback(transaction_id, "CONFIRMED")))
    assert event.amount is None
