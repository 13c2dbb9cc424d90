"""SeverPay module against its emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.provider_base import Delivery
from remnastore.emulators.severpay import SeverPayEmulator, sign_fields
from remnastore.payments import severpay
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
from remnastore.payments.severpay import Settings, SeverPayProvider
from tests.fixtures.payments import NotificationReceiver

MID = 4242


def _settings(emulator: SeverPayEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SEVERPAY_ENABLED": True,
        "SEVERPAY_MID": MID,
        "SEVERPAY_TOKEN": emulator.token,
        "SEVERPAY_API_URL": emulator.url,
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


def _raw(delivery: Delivery) -> RawRequest:
    headers = {key.lower(): value for key, value in delivery.headers.items()}
    return RawRequest("POST", "/webhooks/severpay", headers, {}, delivery.body, "127.0.0.1")


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[SeverPayEmulator]:
    async with SeverPayEmulator(MID, secrets.token_hex(20)) as emu:
        yield emu


@pytest_asyncio.fixture
async def provider(emulator: SeverPayEmulator) -> AsyncIterator[SeverPayProvider]:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = severpay.create(_settings(emulator), context)
    yield module
    await module.close()


async def _payin(provider: SeverPayProvider, order_id: str = "ord-1") -> int:
    invoice = await provider.create_invoice(_request(order_id))
    assert invoice.provider_payment_id is not None
    return int(invoice.provider_payment_id)


def test_settings() -> None:
    assert Settings(SEVERPAY_ENABLED=True).missing() == ["SEVERPAY_MID", "SEVERPAY_TOKEN"]
    assert Settings(SEVERPAY_ENABLED=False).missing() == []
    assert Settings().api_url == "https://severpay.io/api/merchant"
    assert Settings(SEVERPAY_MID="").mid is None


async def test_create_invoice_is_signed_and_reuses_the_order(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    assert isinstance(provider, Provider)
    invoice = await provider.create_invoice(_request())
    again = await provider.create_invoice(_request())
    assert invoice.provider_payment_id == again.provider_payment_id
    assert invoice.expires_at is not None and invoice.expires_at.tzinfo is not None
    payin = emulator.payins[int(invoice.provider_payment_id or 0)]
    assert invoice.pay_url == f"{emulator.url}/pay/{payin.uid}"
    assert payin.amount == Decimal("199.00") and payin.order_id == "ord-1"
    assert payin.client_email == "777000111@telegram.org" and payin.client_id == "777000111"
    first, second = (json.loads(r.body) for r in emulator.requests)
    assert first["salt"] != second["salt"] and len(emulator.salts) == 2
    assert first["amount"] == "199.00" and first["mid"] == MID
    assert list(first) == [*sorted(key for key in first if key != "sign"), "sign"]


async def test_create_invoice_with_lifetime_and_email(emulator: SeverPayEmulator) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = severpay.create(_settings(emulator, SEVERPAY_LIFETIME_MINUTES=30), context)
    try:
        await module.create_invoice(_request(email="buyer@mail.ru", return_url="https://t.me/other_bot"))
    finally:
        await module.close()
    sent = json.loads(emulator.requests[-1].body)
    assert sent["lifetime"] == 30 and sent["client_email"] == "buyer@mail.ru"
    assert sent["url_return"] == "https://t.me/other_bot"


@pytest.mark.parametrize("order", ["sorted", "original"])
async def test_paid_webhook_either_key_order(
    provider: SeverPayProvider, emulator: SeverPayEmulator, order: Any
) -> None:
    payin_id = await _payin(provider)
    delivery = emulator.pay(payin_id, order=order)
    assert "Оплата".encode() in delivery.body, "non-ASCII must travel as raw UTF-8"
    message = json.loads(delivery.body)
    other = "original" if order == "sorted" else "sorted"
    assert message["sign"] != sign_fields(message, emulator.token, order=other)
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.kind is EventKind.PAID
    assert event.provider_payment_id == str(payin_id)
    assert event.order_id == "ord-1"
    assert event.amount == Money(19900, "RUB")


async def test_webhook_over_http_and_ack(provider: SeverPayProvider, emulator: SeverPayEmulator) -> None:
    payin_id = await _payin(provider)
    async with NotificationReceiver(provider, path="/webhooks/severpay") as receiver:
        emulator.notify_url = receiver.url
        done = await emulator.deliver(emulator.pay(payin_id))
        forged = await emulator.deliver(emulator.webhook(payin_id, token="guess"))
        emulator.set_down()
        again = await emulator.deliver(emulator.webhook(payin_id))
    assert done.status == 200 and json.loads(done.reply) == {"status": True}
    assert forged.status == 401
    assert again.status >= 500
    assert [event.kind for event in receiver.events] == [EventKind.PAID]
    assert receiver.outcomes[1].rejected is not None and receiver.outcomes[1].status == 401
    assert receiver.last.error is not None and receiver.last.status == again.status


async def test_state_is_confirmed_through_the_api(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    payin_id = await _payin(provider)
    [event] = await provider.parse_notification(_raw(emulator.webhook(payin_id, status="success")))
    assert event.kind is EventKind.PENDING
    [event] = await provider.parse_notification(_raw(emulator.decline(payin_id)))
    assert event.kind is EventKind.FAILED
    other = await _payin(provider, "ord-2")
    [event] = await provider.parse_notification(_raw(emulator.fail(other, order="original")))
    assert event.kind is EventKind.FAILED and event.order_id == "ord-2"


async def test_wrong_amount_is_reported(provider: SeverPayProvider, emulator: SeverPayEmulator) -> None:
    payin_id = await _payin(provider)
    [event] = await provider.parse_notification(_raw(emulator.pay(payin_id, amount=Decimal("19.90"))))
    assert event.kind is EventKind.PAID and event.amount == Money(1990, "RUB")


async def test_bad_signatures_are_401(provider: SeverPayProvider, emulator: SeverPayEmulator) -> None:
    payin_id = await _payin(provider)
    good = emulator.webhook(payin_id)
    tampered = json.loads(good.body)
    tampered["data"]["amount"] = 1.0
    cases = [
        emulator.webhook(payin_id, token="guess"),
        emulator.webhook(payin_id, sign=""),
        Delivery("", json.dumps(tampered, ensure_ascii=False).encode(), good.headers),
        Delivery("", json.dumps({k: v for k, v in tampered.items() if k != "sign"}).encode(), {}),
    ]
    for delivery in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert caught.value.status == 401
    assert emulator.payins[payin_id].status == "new"


async def test_malformed_irrelevant_and_unknown(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    for body in (b"{oops", b'["payin"]'):
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(Delivery("", body, {})))
        assert caught.value.status == 400
    no_id = {"type": "payin", "data": {"status": "success"}}
    no_id["sign"] = sign_fields(no_id, emulator.token)  # type: ignore[assignment]
    with pytest.raises(NotificationRejected) as caught:
        await provider.parse_notification(_raw(Delivery("", json.dumps(no_id).encode(), {})))
    assert caught.value.status == 400
    payout = emulator.webhook(0, kind="payout", data={"id": 1, "status": "success"})
    assert await provider.parse_notification(_raw(payout)) == []
    unknown = emulator.webhook(0, data={"id": 999_999, "status": "success"})
    assert await provider.parse_notification(_raw(unknown)) == []


async def test_fetch_status_and_refund(provider: SeverPayProvider, emulator: SeverPayEmulator) -> None:
    payin_id = await _payin(provider)
    assert await provider.fetch_status("ord-1", None) is None
    assert await provider.fetch_status("ord-1", "123456789") is None
    pending = await provider.fetch_status("ord-1", str(payin_id))
    assert pending is not None and pending.kind is EventKind.PENDING
    emulator.pay(payin_id)
    paid = await provider.fetch_status("ord-1", str(payin_id))
    assert paid is not None and paid.kind is EventKind.PAID and paid.amount == Money(19900, "RUB")
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard


def test_ack(provider: SeverPayProvider) -> None:
    accepted = provider.ack(accepted=True)
    assert accepted.status == 200 and json.loads(accepted.body) == {"status": True}
    assert accepted.content_type == "application/json"
    assert provider.ack(accepted=False).status >= 500


async def test_provider_errors(provider: SeverPayProvider, emulator: SeverPayEmulator) -> None:
    emulator.fail_next(500)
    with pytest.raises(ProviderError) as server_error:
        await provider.create_invoice(_request())
    assert server_error.value.transient is True
    with pytest.raises(ProviderError) as refused:
        await provider.create_invoice(_request(minor=0))
    assert refused.value.transient is False
    emulator.set_down()
    with pytest.raises(ProviderError) as down:
        await provider.create_invoice(_request())
    assert down.value.transient is True


async def test_wrong_token_is_not_transient(emulator: SeverPayEmulator) -> None:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)
    module = severpay.create(_settings(emulator, SEVERPAY_TOKEN="wrong"), context)
    try:
        with pytest.raises(ProviderError) as caught:
            await module.create_invoice(_request())
        with pytest.raises(ProviderError) as lookup:
            await module.fetch_status("ord-1", "1")
    finally:
        await module.close()
    assert caught.value.transient is False and lookup.value.status == 401


async def test_silent_provider_times_out(emulator: SeverPayEmulator) -> None:
    release = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=0.5)
    module = severpay.create(_settings(emulator, SEVERPAY_API_URL=f"http://127.0.0.1:{port}"), context)
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


# -- the webhook path, rule by rule -----------------------------------------------------------

LOGGER = "remnastore.payments.severpay"


def _logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, object]]]:
    keys = ("peer", "id", "state")
    return [(r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in caplog.records]


def _signed(message: dict[str, Any], token: str) -> RawRequest:
    body = {**message, "sign": sign_fields(message, token)}
    return _raw(Delivery("", json.dumps(body, ensure_ascii=False).encode(), {}))


async def test_an_event_keeps_the_pay_in_as_severpay_reports_it_and_is_dated_on_arrival(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    payin_id = await _payin(provider)
    delivery = emulator.pay(payin_id)
    before = datetime.now(UTC)
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.provider == "severpay" and before <= event.occurred_at <= datetime.now(UTC)
    assert event.raw == emulator.payin_object(emulator.payins[payin_id])


async def test_an_order_id_a_currency_and_an_amount_are_read_only_when_given(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    payin_id = await _payin(provider)
    payin = emulator.payins[payin_id]
    payin.order_id = ""
    payin.currency = ""
    [event] = await provider.parse_notification(_raw(emulator.pay(payin_id)))
    assert event.order_id is None and event.amount == Money(19900, "RUB")


async def test_an_amount_severpay_cannot_have_meant_is_a_permanent_error(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    payin_id = await _payin(provider)
    with pytest.raises(ProviderError, match=r"severpay amount '1.005'") as caught:
        await provider.parse_notification(_raw(emulator.pay(payin_id, amount=Decimal("1.005"))))
    assert caught.value.transient is False


async def test_each_refusal_says_why_and_the_suspicious_ones_are_logged(
    provider: SeverPayProvider, emulator: SeverPayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    payin_id = await _payin(provider)
    cases = [
        (_raw(Delivery("", b"{oops", {})), "body is not JSON", 400),
        (_raw(Delivery("", b'["payin"]', {})), "body is not a JSON object", 400),
        (_raw(emulator.webhook(payin_id, sign="")), "missing sign", 401),
        (_raw(emulator.webhook(payin_id, token="guess")), "wrong sign", 401),
        (
            _signed({"type": "payin", "data": {"id": ""}}, emulator.token),
            "payin webhook without data.id",
            400,
        ),
        (_signed({"type": "payin", "data": "x"}, emulator.token), "payin webhook without data.id", 400),
    ]
    for request, reason, status in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(request)
        assert (caught.value.reason, caught.value.status) == (reason, status)
    assert _logged(caplog) == [
        ("severpay webhook without sign", {"peer": "127.0.0.1"}),
        ("severpay webhook with a wrong sign", {"peer": "127.0.0.1"}),
    ]


async def test_a_sign_is_read_without_case_or_blanks_and_unknown_pay_ins_are_logged(
    provider: SeverPayProvider, emulator: SeverPayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    payin_id = await _payin(provider)
    message = json.loads(emulator.pay(payin_id).body)
    message["sign"] = f" {message['sign'].upper()} "
    assert len(await provider.parse_notification(_raw(Delivery("", json.dumps(message).encode(), {})))) == 1
    assert await provider.parse_notification(_raw(emulator.webhook(0, data={"id": 999_999}))) == []
    emulator.payins[payin_id].status = "on_hold"
    assert await provider.parse_notification(_raw(emulator.webhook(payin_id))) == []
    assert _logged(caplog) == [
        ("severpay knows no such pay-in", {"id": "999999"}),
        ("severpay pay-in in an unknown state", {"state": "on_hold"}),
    ]


async def test_the_amount_is_read_in_the_pay_ins_currency(
    provider: SeverPayProvider, emulator: SeverPayEmulator
) -> None:
    payin_id = await _payin(provider)
    emulator.payins[payin_id].currency = "USD"
    [event] = await provider.parse_notification(_raw(emulator.pay(payin_id, amount=Decimal("2.50"))))
    assert event.amount == Money(250, "USD")
