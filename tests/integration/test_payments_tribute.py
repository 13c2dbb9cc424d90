"""Tribute module against its emulator: signed webhooks, over real HTTP and as RawRequest."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from remnastore.domain.money import Money
from remnastore.emulators.provider_base import Delivery
from remnastore.emulators.tribute import TributeEmulator
from remnastore.payments import tribute
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
from remnastore.payments.tribute import Settings, TributeProvider, product_for
from tests.fixtures.payments import NotificationReceiver

PRODUCTS = (
    "standard:1m=301@https://t.me/tribute/app?startapp=sA1b2; "
    "standard:12m=302@https://t.me/tribute/app?startapp=sC3d4\n"
    "pro:1m=77@https://t.me/tribute/app?startapp=pE5f6"
)
USER = 555000111


def _settings(api_key: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TRIBUTE_ENABLED": True,
        "TRIBUTE_API_KEY": api_key,
        "TRIBUTE_PRODUCTS": PRODUCTS,
    }
    values.update(overrides)
    return Settings(**values)


def _raw(delivery: Delivery) -> RawRequest:
    headers = {key.lower(): value for key, value in delivery.headers.items()}
    return RawRequest("POST", "/webhooks/tribute", headers, {}, delivery.body, "127.0.0.1")


def _request(tariff: str | None, period: str | None) -> InvoiceRequest:
    return InvoiceRequest(
        order_id="ord-1",
        amount=Money(19900, "RUB"),
        description="VPN",
        telegram_user_id=USER,
        idempotency_key="idem-1",
        tariff_code=tariff,
        period_code=period,
    )


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[TributeEmulator]:
    async with TributeEmulator(secrets.token_hex(24)) as emu:
        yield emu


@pytest.fixture
def provider(emulator: TributeEmulator) -> TributeProvider:
    context = ProviderContext(public_url=None, return_url="https://t.me/shop_bot")
    return tribute.create(_settings(emulator.api_key), context)


def test_products_setting() -> None:
    settings = _settings("k")
    assert [(p.tariff_code, p.period_code, p.ref) for p in settings.catalogue()] == [
        ("standard", "1m", "301"),
        ("standard", "12m", "302"),
        ("pro", "1m", "77"),
    ]
    assert settings.catalogue()[0].link == "https://t.me/tribute/app?startapp=sA1b2"
    assert product_for(settings, "302") == ("standard", "12m")
    assert product_for(settings, "77") == ("pro", "1m")
    assert product_for(settings, "999") is None
    assert Settings(TRIBUTE_ENABLED=True).missing() == ["TRIBUTE_API_KEY", "TRIBUTE_PRODUCTS"]
    assert Settings().missing() == [] and Settings().catalogue() == []


@pytest.mark.parametrize(
    "value",
    [
        "standard:1m=https://t.me/tribute/app",  # no product id
        "standard=301@https://t.me/x",  # no period
        "standard:1m=301@ftp://t.me/x",  # not a link
        "Standard:1m=301@https://t.me/x",  # catalogue codes are lower-case
        "standard:1m=30 1@https://t.me/x",
        "standard:1m=301@https://t.me/a; standard:1m=302@https://t.me/b",  # item twice
        "standard:1m=301@https://t.me/a; pro:1m=301@https://t.me/b",  # product twice
    ],
)
def test_products_setting_errors(value: str) -> None:
    with pytest.raises(ValueError, match=r"expected|codes|product|link|twice"):
        Settings(TRIBUTE_PRODUCTS=value)


async def test_create_invoice_hands_out_the_link(provider: TributeProvider) -> None:
    assert isinstance(provider, Provider) and not provider.supports_status_poll
    invoice = await provider.create_invoice(_request("standard", "12m"))
    assert invoice.provider_payment_id is None
    assert invoice.pay_url == "https://t.me/tribute/app?startapp=sC3d4"
    assert provider.has_product("pro", "1m") and not provider.has_product("pro", "12m")
    assert provider.product_for_ref("301") == ("standard", "1m")
    for tariff, period in (("pro", "12m"), (None, None)):
        with pytest.raises(ProviderError) as caught:
            await provider.create_invoice(_request(tariff, period))
        assert caught.value.transient is False


async def test_new_subscription_over_http(provider: TributeProvider, emulator: TributeEmulator) -> None:
    async with NotificationReceiver(provider, path="/webhooks/tribute") as receiver:
        emulator.notify_url = receiver.url
        delivery = emulator.pay(301, USER)
        first = await emulator.deliver(delivery)
        replay = await emulator.deliver(Delivery(delivery.url, delivery.body, dict(delivery.headers)))
        payload = emulator.subscription_payload(USER, 301)
        forged = await emulator.deliver(emulator.event("new_subscription", payload, api_key="guess"))
    assert (first.status, replay.status, forged.status) == (200, 200, 401)
    assert receiver.last.rejected is not None and receiver.last.status == 401
    event, again = receiver.events
    assert event.kind is EventKind.PAID
    assert event.order_id is None
    assert event.product_ref == "301" and event.telegram_user_id == USER
    assert event.amount == Money(19900, "RUB")
    assert again.provider_payment_id == event.provider_payment_id
    expires = json.loads(delivery.body)["payload"]["expires_at"]
    assert event.provider_payment_id == f"sub:301:{USER}:new_subscription:{expires}"


async def test_renewals_are_distinct_payments(provider: TributeProvider, emulator: TributeEmulator) -> None:
    now = datetime.now(UTC)
    first = emulator.new_subscription(USER, 302, expires_at=now + timedelta(days=30))
    renewal = emulator.renewed_subscription(
        USER, 302, expires_at=now + timedelta(days=60), currency="eur", amount=500
    )
    second_renewal = emulator.renewed_subscription(USER, 302, expires_at=now + timedelta(days=90))
    events = [(await provider.parse_notification(_raw(d)))[0] for d in (first, renewal, second_renewal)]
    assert all(e.kind is EventKind.PAID and e.product_ref == "302" for e in events)
    assert len({e.provider_payment_id for e in events}) == 3
    assert events[1].amount == Money(500, "EUR")


async def test_cancelled_subscription_is_not_a_refund(
    provider: TributeProvider, emulator: TributeEmulator
) -> None:
    assert await provider.parse_notification(_raw(emulator.cancelled_subscription(USER, 301))) == []


async def test_digital_product_and_its_refund(provider: TributeProvider, emulator: TributeEmulator) -> None:
    bought = emulator.new_digital_product(USER, 77, purchase_id=4040, amount=9900, currency="usd")
    [paid] = await provider.parse_notification(_raw(bought))
    assert paid.kind is EventKind.PAID and paid.provider_payment_id == "4040"
    assert paid.product_ref == "77" and paid.amount == Money(9900, "USD")
    [refunded] = await provider.parse_notification(_raw(emulator.digital_product_refunded(USER, 77, 4040)))
    assert refunded.kind is EventKind.REFUNDED
    assert refunded.provider_payment_id == paid.provider_payment_id
    assert refunded.telegram_user_id == USER


async def test_donations_and_trials_are_not_purchases(
    provider: TributeProvider, emulator: TributeEmulator
) -> None:
    """A donation (even through a link whose id equals a product's) and a free trial pay for nothing."""
    now = datetime.now(UTC)
    for name in ("new_donation", "recurrent_donation"):
        donation = emulator.new_donation(USER, 301, amount=100, created_at=now, name=name)
        assert await provider.parse_notification(_raw(donation)) == []
    trial = emulator.new_subscription(USER, 301, amount=0, kind="trial")
    assert await provider.parse_notification(_raw(trial)) == []
    # the trial's first paid renewal is a purchase
    [renewal] = await provider.parse_notification(_raw(emulator.renewed_subscription(USER, 301)))
    assert renewal.kind is EventKind.PAID and renewal.amount == Money(19900, "RUB")


async def test_wrong_amount_is_reported(provider: TributeProvider, emulator: TributeEmulator) -> None:
    [event] = await provider.parse_notification(_raw(emulator.new_subscription(USER, 301, amount=100)))
    assert event.amount == Money(100, "RUB")


async def test_bad_signatures_are_401(provider: TributeProvider, emulator: TributeEmulator) -> None:
    good = emulator.new_subscription(USER, 301)
    tampered = good.body.replace(b'"amount":19900', b'"amount":99900')
    assert tampered != good.body
    cases = [
        emulator.event("new_subscription", emulator.subscription_payload(USER, 301), api_key="guess"),
        emulator.event("new_subscription", {}, signature=""),
        Delivery("", tampered, good.headers),
        Delivery("", good.body, {}),
    ]
    for delivery in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert caught.value.status == 401


async def test_malformed_and_irrelevant(provider: TributeProvider, emulator: TributeEmulator) -> None:
    def signed(body: bytes) -> Delivery:
        delivery = emulator.event("x", {})
        delivery.body = body
        delivery.headers["trbt-signature"] = hmac.new(
            emulator.api_key.encode(), body, hashlib.sha256
        ).hexdigest()
        return delivery

    no_user = emulator.subscription_payload(USER, 301)
    del no_user["telegram_user_id"]
    odd_currency = emulator.subscription_payload(USER, 301, currency="doge")
    float_amount = emulator.subscription_payload(USER, 301)
    float_amount["amount"] = 199.5
    malformed = [
        signed(b"{nope"),
        signed(b"[]"),
        emulator.event("new_subscription", no_user),
        emulator.event("new_subscription", odd_currency),
        emulator.event("new_subscription", float_amount),
        signed(json.dumps({"name": "new_digital_product", "payload": "x"}).encode()),
    ]
    for delivery in malformed:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert caught.value.status == 400
    for name in ("cancelled_donation", "new_order", "test_event"):
        assert await provider.parse_notification(_raw(emulator.event(name, {"anything": 1}))) == []


async def test_no_status_api_and_no_refunds(provider: TributeProvider) -> None:
    assert await provider.fetch_status("ord-1", None) is None
    assert not isinstance(provider, Refunds)  # no refund API: refunded in the dashboard
    assert provider.ack(accepted=True).status == 200
    assert provider.ack(accepted=False).status >= 500
    await provider.close()


def test_long_keys_are_hashed_to_fit() -> None:
    key = tribute._stable_key("sub", "1" * 80, USER, "renewed_subscription", "2030-01-01T00:00:00.000000Z")
    assert len(key) <= 128 and key.startswith("sub:sha256:")
    assert key == tribute._stable_key(
        "sub", "1" * 80, USER, "renewed_subscription", "2030-01-01T00:00:00.000000Z"
    )


# -- the webhook path, rule by rule -----------------------------------------------------------

LOGGER = "remnastore.payments.tribute"


def _signed_body(emulator: TributeEmulator, document: dict[str, Any]) -> Delivery:
    body = json.dumps(document).encode()
    digest = hmac.new(emulator.api_key.encode(), body, hashlib.sha256).hexdigest()
    return Delivery("", body, {"trbt-signature": digest})


async def test_a_subscription_payment_keeps_the_webhook_and_its_moment(
    provider: TributeProvider, emulator: TributeEmulator
) -> None:
    moment = datetime(2026, 3, 1, 10, 5, tzinfo=UTC)
    delivery = emulator.event("new_subscription", emulator.subscription_payload(USER, 301), created_at=moment)
    [event] = await provider.parse_notification(_raw(delivery))
    assert event.provider == "tribute" and event.raw == json.loads(delivery.body)
    assert event.occurred_at == datetime(2026, 3, 1, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2026-03-01T10:05:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
        ("2026-03-01T13:05:00+03:00", datetime(2026, 3, 1, 10, 5, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
        (5, None),
    ],
    ids=["zoneless-is-utc", "with-offset", "unreadable-is-now", "absent-is-now", "a-number-is-now"],
)
async def test_the_webhooks_moment_is_read_strictly(
    provider: TributeProvider, emulator: TributeEmulator, created_at: str | None, expected: datetime | None
) -> None:
    document = json.loads(emulator.new_subscription(USER, 301).body)
    document["created_at"] = created_at
    before = datetime.now(UTC)
    [event] = await provider.parse_notification(_raw(_signed_body(emulator, document)))
    if expected is None:
        assert before <= event.occurred_at <= datetime.now(UTC)
    else:
        assert event.occurred_at == expected


async def test_numbers_written_as_text_are_read(provider: TributeProvider, emulator: TributeEmulator) -> None:
    payload = emulator.subscription_payload(USER, 301)
    payload.update(telegram_user_id=str(USER), amount="19900")
    [event] = await provider.parse_notification(_raw(emulator.event("new_subscription", payload)))
    assert event.telegram_user_id == USER and event.amount == Money(19900, "RUB")


def _without(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != name}


async def test_each_refusal_says_why(provider: TributeProvider, emulator: TributeEmulator) -> None:
    sub = emulator.subscription_payload(USER, 301)
    product = json.loads(emulator.new_digital_product(USER, 77, purchase_id=4040).body)["payload"]
    cases = [
        (_signed_body(emulator, {"name": 5}), "webhook without a name"),
        (
            _signed_body(emulator, {"name": "new_subscription", "payload": []}),
            "new_subscription without a payload",
        ),
        (
            emulator.event("new_subscription", _without(sub, "telegram_user_id")),
            "new_subscription without telegram_user_id",
        ),
        (
            emulator.event("new_subscription", {**sub, "telegram_user_id": ""}),
            "new_subscription without telegram_user_id",
        ),
        (
            emulator.event("new_subscription", {**sub, "telegram_user_id": True}),
            "new_subscription: telegram_user_id is not a number",
        ),
        (
            emulator.event("new_subscription", {**sub, "telegram_user_id": "12a"}),
            "new_subscription: telegram_user_id is not a number",
        ),
        (
            emulator.event("new_subscription", {**sub, "telegram_user_id": [1]}),
            "new_subscription: telegram_user_id is not a number",
        ),
        (
            emulator.event("new_subscription", {**sub, "amount": True}),
            "new_subscription: amount True is not in minor units",
        ),
        (
            emulator.event("new_subscription", {**sub, "amount": "-5"}),
            "new_subscription: amount '-5' is not in minor units",
        ),
        (
            emulator.event("new_subscription", {**sub, "amount": [1]}),
            "new_subscription: amount [1] is not in minor units",
        ),
        (emulator.event("new_subscription", _without(sub, "currency")), "new_subscription without currency"),
        (
            emulator.event("new_subscription", {**sub, "currency": "doge"}),
            "new_subscription: unknown currency 'doge'",
        ),
        (
            emulator.event("new_subscription", _without(sub, "subscription_id")),
            "new_subscription without subscription_id",
        ),
        (
            emulator.event("new_subscription", _without(sub, "expires_at")),
            "new_subscription without expires_at",
        ),
        (
            emulator.event("new_digital_product", _without(product, "product_id")),
            "new_digital_product without product_id",
        ),
        (
            emulator.event("new_digital_product", _without(product, "purchase_id")),
            "new_digital_product without purchase_id",
        ),
    ]
    for delivery, reason in cases:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert (caught.value.reason, caught.value.status) == (reason, 400)


async def test_signatures_are_read_without_case_or_blanks_and_refusals_are_logged(
    provider: TributeProvider, emulator: TributeEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    good = emulator.new_subscription(USER, 301)
    good.headers["trbt-signature"] = f" {good.headers['trbt-signature'].upper()} "
    assert len(await provider.parse_notification(_raw(good))) == 1
    refusals = [
        (emulator.event("new_subscription", {}, signature=""), ("missing trbt-signature", 401)),
        (emulator.event("new_subscription", {}, api_key="guess"), ("wrong trbt-signature", 401)),
    ]
    for delivery, expected in refusals:
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert (caught.value.reason, caught.value.status) == expected
    unkeyed = tribute.create(_settings(emulator.api_key, TRIBUTE_API_KEY=None), ProviderContext(None, ""))
    with pytest.raises(NotificationRejected) as caught:
        await unkeyed.parse_notification(_raw(emulator.new_subscription(USER, 301)))
    assert (caught.value.reason, caught.value.status) == ("TRIBUTE_API_KEY is not set", 403)
    await provider.parse_notification(_raw(emulator.new_donation(USER, 301, amount=100)))
    await provider.parse_notification(_raw(emulator.new_subscription(USER, 301, amount=0, kind="trial")))
    logged = [(r.getMessage(), r.__dict__.get("peer"), r.__dict__.get("event")) for r in caplog.records]
    assert logged == [
        ("tribute webhook without trbt-signature", "127.0.0.1", None),
        ("tribute webhook with a wrong signature", "127.0.0.1", None),
        ("tribute donation received; donations buy nothing", None, "new_donation"),
        ("tribute trial subscription; nothing is paid", None, "new_subscription"),
    ]


def test_a_key_of_exactly_the_limit_is_kept_as_it_is() -> None:
    parts = ("sub", "1" * (128 - len("sub:") - len(":1:x:y")), 1, "x", "y")
    key = tribute._stable_key(*parts)
    assert len(key) == 128 and key == ":".join(str(part) for part in parts)


async def test_an_unsigned_body_and_a_body_that_is_no_json_say_so(
    provider: TributeProvider, emulator: TributeEmulator
) -> None:
    sub = emulator.subscription_payload(USER, 301)
    unsigned = Delivery("", emulator.new_subscription(USER, 301).body, {})
    not_json = Delivery(
        "",
        b"{nope",
        {"trbt-signature": hmac.new(emulator.api_key.encode(), b"{nope", hashlib.sha256).hexdigest()},
    )
    no_amount = emulator.event("new_subscription", {k: v for k, v in sub.items() if k != "amount"})
    for delivery, expected in (
        (unsigned, ("missing trbt-signature", 401)),
        (not_json, ("body is not JSON", 400)),
        (no_amount, ("new_subscription without amount", 400)),
    ):
        with pytest.raises(NotificationRejected) as caught:
            await provider.parse_notification(_raw(delivery))
        assert (caught.value.reason, caught.value.status) == expected
