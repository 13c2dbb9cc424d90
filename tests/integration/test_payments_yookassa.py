"""The YooKassa module against its emulator over real HTTP; notifications reach it through a test server."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import ValidationError

from remnastore.domain.money import Money
from remnastore.emulators.yookassa import YooKassaEmulator
from remnastore.payments import yookassa
from remnastore.payments.base import (
    EventKind,
    Invoice,
    InvoiceRequest,
    PaymentEvent,
    Provider,
    ProviderContext,
    ProviderError,
)
from remnastore.payments.capabilities import RefundRequest, Refunds
from tests.fixtures.payments import NotificationReceiver, silent_server

SHOP_ID = "506751"
SECRET = f"test_{secrets.token_urlsafe(24)}"
CONTEXT = ProviderContext(public_url="https://shop.example", return_url="https://t.me/shop_bot", timeout=5.0)


def make_settings(api_url: str, **overrides: Any) -> yookassa.Settings:
    values: dict[str, Any] = {
        "YOOKASSA_ENABLED": True,
        "YOOKASSA_SHOP_ID": SHOP_ID,
        "YOOKASSA_SECRET_KEY": SECRET,
        "YOOKASSA_API_URL": api_url,
    }
    values.update(overrides)
    return yookassa.Settings(**values)


def order(amount_minor: int = 19900, **overrides: Any) -> InvoiceRequest:
    values: dict[str, Any] = {
        "order_id": str(uuid.uuid4()),
        "amount": Money(amount_minor, "RUB"),
        "description": "VPN, 1 month",
        "telegram_user_id": 777001,
        "idempotency_key": str(uuid.uuid4()),
    }
    values.update(overrides)
    return InvoiceRequest(**values)


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[YooKassaEmulator]:
    async with YooKassaEmulator(SHOP_ID, SECRET) as running:
        yield running


@pytest_asyncio.fixture
async def provider(emulator: YooKassaEmulator) -> AsyncIterator[yookassa.YooKassaProvider]:
    module = yookassa.create(make_settings(emulator.api_url), CONTEXT)
    yield module
    await module.close()


@pytest_asyncio.fixture
async def receiver(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> AsyncIterator[NotificationReceiver]:
    async with NotificationReceiver(provider, path="/webhooks/yookassa") as running:
        emulator.notify_url = running.url
        yield running


def posted(emulator: YooKassaEmulator, path: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in emulator.requests if r.method == "POST" and r.path == path]


def fetched(emulator: YooKassaEmulator, path_prefix: str) -> list[str]:
    return [r.path for r in emulator.requests if r.method == "GET" and r.path.startswith(path_prefix)]


# -- creating payments ------------------------------------------------------------


async def test_module_satisfies_the_provider_protocol(provider: yookassa.YooKassaProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "yookassa" and provider.currencies == frozenset({"RUB"})
    assert isinstance(provider, Refunds) and provider.supports_status_poll and provider.uses_webhook


async def test_create_invoice_sends_redirect_payment_with_metadata(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    request = order()
    invoice = await provider.create_invoice(request)

    stored = emulator.payments[invoice.provider_payment_id or ""]
    assert invoice.pay_url == stored["confirmation"]["confirmation_url"]
    assert invoice.expires_at is not None and invoice.expires_at.tzinfo is not None
    sent = emulator.requests[-1]
    assert sent.headers["Idempotence-Key"] == request.idempotency_key
    assert (
        sent.headers["Authorization"] == "Basic " + base64.b64encode(f"{SHOP_ID}:{SECRET}".encode()).decode()
    )
    body = json.loads(sent.body)
    assert body["amount"] == {"value": "199.00", "currency": "RUB"}
    assert body["capture"] is True
    assert body["confirmation"] == {"type": "redirect", "return_url": "https://t.me/shop_bot"}
    assert body["metadata"] == {"order_id": request.order_id, "telegram_user_id": "777001"}
    assert "receipt" not in body and "save_payment_method" not in body


async def test_request_return_url_wins_over_the_context(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    await provider.create_invoice(order(return_url="https://t.me/shop_bot?start=paid"))
    assert (
        posted(emulator, "/v3/payments")[-1]["confirmation"]["return_url"]
        == "https://t.me/shop_bot?start=paid"
    )


async def test_same_idempotency_key_returns_the_same_payment(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    request = order()
    first = await provider.create_invoice(request)
    second = await provider.create_invoice(request)
    assert first.provider_payment_id == second.provider_payment_id
    assert len(emulator.payments) == 1

    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order(idempotency_key=request.idempotency_key, amount_minor=29900))
    assert caught.value.status == 400 and not caught.value.transient
    assert len(emulator.payments) == 1


async def test_receipt_uses_the_shop_email_vat_and_signs(emulator: YooKassaEmulator) -> None:
    settings = make_settings(
        emulator.api_url,
        YOOKASSA_RECEIPT_EMAIL="receipts@shop.example",
        YOOKASSA_VAT_CODE=4,
        YOOKASSA_PAYMENT_MODE="full_payment",
        YOOKASSA_PAYMENT_SUBJECT="service",
        YOOKASSA_TAX_SYSTEM_CODE=2,
    )
    module = yookassa.create(settings, CONTEXT)
    try:
        await module.create_invoice(order(amount_minor=14950))
        await module.create_invoice(order(email="buyer@mail.example"))
    finally:
        await module.close()
    shop_receipt, buyer_receipt = (body["receipt"] for body in posted(emulator, "/v3/payments"))
    assert shop_receipt["customer"] == {"email": "receipts@shop.example"}
    assert shop_receipt["tax_system_code"] == 2
    assert shop_receipt["items"] == [
        {
            "description": "VPN, 1 month",
            "quantity": "1.00",
            "amount": {"value": "149.50", "currency": "RUB"},
            "vat_code": 4,
            "payment_mode": "full_payment",
            "payment_subject": "service",
        }
    ]
    assert buyer_receipt["customer"] == {"email": "buyer@mail.example"}


async def test_customer_email_alone_triggers_a_receipt(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    await provider.create_invoice(order(email="buyer@mail.example"))
    receipt = posted(emulator, "/v3/payments")[-1]["receipt"]
    assert receipt["customer"] == {"email": "buyer@mail.example"}
    assert receipt["items"][0]["vat_code"] == 1 and receipt["items"][0]["payment_mode"] == "full_prepayment"


async def test_only_rubles_are_billed(provider: yookassa.YooKassaProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order(amount=Money(500, "USD")))
    assert not caught.value.transient


async def test_wrong_credentials_are_a_permanent_error(emulator: YooKassaEmulator) -> None:
    module = yookassa.create(make_settings(emulator.api_url, YOOKASSA_SECRET_KEY="test_wrong"), CONTEXT)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert caught.value.status == 401 and not caught.value.transient


# -- notifications ------------------------------------------------------------


async def test_paid_notification_is_confirmed_by_fetching_the_payment(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    request = order()
    invoice = await provider.create_invoice(request)
    delivery = await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))

    assert delivery.status == 200
    assert fetched(emulator, "/v3/payments/") == [f"/v3/payments/{invoice.provider_payment_id}"]
    [event] = receiver.events
    assert event.kind is EventKind.PAID
    assert event.provider == "yookassa" and event.provider_payment_id == invoice.provider_payment_id
    assert event.amount == Money(19900, "RUB")
    assert event.order_id == request.order_id and event.telegram_user_id == 777001
    assert event.saved_method_id is None
    assert event.raw["status"] == "succeeded"


async def test_duplicate_notifications_are_each_acknowledged(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    replies = await emulator.deliver_many(emulator.pay(invoice.provider_payment_id or ""), 3)
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert {(e.provider_payment_id, e.kind) for e in receiver.events} == {
        (invoice.provider_payment_id, EventKind.PAID)
    }


async def test_notification_from_a_foreign_address_is_refused_without_fetching(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    emulator.pay(invoice.provider_payment_id or "")
    forged = emulator.notification("payment.succeeded", emulator.payments[invoice.provider_payment_id or ""])
    forged.headers["X-Forwarded-For"] = "203.0.113.7"
    delivery = await emulator.deliver(forged)
    assert delivery.status == 403
    assert receiver.events == [] and fetched(emulator, "/v3/payments/") == []


async def test_ipv6_sender_in_the_documented_range_is_accepted(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    emulator.sender_ip = "2a02:5180:0:1::15"
    delivery = await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
    assert delivery.status == 200 and receiver.events[0].kind is EventKind.PAID


async def test_forged_success_from_an_allowed_address_reports_the_real_pending_state(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    lie = dict(emulator.payments[invoice.provider_payment_id or ""], status="succeeded", paid=True)
    delivery = await emulator.deliver(emulator.notification("payment.succeeded", lie))
    assert delivery.status == 200
    [event] = receiver.events
    assert event.kind is EventKind.PENDING


async def test_notification_about_an_unknown_payment_is_refused(
    emulator: YooKassaEmulator, receiver: NotificationReceiver
) -> None:
    fake = {"id": "2419a771-000f-5000-9000-1edaf29243f2", "status": "succeeded", "amount": {}}
    delivery = await emulator.deliver(emulator.notification("payment.succeeded", fake))
    assert delivery.status == 403 and receiver.events == []


async def test_amount_comes_from_the_fetched_payment_not_the_notification(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order(amount_minor=100))
    emulator.pay(invoice.provider_payment_id or "")
    claimed = dict(emulator.payments[invoice.provider_payment_id or ""])
    claimed["amount"] = {"value": "199.00", "currency": "RUB"}
    await emulator.deliver(emulator.notification("payment.succeeded", claimed))
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.amount == Money(100, "RUB")


async def test_ip_check_can_be_disabled_and_the_refetch_still_decides(emulator: YooKassaEmulator) -> None:
    module = yookassa.create(make_settings(emulator.api_url, YOOKASSA_CHECK_IP=False), CONTEXT)
    try:
        async with NotificationReceiver(module) as receiver:
            emulator.notify_url = receiver.url
            emulator.sender_ip = "198.51.100.20"
            invoice = await module.create_invoice(order())
            first = await emulator.deliver(emulator.notify(invoice.provider_payment_id or ""))
            second = await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
    finally:
        await module.close()
    assert first.status == second.status == 200
    assert [event.kind for event in receiver.events] == [EventKind.PENDING, EventKind.PAID]


async def test_custom_allow_list(emulator: YooKassaEmulator) -> None:
    module = yookassa.create(make_settings(emulator.api_url, YOOKASSA_ALLOWED_IPS="10.9.0.0/16"), CONTEXT)
    try:
        async with NotificationReceiver(module) as receiver:
            emulator.notify_url = receiver.url
            invoice = await module.create_invoice(order())
            official = await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
            emulator.sender_ip = "10.9.8.7"
            internal = await emulator.deliver(emulator.notify(invoice.provider_payment_id or ""))
    finally:
        await module.close()
    assert official.status == 403 and internal.status == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"type": "notification", "event": "payment.succeeded"}', b'{"event": "x"}'],
    ids=["garbage", "array", "no-object", "not-a-notification"],
)
async def test_malformed_bodies_are_400(
    emulator: YooKassaEmulator, receiver: NotificationReceiver, body: bytes
) -> None:
    delivery = emulator.notification("payment.succeeded", {"id": "x"})
    delivery.body = body
    assert (await emulator.deliver(delivery)).status == 400
    assert receiver.events == []


async def test_irrelevant_events_are_acknowledged_without_events(
    emulator: YooKassaEmulator, receiver: NotificationReceiver
) -> None:
    delivery = await emulator.deliver(emulator.notification("payout.succeeded", {"id": "po-1"}))
    assert delivery.status == 200 and receiver.events == [] and len(receiver.outcomes) == 1


async def test_canceled_payment(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    request = order()
    invoice = await provider.create_invoice(request)
    await emulator.deliver(emulator.cancel(invoice.provider_payment_id or ""))
    [event] = receiver.events
    assert event.kind is EventKind.CANCELED and event.order_id == request.order_id
    assert event.raw["cancellation_details"]["reason"] == "expired_on_confirmation"


async def test_waiting_for_capture_is_pending(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    emulator.payments[invoice.provider_payment_id or ""]["_capture"] = False
    delivery = await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
    assert b"payment.waiting_for_capture" in delivery.body
    assert [event.kind for event in receiver.events] == [EventKind.PENDING]


async def test_our_failure_or_yookassa_down_makes_yookassa_retry(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    paid = emulator.pay(invoice.provider_payment_id or "")
    receiver.settle_ok = False
    assert (await emulator.deliver(paid)).status == 500
    receiver.settle_ok = True
    emulator.fail_next(503, path_prefix="/v3/payments/")
    retried = await emulator.deliver(emulator.notify(invoice.provider_payment_id or ""))
    assert retried.status == 500 and receiver.last.error is not None and receiver.last.error.transient
    assert (await emulator.deliver(emulator.notify(invoice.provider_payment_id or ""))).status == 200


def test_ack_replies(provider: yookassa.YooKassaProvider) -> None:
    assert provider.ack(accepted=True).status == 200
    assert provider.ack(accepted=False).status >= 500


# -- saved methods ------------------------------------------------------------


async def test_saved_method_is_reported_and_charged_later(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order(save_payment_method=True))
    assert posted(emulator, "/v3/payments")[-1]["save_payment_method"] is True
    await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
    [paid] = receiver.events
    assert paid.saved_method_id is not None and paid.saved_method_id in emulator.saved_methods

    renewal = order()
    result = await provider.charge_saved(paid.saved_method_id, renewal)
    assert isinstance(result, PaymentEvent)
    assert result.kind is EventKind.PAID and result.amount == Money(19900, "RUB")
    assert result.order_id == renewal.order_id and result.provider_payment_id != paid.provider_payment_id
    body = posted(emulator, "/v3/payments")[-1]
    assert body["payment_method_id"] == paid.saved_method_id and "confirmation" not in body
    assert emulator.requests[-1].headers["Idempotence-Key"] == renewal.idempotency_key

    emulator.decline_saved_charges(True)
    declined = await provider.charge_saved(paid.saved_method_id, order())
    assert isinstance(declined, PaymentEvent) and declined.kind is EventKind.CANCELED
    assert declined.raw["cancellation_details"]["reason"] == "insufficient_funds"


async def test_unsaved_method_is_not_reported(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))
    assert receiver.events[0].saved_method_id is None and emulator.saved_methods == {}


async def test_charging_an_unknown_method_fails_permanently(provider: yookassa.YooKassaProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await provider.charge_saved(str(uuid.uuid4()), order())
    assert caught.value.status == 400 and not caught.value.transient


# -- status and refunds ------------------------------------------------------------


async def test_fetch_status(emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider) -> None:
    request = order()
    invoice = await provider.create_invoice(request)
    pending = await provider.fetch_status(request.order_id, invoice.provider_payment_id)
    assert pending is not None and pending.kind is EventKind.PENDING
    emulator.pay(invoice.provider_payment_id or "")
    paid = await provider.fetch_status(request.order_id, invoice.provider_payment_id)
    assert paid is not None and paid.kind is EventKind.PAID and paid.order_id == request.order_id
    assert await provider.fetch_status(request.order_id, "2419a771-000f-5000-9000-000000000000") is None
    assert await provider.fetch_status(request.order_id, None) is None


async def test_refund_is_idempotent_and_bounded(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    emulator.pay(payment_id)

    await provider.refund_order(RefundRequest("order", payment_id, Money(5000, "RUB"), 0, "refund-1"))
    await provider.refund_order(RefundRequest("order", payment_id, Money(5000, "RUB"), 0, "refund-1"))
    assert len(emulator.refunds) == 1
    assert emulator.payments[payment_id]["refunded_amount"]["value"] == "50.00"
    sent = emulator.requests[-1]
    assert sent.path == "/v3/refunds" and sent.headers["Idempotence-Key"] == "refund-1"
    assert json.loads(sent.body) == {
        "payment_id": payment_id,
        "amount": {"value": "50.00", "currency": "RUB"},
    }

    with pytest.raises(ProviderError) as caught:
        await provider.refund_order(RefundRequest("order", payment_id, Money(15000, "RUB"), 0, "refund-2"))
    assert caught.value.status == 400 and not caught.value.transient


async def test_refund_notification_becomes_a_refunded_event_keyed_on_the_payment(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    request = order()
    invoice = await provider.create_invoice(request)
    payment_id = invoice.provider_payment_id or ""
    emulator.pay(payment_id)
    delivery = await emulator.deliver(emulator.refund(payment_id))
    assert delivery.status == 200
    [event] = receiver.events
    assert event.kind is EventKind.REFUNDED and event.provider_payment_id == payment_id
    assert event.amount == Money(19900, "RUB") and event.order_id == request.order_id
    assert any(path.startswith("/v3/refunds/") for path in fetched(emulator, "/v3/refunds/"))


async def test_forged_refund_notification_is_refused(
    emulator: YooKassaEmulator, receiver: NotificationReceiver
) -> None:
    fake = {"id": "2ea0a3b1-0015-5000-8000-1f6dbd2e3d39", "payment_id": "x", "status": "succeeded"}
    delivery = await emulator.deliver(emulator.notification("refund.succeeded", fake))
    assert delivery.status == 403 and receiver.events == []


async def test_refund_receipt_when_the_shop_has_a_receipt_email(emulator: YooKassaEmulator) -> None:
    module = yookassa.create(
        make_settings(emulator.api_url, YOOKASSA_RECEIPT_EMAIL="r@shop.example"), CONTEXT
    )
    try:
        invoice = await module.create_invoice(order())
        emulator.pay(invoice.provider_payment_id or "")
        await module.refund_order(
            RefundRequest("order", invoice.provider_payment_id or "", Money(19900, "RUB"), 0, "refund-r")
        )
    finally:
        await module.close()
    receipt = posted(emulator, "/v3/refunds")[-1]["receipt"]
    assert receipt["customer"] == {"email": "r@shop.example"}
    assert receipt["items"][0]["amount"] == {"value": "199.00", "currency": "RUB"}


# -- outages ------------------------------------------------------------


async def test_provider_down_is_a_transient_error(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider
) -> None:
    emulator.set_down()
    with pytest.raises(ProviderError) as caught:
        await provider.create_invoice(order())
    assert caught.value.transient and caught.value.status == 503


async def test_hanging_provider_times_out_transiently() -> None:
    async with silent_server() as url:
        module = yookassa.create(
            make_settings(url), ProviderContext(None, "https://t.me/shop_bot", timeout=0.5)
        )
        started = time.monotonic()
        try:
            with pytest.raises(ProviderError) as caught:
                await module.create_invoice(order())
        finally:
            await module.close()
    assert caught.value.transient and time.monotonic() - started < 3


async def test_unreachable_provider_is_transient() -> None:
    async with silent_server() as url:
        pass  # the port is closed again: connection refused
    module = yookassa.create(make_settings(url), CONTEXT)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(order())
    finally:
        await module.close()
    assert caught.value.transient


# -- settings ------------------------------------------------------------


def test_settings_missing_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY", "YOOKASSA_ALLOWED_IPS", "YOOKASSA_CHECK_IP"):
        monkeypatch.delenv(name, raising=False)
    assert yookassa.Settings(YOOKASSA_ENABLED=False).missing() == []
    enabled = yookassa.Settings(YOOKASSA_ENABLED=True)
    assert enabled.missing() == ["YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY"]
    assert enabled.check_ip is True and "2a02:5180::/32" in enabled.allowed_ips
    assert enabled.api_url == "https://api.yookassa.ru/v3"
    assert SECRET not in repr(make_settings("http://x"))
    for name, field in yookassa.Settings.model_fields.items():
        assert field.description, name


def test_allowed_ips_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOOKASSA_ALLOWED_IPS", "185.71.76.0/27, 77.75.156.11;2a02:5180::/32")
    assert yookassa.Settings().allowed_ips == ["185.71.76.0/27", "77.75.156.11", "2a02:5180::/32"]
    monkeypatch.setenv("YOOKASSA_ALLOWED_IPS", "185.71.76.0/27,not-an-ip")
    with pytest.raises(ValidationError, match="is not an IP address or network"):
        yookassa.Settings()


async def test_invoice_is_a_plain_invoice(provider: yookassa.YooKassaProvider) -> None:
    assert isinstance(await provider.create_invoice(order()), Invoice)


# -- the payer's checkout page (confirmation_url) -----------------------------------------


async def test_paying_on_the_checkout_page_notifies_the_shop_and_returns_the_payer(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    request = order(description="<script>alert(1)</script> VPN")
    invoice = await provider.create_invoice(request)
    async with aiohttp.ClientSession() as payer:
        async with payer.get(invoice.pay_url) as page:
            html = await page.text()
        assert page.status == 200 and "199.00 RUB" in html
        assert "<script>alert" not in html and "&lt;script&gt;" in html  # the shop's text is escaped
        target = invoice.pay_url.split("?")[0]
        form = {"orderId": str(invoice.provider_payment_id), "action": "pay"}
        async with payer.post(target, data=form, allow_redirects=False) as paid:
            assert paid.status == 303 and paid.headers["Location"] == CONTEXT.return_url
        async with payer.post(target, data=form, allow_redirects=False) as again:
            assert again.status == 409
        async with payer.get(f"{target}?orderId=unknown") as missing:
            assert missing.status == 404
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.order_id == request.order_id
    assert emulator.payments[str(invoice.provider_payment_id)]["status"] == "succeeded"


async def test_declining_on_the_checkout_page_cancels_the_payment(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    form = {"orderId": str(invoice.provider_payment_id), "action": "decline"}
    async with (
        aiohttp.ClientSession() as payer,
        payer.post(invoice.pay_url.split("?")[0], data=form, allow_redirects=False) as declined,
    ):
        assert declined.status == 303
    payment = emulator.payments[str(invoice.provider_payment_id)]
    assert payment["status"] == "canceled"
    assert payment["cancellation_details"]["reason"] == "insufficient_funds"
    assert [event.kind for event in receiver.events] == [EventKind.CANCELED]


# -- the notification path, field by field -----------------------------------------


async def test_refund_event_carries_the_refund_itself_its_moment_and_the_buyer(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    emulator.pay(payment_id)
    delivery = emulator.refund(payment_id, "50.00")
    refund = emulator.refunds[list(emulator.refunds)[-1]]
    refund["created_at"] = "2026-03-01T10:20:30.123Z"
    await emulator.deliver(delivery)
    [event] = receiver.events
    assert (event.provider, event.kind, event.telegram_user_id) == ("yookassa", EventKind.REFUNDED, 777001)
    assert event.occurred_at == datetime(2026, 3, 1, 10, 20, 30, 123000, tzinfo=UTC)
    assert event.amount == Money(5000, "RUB") and event.raw["id"] == refund["id"]


async def test_refund_without_a_moment_or_an_order_of_ours_is_dated_now_and_names_no_order(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    emulator.pay(payment_id)
    emulator.payments[payment_id]["metadata"] = {}  # a payment made outside the shop
    delivery = emulator.refund(payment_id)
    del emulator.refunds[list(emulator.refunds)[-1]]["created_at"]
    before = datetime.now(UTC)
    await emulator.deliver(delivery)
    [event] = receiver.events
    assert event.order_id is None and event.telegram_user_id is None
    assert event.occurred_at.tzinfo is not None and before <= event.occurred_at <= datetime.now(UTC)


async def test_a_refund_that_did_not_succeed_and_a_payment_in_an_unknown_state_give_no_event(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    emulator.pay(payment_id)
    delivery = emulator.refund(payment_id)
    emulator.refunds[list(emulator.refunds)[-1]]["status"] = "canceled"
    assert (await emulator.deliver(delivery)).status == 200

    emulator.payments[payment_id]["status"] = "in_review"  # a state this module does not know
    assert (
        await emulator.deliver(emulator.notification("payment.succeeded", {"id": payment_id}))
    ).status == 200
    assert receiver.events == [] and len(receiver.outcomes) == 2


async def test_a_refused_notification_names_its_reason_in_the_reply_and_the_log(
    emulator: YooKassaEmulator,
    provider: yookassa.YooKassaProvider,
    receiver: NotificationReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="remnastore.payments.yookassa")
    invoice = await provider.create_invoice(order())
    forged = emulator.notification("payment.succeeded", {"id": invoice.provider_payment_id or ""})
    forged.headers["X-Forwarded-For"] = "203.0.113.7"
    delivery = await emulator.deliver(forged)
    reason = "sender 203.0.113.7 is not a YooKassa address"
    assert delivery.status == 403 and delivery.reply == reason
    assert receiver.last.rejected is not None and receiver.last.rejected.reason == reason
    assert [r.getMessage() for r in caplog.records] == [f"yookassa notification refused: {reason}"]


async def test_a_payment_is_dated_by_its_capture_else_its_creation_else_now(
    emulator: YooKassaEmulator, provider: yookassa.YooKassaProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    delivery = emulator.pay(payment_id)
    payment = emulator.payments[payment_id]
    payment.update(created_at="2026-03-01T10:00:00.000Z", captured_at="2026-03-01T10:05:00.000Z")
    await emulator.deliver(delivery)
    del payment["captured_at"]
    await emulator.deliver(emulator.notify(payment_id))
    del payment["created_at"]
    before = datetime.now(UTC)
    await emulator.deliver(emulator.notify(payment_id))
    captured, created, unknown = (event.occurred_at for event in receiver.events)
    assert captured == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    assert created == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert unknown.tzinfo is not None and before <= unknown <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("metadata", "order_id", "telegram_user_id"),
    [
        ({"order_id": "o-1", "telegram_user_id": "777001"}, "o-1", 777001),
        ({"telegram_user_id": "-5"}, None, -5),
        ({"telegram_user_id": "abc"}, None, None),
        ({"telegram_user_id": "X-5"}, None, None),
        ({}, None, None),
        (None, None, None),
    ],
    ids=["ours", "negative", "not-a-number", "letters-and-dash", "empty", "not-a-mapping"],
)
async def test_the_order_and_buyer_are_read_from_the_metadata_and_nothing_else(
    emulator: YooKassaEmulator,
    provider: yookassa.YooKassaProvider,
    receiver: NotificationReceiver,
    metadata: dict[str, str] | None,
    order_id: str | None,
    telegram_user_id: int | None,
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    delivery = emulator.pay(payment_id)
    emulator.payments[payment_id]["metadata"] = metadata
    assert (await emulator.deliver(delivery)).status == 200
    [event] = receiver.events
    assert (event.order_id, event.telegram_user_id) == (order_id, telegram_user_id)


@pytest.mark.parametrize(
    ("object_id", "asked"),
    [("", False), ("a/b", False), ("x" * 65, False), ("x" * 64, True)],
    ids=["empty", "slash", "too-long", "longest"],
)
async def test_object_ids_that_cannot_be_a_payment_are_refused_without_asking_yookassa(
    emulator: YooKassaEmulator, receiver: NotificationReceiver, object_id: str, asked: bool
) -> None:
    delivery = await emulator.deliver(emulator.notification("payment.succeeded", {"id": object_id}))
    assert delivery.status == 403 and receiver.events == []
    assert bool(fetched(emulator, "/v3/payments")) is asked


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-01T13:05:00+03:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
        ("2026-03-01T10:05:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
    ],
    ids=["with-offset", "without-zone-is-utc"],
)
async def test_moments_are_read_in_their_zone_and_a_zoneless_one_as_utc(
    emulator: YooKassaEmulator,
    provider: yookassa.YooKassaProvider,
    receiver: NotificationReceiver,
    moment: str,
    expected: datetime,
) -> None:
    invoice = await provider.create_invoice(order())
    payment_id = invoice.provider_payment_id or ""
    delivery = emulator.pay(payment_id)
    emulator.payments[payment_id]["captured_at"] = moment
    await emulator.deliver(delivery)
    [event] = receiver.events
    assert event.occurred_at == expected and event.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("sender", "status"),
    [("::ffff:185.71.76.5", 200), ("not-an-address", 403)],
    ids=["ipv4-mapped-official", "garbage"],
)
async def test_sender_addresses_are_parsed_strictly(
    emulator: YooKassaEmulator,
    provider: yookassa.YooKassaProvider,
    receiver: NotificationReceiver,
    sender: str,
    status: int,
) -> None:
    invoice = await provider.create_invoice(order())
    emulator.sender_ip = sender
    assert (await emulator.deliver(emulator.pay(invoice.provider_payment_id or ""))).status == status
    assert len(receiver.events) == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("event", "body", "reason"),
    [
        ("payment.succeeded", b"not json", "body is not JSON"),
        ("payment.succeeded", b"[]", "not a YooKassa notification"),
        (
            "payment.succeeded",
            b'{"type": "notification", "event": "x"}',
            "notification without event or object id",
        ),
        ("payment.succeeded", None, "payment p-unknown is unknown to YooKassa"),
        ("refund.succeeded", None, "refund r-unknown is unknown to YooKassa"),
    ],
    ids=["not-json", "not-a-notification", "no-object", "unknown-payment", "unknown-refund"],
)
async def test_each_refusal_says_why(
    emulator: YooKassaEmulator, receiver: NotificationReceiver, event: str, body: bytes | None, reason: str
) -> None:
    object_id = "p-unknown" if event.startswith("payment") else "r-unknown"
    delivery = emulator.notification(event, {"id": object_id})
    if body is not None:
        delivery.body = body
    await emulator.deliver(delivery)
    assert receiver.last.rejected is not None and receiver.last.rejected.reason == reason
