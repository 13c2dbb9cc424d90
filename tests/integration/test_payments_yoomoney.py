"""YooMoney quickpay module against its emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.yoomoney import YooMoneyEmulator
from remnastore.payments import yoomoney
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


# -- the notification path, rule by rule (direct calls: YooMoney is never asked anything) ----------

SECRET = "notification-secret-01234567"
LOGGER = "remnastore.payments.yoomoney"


def _direct(**overrides: Any) -> YooMoneyProvider:
    values: dict[str, Any] = {
        "YOOMONEY_ENABLED": True,
        "YOOMONEY_WALLET": WALLET,
        "YOOMONEY_NOTIFICATION_SECRET": SECRET,
        **overrides,
    }
    return yoomoney.create(Settings(**values), CONTEXT)


def _fields(**changes: str | None) -> dict[str, str]:
    """A card transfer of 199.00 (193.03 credited) for order ord-1, signed; ``None`` removes a field."""
    fields = {
        "notification_type": "card-incoming",
        "operation_id": "op-1",
        "amount": "193.03",
        "withdraw_amount": "199.00",
        "currency": "643",
        "datetime": "2026-03-01T10:05:00Z",
        "sender": "",
        "codepro": "false",
        "label": "ord-1",
        "unaccepted": "false",
    }
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    fields["sha1_hash"] = notification_hash(fields, SECRET)
    return fields


def _raw(fields: dict[str, str] | bytes, method: str = "POST") -> RawRequest:
    body = fields if isinstance(fields, bytes) else urlencode(fields).encode()
    return RawRequest(method, "/webhooks/yoomoney", {}, {}, body, "192.0.2.10")


async def _refusal(provider: YooMoneyProvider, request: RawRequest) -> tuple[str, int]:
    with pytest.raises(NotificationRejected) as refused:
        await provider.parse_notification(request)
    return refused.value.reason, refused.value.status


async def test_a_signed_transfer_becomes_a_payment_event_with_its_fields() -> None:
    [event] = await _direct().parse_notification(_raw(_fields()))
    assert (event.provider, event.provider_payment_id, event.kind, event.order_id) == (
        "yoomoney",
        "op-1",
        EventKind.PAID,
        "ord-1",
    )
    assert event.amount == Money(19900, "RUB")
    assert event.occurred_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    assert event.raw == {k: v for k, v in _fields().items() if k != "sha1_hash"} and event.raw["sender"] == ""


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-01T13:05:00+03:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
        ("2026-03-01T10:05:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
    ],
)
async def test_the_transfers_moment_is_read_in_its_zone(moment: str, expected: datetime) -> None:
    [event] = await _direct().parse_notification(_raw(_fields(datetime=moment)))
    assert event.occurred_at == expected and event.occurred_at.utcoffset() is not None


async def test_a_transfer_without_a_moment_and_flags_is_dated_now() -> None:
    before = datetime.now(UTC)
    [event] = await _direct().parse_notification(_raw(_fields(datetime=None, codepro=None, unaccepted=None)))
    assert before <= event.occurred_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("credited", "withdrawn", "paid", "believed"),
    [("95.00", "100.00", 10000, True), ("100.00", "100.00", 10000, True), ("94.99", "100.00", 9499, False)],
    ids=["largest-commission", "no-commission", "beyond-the-commission"],
)
async def test_withdraw_amount_is_believed_up_to_the_largest_commission(
    caplog: pytest.LogCaptureFixture, credited: str, withdrawn: str, paid: int, believed: bool
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    [event] = await _direct().parse_notification(_raw(_fields(amount=credited, withdraw_amount=withdrawn)))
    assert event.amount == Money(paid, "RUB")
    warned = [
        (r.getMessage(), r.__dict__.get("operation_id"))
        for r in caplog.records
        if r.getMessage().startswith("yoomoney withdraw_amount")
    ]
    disagree = "yoomoney withdraw_amount does not agree with the signed amount; comparing the amount credited"
    assert warned == ([] if believed else [(disagree, "op-1")])


async def test_the_smallest_amount_is_one_kopeck() -> None:
    [event] = await _direct().parse_notification(_raw(_fields(amount="1.00", withdraw_amount=None)))
    assert event.amount == Money(100, "RUB")


@pytest.mark.parametrize(
    ("request_", "reason", "status"),
    [
        (_raw(_fields(), method="GET"), "notifications are POSTed", 405),
        (_raw(b"%%%not a form"), "body is not a form", 400),
        (_raw(urlencode(_fields()).encode() + b"&label=x"), "field label given twice", 400),
        (_raw(_fields(sha1_hash=None) | {"sha1_hash": ""}), "missing sha1_hash", 401),
        (_raw(_fields() | {"sha1_hash": "0" * 40}), "wrong sha1_hash", 401),
        (_raw(_fields(notification_type="outgoing")), "not an incoming transfer", 400),
        (_raw(_fields(operation_id="")), "not an incoming transfer", 400),
        (_raw(_fields(currency="840")), "currency '840' is not 643", 400),
        (_raw(_fields(amount="abc")), "amount is not an amount", 400),
        (_raw(_fields(amount="0")), "amount is not an amount", 400),
        (_raw(_fields(amount="1.999", withdraw_amount=None)), "amount has more than two decimal places", 400),
    ],
    ids=[
        "get",
        "not-a-form",
        "twice",
        "no-hash",
        "wrong-hash",
        "outgoing",
        "no-operation",
        "dollars",
        "not-a-number",
        "zero",
        "fractions-of-a-kopeck",
    ],
)
async def test_each_refusal_says_why_with_its_status(request_: RawRequest, reason: str, status: int) -> None:
    assert await _refusal(_direct(), request_) == (reason, status)


async def test_a_shop_without_the_notification_secret_refuses_everything() -> None:
    provider = _direct(YOOMONEY_NOTIFICATION_SECRET=None)
    assert await _refusal(provider, _raw(_fields())) == ("YOOMONEY_NOTIFICATION_SECRET is not set", 403)


async def test_what_credits_nothing_is_acknowledged_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    provider = _direct()
    for fields in (
        _fields(codepro="true"),
        _fields(unaccepted="True"),
        _fields(label=""),
        _fields(test_notification="true"),
    ):
        assert await provider.parse_notification(_raw(fields)) == []
    for request in (
        _raw(_fields(sha1_hash=None) | {"sha1_hash": ""}),
        _raw(_fields() | {"sha1_hash": "0" * 40}),
    ):
        with pytest.raises(NotificationRejected, match="sha1_hash"):
            await provider.parse_notification(request)
    logged = [
        (
            r.levelname,
            r.getMessage(),
            {k: r.__dict__[k] for k in ("order_id", "operation_id", "peer") if k in r.__dict__},
        )
        for r in caplog.records
    ]
    assert logged == [
        (
            "WARNING",
            "yoomoney transfer not credited (codepro=true): the money has not arrived",
            {"order_id": "ord-1", "operation_id": "op-1"},
        ),
        (
            "WARNING",
            "yoomoney transfer not credited (unaccepted=true): the money has not arrived",
            {"order_id": "ord-1", "operation_id": "op-1"},
        ),
        ("WARNING", "yoomoney transfer without a label ignored", {"operation_id": "op-1"}),
        ("INFO", "yoomoney test notification received", {}),
        ("WARNING", "yoomoney notification without sha1_hash", {"peer": "192.0.2.10"}),
        ("WARNING", "yoomoney notification with a wrong sha1_hash", {"peer": "192.0.2.10"}),
    ]


def test_the_hash_takes_missing_fields_as_empty_text() -> None:
    # YooMoney's own rule, computed here independently: sender and label missing, each an empty value
    fields = {
        "notification_type": "card-incoming",
        "operation_id": "op-2",
        "amount": "98.00",
        "currency": "643",
        "datetime": "2026-03-01T10:05:00Z",
        "codepro": "false",
    }
    text = "card-incoming&op-2&98.00&643&2026-03-01T10:05:00Z&&false&" + SECRET + "&"
    assert notification_hash(fields, SECRET) == hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"operation_id": None}, "not an incoming transfer"),
        ({"amount": "NaN"}, "amount is not an amount"),
    ],
    ids=["no-operation-field", "not-a-finite-number"],
)
async def test_missing_or_impossible_fields_are_refused(changes: dict[str, str | None], reason: str) -> None:
    assert await _refusal(_direct(), _raw(_fields(**changes))) == (reason, 400)


async def test_a_notification_without_any_hash_field_is_refused_as_unsigned() -> None:
    fields = _fields()
    del fields["sha1_hash"]
    assert await _refusal(_direct(), _raw(fields)) == ("missing sha1_hash", 401)


async def test_a_transfer_without_a_label_field_credits_nothing() -> None:
    assert await _direct().parse_notification(_raw(_fields(label=None))) == []
