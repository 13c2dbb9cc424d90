"""The audit log of administrative actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import AuditEntry


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        actor_telegram_id: int | None,
        action: str,
        *,
        target_customer_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            actor_telegram_id=actor_telegram_id,
            action=action,
            target_customer_id=target_customer_id,
            details=dict(details or {}),
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def recent(
        self, limit: int = 50, *, target_customer_id: int | None = None, action: str | None = None
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if target_customer_id is not None:
            query = query.where(AuditEntry.target_customer_id == target_customer_id)
        query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()
