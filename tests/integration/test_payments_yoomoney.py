"""YooMoney quickpay module against its emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.yoomoney import YooMoneyEmulator
from remnastore.payments import yoomoney
from remnastore.payments.base import (
    EventKind,
    InvoiceRequest,
    Provider,
    ProviderContext,
    ProviderError,
)
from remnastore.payments.capabilities import Refunds
from remnastore.payments.yoomoney import Settings, YooMoneyProvider, notification_hash
from tests.fixtures.payments import NotificationReceiver

WALLET = "4100118012345678"
CONTEXT = ProviderContext(public_url=None, return_url="https://t.me/shop_bot", timeout=2.0)


def _settings(emulator: YooMoneyEmulator, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "YOOMONEY_ENABLED": True,
        "YOOMONEY_WALLET": emulator.wallet,
        "YOOMONEY_NOTIFICATION_SECRET": emulator.notification_secret,
        "YOOMONEY_QUICKPAY_URL": emulator.quickpay_url,
    }
    values.update(overrides)
    return Settings(**values)


def _request(order_id: str = "ord-1", minor: int = 19900) -> InvoiceRequest:
    return InvoiceRequest(
        order_id=order_id,
        amount=Money(minor, "RUB"),
        description="VPN, 1 month",
        telegram_user_id=777000111,
        idempotency_key=f"idem-{order_id}",
    )


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[YooMoneyEmulator]:
    async with YooMoneyEmulator(WALLET, secrets.token_urlsafe(18)) as emu:
        yield emu


@pytest_asyncio.fixture
async def provider(emulator: YooMoneyEmulator) -> AsyncIterator[YooMoneyProvider]:
    module = yoomoney.create(_settings(emulator), CONTEXT)
    yield module
    await module.close()


@pytest_asyncio.fixture
async def receiver(
    provider: YooMoneyProvider, emulator: YooMoneyEmulator
) -> AsyncIterator[NotificationReceiver]:
    async with NotificationReceiver(provider, path="/webhooks/yoomoney") as receiver:
        emulator.notify_url = receiver.url
        yield receiver


async def _open(pay_url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as payer, payer.get(pay_url) as page:
        return page.status, await page.text()


async def _transfer(emulator: YooMoneyEmulator, provider: YooMoneyProvider, order_id: str = "ord-1") -> str:
    invoice = await provider.create_invoice(_request(order_id))
    status, _ = await _open(invoice.pay_url)
    assert status == 200
    return emulator.find(order_id).transfer_id


def test_module_contract(provider: YooMoneyProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.currencies == frozenset({"RUB"}) and provider.uses_webhook
    assert not isinstance(provider, Refunds) and not provider.supports_status_poll


def test_settings_name_what_is_missing() -> None:
    assert set(Settings(YOOMONEY_ENABLED=True).missing()) == {
        "YOOMONEY_WALLET",
        "YOOMONEY_NOTIFICATION_SECRET",
    }
    with pytest.raises(ValueError, match="wallet number"):
        Settings(YOOMONEY_WALLET="41001-bad")


async def test_the_form_carries_our_order_id_as_label(provider: YooMoneyProvider) -> None:
    invoice = await provider.create_invoice(_request("ord-42", 25050))
    assert invoice.provider_payment_id is None
    fields = dict(parse_qsl(urlsplit(invoice.pay_url).query))
    assert fields == {
        "receiver": WALLET,
        "quickpay-form": "button",
        "sum": "250.50",
        "label": "ord-42",
        "paymentType": "AC",
        "successURL": "https://t.me/shop_bot",
    }
    with pytest.raises(ProviderError, match="roubles"):
        await provider.create_invoice(
            InvoiceRequest("o", Money(100, "XTR"), "x", 1, "k")  # Stars cannot go to a wallet
        )


async def test_paying_on_the_page_notifies_the_shop_and_returns_the_payer(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    invoice = await provider.create_invoice(_request())
    status, page = await _open(invoice.pay_url)
    assert status == 200 and "199.00 RUB" in page
    transfer = emulator.find("ord-1").transfer_id
    async with aiohttp.ClientSession() as payer:
        form = {"transfer": transfer, "action": "pay"}
        submit = f"{emulator.url}/quickpay/confirm/submit"
        async with payer.post(submit, data=form, allow_redirects=False) as paid:
            assert paid.status == 303 and paid.headers["Location"] == CONTEXT.return_url
        async with payer.post(submit, data=form, allow_redirects=False) as again:
            assert again.status == 409
    [event] = receiver.events
    assert event.kind is EventKind.PAID and event.order_id == "ord-1"
    assert event.amount == Money(19900, "RUB")  # withdraw_amount: the commission is the seller's
    fields = emulator.deliveries[-1].extra["fields"]
    assert fields["amount"] == "193.03" and fields["withdraw_amount"] == "199.00"
    assert event.provider_payment_id == fields["operation_id"]


async def test_declining_sends_nothing(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    transfer = await _transfer(emulator, provider)
    async with (
        aiohttp.ClientSession() as payer,
        payer.post(
            f"{emulator.url}/quickpay/confirm/submit",
            data={"transfer": transfer, "action": "decline"},
            allow_redirects=False,
        ) as declined,
    ):
        assert declined.status == 303
    assert receiver.outcomes == [] and emulator.transfers[transfer].status == "declined"


async def test_the_form_refuses_what_yoomoney_refuses(emulator: YooMoneyEmulator) -> None:
    base = {"receiver": WALLET, "quickpay-form": "button", "sum": "10.00", "label": "x", "paymentType": "AC"}
    cases = [
        {"receiver": "4100100000000000"},
        {"sum": "0"},
        {"sum": "1.005"},
        {"sum": "abc"},
        {"paymentType": "MC"},
        {"quickpay-form": ""},
    ]
    async with aiohttp.ClientSession() as payer:
        for case in cases:
            async with payer.get(emulator.quickpay_url, params={**base, **case}) as page:
                assert page.status == 400, case
    assert emulator.transfers == {}


async def test_wallet_payment_type_has_a_sender_and_one_percent(
    emulator: YooMoneyEmulator, receiver: NotificationReceiver
) -> None:
    module = yoomoney.create(_settings(emulator, YOOMONEY_PAYMENT_TYPE="PC"), CONTEXT)
    transfer = await _transfer(emulator, module)
    delivery = await emulator.deliver(emulator.pay(transfer))
    fields = delivery.extra["fields"]
    assert fields["notification_type"] == "p2p-incoming" and fields["sender"].startswith("41001")
    assert fields["amount"] == "197.01"
    assert delivery.status == 200 and receiver.events[-1].amount == Money(19900, "RUB")


async def test_a_forged_hash_is_refused(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    transfer = await _transfer(emulator, provider)
    for forged in (
        emulator.pay(transfer, secret="guessed-secret"),
        emulator.pay(transfer, sha1_hash="0" * 40),
        emulator.pay(transfer, sha1_hash=""),
    ):
        assert (await emulator.deliver(forged)).status == 401
    genuine = emulator.pay(transfer)
    # the signed amount or label changed after signing
    fields = dict(genuine.extra["fields"])
    for name, value in (("amount", "1990.00"), ("label", "someone-elses-order"), ("codepro", "False")):
        tampered = emulator.notification({**fields, name: value}, sha1_hash=fields["sha1_hash"])
        assert (await emulator.deliver(tampered)).status == 401, name
    assert receiver.events == []


async def test_codepro_unaccepted_test_and_unlabelled_transfers_credit_nothing(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    transfer = await _transfer(emulator, provider)
    for delivery in (
        emulator.pay(transfer, codepro="true"),
        emulator.pay(transfer, unaccepted="true"),
        emulator.test_notification(),
        emulator.pay(transfer, label=""),
    ):
        assert (await emulator.deliver(delivery)).status == 200  # acknowledged: YooMoney must stop
    assert receiver.events == []


async def test_withdraw_amount_is_believed_only_when_the_signed_amount_agrees(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    transfer = await _transfer(emulator, provider)
    # withdraw_amount is outside the hash: raising it past the commission limit does not make a payment
    await emulator.deliver(emulator.pay(transfer, withdraw_amount="1990.00"))
    await emulator.deliver(emulator.pay(transfer, withdraw_amount="100.00"))  # below what was credited
    fields = dict(emulator.pay(transfer).extra["fields"])
    del fields["withdraw_amount"]
    await emulator.deliver(emulator.notification({k: v for k, v in fields.items() if k != "sha1_hash"}))
    assert [event.amount for event in receiver.events] == [Money(19303, "RUB")] * 3


async def test_malformed_notifications_are_400(
    emulator: YooMoneyEmulator, provider: YooMoneyProvider, receiver: NotificationReceiver
) -> None:
    transfer = await _transfer(emulator, provider)
    fields = {k: v for k, v in emulator.pay(transfer).extra["fields"].items() if k != "sha1_hash"}
    for name, value in (("currency", "840"), ("notification_type", "outgoing"), ("amount", "1.999")):
        assert (await emulator.deliver(emulator.notification({**fields, name: value}))).status == 400, name
    async with aiohttp.ClientSession() as client:
        async with client.post(receiver.url, data=b"%%%not a form") as response:
            assert response.status == 400
        twice = emulator.notification(fields).body + b"&label=other"
        async with client.post(receiver.url, data=twice) as response:
            assert response.status == 400
        async with client.get(receiver.url) as response:
            assert response.status == 405
    assert receiver.events == []


def test_hash_is_over_the_nine_fields_in_order() -> None:
    fields = {
        "notification_type": "p2p-incoming",
        "operation_id": "1234567",
        "amount": "300.00",
        "currency": "643",
        "datetime": "2011-07-01T09:00:00.000+04:00",
        "sender": "41001XXXXXXXX",
        "codepro": "false",
        "label": "YM.label.12345",
    }
    # sha1 of the nine values joined by "&", the secret between codepro and label
    expected = "a2ee4a9195f4a90e893cff4f62eeba0b662321f9"
    assert notification_hash(fields, "01234567890ABCDEF01234567890") == expected


async def test_no_refunds_and_no_status(provider: YooMoneyProvider) -> None:
    assert await provider.fetch_status("ord-1", None) is None
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard
