"""The persistent queue of self-employed tax receipts, and the job that works it.

Rows are written in the transaction that marks an order paid (:meth:`TaxReceipts.order_paid`) or
refunded (:meth:`TaxReceipts.order_refunded`), so a paid order can never lose its receipt; nothing about
the order waits for the tax service. One row per order (``order_id`` is unique).

The job (:meth:`TaxReceipts.run_due`) takes rows that are due, one at a time. Every step starts by
claiming the row with a conditional UPDATE (status and due time as read), so two instances never work
one row; the scheduler's job lock keeps the second instance idle anyway. States::

    pending --claim--> sending --200--> registered --refund--> (claim) --> cancelled
                          |  \\--4xx--> failed (an admin retries it)
                          |   \\--not sent--> pending (back-off)
                          \\--5xx/timeout/HTML--> unknown --found in /incomes--> registered
                                                       \\--not found--> pending (sent again)
    pending + refund -> void (nothing was registered);  not roubles -> skipped (with a note)

A receipt is never sent twice blindly: an answer that may hide a registration ("outcome unknown") is
looked up by the order id written into the receipt's name before anything is sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, Order, TaxReceipt, TaxReceiptStatus
from remnastore.db.session import Database, dialect_insert
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.receipts.client import CredentialsRejected, NalogoClient, NotSent, OutcomeUnknown, Refused
from remnastore.receipts.reports import (
    ReceiptView,
    Summary,
    claim_daily_post,
    problem_receipts,
    receipt_summary,
)
from remnastore.receipts.settings import TaxReceiptSettings

log = logging.getLogger(__name__)
#: the daily summary's name in ``daily_posts``
DAILY_SUMMARY = "tax-receipts-summary"

S = TaxReceiptStatus
#: currencies a receipt is registered for (the service knows roubles only)
RECEIPT_CURRENCY = "RUB"
BATCH = 50


class ReceiptMessages(Protocol):
    """Tells a customer where their receipt is (implemented in bot/)."""

    async def receipt_issued(self, telegram_id: int, language: str, *, url: str, amount: Money) -> None: ...


class ShopLog(Protocol):
    """Posts a line to the shop's log chat (implemented by bot/log_chat.LogChat)."""

    def post(self, text_key: str, **args: str | int) -> None: ...


class TaxReceipts:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: TaxReceiptSettings,
        client: NalogoClient,
        *,
        messages: ReceiptMessages | None = None,
        shop_log: ShopLog | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self.client = client
        self._messages = messages
        self._log = shop_log
        self._credentials_alerted = False

    @property
    def enabled(self) -> bool:
        return self._settings.enabled

    # -- written with the order (inside the settlement transaction) -----------------------------------
    async def order_paid(self, session: AsyncSession, order: Order, now: datetime) -> None:
        """Queue the receipt of an order that has just become paid (same transaction)."""
        if not self.enabled or order.amount_minor <= 0:
            return
        rouble = order.currency == RECEIPT_CURRENCY
        note = (
            None if rouble else f"paid in {order.currency}: receipts are registered for rouble payments only"
        )
        statement = (
            dialect_insert(session, TaxReceipt)
            .values(
                order_id=order.id,
                customer_id=order.customer_id,
                amount_minor=order.amount_minor,
                currency=order.currency,
                status=(S.PENDING if rouble else S.SKIPPED).value,
                paid_at=now,
                attempts=0,
                next_attempt_at=now if rouble else None,
                note=note,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[TaxReceipt.order_id])
        )
        await session.execute(statement)

    async def order_refunded(self, session: AsyncSession, order: Order, now: datetime) -> None:
        """Queue the cancellation of a refunded order's receipt (same transaction)."""
        if not self.enabled:
            return
        await session.execute(
            update(TaxReceipt)
            .where(TaxReceipt.order_id == order.id, TaxReceipt.refunded_at.is_(None))
            .values(refunded_at=now, next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    # -- the job --------------------------------------------------------------------------------------
    def _backoff(self, attempts: int) -> timedelta:
        seconds = min(self._settings.max_backoff_seconds, 60 * 2 ** max(0, min(attempts - 1, 16)))
        return timedelta(seconds=seconds)

    def _lease(self) -> timedelta:
        return timedelta(seconds=2 * self._settings.timeout + 60)

    async def run_due(self) -> int:
        """Work the rows that are due; returns how many changed state. Stops at the first failure that
        means the service is unavailable (the rest wait for the next run)."""
        if not self.enabled:
            return 0
        now = self._clock.now()
        async with self._db.session() as session:
            due = (
                await session.scalars(
                    select(TaxReceipt.id)
                    .where(
                        or_(
                            TaxReceipt.status.in_([S.PENDING.value, S.UNKNOWN.value]),
                            (TaxReceipt.status == S.REGISTERED.value) & TaxReceipt.refunded_at.is_not(None),
                            (TaxReceipt.status == S.SENDING.value)
                            & (TaxReceipt.updated_at <= now - self._lease()),
                        ),
                        TaxReceipt.next_attempt_at <= now,
                    )
                    .order_by(TaxReceipt.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
        done = 0
        for receipt_id in due:
            try:
                if await self._work(receipt_id):
                    done += 1
            except (NotSent, OutcomeUnknown, CredentialsRejected):
                break
        return done

    async def _claim(self, row_id: int, seen: TaxReceipt, now: datetime) -> TaxReceipt | None:
        """Take the row for this attempt: only if nobody changed it since it was read."""
        async with self._db.session() as session:
            result: Any = await session.execute(
                update(TaxReceipt)
                .where(
                    TaxReceipt.id == row_id,
                    TaxReceipt.status == seen.status,
                    TaxReceipt.updated_at == seen.updated_at,
                    TaxReceipt.next_attempt_at <= now,
                )
                .values(status=S.SENDING.value, attempts=TaxReceipt.attempts + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return None
            return await session.get(TaxReceipt, row_id, populate_existing=True)

    async def _set(self, row_id: int, **values: Any) -> None:
        values.setdefault("updated_at", self._clock.now())
        async with self._db.session() as session:
            await session.execute(
                update(TaxReceipt)
                .where(TaxReceipt.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def _work(self, row_id: int) -> bool:
        now = self._clock.now()
        async with self._db.session() as session:
            seen = await session.get(TaxReceipt, row_id)
        if seen is None:
            return False
        if seen.status == S.PENDING and seen.refunded_at is not None:
            await self._set(
                row_id, status=S.VOID.value, next_attempt_at=None, note="refunded before registration"
            )
            return True
        was_unknown = seen.status in (S.UNKNOWN, S.SENDING) and seen.receipt_id is None
        row = await self._claim(row_id, seen, now)
        if row is None:
            return False  # another instance took it
        if row.receipt_id is not None:
            return await self._cancel(row)
        if was_unknown:
            try:
                found = await self.client.find_income(
                    self._marker(row), amount_minor=row.amount_minor, around=row.paid_at
                )
            except (NotSent, CredentialsRejected) as exc:
                await self._retry_later(row, S.UNKNOWN, exc)
                if isinstance(exc, CredentialsRejected):
                    self._credentials_refused()
                raise
            if found is not None:
                log.info("a receipt registered earlier was found", extra={"order_id": row.order_id})
                return await self._registered(row, found.receipt_id)
        if row.refunded_at is not None:
            await self._set(
                row_id, status=S.VOID.value, next_attempt_at=None, note="refunded before registration"
            )
            return True
        return await self._register(row)

    def _marker(self, row: TaxReceipt) -> str:
        return f"#{row.order_id}"

    async def _register(self, row: TaxReceipt) -> bool:
        name = f"{self._settings.service_name} {self._marker(row)}"
        try:
            receipt_id = await self.client.register_income(
                name=name, amount_minor=row.amount_minor, paid_at=row.paid_at
            )
        except OutcomeUnknown as exc:
            await self._retry_later(row, S.UNKNOWN, exc)
            raise
        except NotSent as exc:
            await self._retry_later(row, S.PENDING, exc)
            raise
        except CredentialsRejected as exc:
            await self._retry_later(row, S.PENDING, exc)
            self._credentials_refused()
            raise
        except Refused as exc:
            await self._failed(row, exc)
            return True
        return await self._registered(row, receipt_id)

    async def _registered(self, row: TaxReceipt, receipt_id: str) -> bool:
        now = self._clock.now()
        await self._set(
            row.id,
            status=S.REGISTERED.value,
            receipt_id=receipt_id,
            last_error=None,
            # a refund may have come while the receipt was being sent: then cancel it next
            next_attempt_at=case((TaxReceipt.refunded_at.is_not(None), now), else_=None),
        )
        log.info("tax receipt registered", extra={"order_id": row.order_id})
        if self._settings.send_link and self._messages is not None:
            await self._send_link(row, receipt_id)
        return True

    async def _send_link(self, row: TaxReceipt, receipt_id: str) -> None:
        async with self._db.session() as session:
            customer = await session.get(Customer, row.customer_id)
        if customer is None or self._messages is None:
            return
        try:
            await self._messages.receipt_issued(
                customer.telegram_id,
                customer.language,
                url=self.client.receipt_url(receipt_id),
                amount=Money(row.amount_minor, row.currency),
            )
        except Exception:  # the receipt is registered; a lost message must not undo that
            log.warning("could not send the receipt link", extra={"order_id": row.order_id}, exc_info=True)

    async def _cancel(self, row: TaxReceipt) -> bool:
        assert row.receipt_id is not None and row.refunded_at is not None
        try:
            await self.client.cancel_income(row.receipt_id, refunded_at=row.refunded_at)
        except (NotSent, OutcomeUnknown, CredentialsRejected) as exc:
            await self._retry_later(row, S.REGISTERED, exc)
            if isinstance(exc, CredentialsRejected):
                self._credentials_refused()
            raise
        except Refused as exc:
            await self._failed(row, exc)
            return True
        await self._set(row.id, status=S.CANCELLED.value, next_attempt_at=None, last_error=None)
        log.info("tax receipt cancelled after a refund", extra={"order_id": row.order_id})
        return True

    async def _retry_later(self, row: TaxReceipt, status: S, error: Exception) -> None:
        when = self._clock.now() + self._backoff(row.attempts)
        await self._set(row.id, status=status.value, next_attempt_at=when, last_error=str(error)[:500])
        log.warning(
            "tax service unavailable, the receipt waits: %s",
            error,
            extra={"order_id": row.order_id, "attempts": row.attempts},
        )

    async def _failed(self, row: TaxReceipt, error: Refused) -> None:
        await self._set(row.id, status=S.FAILED.value, next_attempt_at=None, last_error=str(error)[:500])
        log.error("the tax service refused a receipt: %s", error, extra={"order_id": row.order_id})
        if self._log is not None:
            self._log.post("log-tax-receipt-failed", order=row.order_id, reason=str(error)[:200])

    def _credentials_refused(self) -> None:
        log.error(
            "the tax service refused the credentials (NALOGO_INN / NALOGO_PASSWORD / NALOGO_REFRESH_TOKEN)"
        )
        if self._log is not None and not self._credentials_alerted:
            self._credentials_alerted = True
            self._log.post("log-tax-receipt-credentials")

    # -- admin ----------------------------------------------------------------------------------------
    async def problems(self, limit: int = 20) -> list[ReceiptView]:
        """Receipts that need a look: failed, skipped by rule, and those waiting after several attempts."""
        async with self._db.session() as session:
            return await problem_receipts(session, limit)

    async def retry(self, row_id: int) -> bool:
        """Send a failed receipt (or its cancellation) again at the next run; False if it is not failed."""
        now = self._clock.now()
        async with self._db.session() as session:
            row = await session.get(TaxReceipt, row_id)
            if row is None or row.status != S.FAILED:
                return False
            status = S.REGISTERED if row.receipt_id is not None else S.PENDING
            await session.execute(
                update(TaxReceipt)
                .where(TaxReceipt.id == row_id, TaxReceipt.status == S.FAILED.value)
                .values(status=status.value, next_attempt_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        log.info("tax receipt queued again by an admin", extra={"order_id": row.order_id})
        return True

    async def summary(self, since: datetime) -> Summary:
        async with self._db.session() as session:
            return await receipt_summary(session, since)

    async def post_daily_summary(self) -> None:
        """The job: the last 24 hours' figures in the log chat, once a (UTC) day whatever restarts or
        instances run it: the day is recorded in the database before the post."""
        if not self.enabled or self._log is None:
            return
        now = self._clock.now()
        async with self._db.session() as session:
            if not await claim_daily_post(session, DAILY_SUMMARY, now.astimezone(UTC).date()):
                log.info("the tax receipts' summary was already posted today")
                return
        figures = await self.summary(now - timedelta(days=1))
        self._log.post(
            "log-tax-receipts-daily",
            registered=figures.registered,
            cancelled=figures.cancelled,
            waiting=figures.waiting,
            failed=figures.failed,
            skipped=figures.skipped,
        )

    async def close(self) -> None:
        await self.client.close()
