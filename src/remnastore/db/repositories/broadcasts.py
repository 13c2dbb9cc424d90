"""Broadcasts and their recipients.

A recipient row moves ``pending -> sending -> sent | blocked | failed``; ``sending`` rows left behind by
an instance that died become ``unknown`` and are never sent again (at most once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from remnastore.db.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Customer,
    Order,
    RecipientState,
    Subscription,
    SubscriptionKind,
    utcnow,
)


@dataclass(frozen=True)
class Recipient:
    id: int
    customer_id: int
    chat_id: int


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def audience_query(audience: str, now: datetime) -> Select[tuple[int, int]]:
    """Customers (id, telegram id) of an audience; banned customers and those who blocked the bot are out.

    Audiences: ``all``, ``active``, ``expired``, ``trial`` (current subscription is a trial), ``unpaid``
    (never paid an order), ``lang-<code>``.
    """
    query = select(Customer.id, Customer.telegram_id).where(
        Customer.is_banned.is_(False), Customer.blocked_bot_at.is_(None)
    )
    if audience in ("active", "expired", "trial"):
        query = query.join(Subscription, Subscription.customer_id == Customer.id)
        if audience == "active":
            query = query.where(Subscription.expires_at > now)
        elif audience == "expired":
            query = query.where(Subscription.expires_at <= now)
        else:
            query = query.where(Subscription.kind == SubscriptionKind.TRIAL.value)
    elif audience == "unpaid":
        paid = exists().where(Order.customer_id == Customer.id, Order.paid_at.is_not(None))
        query = query.where(~paid)
    elif audience.startswith("lang-"):
        query = query.where(Customer.language == audience.removeprefix("lang-"))
    elif audience != "all":
        raise ValueError(f"unknown audience {audience!r}")
    return query


class BroadcastRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_audience(self, audience: str, now: datetime) -> int:
        query = select(func.count()).select_from(audience_query(audience, now).subquery())
        return int((await self.session.execute(query)).scalar_one())

    async def create(
        self,
        *,
        created_by: int,
        source_chat_id: int,
        source_message_id: int,
        buttons: list[list[str]],
        audience: str,
        now: datetime,
    ) -> Broadcast:
        """The broadcast with one pending recipient row per customer of the audience (one INSERT … SELECT)."""
        broadcast = Broadcast(
            created_by=created_by,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            buttons=buttons,
            audience=audience,
            status=BroadcastStatus.RUNNING.value,
        )
        self.session.add(broadcast)
        await self.session.flush()
        people = audience_query(audience, now).subquery()
        rows = select(
            literal(broadcast.id), people.c.id, people.c.telegram_id, literal(RecipientState.PENDING.value)
        )
        await self.session.execute(
            insert(BroadcastRecipient).from_select(["broadcast_id", "customer_id", "chat_id", "state"], rows)
        )
        total = await self.session.execute(
            select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast.id)
        )
        broadcast.total = int(total.scalar_one())
        await self.session.flush()
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id, populate_existing=True)

    async def status(self, broadcast_id: int) -> str:
        query = select(Broadcast.status).where(Broadcast.id == broadcast_id)
        return str((await self.session.execute(query)).scalar_one())

    async def recent(self, limit: int = 5) -> Sequence[Broadcast]:
        query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()

    async def due_ids(self) -> list[int]:
        """Broadcasts a worker has to act on: running ones, and cancelled ones not yet reported."""
        active = (BroadcastStatus.RUNNING.value, BroadcastStatus.CANCELLED.value)
        query = select(Broadcast.id).where(Broadcast.status.in_(active), Broadcast.finished_at.is_(None))
        return list((await self.session.execute(query.order_by(Broadcast.id))).scalars())

    async def set_status(self, broadcast_id: int, status: str, *, only_from: Iterable[str]) -> bool:
        statement = (
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(list(only_from)))
            .values(status=status)
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def finish(self, broadcast_id: int, now: datetime) -> bool:
        """Mark the broadcast finished (done, or cancelled if it was); True only for the one caller that
        did it (that caller sends the final report)."""
        broadcast = await self.get(broadcast_id)
        if broadcast is None or broadcast.finished_at is not None:
            return False
        status = (
            BroadcastStatus.CANCELLED.value
            if broadcast.status == BroadcastStatus.CANCELLED.value
            else BroadcastStatus.DONE.value
        )
        statement = (
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
            .values(finished_at=now, status=status)
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(progress_chat_id=chat_id, progress_message_id=message_id)
        )

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        query = (
            select(BroadcastRecipient.state, func.count())
            .where(BroadcastRecipient.broadcast_id == broadcast_id)
            .group_by(BroadcastRecipient.state)
        )
        return {state: int(n) for state, n in (await self.session.execute(query)).all()}

    async def abandon_claims(self, broadcast_id: int) -> int:
        """Rows another (dead) instance claimed: maybe delivered, so never sent again."""
        statement = (
            update(BroadcastRecipient)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.state == RecipientState.SENDING.value,
            )
            .values(state=RecipientState.UNKNOWN.value, error="claimed by an instance that stopped")
        )
        return _rowcount(await self.session.execute(statement))

    async def claim(self, broadcast_id: int, limit: int) -> list[Recipient]:
        """The next ``limit`` pending recipients, now marked ``sending`` (the caller holds the broadcast)."""
        query = (
            select(BroadcastRecipient.id, BroadcastRecipient.customer_id, BroadcastRecipient.chat_id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                BroadcastRecipient.state == RecipientState.PENDING.value,
            )
            .order_by(BroadcastRecipient.id)
            .limit(limit)
        )
        rows = [Recipient(*row) for row in (await self.session.execute(query)).all()]
        if rows:
            await self.session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.id.in_([r.id for r in rows]))
                .values(state=RecipientState.SENDING.value)
            )
        return rows

    async def settle(self, outcomes: dict[str, list[int]], errors: dict[int, str]) -> None:
        """Record outcomes: state -> recipient ids (``pending`` gives unsent claims back)."""
        for state, ids in outcomes.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                await self.session.execute(
                    update(BroadcastRecipient).where(BroadcastRecipient.id.in_(chunk)).values(state=state)
                )
        for recipient_id, error in errors.items():
            await self.session.execute(
                update(BroadcastRecipient)
                .where(BroadcastRecipient.id == recipient_id)
                .values(error=error[:200])
            )

    async def mark_blocked(self, customer_ids: list[int], at: datetime) -> None:
        if customer_ids:
            await self.session.execute(
                update(Customer)
                .where(Customer.id.in_(customer_ids))
                .values(blocked_bot_at=at, updated_at=utcnow())
            )

    async def creator_language(self, broadcast: Broadcast) -> str | None:
        query = select(Customer.language).where(Customer.telegram_id == broadcast.created_by)
        return (await self.session.execute(query)).scalar_one_or_none()
