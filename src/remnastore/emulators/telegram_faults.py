"""The Telegram emulator's fault injection: errors for the next calls of a method or sends to a chat,
Telegram's flood limits (overall and per chat, answered with 429 and ``retry_after``) and latency (the
test controls of :class:`~remnastore.emulators.telegram.TelegramEmulator`, checked before every call)."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from remnastore.emulators.telegram_params import ApiError

#: the methods that count as sending (flood limits and per-chat failures apply to them)
RATE_LIMITED_PREFIXES = ("send", "edit", "copy", "forward")


@dataclass
class _InjectedFailure:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int

    @classmethod
    def of(
        cls, error_code: int, description: str | None, retry_after: int | None, count: int
    ) -> _InjectedFailure:
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else "Internal Server Error"
            )
        return cls(error_code, description, retry_after if error_code == 429 else None, count)


def _raise_next(queue: deque[_InjectedFailure] | None) -> None:
    """The first injected failure of ``queue``, if any, as Telegram's error (counted down)."""
    if not queue:
        return
    failure = queue[0]
    failure.remaining -= 1
    if failure.remaining <= 0:
        queue.popleft()
    raise ApiError(failure.error_code, failure.description, retry_after=failure.retry_after)


def _take_slot(recent: deque[float], per_second: float) -> None:
    """One more send in the one-second window of ``recent``; a 429 beyond ``per_second``."""
    now = time.monotonic()
    while recent and now - recent[0] >= 1.0:
        recent.popleft()
    if len(recent) >= per_second:
        retry_after = max(1, math.ceil(recent[0] + 1.0 - now))
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
    recent.append(now)


class TelegramFaults:
    """What the next calls suffer; the emulator's base."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[_InjectedFailure]] = {}
        self._chat_failures: dict[int, deque[_InjectedFailure]] = {}
        self._rate_limit: float | None = None
        self._recent_sends: deque[float] = deque()
        self._chat_rate_limit: float | None = None
        self._recent_chat_sends: dict[int, deque[float]] = {}
        self._latency = 0.0

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = 1,
        count: int = 1,
    ) -> None:
        """Make the next `count` calls of `method` fail with the given error."""
        failure = _InjectedFailure.of(error_code, description, retry_after, count)
        self._failures.setdefault(method.lower(), deque()).append(failure)

    def fail_chat(
        self,
        chat_id: int,
        *,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = 1,
        count: int = 1,
    ) -> None:
        """Make the next `count` sends (send*, copy*, forward*, edit*) to this chat fail with the error.

        The reply is Telegram's: e.g. ``{"ok": false, "error_code": 429, "description": "Too Many
        Requests: retry after 2", "parameters": {"retry_after": 2}}``; for 403 use :meth:`block`.
        """
        failure = _InjectedFailure.of(error_code, description, retry_after, count)
        self._chat_failures.setdefault(chat_id, deque()).append(failure)

    def set_rate_limit(self, per_second: float | None) -> None:
        """Answer 429 to sends beyond `per_second` calls in any one-second window (None: no limit)."""
        self._rate_limit = per_second
        self._recent_sends.clear()

    def set_chat_rate_limit(self, per_second: float | None) -> None:
        """Answer 429 to sends to one chat beyond `per_second` calls in any one-second window (None: no
        limit), as Telegram does to a bot that floods one chat."""
        self._chat_rate_limit = per_second
        self._recent_chat_sends.clear()

    def set_latency(self, seconds: float) -> None:
        self._latency = max(0.0, seconds)

    def _check_faults(self, name: str, chat_id: int | None) -> None:
        """Raise what this call of ``name`` (to ``chat_id``) is to fail with: an injected failure of the
        method, then one of the chat, then the overall flood limit, then the chat's."""
        _raise_next(self._failures.get(name.lower()))
        sending = name.startswith(RATE_LIMITED_PREFIXES)
        if chat_id is not None and sending:
            _raise_next(self._chat_failures.get(chat_id))
        if self._rate_limit is not None and sending:
            _take_slot(self._recent_sends, self._rate_limit)
        if self._chat_rate_limit is not None and chat_id is not None and sending:
            _take_slot(self._recent_chat_sends.setdefault(chat_id, deque()), self._chat_rate_limit)
