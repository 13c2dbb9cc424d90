"""Broadcasts: drafting rules, the audience, and what admins do with a broadcast (pause, resume, cancel).

The sending itself is :class:`remnastore.services.broadcast_worker.BroadcastWorker`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from remnastore.db.models import Broadcast, BroadcastStatus, RecipientState
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.broadcasts import BroadcastRepository
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.locales import SUPPORTED_LANGUAGES

BASE_AUDIENCES = ("all", "active", "expired", "trial", "unpaid")
AUDIENCES = (*BASE_AUDIENCES, *(f"lang-{code}" for code in SUPPORTED_LANGUAGES))
MAX_BUTTONS = 8
MAX_BUTTON_TEXT = 64
_URL = re.compile(r"^(https?://|tg://)[^\s]{1,2000}$")


class ButtonsError(ValueError):
    """The admin's button lines cannot be used; ``line`` is the 1-based line at fault."""

    def __init__(self, line: int) -> None:
        super().__init__(f"bad button line {line}")
        self.line = line


def parse_buttons(text: str) -> list[list[str]]:
    """Lines ``Text | https://url`` -> ``[[text, url], ...]`` (blank lines are skipped)."""
    buttons: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, bar, url = line.partition("|")
        label, url = label.strip(), url.strip()
        if not bar or not label or len(label) > MAX_BUTTON_TEXT or not _URL.match(url):
            raise ButtonsError(number)
        buttons.append([label, url])
    if not buttons or len(buttons) > MAX_BUTTONS:
        raise ButtonsError(len(buttons) + 1 if buttons else 1)
    return buttons


@dataclass(frozen=True)
class BroadcastStats:
    total: int
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    pending: int = 0

    @classmethod
    def of(cls, total: int, counts: dict[str, int]) -> BroadcastStats:
        return cls(
            total=total,
            sent=counts.get(RecipientState.SENT.value, 0),
            blocked=counts.get(RecipientState.BLOCKED.value, 0),
            failed=counts.get(RecipientState.FAILED.value, 0),
            unknown=counts.get(RecipientState.UNKNOWN.value, 0),
            pending=counts.get(RecipientState.PENDING.value, 0) + counts.get(RecipientState.SENDING.value, 0),
        )

    @property
    def done(self) -> int:
        return self.total - self.pending


@dataclass(frozen=True)
class BroadcastView:
    id: int
    status: str
    audience: str
    created_by: int
    source_chat_id: int
    source_message_id: int
    buttons: list[list[str]]
    progress_chat_id: int | None
    progress_message_id: int | None
    language: str | None
    stats: BroadcastStats = field(default_factory=lambda: BroadcastStats(total=0))


def _view(broadcast: Broadcast, language: str | None, counts: dict[str, int]) -> BroadcastView:
    return BroadcastView(
        id=broadcast.id,
        status=broadcast.status,
        audience=broadcast.audience,
        created_by=broadcast.created_by,
        source_chat_id=broadcast.source_chat_id,
        source_message_id=broadcast.source_message_id,
        buttons=[list(b) for b in broadcast.buttons],
        progress_chat_id=broadcast.progress_chat_id,
        progress_message_id=broadcast.progress_message_id,
        language=language,
        stats=BroadcastStats.of(broadcast.total, counts),
    )


class BroadcastNotFound(LookupError):
    pass


class Broadcasts:
    """What admins do with broadcasts; every change is audited. ``on_change`` wakes the worker."""

    def __init__(self, db: Database, clock: Clock, *, on_change: Callable[[], None] | None = None) -> None:
        self._db = db
        self._clock = clock
        self._on_change = on_change or (lambda: None)

    async def audience_size(self, audience: str) -> int:
        async with self._db.session() as session:
            return await BroadcastRepository(session).count_audience(audience, self._clock.now())

    async def create(
        self,
        *,
        actor_telegram_id: int,
        source_chat_id: int,
        source_message_id: int,
        buttons: list[list[str]],
        audience: str,
    ) -> BroadcastView:
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}")
        async with self._db.session() as session:
            repo = BroadcastRepository(session)
            broadcast = await repo.create(
                created_by=actor_telegram_id,
                source_chat_id=source_chat_id,
                source_message_id=source_message_id,
                buttons=buttons,
                audience=audience,
                now=self._clock.now(),
            )
            await AuditRepository(session).record(
                actor_telegram_id,
                "broadcast.create",
                details={"broadcast": broadcast.id, "audience": audience, "total": broadcast.total},
            )
            view = _view(broadcast, await repo.creator_language(broadcast), {"pending": broadcast.total})
        self._on_change()
        return view

    async def get(self, broadcast_id: int) -> BroadcastView:
        async with self._db.session() as session:
            repo = BroadcastRepository(session)
            broadcast = await repo.get(broadcast_id)
            if broadcast is None:
                raise BroadcastNotFound(broadcast_id)
            return _view(broadcast, await repo.creator_language(broadcast), await repo.counts(broadcast_id))

    async def recent(self, limit: int = 5) -> list[BroadcastView]:
        async with self._db.session() as session:
            repo = BroadcastRepository(session)
            return [_view(b, None, await repo.counts(b.id)) for b in await repo.recent(limit)]

    async def _change(
        self, broadcast_id: int, actor: int, action: str, status: str, only_from: tuple[str, ...]
    ) -> BroadcastView:
        async with self._db.session() as session:
            repo = BroadcastRepository(session)
            if await repo.get(broadcast_id) is None:
                raise BroadcastNotFound(broadcast_id)
            if await repo.set_status(broadcast_id, status, only_from=only_from):
                await AuditRepository(session).record(
                    actor, f"broadcast.{action}", details={"broadcast": broadcast_id}
                )
        self._on_change()
        return await self.get(broadcast_id)

    async def pause(self, broadcast_id: int, *, actor_telegram_id: int) -> BroadcastView:
        return await self._change(
            broadcast_id,
            actor_telegram_id,
            "pause",
            BroadcastStatus.PAUSED.value,
            (BroadcastStatus.RUNNING.value,),
        )

    async def resume(self, broadcast_id: int, *, actor_telegram_id: int) -> BroadcastView:
        return await self._change(
            broadcast_id,
            actor_telegram_id,
            "resume",
            BroadcastStatus.RUNNING.value,
            (BroadcastStatus.PAUSED.value,),
        )

    async def cancel(self, broadcast_id: int, *, actor_telegram_id: int) -> BroadcastView:
        view = await self._change(
            broadcast_id,
            actor_telegram_id,
            "cancel",
            BroadcastStatus.CANCELLED.value,
            (BroadcastStatus.RUNNING.value, BroadcastStatus.PAUSED.value),
        )
        return view
