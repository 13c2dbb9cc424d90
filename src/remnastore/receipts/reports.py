"""What the admins see of the tax receipt queue (receipts/queue.py): the receipts that need a look and the
figures of a day, posted once a day (:func:`claim_daily_post`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import DailyPost, TaxReceipt, TaxReceiptStatus, utcnow
from remnastore.db.session import dialect_insert
from remnastore.domain.money import Money

S = TaxReceiptStatus


@dataclass(frozen=True)
class ReceiptView:
    id: int
    order_id: str
    status: str
    amount: Money
    attempts: int
    last_error: str | None
    note: str | None
    paid_at: datetime


@dataclass(frozen=True)
class Summary:
    registered: int
    cancelled: int
    waiting: int
    failed: int
    skipped: int


async def problem_receipts(session: AsyncSession, limit: int) -> list[ReceiptView]:
    """Failed receipts, those skipped by rule, and those waiting after several attempts."""
    rows = (
        await session.scalars(
            select(TaxReceipt)
            .where(
                or_(
                    TaxReceipt.status.in_([S.FAILED.value, S.SKIPPED.value]),
                    TaxReceipt.status.in_([S.PENDING.value, S.UNKNOWN.value]) & (TaxReceipt.attempts >= 3),
                )
            )
            .order_by(TaxReceipt.status == S.SKIPPED.value, TaxReceipt.paid_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        ReceiptView(
            r.id,
            r.order_id,
            r.status,
            Money(r.amount_minor, r.currency),
            r.attempts,
            r.last_error,
            r.note,
            r.paid_at,
        )
        for r in rows
    ]


async def receipt_summary(session: AsyncSession, since: datetime) -> Summary:
    """Receipts registered, cancelled and skipped since ``since``; those waiting and failed now."""
    rows = (
        await session.execute(
            select(TaxReceipt.status, func.count())
            .where(TaxReceipt.updated_at >= since)
            .group_by(TaxReceipt.status)
        )
    ).all()
    waiting = await session.scalar(
        select(func.count())
        .select_from(TaxReceipt)
        .where(TaxReceipt.status.in_([S.PENDING.value, S.UNKNOWN.value, S.SENDING.value]))
    )
    failed = await session.scalar(
        select(func.count()).select_from(TaxReceipt).where(TaxReceipt.status == S.FAILED.value)
    )
    counts = {str(status): int(count) for status, count in rows}
    return Summary(
        registered=counts.get(S.REGISTERED.value, 0),
        cancelled=counts.get(S.CANCELLED.value, 0),
        waiting=int(waiting or 0),
        failed=int(failed or 0),
        skipped=counts.get(S.SKIPPED.value, 0),
    )


async def claim_daily_post(session: AsyncSession, name: str, day: date) -> bool:
    """Record that ``name`` is posted on ``day``; False when it already was (by this or another start)."""
    insert = dialect_insert(session, DailyPost)
    statement = insert.values(name=name, day=day, posted_at=utcnow()).on_conflict_do_nothing()
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount == 1
