"""The running shop watches its event loop: a step that holds it shows in the log and at /metrics."""

from __future__ import annotations

import gc
import logging
import time

import aiohttp
import pytest

from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"LOOP_HOLD_THRESHOLD": "0.2"}


async def metrics_text(shop: Shop) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{shop.app.metrics_port}/metrics") as response,  # the private listener
    ):
        return await response.text()


async def test_a_held_loop_is_logged_and_counted_by_the_shop(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    # the test process's own collector must not add a hold of its own: after two thousand tests an automatic
    # full collection can hold the loop for a quarter of a second (seen: 0.27 s, in a weakref callback)
    gc.disable()
    try:
        assert 'remnastore_event_loop_holds_total{kind="task"}' not in await metrics_text(shop)
        guard = shop.app.loop_guard
        assert guard is not None and guard.threshold == 0.2
        with caplog.at_level(logging.WARNING, logger="remnastore.infra.loop_guard"):
            time.sleep(0.6)  # noqa: ASYNC251 - this test's own step holds the shop's loop
            # the customer waited: the shop answers only now, and the hold is on record
            mila = shop.user(9601, first_name="Mila", language_code="en")
            await mila.wait_reply(await mila.send("/start"))
        # the heartbeat recorded the hold on the loop's first turn after it, long before that reply
        text = await metrics_text(shop)
        assert 'remnastore_event_loop_holds_total{kind="task"} 1.0' in text
        assert "remnastore_event_loop_hold_seconds_bucket" in text
        assert any("the event loop was held for 0." in r.getMessage() for r in caplog.records)
        assert any("test_loop_hold_metrics" in r.getMessage() for r in caplog.records)
    finally:
        gc.enable()
