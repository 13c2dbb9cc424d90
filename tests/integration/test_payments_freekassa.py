"""FreeKassa module against its emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.freekassa import FreeKassaEmulator
from remnastore.payments import freekassa
from remnastore.payments.base import (
    EventKind,
    InvoiceRequest,
    NotificationRejected,
    Provider,
    ProviderContext,
    ProviderError,
    RawRequest,
)
from remnastore.payments.capabilities import RefundRequest, Refunds
from remnastore.payments.freekassa import FreeKassaProvider, Settings
from remnastore.payments.freekassa_wire import next_nonce
from tests.fixtures.payments import NotificationReceiver

SHOP_ID = 31337
SERVER_IP = "203.0.113.7"


def _settings(emulator: FreeKassaEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "FREEKASSA_ENABLED": True,
        "FREEKASSA_SHOP_ID": SHOP_ID,
        "FREEKASSA_API_KEY": emulator.api_key,
        "FREEKASSA_SECRET_WORD_2": emulator.secret_word_2,
        "FREEKASSA_API_URL": f"{emulator.url}/v1",
        "FREEKASSA_SERVER_IP": SERVER_IP,
        "FREEKASSA_ALLOWED_IPS": "127.0.0.1",
    }
    values.update(overrides)
    return Settings(**values)


def _request(order_id: str = "ord-1", minor: int = 19900, **extra: Any) -> InvoiceRequest:
    return InvoiceRequest(
        order_id=order_id,
        amount=Money(minor, "RUB"),
        description="VPN, 1 month",
        telegram_user_id=777000111,
        idempotency_key=f"idem-{order_id}",
        **extra,
    )


def _raw(body: bytes, *, method: str = "POST", query: dict[str, str] | None = None, ip: str = "127.0.0.1"):
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return RawRequest(method, "/webhooks/freekassa", headers, query or {}, body, ip)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[FreeKassaEmulator]:
    async with FreeKassaEmulator(SHOP_ID, secrets.token_hex(16), secrets.token_hex(8)) as emu:
        yield emu


@pytest_asyncio.fixture
async def provider(emulator: FreeKassaEmulator) -> AsyncIterator[FreeKassaProvider]:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = freekassa.create(_settings(emulator), context)
    yield module
    await module.close()


async def test_module_contract(provider: FreeKassaProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == freekassa.NAME == "freekassa"
    assert provider.currencies == frozenset({"RUB"})
    assert isinstance(provider, Refunds) and provider.supports_status_poll and provider.uses_webhook


def test_settings_defaults_and_missing() -> None:
    settings = Settings(FREEKASSA_ENABLED=True)
    assert settings.missing() == [
        "FREEKASSA_SHOP_ID",
        "FREEKASSA_API_KEY",
        "FREEKASSA_SECRET_WORD_2",
        "FREEKASSA_SERVER_IP",
    ]
    assert settings.payment_method_id == 44
    assert settings.check_ip is True
    assert settings.allowed_ips == list(freekassa.PUBLISHED_IPS)
    assert settings.api_url == "https://api.fk.life/v1"
    assert Settings(FREEKASSA_ENABLED=False).missing() == []
    custom = Settings(FREEKASSA_ALLOWED_IPS="10.0.0.0/8, 192.0.2.1", FREEKASSA_CHECK_IP="false")
    assert custom.allowed_ips == ["10.0.0.0/8", "192.0.2.1"] and custom.check_ip is False
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        Settings(FREEKASSA_ALLOWED_IPS="not-an-ip")
    with pytest.raises(ValueError, match="FREEKASSA_SERVER_IP"):
        Settings(FREEKASSA_SERVER_IP="300.1.1.1")


def test_nonce_is_strictly_increasing() -> None:
    nonces = [next_nonce() for _ in range(5000)]
    assert all(later > earlier for earlier, later in itertools.pairwise(nonces))
    assert nonces[0] >= time.time_ns() - 10**10


async def test_create_invoice_signs_and_reuses_the_order(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    invoice = await provider.create_invoice(_request())
    assert invoice.provider_payment_id is not None
    assert invoice.pay_url.startswith(f"{emulator.url}/form/")
    order = emulator.find("ord-1")
    assert str(order.fk_order_id) == invoice.provider_payment_id
    assert order.amount == 199 and order.currency == "RUB"
    assert order.request["i"] == "44"
    assert order.request["email"] == "777000111@telegram.org"
    assert order.request["ip"] == SERVER_IP
    assert order.request["amount"] == "199"
    assert order.request["success_url"] == "https://t.me/shop_bot"

    again = await provider.create_invoice(_request())
    assert again.provider_payment_id == invoice.provider_payment_id
    assert len(emulator.orders) == 1
    nonces = [json.loads(r.body)["nonce"] for r in emulator.requests]
    assert nonces[1] > nonces[0]


async def test_create_invoice_fractional_amount_and_configured_email(emulator: FreeKassaEmulator) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = freekassa.create(_settings(emulator, FREEKASSA_EMAIL="buyer@shop.example.org"), context)
    try:
        await module.create_invoice(_request("ord-frac", 19950))
        await module.create_invoice(_request("ord-own", 10000, email="own@mail.ru"))
    finally:
        await module.close()
    fractional = emulator.find("ord-frac")
    assert fractional.request["amount"] == "199.5"
    assert fractional.request["email"] == "buyer@shop.example.org"
    assert emulator.find("ord-own").request["email"] == "own@mail.ru"
    body = emulator.requests[0].body.decode()
    assert '"amount":199.5' in body


async def test_emulator_refuses_replayed_nonce_and_bad_signature(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    await provider.create_invoice(_request())
    replay = emulator.requests[-1].body
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emulator.url}/v1/orders/create", data=replay) as response:
            assert response.status == 400
            assert "nonce" in (await response.json())["message"].lower()
        forged = json.loads(replay)
        forged["nonce"] = next_nonce()
        async with session.post(f"{emulator.url}/v1/orders/create", json=forged) as response:
            assert response.status == 401


async def test_nonce_refused_twice_is_an_error(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    emulator.last_nonce = next_nonce() + 10**15
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(_request())
    assert caught.value.transient is False
    assert len(emulator.requests) == 2
    assert not emulator.orders


async def test_paid_notification_over_http(provider: FreeKassaProvider, emulator: FreeKassaEmulator) -> None:
    invoice = await provider.create_invoice(_request())
    async with NotificationReceiver(provider, path="/webhooks/freekassa") as receiver:
        emulator.notify_url = receiver.url
        delivery = await emulator.deliver(emulator.pay("ord-1"))
        replay = await emulator.deliver(emulator.pay("ord-1"))
    assert (delivery.status, delivery.reply) == (200, "YES")
    assert (replay.status, replay.reply) == (200, "YES")
    first, second = receiver.events
    assert first.kind is EventKind.PAID
    assert first.amount == Money(19900, "RUB")
    assert first.order_id == "ord-1"
    assert first.provider_payment_id == invoice.provider_payment_id
    assert second.provider_payment_id == first.provider_payment_id


@pytest.mark.parametrize("amount", ["199", "199.00"])
async def test_amount_text_is_signed_as_received(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator, amount: str
) -> None:
    await provider.create_invoice(_request())
    delivery = emulator.pay("ord-1", amount=amount)
    [event] = await provider.parse_notification(_raw(delivery.body))
    assert event.amount == Money(19900, "RUB")
    other = "199.00" if amount == "199" else "199"
    good_sign = delivery.extra["fields"]["SIGN"]
    mismatched = emulator.notification("ord-1", other, intid=1, sign=good_sign)
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification(_raw(mismatched.body))
    assert caught.value.status == 401


async def test_get_notification(provider: FreeKassaProvider, emulator: FreeKassaEmulator) -> None:
    await provider.create_invoice(_request())
    delivery = emulator.pay("ord-1")
    query = dict(parse_qsl(delivery.body.decode()))
    [event] = await provider.parse_notification(_raw(b"", method="GET", query=query))
    assert event.kind is EventKind.PAID and event.order_id == "ord-1"


async def test_wrong_amount_is_reported_faithfully(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    await provider.create_invoice(_request())
    [event] = await provider.parse_notification(_raw(emulator.pay("ord-1", amount="1.00").body))
    assert event.amount == Money(100, "RUB")


async def test_forged_notifications_are_rejected(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    cases = [
        (emulator.notification("ord-1", "199", intid=5, secret="guess"), 401),
        (emulator.notification("ord-1", "199", intid=5, sign=""), 401),
        (emulator.notification("ord-1", "199", intid=5, merchant_id=1), 403),
    ]
    for delivery, status in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery.body))
        assert caught.value.status == status


async def test_malformed_notifications_are_400(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    bad_amount = emulator.notification("ord-1", "abc", intid=5)
    too_precise = emulator.notification("ord-1", "199.001", intid=5)
    for body in (bad_amount.body, too_precise.body, b"MERCHANT_ID=1&SIGN=x", b"%%%&&\xff\xfe"):
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(body))
        assert caught.value.status == 400


async def test_sender_address_allow_list(emulator: FreeKassaEmulator) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    published = freekassa.create(_settings(emulator, FREEKASSA_ALLOWED_IPS=freekassa.PUBLISHED_IPS), context)
    unchecked = freekassa.create(_settings(emulator, FREEKASSA_CHECK_IP=False), context)
    invoice = await published.create_invoice(_request("ord-9", 10000))
    body = emulator.pay("ord-9").body
    with pytest.raises(NotificationRejected) as caught:
        await published.parse_notification(_raw(body))
    assert caught.value.status == 403
    [event] = await published.parse_notification(_raw(body, ip="168.119.157.136"))
    assert event.provider_payment_id == invoice.provider_payment_id
    [event] = await unchecked.parse_notification(_raw(body, ip="198.51.100.1"))
    assert event.order_id == "ord-9"
    await published.close()
    await unchecked.close()


async def test_key_is_freekassas_own_order_id_not_the_unsigned_intid(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    """intid is outside SIGN: the key comes from FreeKassa's record of the signed MERCHANT_ORDER_ID."""
    mine = await provider.create_invoice(_request("ord-5", 5000))
    other = await provider.create_invoice(_request("ord-6", 5000))
    fields = emulator.pay("ord-5").extra["fields"]
    without_intid = "&".join(f"{key}={value}" for key, value in fields.items() if key != "intid").encode()
    [event] = await provider.parse_notification(_raw(without_intid))
    assert event.provider_payment_id == mine.provider_payment_id
    # the genuine signed notification of ord-5, re-sent with ord-6's intid, is refused
    stolen = emulator.notification("ord-5", fields["AMOUNT"], intid=str(other.provider_payment_id))
    with pytest.raises(NotificationRejected, match="intid") as caught:
        await provider.parse_notification(_raw(stolen.body))
    assert caught.value.status == 403
    # a correctly signed notification for an order FreeKassa never created is refused too
    unknown = emulator.notification("ord-404", "50", intid=5)
    with pytest.raises(NotificationRejected, match="unknown") as caught:
        await provider.parse_notification(_raw(unknown.body))
    assert caught.value.status == 403


async def test_fetch_status_and_refund(provider: FreeKassaProvider, emulator: FreeKassaEmulator) -> None:
    assert await provider.fetch_status("nothing", None) is None
    invoice = await provider.create_invoice(_request())
    assert invoice.provider_payment_id is not None
    pending = await provider.fetch_status("ord-1", invoice.provider_payment_id)
    assert pending is not None and pending.kind is EventKind.PENDING
    emulator.pay("ord-1")
    paid = await provider.fetch_status("ord-1", None)
    assert paid is not None and paid.kind is EventKind.PAID
    assert paid.amount == Money(19900, "RUB")
    assert paid.provider_payment_id == invoice.provider_payment_id and paid.order_id == "ord-1"

    with pytest.raises(ProviderError) as partial:
        await provider.refund_order(
            RefundRequest("order", invoice.provider_payment_id, Money(10000, "RUB"), 0, "refund-1")
        )
    assert partial.value.transient is False
    await provider.refund_order(
        RefundRequest("order", invoice.provider_payment_id, Money(19900, "RUB"), 0, "refund-1")
    )
    await provider.refund_order(
        RefundRequest("order", invoice.provider_payment_id, Money(19900, "RUB"), 0, "refund-1")
    )
    assert emulator.refunds == [int(invoice.provider_payment_id)]
    refunded = await provider.fetch_status("ord-1", invoice.provider_payment_id)
    assert refunded is not None and refunded.kind is EventKind.REFUNDED


def test_ack_bodies(provider: FreeKassaProvider) -> None:
    yes = provider.ack(accepted=True)
    assert (yes.status, yes.body) == (200, "YES")
    assert provider.ack(accepted=False).status >= 500


async def test_provider_errors(provider: FreeKassaProvider, emulator: FreeKassaEmulator) -> None:
    emulator.fail_next(500)
    with pytest.raises(ProviderError) as server_error:
        await provider.create_invoice(_request())
    assert server_error.value.transient is True
    emulator.set_down()
    with pytest.raises(ProviderError) as down:
        await provider.create_invoice(_request())
    assert down.value.transient is True
    emulator.set_down(False)
    with pytest.raises(ProviderError) as wrong_currency:
        await provider.create_invoice(InvoiceRequest("o", Money(500, "USD"), "d", 1, "k"))
    assert wrong_currency.value.transient is False


async def test_silent_or_closed_provider_is_transient_within_timeout(emulator: FreeKassaEmulator) -> None:
    release = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=0.5)
    try:
        for url in (f"http://127.0.0.1:{port}/v1", f"http://127.0.0.1:{closed_port}/v1"):
            module = freekassa.create(_settings(emulator, FREEKASSA_API_URL=url), context)
            started = time.monotonic()
            with pytest.raises(ProviderError) as caught:
                await module.create_invoice(_request())
            await module.close()
            assert caught.value.transient is True
            assert time.monotonic() - started < 2.0
    finally:
        release.set()
        server.close()
        await server.wait_closed()


# -- the notification path, rule by rule ------------------------------------------------------

LOGGER = "remnastore.payments.freekassa"


def _logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, object]]]:
    keys = ("peer", "merchant_id", "order_id")
    return [(r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in caplog.records]


async def test_a_paid_notification_keeps_the_form_and_is_dated_on_arrival(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    await provider.create_invoice(_request())
    delivery = emulator.pay("ord-1")
    before = datetime.now(UTC)
    [event] = await provider.parse_notification(_raw(delivery.body))
    assert event.provider == "freekassa" and event.raw == delivery.extra["fields"]
    assert before <= event.occurred_at <= datetime.now(UTC)


async def test_the_signature_and_intid_are_read_without_case_or_blanks(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    invoice = await provider.create_invoice(_request())
    fields = dict(emulator.pay("ord-1").extra["fields"])
    fields["SIGN"] = f" {fields['SIGN'].upper()} "
    fields["intid"] = f" {fields['intid']} "
    [event] = await provider.parse_notification(_raw(urlencode(fields).encode()))
    assert event.provider_payment_id == invoice.provider_payment_id


async def test_each_refusal_says_why_and_the_suspicious_ones_are_logged(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    mine = await provider.create_invoice(_request("ord-5", 5000))
    other = await provider.create_invoice(_request("ord-6", 5000))
    cases = [
        (_raw(emulator.pay("ord-5").body, ip="not-an-address"), "sender address is not FreeKassa's", 403),
        (_raw(emulator.pay("ord-5").body, ip="198.51.100.1"), "sender address is not FreeKassa's", 403),
        (_raw(emulator.notification("ord-5", "50", intid=5, sign="").body), "missing SIGN", 401),
        (
            _raw(b"MERCHANT_ID=31337&SIGN=x&AMOUNT=50"),
            "MERCHANT_ID, AMOUNT and MERCHANT_ORDER_ID are required",
            400,
        ),
        (
            _raw(emulator.notification("ord-5", "50", intid=5, merchant_id=1).body),
            "notification for another shop",
            403,
        ),
        (_raw(emulator.notification("ord-5", "50", intid=5, secret="guess").body), "wrong SIGN", 401),
        (_raw(emulator.notification("ord-5", "5o", intid=5).body), "AMOUNT '5o' is not an amount", 400),
        (_raw(emulator.notification("ord-404", "50", intid=5).body), "order unknown to FreeKassa", 403),
        (
            _raw(emulator.notification("ord-5", "50", intid=str(other.provider_payment_id)).body),
            "intid does not belong to the order",
            403,
        ),
        (_raw(b"%%%&&\xff\xfe"), "body is not a form", 400),
    ]
    for request, reason, status in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(request)
        assert (caught.value.reason, caught.value.status) == (reason, status)
    assert mine.provider_payment_id != other.provider_payment_id
    assert _logged(caplog) == [
        ("freekassa notification from a foreign address", {"peer": "not-an-address"}),
        ("freekassa notification from a foreign address", {"peer": "198.51.100.1"}),
        ("freekassa notification without SIGN", {}),
        ("freekassa notification for another shop", {"merchant_id": "1"}),
        ("freekassa notification with a wrong SIGN", {"order_id": "ord-5"}),
        ("freekassa notification for an order FreeKassa does not know", {"order_id": "ord-404"}),
        ("freekassa notification whose intid is not the order's", {"order_id": "ord-5"}),
    ]


async def test_a_shop_without_the_second_secret_word_refuses_notifications(
    emulator: FreeKassaEmulator,
) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = freekassa.create(_settings(emulator, FREEKASSA_SECRET_WORD_2=None), context)
    try:
        with pytest.raises(NotificationRejected) as caught:
            await module.parse_notification(_raw(emulator.notification("ord-5", "50", intid=5).body))
        assert (caught.value.reason, caught.value.status) == ("FREEKASSA_SECRET_WORD_2 is not set", 403)
    finally:
        await module.close()


@pytest.mark.parametrize(
    ("missing", "reason", "status"),
    [
        ("SIGN", "missing SIGN", 401),
        ("MERCHANT_ID", "MERCHANT_ID, AMOUNT and MERCHANT_ORDER_ID are required", 400),
        ("AMOUNT", "MERCHANT_ID, AMOUNT and MERCHANT_ORDER_ID are required", 400),
    ],
)
async def test_a_form_without_a_required_field_is_refused_for_that(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator, missing: str, reason: str, status: int
) -> None:
    await provider.create_invoice(_request())
    fields = {k: v for k, v in emulator.pay("ord-1").extra["fields"].items() if k != missing}
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification(_raw(urlencode(fields).encode()))
    assert (caught.value.reason, caught.value.status) == (reason, status)


async def test_a_body_that_is_no_strict_form_is_refused_and_a_get_reads_its_query(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator
) -> None:
    await provider.create_invoice(_request())
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification(_raw(b"%%%"))
    assert (caught.value.reason, caught.value.status) == ("body is not a form", 400)
    query = dict(parse_qsl(emulator.pay("ord-1").body.decode()))
    [event] = await provider.parse_notification(_raw(b"ignored=1", method="GET", query=query))
    assert event.order_id == "ord-1"


@pytest.mark.parametrize("fk_id", [None, "  "], ids=["no-id", "blank-id"])
async def test_an_order_record_without_freekassas_own_id_is_refused(
    provider: FreeKassaProvider, emulator: FreeKassaEmulator, fk_id: str | None
) -> None:
    await provider.create_invoice(_request())
    delivery = emulator.pay("ord-1")
    emulator.find("ord-1").fk_order_id = fk_id  # type: ignore[assignment]  # a record FreeKassa got wrong
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification(_raw(delivery.body))
    assert (caught.value.reason, caught.value.status) == ("order unknown to FreeKassa", 403)
