"""Prometheus metrics of one shop process, exported at ``GET /metrics``.

Each :class:`Metrics` owns its registry (nothing is registered globally), so several applications can
live in one process (tests) without their series colliding. Every label takes values from a small,
fixed set (update types, handler names, provider names, outcomes): never customer ids or free text.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import ClassVar

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.metrics import MetricWrapperBase

NAMESPACE = "remnastore"
# Handler and job durations: from a cached reply to a slow panel or provider call.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: the ``state`` label of ``remnastore_payments_total``: the order lifecycle's money events
PAYMENT_STATES = ("paid", "refunded", "failed")
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
#: the only values of the ``reason`` label of webhook refusals
REFUSAL_REASONS = frozenset(
    {"malformed", "unauthenticated", "forbidden", "too_large", "signature", "stale", "other"}
)


class Metrics:
    def __init__(self, version: str = "") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "updates", "Telegram updates received", ["type", "handler"], namespace=NAMESPACE, registry=r
        )
        self.handler_seconds = Histogram(
            "handler_seconds",
            "Time to process one update, by handler",
            ["handler"],
            namespace=NAMESPACE,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.handler_errors = Counter(
            "handler_errors",
            "Updates whose processing raised, by exception type",
            ["type"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.panel_calls = Counter(
            "panel_calls",
            "Remnawave panel API calls, by endpoint and outcome",
            ["endpoint", "outcome"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.panel_call_seconds = Histogram(
            "panel_call_seconds",
            "Duration of panel API calls (retries included)",
            ["endpoint"],
            namespace=NAMESPACE,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.payments = Counter(
            "payments",
            "Orders paid, refunded or failed, by provider and state (every way of paying)",
            ["provider", "state"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.payment_events = Counter(
            "payment_events",
            "Provider payment events settled, by provider and outcome (credited, duplicate, ...)",
            ["provider", "outcome"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.webhook_refusals = Counter(
            "webhook_refusals",
            "Refused provider or panel webhook calls, by provider and reason",
            ["provider", "reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.cache_hits = Counter(
            "cache_hits", "Cache hits, by cache", ["cache"], namespace=NAMESPACE, registry=r
        )
        self.cache_misses = Counter(
            "cache_misses", "Cache misses, by cache", ["cache"], namespace=NAMESPACE, registry=r
        )
        self.throttled = Counter(
            "throttled",
            "Updates held back by the rate limiter, by verdict",
            ["verdict"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.bans = Counter(
            "banned_customers",
            "Customers temporarily banned by the rate limiter",
            namespace=NAMESPACE,
            registry=r,
        )
        self.broadcast_messages = Counter(
            "broadcast_messages",
            "Broadcast messages, by delivery state",
            ["state"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.job_runs = Counter(
            "job_runs",
            "Scheduled job runs, by job and outcome (elsewhere: another instance ran the period)",
            ["job", "outcome"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.job_seconds = Histogram(
            "job_seconds",
            "Duration of scheduled job runs",
            ["job"],
            namespace=NAMESPACE,
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.build = Info("build", "Version of the running shop", namespace=NAMESPACE, registry=r)
        self.build.info({"version": version})
        # the series recorded on every update, looked up once per label set (``labels()`` validates and
        # locks on each call); the label sets come from code (update types, handler and cache names)
        self._update_series: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self._cache_series: dict[tuple[str, bool], Counter] = {}

    # -- recording -------------------------------------------------------------------------------
    def update(self, update_type: str, handler: str, seconds: float) -> None:
        series = self._update_series.get((update_type, handler))
        if series is None:
            series = self._update_series[(update_type, handler)] = (
                self.updates.labels(type=update_type, handler=handler),
                self.handler_seconds.labels(handler=handler),
            )
        series[0].inc()
        series[1].observe(seconds)

    def handler_error(self, exception_type: str) -> None:
        self.handler_errors.labels(type=exception_type).inc()

    def panel_call(self, endpoint: str, outcome: str, seconds: float) -> None:
        """Matches the panel client's ``on_call(endpoint, outcome, seconds)`` hook."""
        self.panel_calls.labels(endpoint=endpoint, outcome=outcome).inc()
        self.panel_call_seconds.labels(endpoint=endpoint).observe(seconds)

    def payment(self, provider: str, state: str) -> None:
        """An order changed state because of money: ``state`` is one of :data:`PAYMENT_STATES`."""
        if state not in PAYMENT_STATES:
            raise ValueError(f"unknown payment state {state!r}")
        self.payments.labels(provider=provider, state=state).inc()

    def payment_event(self, provider: str, outcome: str) -> None:
        """A provider's event was settled (settlement's outcome, duplicates included)."""
        self.payment_events.labels(provider=provider, outcome=outcome).inc()

    def webhook_refused(self, provider: str, reason: str) -> None:
        """``reason`` must be one of :data:`REFUSAL_REASONS` (anything else counts as "other"): a label
        taken from outside input would create a series per distinct value."""
        label = reason if reason in REFUSAL_REASONS else "other"
        self.webhook_refusals.labels(provider=provider, reason=label).inc()

    def cache(self, cache: str, *, hit: bool) -> None:
        series = self._cache_series.get((cache, hit))
        if series is None:
            series = self._cache_series[(cache, hit)] = (
                self.cache_hits if hit else self.cache_misses
            ).labels(cache=cache)
        series.inc()

    def throttle(self, verdict: str) -> None:
        self.throttled.labels(verdict=verdict).inc()
        if verdict == "banned":
            self.bans.inc()

    def broadcast_message(self, state: str) -> None:
        self.broadcast_messages.labels(state=state).inc()

    def job_run(self, job: str, outcome: str, seconds: float) -> None:
        self.job_runs.labels(job=job, outcome=outcome).inc()
        if outcome != "elsewhere":  # the period's run was another instance's: nothing was timed
            self.job_seconds.labels(job=job).observe(seconds)

    @asynccontextmanager
    async def timed_job(self, job: str) -> AsyncIterator[None]:
        """Count and time one run of ``job``; outcome ``error`` when the block raises."""
        started = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            self.job_run(job, outcome, time.perf_counter() - started)

    # -- describing ------------------------------------------------------------------------------
    #: the values a label may take, where the set is fixed (a dashboard may filter on them)
    LABEL_VALUES: ClassVar[Mapping[tuple[str, str], tuple[str, ...]]] = {
        ("remnastore_payments_total", "state"): PAYMENT_STATES,
    }

    def series(self) -> dict[str, frozenset[str]]:
        """Every sample name this registry exports (or will, once a label combination is used), with its
        label names: what a dashboard may query."""
        found: dict[str, set[str]] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                found.setdefault(sample.name, set()).update(sample.labels)
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
        for metric in vars(self).values():
            if not isinstance(metric, MetricWrapperBase):
                continue
            for suffix in suffixes.get(str(metric._type), ("",)):
                labels = found.setdefault(metric._name + suffix, set())
                labels.update(metric._labelnames)
                if suffix == "_bucket":
                    labels.add("le")
        return {name: frozenset(labels) for name, labels in found.items()}

    # -- exporting -------------------------------------------------------------------------------
    def render(self) -> tuple[bytes, str]:
        """The exposition body and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler serving :meth:`render`."""

        async def metrics(request: web.Request) -> web.Response:
            body, content_type = self.render()
            return web.Response(body=body, headers={"Content-Type": content_type})

        return metrics

    def register(self, app: web.Application, path: str = "/metrics") -> None:
        app.router.add_get(path, self.handler())
