"""Prometheus metrics: what is exported, and registries kept apart per application."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from remnastore.infra.metrics import Metrics


def sample(body: bytes, name: str, **labels: str) -> float | None:
    """The value of one series in an exposition body (None when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in body.decode().splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
        if found == wanted:
            return float(match.group(3))
    return None


def test_render_contains_every_series_after_increments() -> None:
    metrics = Metrics(version="1.2.3")
    metrics.update("message", "routers.user.start.on_start", 0.02)
    metrics.update("message", "routers.user.start.on_start", 0.3)
    metrics.handler_error("RuntimeError")
    metrics.panel_call("get_user", "ok", 0.1)
    metrics.panel_call("get_user", "unavailable", 3.0)
    metrics.payment("yookassa", "paid")
    metrics.webhook_refused("cryptobot", "unauthenticated")
    metrics.webhook_refused("cryptobot", "sender 203.0.113.9 is not allowed")
    metrics.cache("customer", hit=True)
    metrics.cache("customer", hit=True)
    metrics.cache("customer", hit=False)
    metrics.throttle("warn")
    metrics.throttle("banned")
    metrics.broadcast_message("delivered")
    metrics.job_run("reminders", "ok", 1.5)
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    p = "remnastore_"
    handler = "routers.user.start.on_start"
    assert sample(body, p + "updates_total", type="message", handler=handler) == 2
    assert sample(body, p + "handler_seconds_count", handler=handler) == 2
    assert sample(body, p + "handler_seconds_bucket", handler=handler, le="0.05") == 1
    assert sample(body, p + "handler_seconds_sum", handler=handler) == pytest.approx(0.32)
    assert sample(body, p + "handler_errors_total", type="RuntimeError") == 1
    assert sample(body, p + "panel_calls_total", endpoint="get_user", outcome="ok") == 1
    assert sample(body, p + "panel_calls_total", endpoint="get_user", outcome="unavailable") == 1
    assert sample(body, p + "panel_call_seconds_count", endpoint="get_user") == 2
    assert sample(body, p + "payments_total", provider="yookassa", state="paid") == 1
    assert sample(body, p + "webhook_refusals_total", provider="cryptobot", reason="unauthenticated") == 1
    assert sample(body, p + "webhook_refusals_total", provider="cryptobot", reason="other") == 1
    assert sample(body, p + "cache_hits_total", cache="customer") == 2
    assert sample(body, p + "cache_misses_total", cache="customer") == 1
    assert sample(body, p + "throttled_total", verdict="warn") == 1
    assert sample(body, p + "throttled_total", verdict="banned") == 1
    assert sample(body, p + "banned_customers_total") == 1
    assert sample(body, p + "broadcast_messages_total", state="delivered") == 1
    assert sample(body, p + "job_runs_total", job="reminders", outcome="ok") == 1
    assert sample(body, p + "job_seconds_sum", job="reminders") == 1.5
    assert sample(body, p + "build_info", version="1.2.3") == 1


def test_repeated_recordings_add_up_in_their_own_series() -> None:
    metrics = Metrics()
    for update_type, handler, seconds in [
        ("message", "start", 0.1),
        ("callback_query", "start", 0.2),
        ("message", "start", 0.3),
        ("callback_query", "menu", 0.4),
    ]:
        metrics.update(update_type, handler, seconds)
    for hit in (True, True, False):
        metrics.cache("customer", hit=hit)
    metrics.cache("panel-user", hit=False)
    body, _ = metrics.render()
    assert sample(body, "remnastore_updates_total", type="message", handler="start") == 2
    assert sample(body, "remnastore_updates_total", type="callback_query", handler="start") == 1
    assert sample(body, "remnastore_updates_total", type="callback_query", handler="menu") == 1
    assert sample(body, "remnastore_handler_seconds_count", handler="start") == 3
    assert sample(body, "remnastore_handler_seconds_sum", handler="start") == pytest.approx(0.6)
    assert sample(body, "remnastore_cache_hits_total", cache="customer") == 2
    assert sample(body, "remnastore_cache_misses_total", cache="customer") == 1
    assert sample(body, "remnastore_cache_misses_total", cache="panel-user") == 1
    assert sample(body, "remnastore_cache_hits_total", cache="panel-user") is None


def test_two_instances_do_not_collide() -> None:
    first, second = Metrics("1"), Metrics("2")  # would raise "Duplicated timeseries" on a shared registry
    first.payment("stars", "paid")
    first.payment("stars", "paid")
    second.payment("stars", "paid")
    assert sample(first.render()[0], "remnastore_payments_total", provider="stars", state="paid") == 2
    assert sample(second.render()[0], "remnastore_payments_total", provider="stars", state="paid") == 1
    assert sample(second.render()[0], "remnastore_build_info", version="2") == 1
    assert sample(second.render()[0], "remnastore_build_info", version="1") is None


async def test_timed_job_counts_errors_too() -> None:
    metrics = Metrics()
    async with metrics.timed_job("sync"):
        pass
    with pytest.raises(ValueError, match=r"^boom$"):
        async with metrics.timed_job("sync"):
            raise ValueError("boom")
    body = metrics.render()[0]
    assert sample(body, "remnastore_job_runs_total", job="sync", outcome="ok") == 1
    assert sample(body, "remnastore_job_runs_total", job="sync", outcome="error") == 1
    assert sample(body, "remnastore_job_seconds_count", job="sync") == 2


async def test_the_metrics_route_serves_the_exposition() -> None:
    metrics = Metrics("9.9")
    metrics.throttle("drop")
    app = web.Application()
    metrics.register(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"] == metrics.render()[1]
        body = await response.read()
    assert sample(body, "remnastore_throttled_total", verdict="drop") == 1


def test_the_grafana_dashboard_uses_only_exported_series() -> None:
    dashboard = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
    queries = [
        target["expr"]
        for panel in json.loads(dashboard.read_text())["panels"]
        for target in panel.get("targets", [])
    ]
    used = {name for query in queries for name in re.findall(r"\bremnastore_[a-z_]+", query)}
    metrics = Metrics("1")
    metrics.update("message", "h", 0.1)
    metrics.handler_error("E")
    metrics.panel_call("e", "ok", 0.1)
    metrics.payment("p", "paid")
    metrics.webhook_refused("p", "r")
    metrics.cache("c", hit=True)
    metrics.cache("c", hit=False)
    metrics.throttle("banned")
    metrics.broadcast_message("delivered")
    metrics.job_run("j", "ok", 1.0)
    exported = set(re.findall(r"^(remnastore_[a-z_]+)", metrics.render()[0].decode(), re.M))
    assert used and used <= exported, used - exported
