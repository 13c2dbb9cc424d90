"""Hostile calls of the public webhook routes: spoofed sender addresses, refusal floods, unparsable bodies.

* Two ``X-Forwarded-For`` lines (a spoofed allowed address first, the proxy's own line second) are one list:
  the sender is the proxy's entry, and an entry that is no IP address never passes an allow-list.
* Refusals are counted under a small fixed set of labels: thousands of refusals from distinct addresses add
  no metric series.
* A deeply nested or unparsable body gets 400 from every provider route and the panel route, with no
  traceback in the log and nothing changed.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from multidict import CIMultiDict
from prometheus_client import generate_latest
from sqlalchemy import func, select

from remnastore.db.models import Order, PaymentEvent
from remnastore.emulators.provider_base import Delivery
from tests.e2e.test_purchase_providers import buy, paid_notification
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop

PROVIDER_ROUTES = ("yookassa", "cryptobot", "heleket", "freekassa", "platega", "severpay", "tribute")
YOOKASSA_SENDER = "185.71.76.10"
FREEKASSA_SENDER = "168.119.157.136"


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {
        **payment_emulators.settings(),
        "FREEKASSA_ALLOWED_IPS": FREEKASSA_SENDER,
        "PANEL_WEBHOOK_SECRET": "panel-webhook-secret-0123456789",
    }


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


async def _post(delivery: Delivery, forwarded: list[str]) -> int:
    """POST a notification with each of ``forwarded`` as its own X-Forwarded-For header line."""
    headers: CIMultiDict[str] = CIMultiDict(
        (k, v) for k, v in delivery.headers.items() if k.lower() != "x-forwarded-for"
    )
    for line in forwarded:
        headers.add("X-Forwarded-For", line)
    async with (
        aiohttp.ClientSession() as session,
        session.post(delivery.url, data=delivery.body, headers=headers) as response,
    ):
        return response.status


async def _order_status(shop: Shop, order_id: str) -> str:
    async with shop.db.session() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order.status


@pytest.mark.parametrize("method", ["yookassa", "freekassa"])
async def test_a_spoofed_first_forwarded_line_does_not_pass_the_allow_list(
    shop: Shop, providers: PaymentEmulators, method: str
) -> None:
    order = await buy(shop, 9800 + PROVIDER_ROUTES.index(method), method)
    genuine = paid_notification(providers, method, order, 0)
    allowed = YOOKASSA_SENDER if method == "yookassa" else FREEKASSA_SENDER
    # the attacker's line first, the line the proxy appended (the attacker's real address) second
    assert await _post(genuine, [allowed, "198.51.100.23"]) == 403
    assert await _post(genuine, [f"{allowed}, 198.51.100.23"]) == 403
    # an entry that is not an address is never the sender, wherever it stands
    assert await _post(genuine, [allowed, "unknown"]) == 403
    assert await _post(genuine, [f"{allowed}, {allowed}:443"]) == 403
    assert await _order_status(shop, order.id) == "pending"
    # the genuine sender, behind the proxy, still gets through
    assert await _post(genuine, ["198.51.100.23", allowed]) == 200
    assert await _order_status(shop, order.id) in ("paid", "fulfilled")


#: series that come and go by their own clocks, labelled from fixed sets: scheduled jobs' runs, and the
#: event loop holds the loop guard reports (a flood on a loaded machine may hold the loop long enough)
_OWN_TIMERS = ("remnastore_job_", "remnastore_event_loop_hold")


def _series(shop: Shop) -> int:
    """Series on /metrics, those that start on their own timers aside (``_OWN_TIMERS``)."""
    text = generate_latest(shop.app.metrics.registry).decode()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return sum(1 for line in lines if not line.startswith(_OWN_TIMERS))


async def test_a_refusal_flood_adds_no_metric_series(shop: Shop, providers: PaymentEmulators) -> None:
    url = f"http://127.0.0.1:{shop.app.port}/webhooks/yookassa"
    notification = providers.yookassa.notification("payment.succeeded", {"id": "2f0b-unknown"})

    async def refuse(session: aiohttp.ClientSession, n: int) -> int:
        sender = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        headers = {"Content-Type": "application/json", "X-Forwarded-For": sender}
        async with session.post(url, data=notification.body, headers=headers) as response:
            return response.status

    async with aiohttp.ClientSession() as session:
        assert {await refuse(session, n) for n in range(20)} == {403}
        before = _series(shop)
        for start in range(20, 2100, 100):
            statuses = await asyncio.gather(*(refuse(session, n) for n in range(start, start + 100)))
            assert set(statuses) == {403}
    assert _series(shop) == before


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


UNPARSABLE = {
    "nested arrays": b"[" * 200_000,
    "nested objects": _nested(20_000),
    "balanced deep arrays": b"[" * 5_000 + b"]" * 5_000,
    "unterminated string": b'{"a": "' + b"x" * 200_000,
    "not utf-8": b'{"a": "\xff\xfe"}',
}


@pytest.mark.parametrize("body", list(UNPARSABLE.values()), ids=list(UNPARSABLE))
async def test_unparsable_bodies_are_refused_with_400_everywhere(
    shop: Shop, providers: PaymentEmulators, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    caplog.set_level(logging.WARNING)
    base = f"http://127.0.0.1:{shop.app.port}/webhooks"
    headers = {"Content-Type": "application/json", "X-Forwarded-For": YOOKASSA_SENDER}
    async with aiohttp.ClientSession() as session:
        for route in (*PROVIDER_ROUTES, "panel"):
            async with session.post(f"{base}/{route}", data=body, headers=headers) as response:
                assert response.status == 400, (route, response.status, await response.text())
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a body from outside"
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentEvent)) == 0


async def test_oversized_bodies_are_refused_with_413_before_reading_on(
    shop: Shop, providers: PaymentEmulators
) -> None:
    base = f"http://127.0.0.1:{shop.app.port}/webhooks"
    body = b'{"a": "' + b"x" * 300_000 + b'"}'
    async with aiohttp.ClientSession() as session:
        for route in (*PROVIDER_ROUTES, "panel"):
            async with session.post(f"{base}/{route}", data=body) as response:
                assert response.status == 413, (route, response.status)
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
