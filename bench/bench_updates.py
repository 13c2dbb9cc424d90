"""Button presses of many customers against one shop process, over HTTP (webhook mode).

N simulated customers (BENCH_CUSTOMERS, 500) first send /start, then press through the main screens
(my subscription, buy, main menu) in the fake Telegram. The shop runs as ``remnastore run`` in a child
process; the fake Telegram and the fake panel run in this one.

* full load (closed loop, BENCH_FULL_SECONDS): every customer presses again as soon as the bot answered
  their previous press -> updates/s, CPU seconds per 1,000 updates, peak RSS;
* fixed offered load (open loop, BENCH_RATE presses/s for BENCH_RATE_SECONDS): presses are offered at
  a steady rate by idle customers -> latency from offering the update to the bot's first answering call
  (``answerCallbackQuery``/``editMessageText``/``sendMessage`` for that chat) seen by the fake Telegram;
* the shop's cache hit rate over both phases, from its Prometheus counters.

The shop's pace of messages is lifted as in ``bench_burst`` (``LIFTED_PACE``): with Telegram's 30 messages
a second kept, the edits of the presses would be paced at 30 a second and the benchmark would measure
that pace.

Run: ``python -m bench.bench_updates`` (DATABASE_URL / REDIS_URL choose the backend).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from bench.harness import LIFTED_PACE, ShopProcess, cache_hit_rates, flush_redis, reset_database
from bench.report import (
    Backend,
    CollectorPauses,
    ProcessStats,
    backend_from_env,
    emit,
    float_env,
    int_env,
    latency_summary,
    progress,
    run_load_generator,
)
from remnastore.bot.callbacks import Nav, Screen
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import ApiCall, FakeUser, TelegramEmulator

NAME = "updates"
FIRST_TELEGRAM_ID = 50_000_000
SCREENS = (Screen.SUBSCRIPTION, Screen.BUY, Screen.MAIN)


@dataclass
class Observer:
    """Resolves when the bot answered an offered update: the ``answerCallbackQuery`` of a press, the first
    message sent to the chat for /start. Reads the fake Telegram's call log once, in one task."""

    telegram: TelegramEmulator
    chats: dict[int, tuple[float, asyncio.Future[float]]] = field(default_factory=dict)
    queries: dict[str, tuple[float, asyncio.Future[float]]] = field(default_factory=dict)
    unanswered: int = 0
    _seen: int = 0

    def offer_chat(self, chat_id: int, at: float) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.chats[chat_id] = (at, future)
        return future

    def offer_query(self, query_id: str, at: float) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.queries[query_id] = (at, future)
        return future

    def _resolve(self, call: ApiCall) -> None:
        pending: tuple[float, asyncio.Future[float]] | None = None
        if call.method == "answerCallbackQuery":
            pending = self.queries.pop(str(call.params.get("callback_query_id")), None)
        elif call.method == "sendMessage" and call.chat_id is not None:
            pending = self.chats.pop(call.chat_id, None)
        if pending is not None and not pending[1].done():
            pending[1].set_result(call.at - pending[0])

    async def run(self) -> None:
        calls = self.telegram.calls
        while True:
            await self.telegram.hub.wait_changed(0.05)
            while self._seen < len(calls):
                self._resolve(calls[self._seen])
                self._seen += 1


ANSWER_TIMEOUT = 15.0


async def press(observer: Observer, user: FakeUser, screen: Screen) -> float | None:
    """Offer one press and wait for the bot's answer; the latency in seconds, None if unanswered."""
    offered = time.monotonic()
    update_id = await user.press_data(Nav(screen=screen).pack())
    query_id = observer.telegram.hub.history[update_id]["callback_query"]["id"]
    answered = observer.offer_query(str(query_id), offered)
    try:
        return await asyncio.wait_for(answered, ANSWER_TIMEOUT)
    except TimeoutError:
        observer.unanswered += 1
        return None


def next_screen(steps: dict[int, int], user: FakeUser) -> Screen:
    """The screen after the one the customer's message shows (each customer goes round ``SCREENS``), so
    every press changes the message: pressing the screen already shown would have Telegram refuse the
    edit ("message is not modified")."""
    step = steps[user.id]
    steps[user.id] = step + 1
    return SCREENS[step % len(SCREENS)]


async def full_load(observer: Observer, users: list[FakeUser], seconds: float, steps: dict[int, int]) -> int:
    stop_at = time.monotonic() + seconds
    count = 0

    async def customer(user: FakeUser) -> None:
        nonlocal count
        while time.monotonic() < stop_at:
            if await press(observer, user, next_screen(steps, user)) is not None:
                count += 1

    await asyncio.gather(*(customer(user) for user in users))
    return count


async def offered_load(
    observer: Observer, users: list[FakeUser], rate: float, seconds: float, steps: dict[int, int]
) -> tuple[list[float], int]:
    latencies: list[float] = []
    skipped = 0
    busy: set[int] = set()
    tasks: set[asyncio.Task[None]] = set()
    pool = itertools.cycle(users)

    async def one(user: FakeUser, screen: Screen) -> None:
        try:
            latency = await press(observer, user, screen)
            if latency is not None:
                latencies.append(latency)
        finally:
            busy.discard(user.id)

    started = time.monotonic()
    total = int(rate * seconds)
    for n in range(total):
        due = started + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        for _ in range(len(users)):
            user = next(pool)
            if user.id not in busy:
                break
        else:
            skipped += 1
            continue
        busy.add(user.id)
        task = asyncio.create_task(one(user, next_screen(steps, user)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return latencies, skipped


async def main(backend: Backend) -> None:
    customers = int_env("BENCH_CUSTOMERS", 500)
    full_seconds = float_env("BENCH_FULL_SECONDS", 20.0)
    rate = float_env("BENCH_RATE", 200.0)
    rate_seconds = float_env("BENCH_RATE_SECONDS", 20.0)
    await reset_database(backend)
    await flush_redis(backend)
    async with TelegramEmulator(reply_settle=0.0) as telegram, PanelEmulator() as panel:
        shop = ShopProcess(backend, telegram, panel, LIFTED_PACE)
        await shop.start(telegram)
        observer = Observer(telegram)
        watcher = asyncio.create_task(observer.run())
        here = ProcessStats()
        try:
            users = [
                telegram.user(FIRST_TELEGRAM_ID + n, first_name=f"Customer{n}", language_code="en")
                for n in range(customers)
            ]
            progress(f"{customers} customers send /start")

            async def start(user: FakeUser) -> float:
                answered = observer.offer_chat(user.id, time.monotonic())
                await user.send("/start")
                return await asyncio.wait_for(answered, 60)

            cold = await asyncio.gather(*(start(user) for user in users))
            # let the last answers (menu messages) arrive before pressing their buttons
            await telegram.wait_until(lambda: all(user.last_message is not None for user in users), 30)
            before = await shop.metrics()
            cpu0, here0 = shop.stats.cpu_seconds(), here.cpu_seconds()
            progress(f"full load for {full_seconds:.0f} s")
            with CollectorPauses() as full_gc:
                t0 = time.monotonic()
                # where each customer is in SCREENS; they see the main menu, so each goes to one of the
                # two others first
                steps = {user.id: n % 2 for n, user in enumerate(users)}
                presses = await full_load(observer, users, full_seconds, steps)
                elapsed = time.monotonic() - t0
            cpu1, here1 = shop.stats.cpu_seconds(), here.cpu_seconds()
            progress(f"{presses} presses, {presses / elapsed:.0f}/s; offered load {rate:.0f}/s")
            with CollectorPauses() as offered_gc:
                latencies, skipped = await offered_load(observer, users, rate, rate_seconds, steps)
            cpu2 = shop.stats.cpu_seconds()
            offered_cpu = (cpu2 - cpu1) / max(1, len(latencies)) * 1000
            after = await shop.metrics()
            metrics = {
                "customers": customers,
                "full_load": {
                    "seconds": round(elapsed, 2),
                    "updates": presses,
                    "updates_per_second": round(presses / elapsed, 1),
                    "shop_cpu_seconds_per_1000_updates": round((cpu1 - cpu0) / presses * 1000, 3),
                    "shop_cpu_utilisation": round((cpu1 - cpu0) / elapsed, 2),
                    "driver_cpu_utilisation": round((here1 - here0) / elapsed, 2),
                    "driver_gc": full_gc.summary(),
                },
                "offered_load": {
                    "presses_per_second": rate,
                    "seconds": rate_seconds,
                    "skipped_all_customers_busy": skipped,
                    **latency_summary(latencies),
                    "shop_cpu_seconds_per_1000_updates": round(offered_cpu, 3),
                    "driver_gc": offered_gc.summary(),
                },
                "cold_start": latency_summary(cold),
                "unanswered_presses": observer.unanswered,
                "shop_peak_rss_mb": shop.stats.peak_rss_mb(),
                "cache_hit_rate": cache_hit_rates(before, after),
                "panel_calls_during_presses": int(
                    sum(v for (n, _), v in after.items() if n == "remnastore_panel_calls_total")
                    - sum(v for (n, _), v in before.items() if n == "remnastore_panel_calls_total")
                ),
            }
        finally:
            watcher.cancel()
            await shop.stop()
    emit(NAME, backend, metrics)


if __name__ == "__main__":
    run_load_generator(main(backend_from_env(NAME)))
