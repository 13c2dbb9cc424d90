"""A watchdog that reports whatever holds the event loop longer than a threshold.

One slow synchronous step (a CPU-heavy parse, a blocking call) stops every customer, webhook and Stars
pre-checkout of the process at once, and nothing else shows it. The guard costs almost nothing in
production and needs no asyncio debug mode:

* a heartbeat coroutine on the loop stamps the time every ``threshold / 4`` seconds;
* a daemon thread checks the stamp just as often. When it is older than the threshold, the loop is held:
  the thread looks at the loop thread's current stack (``sys._current_frames``) and logs, once per hold,
  the aiogram handler running (if any) and the innermost line of our code;
* when the heartbeat runs again it knows exactly how long the loop was held, logs it and records it in
  ``remnastore_event_loop_holds_total`` / ``remnastore_event_loop_hold_seconds`` with one label, ``kind``:
  ``update`` (inside a Telegram update handler) or ``task`` (anything else: jobs, webhooks, startup).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from aiogram import Dispatcher
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.types import Update
from prometheus_client import CollectorRegistry, Counter, Histogram

log = logging.getLogger(__name__)

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
_THIS_FILE = str(Path(__file__).resolve())
_FEED_UPDATE = Dispatcher.feed_update.__code__
_HANDLER_CALL = CallableObject.call.__code__  # handlers and filters are awaited from here
HOLD_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Hold:
    """What the loop was doing while it was held."""

    kind: str  # "update" or "task"
    handler: str | None  # module:function of the aiogram handler, if inside one
    where: str  # module:function:line of the innermost frame of our code (else of any code)
    update_type: str | None = None  # "message", "callback_query", ... when inside a Telegram update

    def describe(self) -> str:
        if self.handler is None:
            return "a task"
        return f"the handler {self.handler} ({self.update_type or 'update'})"


class LoopGuard:
    def __init__(
        self,
        threshold: float,
        registry: CollectorRegistry | None = None,
        *,
        on_hold: Callable[[Hold, float], None] | None = None,
    ) -> None:
        """``threshold`` in seconds (> 0); ``registry``: where the metrics go (a private one if omitted);
        ``on_hold``: called on the loop with each hold and its duration, once it is over."""
        self._on_hold = on_hold
        if threshold <= 0:
            raise ValueError("the threshold must be positive")
        self.threshold = threshold
        self._interval = max(threshold / 4, 0.005)
        registry = registry if registry is not None else CollectorRegistry()
        self.holds = Counter(
            "event_loop_holds",
            "Times one step held the event loop longer than the threshold",
            ["kind"],
            namespace="remnastore",
            registry=registry,
        )
        self.hold_seconds = Histogram(
            "event_loop_hold_seconds",
            "How long one step held the event loop (only holds above the threshold)",
            ["kind"],
            namespace="remnastore",
            buckets=HOLD_BUCKETS,
            registry=registry,
        )
        self._lock = threading.Lock()
        self._beat = time.monotonic()
        self._seen: tuple[float, Hold] | None = None  # (the beat the hold started after, what was seen)
        self._loop_thread: int | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._stopping.clear()
        self._task = asyncio.create_task(self._heartbeat(), name="loop-guard")
        self._thread = threading.Thread(target=self._watch, name="loop-guard", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None

    # -- on the loop --------------------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        last = time.monotonic()
        while True:
            self._beat = last
            await asyncio.sleep(self._interval)
            now = time.monotonic()
            held = now - last - self._interval
            if held >= self.threshold:
                self._released(last, held)
            last = now

    def _released(self, beat: float, held: float) -> None:
        with self._lock:
            seen = self._seen[1] if self._seen is not None and self._seen[0] == beat else None
            self._seen = None
        hold = seen or Hold("task", None, "unknown")
        self.holds.labels(hold.kind).inc()
        self.hold_seconds.labels(hold.kind).observe(held)
        log.warning(
            "the event loop was held for %.2f s by %s at %s",
            held,
            hold.describe(),
            hold.where,
            extra={
                "held_seconds": round(held, 3),
                "kind": hold.kind,
                "handler": hold.handler,
                "update_type": hold.update_type,
                "where": hold.where,
            },
        )
        if self._on_hold is not None:
            self._on_hold(hold, held)

    # -- on the watchdog thread ---------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stopping.wait(self._interval):
            beat = self._beat
            if time.monotonic() - beat - self._interval < self.threshold:
                continue
            with self._lock:
                if self._seen is not None and self._seen[0] == beat:
                    continue  # this hold is already reported
                hold = self._inspect()
                self._seen = (beat, hold)
            log.warning(
                "the event loop is held (over %.2f s) by %s at %s",
                self.threshold,
                hold.describe(),
                hold.where,
                extra={
                    "kind": hold.kind,
                    "handler": hold.handler,
                    "update_type": hold.update_type,
                    "where": hold.where,
                },
            )

    def _inspect(self) -> Hold:
        frame = sys._current_frames().get(self._loop_thread or -1)
        stack: list[FrameType] = []
        while frame is not None:
            stack.append(frame)  # innermost first
            frame = frame.f_back
        handler: str | None = None
        update_type: str | None = None
        for index, item in enumerate(stack):
            if item.f_code is _HANDLER_CALL and index > 0 and handler is None:
                handler = _name(stack[index - 1])
            elif item.f_code is _FEED_UPDATE:
                update_type = _update_type(item)
                break
        ours = [f for f in stack if f.f_code.co_filename.startswith(_PACKAGE_DIR)]
        ours = [f for f in ours if f.f_code.co_filename != _THIS_FILE]
        innermost = ours[0] if ours else (stack[0] if stack else None)
        where = f"{_name(innermost)}:{innermost.f_lineno}" if innermost is not None else "unknown"
        return Hold("update" if handler else "task", handler, where, update_type)


def _update_type(frame: FrameType) -> str | None:
    """The type of the update ``Dispatcher.feed_update`` is feeding (read only while the loop is held)."""
    try:
        update = frame.f_locals.get("update")
        return update.event_type if isinstance(update, Update) else None
    except Exception:  # an update of a type aiogram does not know, a frame that moved on
        return None


def _name(frame: FrameType) -> str:
    module = frame.f_globals.get("__name__", "?")
    return f"{module}:{frame.f_code.co_qualname}"
