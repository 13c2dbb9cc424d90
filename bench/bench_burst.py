"""A crowd of new customers at once: N customers (BENCH_BURST_SIZES, 200 and 1,000) arrive within one
second, each sends /start and then presses three ordinary screens, all concurrently.

The shop runs as ``remnastore run`` in a child process (webhook mode; ``BENCH_WORKERS`` worker
processes, 1 by default); the fake Telegram, the fake panel and the simulated customers (the load
generator) run in this process, so the shop's CPU is measured apart from theirs (both are reported).

Each customer presses one of four paths (the first two presses are the customer's first view of a
screen, the third goes back to a screen they saw, a warm press):

* my subscription -> buy -> my subscription
* buy -> a tariff -> back to buy
* devices -> invite friends -> devices
* invite friends -> my subscription -> invite friends

Per burst size two runs, each with its own customers:

* ``burst``: everything at once, as it happens after a broadcast -> updates/s (first offered to last
  answered), first-answer latency p50/p95/p99 (from offering the update to the shop's first answer
  for it: the ``sendMessage`` of a /start, the ``answerCallbackQuery`` of a press), per kind too;
  shop CPU ms per update; SQL statements, Redis round trips and panel calls per update;
* ``phases``: the same crowd, one kind at a time (all /starts within a second, then everybody's first
  press within a second, ...), waiting for every answer between phases -> CPU ms, SQL statements,
  Redis round trips and panel calls per update **by kind** (new-customer /start, first view of a
  screen, warm press), which a concurrent run cannot attribute.

The shop's pace of messages is lifted (``TELEGRAM_SEND_RATE`` = ``BENCH_SEND_RATE``, 10,000 by default):
the fake Telegram does not limit it, and the benchmark measures the shop, not Telegram's 30 messages a
second.

Run: ``python -m bench.bench_burst`` (DATABASE_URL / REDIS_URL choose the backend).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from bench.harness import LIFTED_PACE, ShopProcess, flush_redis, reset_database
from bench.report import (
    Backend,
    CollectorPauses,
    ProcessStats,
    backend_from_env,
    emit,
    floats_env,
    int_env,
    latency_summary,
    progress,
    run_load_generator,
)
from remnastore.bot.callbacks import Nav, Screen
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import ApiCall, FakeUser, TelegramEmulator

NAME = "burst"
FIRST_TELEGRAM_ID = 60_000_000
ANSWER_TIMEOUT = float(os.environ.get("BENCH_ANSWER_TIMEOUT", "120"))
TARIFF = "tariff"  # the first tariff button of the buy screen
PATHS: tuple[tuple[Screen | str, ...], ...] = (
    (Screen.SUBSCRIPTION, Screen.BUY, Screen.SUBSCRIPTION),
    (Screen.BUY, TARIFF, Screen.BUY),
    (Screen.DEVICES, Screen.REFERRALS, Screen.DEVICES),
    (Screen.REFERRALS, Screen.SUBSCRIPTION, Screen.REFERRALS),
)
KINDS = ("start", "first_view", "warm")
COUNTERS = {
    "sql_statements": "remnastore_sql_statements_total",
    "redis_round_trips": "remnastore_redis_round_trips_total",
    "panel_calls": "remnastore_panel_calls_total",
}


Match = Callable[[ApiCall], bool]


@dataclass
class Observer:
    """Reads the fake Telegram's call log in one task and resolves what the customers wait for: the
    first answer to an update (latency) and the screen being shown (the next press may follow). A wait
    registered after its call was made resolves at once."""

    telegram: TelegramEmulator
    by_chat: dict[int, list[ApiCall]] = field(default_factory=dict)
    waiting: dict[int, list[tuple[Match, asyncio.Future[ApiCall]]]] = field(default_factory=dict)
    _seen: int = 0

    def wait(self, chat_id: int, match: Match) -> asyncio.Future[ApiCall]:
        future: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        for call in self.by_chat.get(chat_id, ()):
            if match(call):
                future.set_result(call)
                return future
        self.waiting.setdefault(chat_id, []).append((match, future))
        return future

    def _see(self, call: ApiCall) -> None:
        if not call.ok or call.chat_id is None:
            return
        self.by_chat.setdefault(call.chat_id, []).append(call)
        waiting = self.waiting.get(call.chat_id)
        if not waiting:
            return
        for entry in list(waiting):
            match, future = entry
            if match(call):
                waiting.remove(entry)
                if not future.done():
                    future.set_result(call)

    async def run(self) -> None:
        calls = self.telegram.calls
        while True:
            await self.telegram.hub.wait_changed(0.05)
            while self._seen < len(calls):
                self._see(calls[self._seen])
                self._seen += 1


def message_since(since: int) -> Match:
    """A message sent to the chat after the call log had ``since`` entries."""
    return lambda call: call.index >= since and call.method == "sendMessage"


def screen_since(since: int) -> Match:
    """The screen shown after the call log had ``since`` entries, or a refusal popped up instead (a
    new customer's "my devices" says there is no subscription yet)."""
    return lambda call: (
        call.index >= since
        and (
            call.method in ("sendMessage", "editMessageText")
            or (call.method == "answerCallbackQuery" and bool(call.params.get("show_alert")))
        )
    )


def answer_of(query_id: str) -> Match:
    return lambda call: (
        call.method == "answerCallbackQuery" and call.params.get("callback_query_id") == query_id
    )


@dataclass
class Customer:
    user: FakeUser
    path: tuple[Screen | str, ...]
    latencies: dict[str, list[float]]

    def _data(self, step: Screen | str) -> str:
        if isinstance(step, Screen):
            return Nav(screen=step).pack()
        message = self.user.last_message
        buttons = [b for row in (message.buttons if message else []) for b in row]
        tariff = next((b for b in buttons if b.callback_data and b.callback_data.startswith("bt:")), None)
        if tariff is None or tariff.callback_data is None:
            raise RuntimeError("the buy screen shows no tariff")
        return tariff.callback_data

    async def start(self, observer: Observer) -> None:
        offered, since = time.monotonic(), len(observer.telegram.calls)
        await self.user.send("/start")
        first = await asyncio.wait_for(observer.wait(self.user.id, message_since(since)), ANSWER_TIMEOUT)
        self.latencies["start"].append(first.at - offered)

    async def press(self, observer: Observer, n: int) -> None:
        offered, since = time.monotonic(), len(observer.telegram.calls)
        update_id = await self.user.press_data(self._data(self.path[n]))
        query_id = str(observer.telegram.hub.history[update_id]["callback_query"]["id"])
        answer = await asyncio.wait_for(observer.wait(self.user.id, answer_of(query_id)), ANSWER_TIMEOUT)
        kind = "warm" if n == 2 else "first_view"
        self.latencies[kind].append(answer.at - offered)
        try:
            await asyncio.wait_for(observer.wait(self.user.id, screen_since(since)), ANSWER_TIMEOUT)
        except TimeoutError:
            calls = [
                (c.method, c.ok, c.error)
                for c in observer.telegram.calls[since:]
                if c.chat_id == self.user.id
            ]
            raise RuntimeError(
                f"press {n} ({self.path[n]}) of {self.user.id} showed no screen: {calls}"
            ) from None

    async def everything(self, observer: Observer) -> None:
        await self.start(observer)
        for n in range(3):
            await self.press(observer, n)


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as children:
                found.extend(int(child) for child in children.read().split())
    except OSError:
        pass
    return found


def shop_cpu_seconds(pid: int) -> float:
    """CPU of the shop: its process and its worker processes (``--workers``)."""
    total = ProcessStats(pid).cpu_seconds()
    for child in children_of(pid):
        with suppress(OSError, ValueError, IndexError):
            total += ProcessStats(child).cpu_seconds()
    return total


def shop_peak_rss_mb(pid: int) -> float:
    return round(sum(ProcessStats(p).peak_rss_mb() for p in (pid, *children_of(pid))), 1)


def counter_totals(samples: Mapping[tuple[str, str], float]) -> dict[str, float]:
    return {
        key: sum(v for (name, _), v in samples.items() if name == metric) for key, metric in COUNTERS.items()
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


async def within_one_second(customers: list[Customer], action: Callable[[Customer], Awaitable[None]]) -> None:
    """Start ``action`` for every customer at a random moment of the next second; wait for them all."""
    started = time.monotonic()
    offsets = sorted(random.random() for _ in customers)

    async def at(offset: float, customer: Customer) -> None:
        delay = started + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await action(customer)

    await asyncio.gather(*(at(offset, c) for offset, c in zip(offsets, customers, strict=True)))


class Run:
    """Shop CPU, load generator CPU, counters and wall time between two points."""

    def __init__(self, shop: ShopProcess, here: ProcessStats) -> None:
        self.shop, self.here = shop, here

    async def mark(self) -> tuple[float, float, float, dict[str, float]]:
        pid = self.shop.stats.pid
        return (
            time.monotonic(),
            shop_cpu_seconds(pid),
            self.here.cpu_seconds(),
            counter_totals(await self.shop.metrics()),
        )

    @staticmethod
    def per_update(
        before: tuple[float, float, float, dict[str, float]],
        after: tuple[float, float, float, dict[str, float]],
        updates: int,
    ) -> dict[str, float]:
        seconds = after[0] - before[0]
        result = {
            "updates": updates,
            "seconds": round(seconds, 2),
            "shop_cpu_ms_per_update": round((after[1] - before[1]) / updates * 1000, 3),
            "load_generator_cpu_ms_per_update": round((after[2] - before[2]) / updates * 1000, 3),
            "shop_cpu_utilisation": round((after[1] - before[1]) / seconds, 2),
        }
        for key in COUNTERS:
            result[f"{key}_per_update"] = round((after[3][key] - before[3][key]) / updates, 3)
        return result


def customers_for(telegram: TelegramEmulator, first: int, count: int) -> list[Customer]:
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    return [
        Customer(
            telegram.user(first + n, first_name=f"Crowd{n}", language_code="en"),
            PATHS[n % len(PATHS)],
            latencies,
        )
        for n in range(count)
    ]


async def burst(
    size: int, shop: ShopProcess, telegram: TelegramEmulator, observer: Observer
) -> dict[str, Any]:
    here = ProcessStats()
    run = Run(shop, here)
    concurrent = customers_for(telegram, FIRST_TELEGRAM_ID + size * 10, size)
    load = load_average()
    progress(f"burst of {size}: everything at once (load {load})")
    with CollectorPauses() as collector:
        before = await run.mark()
        await within_one_second(concurrent, lambda c: c.everything(observer))
        after = await run.mark()
    updates = size * 4
    latencies = concurrent[0].latencies
    together = {
        "load_avg_1m_before": load,
        "load_avg_1m_after": load_average(),
        **Run.per_update(before, after, updates),
        "updates_per_second": round(updates / (after[0] - before[0]), 1),
        "first_answer": latency_summary([x for kind in KINDS for x in latencies[kind]]),
        "first_answer_by_kind": {kind: latency_summary(latencies[kind]) for kind in KINDS},
        "load_generator_gc": collector.summary(),
    }
    phased = customers_for(telegram, FIRST_TELEGRAM_ID + size * 10 + size, size)
    by_kind: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[Customer], Awaitable[None]]]] = [
        ("start", lambda c: c.start(observer)),
        ("first_view", lambda c: c.press(observer, 0)),
        ("first_view_2", lambda c: c.press(observer, 1)),
        ("warm", lambda c: c.press(observer, 2)),
    ]
    for kind, action in steps:
        load = load_average()
        progress(f"burst of {size}: phase {kind} (load {load})")
        with CollectorPauses() as collector:
            before = await run.mark()
            await within_one_second(phased, action)
            after = await run.mark()
        by_kind[kind] = {
            "load_avg_1m": load,
            **Run.per_update(before, after, size),
            "load_generator_gc": collector.summary(),
        }
    by_kind["first_view_latency"] = latency_summary(phased[0].latencies["first_view"])
    return {"burst": together, "phases": by_kind}


async def main(backend: Backend) -> None:
    sizes = [int(n) for n in floats_env("BENCH_BURST_SIZES", (200, 1000))]
    workers = int_env("BENCH_WORKERS", 1)
    results: dict[str, Any] = {"workers": workers, "customer_paths": [[str(s) for s in p] for p in PATHS]}
    for size in sizes:
        await reset_database(backend)
        await flush_redis(backend)
        async with TelegramEmulator(reply_settle=0.0) as telegram, PanelEmulator() as panel:
            shop = ShopProcess(
                backend,
                telegram,
                panel,
                {
                    **LIFTED_PACE,
                    "UPDATE_CONCURRENCY": str(int_env("BENCH_UPDATE_CONCURRENCY", 100)),
                },
                workers=workers,
            )
            await shop.start(telegram)
            observer = Observer(telegram)
            watcher = asyncio.create_task(observer.run())
            try:
                result = await burst(size, shop, telegram, observer)
                result["shop_peak_rss_mb"] = shop_peak_rss_mb(shop.stats.pid)
                results[f"customers_{size}"] = result
            finally:
                watcher.cancel()
                await shop.stop()
    emit(NAME, backend, results)


if __name__ == "__main__":
    run_load_generator(main(backend_from_env(NAME)))
