"""The Heleket module against its emulator over real HTTP; webhooks reach it through a test server."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from pydantic import ValidationError

from remnastore.domain.money import Money
from remnastore.emulators.heleket import HeleketEmulator
from remnastore.emulators.provider_base import Delivery
from remnastore.payments import heleket
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
from tests.fixtures.payments import NotificationReceiver, silent_server

MERCHANT = str(uuid.uuid4())
API_KEY = secrets.token_urlsafe(48)
RETURN_URL = "https://t.me/shop_bot?start=оплата"
CONTEXT = ProviderContext(public_url="https://shop.example/", return_url=RETURN_URL, timeout=5.0)


def make_settings(api_url: str, **overrides: Any) -> heleket.Settings:
    values: dict[str, Any] = {
        "HELEKET_ENABLED": True,
        "HELEKET_MERCHANT_ID": MERCHANT,
        "HELEKET_API_KEY": API_KEY,
        "HELEKET_API_URL": api_url,
        "HELEKET_CURRENCIES": "USD,RUB",
    }
    values.update(overrides)
    return heleket.Settings(**values)


def order(amount: Money | None = None, **overrides: Any) -> InvoiceRequest:
    values: dict[str, Any] = {
        "order_id": str(uuid.uuid4()),
        "amount": amount or Money(1500, "USD"),
        "description": "VPN, 1 month",
        "telegram_user_id": 777003,
        "idempotency_key": str(uuid.uuid4()),
    }
    values.update(overrides)
    return InvoiceRequest(**values)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[HeleketEmulator]:
    async with HeleketEmulator(MERCHANT, API_KEY) as running:
        yield running


@pytest_asyncio.fixture
async def provider(emulator: HeleketEmulator) -> AsyncIterator[heleket.HeleketProvider]:
    module = heleket.create(make_settings(emulator.api_url), CONTEXT)
    yield module
    await module.close()


@pytest_asyncio.fixture
async def receiver(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider
) -> AsyncIterator[NotificationReceiver]:
    async with NotificationReceiver(provider, path="/webhooks/heleket") as running:
        emulator.notify_url = running.url
        yield running


async def make_payment(provider: heleket.HeleketProvider, request: InvoiceRequest) -> str:
    return (await provider.create_invoice(request)).provider_payment_id or ""


def independent_sign(body: bytes, key: str = API_KEY) -> str:
    return hashlib.md5(base64.b64encode(body) + key.encode(), usedforsecurity=False).hexdigest()


# -- the PHP encoding ------------------------------------------------------------------------------------


def test_php_json_matches_php_output() -> None:
    value = {"url": "https://t.me/x", "text": "оплата", "none": None, "ok": True, "n": 3, "q": 'a"b\\c'}
    expected = '{"url":"https:\\/\\/t.me\\/x","text":"оплата","none":null,"ok":true,"n":3,"q":"a\\"b\\\\c"}'
    assert heleket.php_json(value) == expected.encode()


# -- invoices ------------------------------------------------------------


async def test_module_satisfies_the_provider_protocol(provider: heleket.HeleketProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "heleket" and provider.currencies == frozenset({"USD", "RUB"})
    assert not isinstance(provider, Refunds) and provider.supports_status_poll and provider.uses_webhook


async def test_create_invoice_signs_the_request(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider
) -> None:
    request = order()
    invoice = await provider.create_invoice(request)

    stored = emulator.payments[invoice.provider_payment_id or ""]
    assert invoice.pay_url == stored["url"]
    assert invoice.expires_at == datetime.fromtimestamp(stored["expired_at"], UTC)
    sent = emulator.requests[-1]
    assert sent.path == "/v1/payment" and sent.headers["merchant"] == MERCHANT
    assert sent.headers["sign"] == independent_sign(sent.body)
    body = json.loads(sent.body)
    assert body == {
        "amount": "15.00",
        "currency": "USD",
        "order_id": request.order_id,
        "url_return": RETURN_URL,
        "url_success": RETURN_URL,
        "lifetime": 3600,
        "additional_data": json.dumps(
            {"telegram_user_id": 777003, "return_url": RETURN_URL}, ensure_ascii=False, separators=(",", ":")
        ),
        "url_callback": "https://shop.example/webhooks/heleket",
    }


async def test_conversion_network_and_callback_options(emulator: HeleketEmulator) -> None:
    settings = make_settings(
        emulator.api_url, HELEKET_TO_CURRENCY="USDT", HELEKET_NETWORK="tron", HELEKET_LIFETIME=900
    )
    module = heleket.create(settings, ProviderContext(None, "https://t.me/shop_bot"))
    try:
        await module.create_invoice(order(Money(19900, "RUB"), notification_url="https://hooks.example/h"))
        await module.create_invoice(order())
    finally:
        await module.close()
    with_url, without_url = (json.loads(r.body) for r in emulator.requests)
    assert with_url["to_currency"] == "USDT" and with_url["network"] == "tron" and with_url["lifetime"] == 900
    assert with_url["amount"] == "199.00" and with_url["currency"] == "RUB"
    assert with_url["url_callback"] == "https://hooks.example/h"
    assert "url_callback" not in without_url


async def test_same_order_id_returns_the_same_invoice(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider
) -> None:
    request = order()
    first = await provider.create_invoice(request)
    second = await provider.create_invoice(order(order_id=request.order_id))
    assert first.provider_payment_id == second.provider_payment_id and len(emulator.payments) == 1


async def test_unusable_order_ids_and_currencies_are_refused_before_calling(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider
) -> None:
    for request in (order(order_id="ord:1/2"), order(Money(500, "EUR"))):
        with pytest.raises(ProviderError) as caught:
            await provider.create_invoice(request)
        assert not caught.value.transient
    assert emulator.requests == []


async def test_wrong_key_is_a_permanent_error(emulator: HeleketEmulator) -> None:
    module = heleket.create(make_settings(emulator.api_url, HELEKET_API_KEY="other-key"), CONTEXT)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert caught.value.status == 401 and not caught.value.transient


async def test_validation_errors_are_permanent(emulator: HeleketEmulator) -> None:
    module = heleket.create(make_settings(emulator.api_url), ProviderContext(None, "tg://bad"))
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert caught.value.status == 422 and not caught.value.transient and "url_return" in str(caught.value)


# -- webhooks ------------------------------------------------------------


async def test_paid_webhook_with_php_escaping(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    request = order()
    payment_uuid = await make_payment(provider, request)
    delivery = emulator.pay(payment_uuid)
    assert b'\\"return_url\\":\\"https:\\/\\/t.me\\/shop_bot' in delivery.body  # PHP-escaped URL
    assert "оплата".encode() in delivery.body  # non-ASCII travels unescaped

    assert (await emulator.deliver(delivery)).status == 200
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.provider == "heleket"
    assert event.provider_payment_id == payment_uuid and event.order_id == request.order_id
    assert event.amount == Money(1500, "USD") and event.telegram_user_id == 777003
    assert event.raw["payer_currency"] == "USDT" and "sign" not in event.raw


async def test_paid_over_is_paid(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    await emulator.deliver(emulator.pay(payment_uuid, status="paid_over", payment_amount="16.5"))
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.amount == Money(1500, "USD")


async def test_wrong_amount_is_failed_with_the_paid_amount(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    await emulator.deliver(emulator.wrong_amount(payment_uuid, "10"))
    [event] = receiver.events
    assert event.kind is EventKind.FAILED and event.amount == Money(1000, "USD")


async def test_forged_amount_with_a_valid_sign_is_reported_faithfully(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    emulator.pay(payment_uuid)
    await emulator.deliver(emulator.webhook(emulator.payments[payment_uuid], amount="1.00"))
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.amount == Money(100, "USD")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("cancel", EventKind.FAILED),
        ("fail", EventKind.FAILED),
        ("system_fail", EventKind.FAILED),
        ("refund_paid", EventKind.REFUNDED),
    ],
)
async def test_final_states(
    emulator: HeleketEmulator,
    provider: heleket.HeleketProvider,
    receiver: NotificationReceiver,
    status: str,
    kind: EventKind,
) -> None:
    request = order()
    payment_uuid = await make_payment(provider, request)
    if status == "refund_paid":
        emulator.pay(payment_uuid)
    await emulator.deliver(emulator.fail(payment_uuid, status))
    [event] = receiver.events
    assert (
        event.kind is kind
        and event.provider_payment_id == payment_uuid
        and event.order_id == request.order_id
    )
    assert event.amount == Money(1500, "USD")


async def test_intermediate_states(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    checking = await emulator.deliver(emulator.pay(payment_uuid, status="confirm_check"))
    refunding = await emulator.deliver(emulator.fail(payment_uuid, "refund_process"))
    assert checking.status == refunding.status == 200
    assert [event.kind for event in receiver.events] == [EventKind.PENDING]


async def test_sign_from_another_key_is_refused(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    emulator.pay(payment_uuid)
    forged = emulator.webhook(emulator.payments[payment_uuid], api_key="guessed-key")
    assert (await emulator.deliver(forged)).status == 401 and receiver.events == []


async def test_sign_must_cover_the_php_encoding(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    genuine = emulator.pay(payment_uuid)
    fields = json.loads(genuine.body)
    del fields["sign"]
    plain = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()  # slashes unescaped
    ascii_only = json.dumps(fields, separators=(",", ":")).replace("/", "\\/").encode()  # \\uXXXX text
    for encoding in (plain, ascii_only):
        forged = genuine.body.replace(
            json.dumps(json.loads(genuine.body)["sign"]).encode(),
            json.dumps(independent_sign(encoding)).encode(),
        )
        assert (await emulator.deliver(Delivery(genuine.url, forged, genuine.headers))).status == 401
    tampered = genuine.body.replace(b'"amount":"15.00"', b'"amount":"1.00"')
    assert (await emulator.deliver(Delivery(genuine.url, tampered, genuine.headers))).status == 401
    assert receiver.events == []
    assert (await emulator.deliver(genuine)).status == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", None, b'{"type":"payment","uuid":"x"}'],
    ids=["garbage", "array", "signed-without-uuid", "unsigned"],
)
async def test_malformed_and_unsigned_bodies(
    emulator: HeleketEmulator, receiver: NotificationReceiver, body: bytes | None
) -> None:
    if body is None:
        fields: dict[str, Any] = {"type": "payment", "status": "paid"}
        fields["sign"] = independent_sign(heleket.php_json(fields))
        body = heleket.php_json(fields)
        expected = 400
    else:
        expected = 401 if body.startswith(b'{"type"') else 400
    delivery = await emulator.deliver(Delivery(receiver.url, body, {"Content-Type": "application/json"}))
    assert delivery.status == expected and receiver.events == []


async def test_wallet_webhooks_are_acknowledged_without_events(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    emulator.pay(payment_uuid)
    delivery = await emulator.deliver(emulator.webhook(emulator.payments[payment_uuid], type="wallet"))
    assert delivery.status == 200 and receiver.events == [] and len(receiver.outcomes) == 1


async def test_duplicates_and_our_failure(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider, receiver: NotificationReceiver
) -> None:
    payment_uuid = await make_payment(provider, order())
    paid = emulator.pay(payment_uuid)
    replies = await emulator.deliver_many(paid, 3)
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert {event.provider_payment_id for event in receiver.events} == {payment_uuid}
    receiver.settle_ok = False
    assert (await emulator.deliver(paid)).status == 500


def test_ack_replies(provider: heleket.HeleketProvider) -> None:
    assert provider.ack(accepted=True).status == 200
    assert provider.ack(accepted=False).status >= 500


# -- status, refunds, outages ------------------------------------------------------------


async def test_fetch_status(emulator: HeleketEmulator, provider: heleket.HeleketProvider) -> None:
    request = order()
    payment_uuid = await make_payment(provider, request)
    pending = await provider.fetch_status(request.order_id, payment_uuid)
    assert pending is not None and pending.kind is EventKind.PENDING
    sent = emulator.requests[-1]
    assert sent.path == "/v1/payment/info" and json.loads(sent.body) == {"uuid": payment_uuid}
    assert sent.headers["sign"] == independent_sign(sent.body)

    emulator.pay(payment_uuid)
    by_order = await provider.fetch_status(request.order_id, None)
    assert json.loads(emulator.requests[-1].body) == {"order_id": request.order_id}
    assert by_order is not None and by_order.kind is EventKind.PAID and by_order.amount == Money(1500, "USD")
    assert by_order.provider_payment_id == payment_uuid and by_order.telegram_user_id == 777003
    assert await provider.fetch_status(str(uuid.uuid4()), None) is None


async def test_refunds_are_not_supported(provider: heleket.HeleketProvider) -> None:
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard


async def test_provider_down_is_transient(
    emulator: HeleketEmulator, provider: heleket.HeleketProvider
) -> None:
    emulator.set_down()
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order())
    assert caught.value.transient and caught.value.status == 503
    emulator.set_down(False)
    emulator.fail_next(502, path_prefix="/v1/payment/info")
    with pytest.raises(ProviderError) as again:
        await provider.fetch_status("x", str(uuid.uuid4()))
    assert again.value.transient


async def test_hanging_provider_times_out_transiently() -> None:
    async with silent_server() as url:
        module = heleket.create(
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
    for name in ("HELEKET_MERCHANT_ID", "HELEKET_API_KEY", "HELEKET_CURRENCIES"):
        monkeypatch.delenv(name, raising=False)
    assert heleket.Settings(HELEKET_ENABLED=False).missing() == []
    defaults = heleket.Settings(HELEKET_ENABLED=True)
    assert defaults.missing() == ["HELEKET_MERCHANT_ID", "HELEKET_API_KEY"]
    assert defaults.currencies == ["USD"] and defaults.api_url == "https://api.heleket.com/v1"
    monkeypatch.setenv("HELEKET_CURRENCIES", "usd; eur")
    assert heleket.Settings().currencies == ["USD", "EUR"]
    with pytest.raises(ValidationError, match="'DOGE' is not a currency"):
        heleket.Settings(HELEKET_CURRENCIES="USD,DOGE")
    for name, field in heleket.Settings.model_fields.items():
        assert field.description, name
    assert API_KEY not in repr(make_settings("http://x"))


# -- the webhook path, rule by rule (direct calls: the sign needs nothing from Heleket) -----------------

LOGGER = "remnastore.payments.heleket"


def _direct(**overrides: Any) -> heleket.HeleketProvider:
    return heleket.create(make_settings("https://api.heleket.example/v1", **overrides), CONTEXT)


def _payment(**changes: Any) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "type": "payment",
        "uuid": "7b1c0c2e-0000-4000-8000-000000000001",
        "order_id": "ord-1",
        "amount": "15.00",
        "currency": "USD",
        "payment_amount": "15.00",
        "payer_currency": "USD",
        "status": "paid",
        "additional_data": '{"telegram_user_id": 777003}',
    }
    payment.update(changes)
    return payment


def _signed(payment: dict[str, Any], key: str = API_KEY) -> RawRequest:
    body = heleket.php_json(payment)
    digest = hashlib.md5(base64.b64encode(body) + key.encode(), usedforsecurity=False).hexdigest()
    signed = heleket.php_json({**payment, "sign": digest})
    return RawRequest("POST", "/webhooks/heleket", {}, {}, signed, "192.0.2.1")


async def test_a_signed_payment_webhook_becomes_an_event_with_its_fields() -> None:
    before = datetime.now(UTC)
    [event] = await _direct().parse_notification(_signed(_payment()))
    assert (event.provider, event.provider_payment_id, event.kind, event.order_id) == (
        "heleket",
        "7b1c0c2e-0000-4000-8000-000000000001",
        EventKind.PAID,
        "ord-1",
    )
    assert event.amount == Money(1500, "USD") and event.telegram_user_id == 777003
    assert before <= event.occurred_at <= datetime.now(UTC)
    assert event.raw == _payment()  # the sign is not kept


@pytest.mark.parametrize(
    ("additional_data", "telegram_user_id"),
    [
        ('{"telegram_user_id": true}', None),
        ('{"telegram_user_id": "777003"}', None),
        ('{"other": 1}', None),
        ("not json", None),
        (None, None),
    ],
    ids=["a-flag", "text", "missing", "not-json", "absent"],
)
async def test_the_buyer_is_read_only_from_a_whole_number(
    additional_data: str | None, telegram_user_id: int | None
) -> None:
    [event] = await _direct().parse_notification(_signed(_payment(additional_data=additional_data)))
    assert event.telegram_user_id == telegram_user_id


@pytest.mark.parametrize("order_id", ["", 42, None], ids=["empty", "a-number", "absent"])
async def test_an_order_id_that_is_not_ours_names_no_order(order_id: Any) -> None:
    [event] = await _direct().parse_notification(_signed(_payment(order_id=order_id)))
    assert event.order_id is None


@pytest.mark.parametrize(
    ("changes", "amount"),
    [
        ({"payment_amount": "14.00"}, Money(1400, "USD")),
        (
            {"payer_currency": "USDT", "payment_amount": "14.50", "payment_amount_usd": "14.40"},
            Money(1440, "USD"),
        ),
        (
            {
                "currency": "RUB",
                "amount": "1500.00",
                "payer_currency": "USDT",
                "payment_amount": "14.50",
                "payment_amount_usd": "14.48",
            },
            Money(14500000, "USDT"),
        ),
        (
            {"currency": "RUB", "amount": "1500.00", "payer_currency": "RUB", "payment_amount": "1400.00"},
            Money(140000, "RUB"),
        ),
    ],
    ids=["same-currency", "usd-counted", "in-the-payers-currency", "roubles"],
)
async def test_a_wrong_amount_reports_what_the_payer_sent(
    changes: dict[str, Any], amount: Money | None
) -> None:
    [event] = await _direct().parse_notification(_signed(_payment(status="wrong_amount", **changes)))
    assert event.kind is EventKind.FAILED and event.amount == amount


async def test_each_refusal_says_why_in_the_reply_and_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    raw = _signed(_payment())
    cases = [
        (RawRequest("POST", "/", {}, {}, b"{not json", "192.0.2.1"), "body is not JSON", 400),
        (RawRequest("POST", "/", {}, {}, b"[1]", "192.0.2.1"), "body is not a JSON object", 400),
        (
            RawRequest("POST", "/", {}, {}, heleket.php_json(_payment()), "192.0.2.1"),
            "no sign in the body",
            401,
        ),
        (
            RawRequest("POST", "/", {}, {}, heleket.php_json({**_payment(), "sign": 5}), "192.0.2.1"),
            "no sign in the body",
            401,
        ),
        (_signed(_payment(), key="another-key"), "sign mismatch", 401),
        (_signed(_payment(uuid=None)), "webhook without uuid or status", 400),
        (_signed(_payment(status=3)), "webhook without uuid or status", 400),
    ]
    provider = _direct()
    for request, reason, status in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(request)
        assert (caught.value.reason, caught.value.status) == (reason, status)
    with pytest.raises(NotificationRejected) as caught:
        await _direct(HELEKET_API_KEY=None).parse_notification(raw)
    assert (caught.value.reason, caught.value.status) == ("no API key configured", 401)
    reasons = [reason for _, reason, _ in cases] + ["no API key configured"]
    assert [r.getMessage() for r in caplog.records] == [f"heleket webhook refused: {r}" for r in reasons]


async def test_an_uppercase_sign_is_accepted_and_other_webhooks_carry_no_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    raw = _signed(_payment())
    document = json.loads(raw.body)
    document["sign"] = document["sign"].upper()
    upper = RawRequest("POST", "/", {}, {}, heleket.php_json(document), "192.0.2.1")
    assert len(await _direct().parse_notification(upper)) == 1
    assert await _direct().parse_notification(_signed(_payment(type="wallet"))) == []
    assert await _direct().parse_notification(_signed(_payment(status="locked"))) == []
    assert [r.getMessage() for r in caplog.records] == ["heleket status locked carries no event"]


def test_php_json_escapes_the_line_and_paragraph_separators_as_php_does() -> None:
    assert heleket.php_json({"t": "a\u2028b\u2029c/"}) == b'{"t":"a\\u2028b\\u2029c\\/"}'
