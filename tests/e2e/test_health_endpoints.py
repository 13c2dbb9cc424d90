"""/metrics and /readyz are private by default: they are served on their own listener (METRICS_HOST, by
default 127.0.0.1), while the public listener answers webhooks and /healthz only. /readyz reuses its probe
results for a few seconds, so a flood of requests does not turn into a flood of panel calls."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from remnastore.config import load_settings
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"PANEL_WEBHOOK_SECRET": "panel-webhook-secret-0123456789"}


def _stats_calls(shop: Shop) -> int:
    return sum(1 for r in shop.panel.requests if r.path.startswith("/api/system/stats"))


async def test_the_public_listener_serves_no_metrics_and_no_health_details(shop: Shop) -> None:
    public = f"http://127.0.0.1:{shop.app.port}"
    private = f"http://127.0.0.1:{shop.app.metrics_port}"
    assert shop.app.metrics_port not in (None, shop.app.port)
    async with aiohttp.ClientSession() as http:
        for path in ("/metrics", "/readyz"):
            async with http.get(public + path) as response:
                assert response.status == 404, path
        async with http.get(public + "/healthz") as response:
            assert response.status == 200 and set(await response.json()) == {"status", "version"}
        # the webhooks stay on the public listener (this one is refused: it is not signed)
        async with http.post(public + "/webhooks/panel", data=b"{}") as response:
            assert response.status in (401, 403)
        async with http.get(private + "/metrics") as response:
            assert response.status == 200 and "remnastore_build_info" in await response.text()
        async with http.get(private + "/readyz") as response:
            assert response.status == 200
            assert set((await response.json())["checks"]) >= {"database", "panel"}
        async with http.post(private + "/webhooks/panel", data=b"{}") as response:
            assert response.status == 404


def test_the_private_listener_is_on_localhost_by_default() -> None:
    settings = load_settings(
        None, {"BOT_TOKEN": "123:" + "A" * 35, "PANEL_URL": "https://p.example", "PANEL_TOKEN": "t"}
    )
    assert (settings.web.metrics_host, settings.web.metrics_port) == ("127.0.0.1", 9108)
    assert settings.web.readyz_cache_seconds == 5.0


async def test_500_readiness_requests_cost_a_handful_of_panel_calls(shop: Shop) -> None:
    url = f"http://127.0.0.1:{shop.app.metrics_port}/readyz"
    before = _stats_calls(shop)
    statuses: list[int] = []
    async with aiohttp.ClientSession() as http:

        async def ready() -> None:
            async with http.get(url) as response:
                statuses.append(response.status)

        for _ in range(10):  # 10 waves of 50 concurrent requests
            await asyncio.gather(*(ready() for _ in range(50)))
    assert statuses == [200] * 500
    assert _stats_calls(shop) - before <= 2


@pytest.mark.parametrize("shop_env", [{"READYZ_CACHE_SECONDS": "0.5"}])
async def test_an_outage_shows_once_the_cached_result_expires(shop: Shop) -> None:
    url = f"http://127.0.0.1:{shop.app.metrics_port}/readyz"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            assert response.status == 200
        shop.panel.set_down(True)
        async with http.get(url) as response:  # within the cache time: the last probe's answer
            assert response.status == 200
        deadline = time.monotonic() + 10
        while True:
            async with http.get(url) as response:
                if response.status == 503:
                    body = await response.json()
                    break
            assert time.monotonic() < deadline, "the outage never showed"
            await asyncio.sleep(0.1)
    assert body["checks"]["panel"]["ok"] is False
