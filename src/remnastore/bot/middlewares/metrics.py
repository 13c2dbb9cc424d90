"""Counts updates by type and handler, times their processing and counts the ones that fail.

Two small pieces: an outer update middleware (sees every update, including those a later middleware
drops) and an inner middleware on every event observer that tells it which handler took the update
(aiogram puts the matched handler into the inner middleware's data only).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from remnastore.domain.errors import DomainError
from remnastore.infra.metrics import Metrics

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
PROBE_KEY = "metrics_probe"
# Observers whose "handler" is not one of ours.
_SKIPPED_OBSERVERS = frozenset({"update", "error", "errors"})


@dataclass
class _Probe:
    handler: str | None = None


def handler_name(handler: HandlerObject) -> str:
    """``routers.user.start.on_start`` style: module (without the package prefix) and function."""
    callback = handler.callback
    module = getattr(callback, "__module__", "") or ""
    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    module = module.removeprefix("remnastore.bot.")
    return f"{module}.{name}".replace(".<locals>", "") if module else name


class UpdateMetricsMiddleware(BaseMiddleware):
    """Outer middleware on ``dp.update``: register it first, so that it sees every update."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_type = _update_type(event)
        probe = _Probe()
        data[PROBE_KEY] = probe
        started = time.perf_counter()
        result: Any = None
        try:
            result = await handler(event, data)
        except DomainError:
            raise  # a rule's refusal, shown to the customer in the rule's words: not a failure
        except Exception as exc:
            self._metrics.handler_error(type(exc).__name__)
            raise
        finally:
            if probe.handler is not None:
                name = probe.handler
            elif result is UNHANDLED:
                name = "unhandled"
            else:
                name = "dropped"
            self._metrics.update(update_type, name, time.perf_counter() - started)
        return result


def _update_type(event: TelegramObject) -> str:
    if not isinstance(event, Update):
        return type(event).__name__.lower()
    try:
        return event.event_type
    except UpdateTypeLookupError:
        return "unknown"


class HandlerProbeMiddleware(BaseMiddleware):
    """Inner middleware: notes the name of the handler that took the update."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        probe = data.get(PROBE_KEY)
        matched = data.get("handler")
        if isinstance(probe, _Probe) and isinstance(matched, HandlerObject):
            probe.handler = handler_name(matched)
        return await handler(event, data)


def install_metrics_middleware(dispatcher: Dispatcher, metrics: Metrics) -> UpdateMetricsMiddleware:
    """Add both middlewares; call it before registering any other outer update middleware."""
    outer = UpdateMetricsMiddleware(metrics)
    dispatcher.update.outer_middleware(outer)
    probe = HandlerProbeMiddleware()
    for name, observer in dispatcher.observers.items():
        if name not in _SKIPPED_OBSERVERS:
            observer.middleware(probe)
    return outer
