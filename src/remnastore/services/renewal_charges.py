"""The charge of one auto-renewal attempt (claimed by services/autorenewal.py): the saved card through its
provider, or the balance; the payment goes through settlement like any other, and the outcome says what
the customer is to be told."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.autorenewals import AutoRenewalRepository, RenewalCandidate
from remnastore.db.repositories.customers import CustomerRepository, InsufficientBalance
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import Invoice, InvoiceRequest, PaymentEvent, ProviderError
from remnastore.payments.capabilities import SavedMethodCharges
from remnastore.services.lifecycle import Lifecycle

log = logging.getLogger(__name__)

#: when the provider did not answer a charge, the same request is repeated after this long
UNANSWERED_RETRY = timedelta(minutes=10)


class ChargeOutcome(Enum):
    """How a charge attempt ended; a failure's value is the reason told to the customer."""

    PAID = "paid"
    DECLINED = "declined"
    NO_BALANCE = "balance"
    #: nothing to tell yet (no answer, the customer must confirm, or another run has it)
    OPEN = "open"


@dataclass(frozen=True)
class RenewalAttempt:
    """One claimed charge attempt for one expiry."""

    order_id: str
    key: str
    method: str
    saved_method_id: str | None
    card: str | None
    amount: Money
    attempt: int
    repeat: bool  # the same attempt again (its first call's answer was lost)
    provider_payment_id: str | None = None
    description: str = ""


class RenewalCharges:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        chargers: Mapping[str, SavedMethodCharges],
        settle: Callable[[PaymentEvent], Awaitable[Any]],
        lifecycle: Lifecycle,
    ) -> None:
        self._db = db
        self._clock = clock
        self._chargers = chargers
        self._settle = settle
        self._lifecycle = lifecycle

    async def card(
        self, candidate: RenewalCandidate, attempt: RenewalAttempt, now: datetime
    ) -> ChargeOutcome:
        """Charge the saved card (or, repeating an attempt whose answer was lost, ask for its status)."""
        charger = self._chargers.get(attempt.method)
        if charger is None or attempt.saved_method_id is None:
            return ChargeOutcome.OPEN
        result: PaymentEvent | Invoice | None
        try:
            if attempt.repeat and attempt.provider_payment_id:
                result = await charger.fetch_status(attempt.order_id, attempt.provider_payment_id)
            else:
                result = await charger.charge_saved(
                    attempt.saved_method_id,
                    InvoiceRequest(
                        order_id=attempt.order_id,
                        amount=attempt.amount,
                        description=attempt.description,
                        telegram_user_id=candidate.telegram_id,
                        idempotency_key=attempt.key,
                        language=candidate.language,
                    ),
                )
        except ProviderError as exc:
            log.warning("renewal charge not answered: %s", exc, extra={"order_id": attempt.order_id})
            if exc.transient:  # the order stays pending; a run soon repeats the same request (same key)
                async with self._db.session() as session:
                    await AutoRenewalRepository(session).reschedule(
                        candidate.renewal_id, now + UNANSWERED_RETRY
                    )
                return ChargeOutcome.OPEN
            await self._fail_order(attempt.order_id)
            return ChargeOutcome.DECLINED
        if result is None:
            return ChargeOutcome.OPEN
        if result.provider_payment_id:
            await self._record_payment_id(attempt.order_id, result.provider_payment_id)
        if isinstance(result, Invoice):
            # the issuer wants the customer to confirm: the payment stays pending at YooKassa until it
            # expires (then canceled); later runs ask for its status and go on from there
            log.warning("renewal charge needs the customer", extra={"order_id": attempt.order_id})
            return ChargeOutcome.OPEN
        await self._settle(result)
        status = await self._order_status(attempt.order_id)
        if status in (OrderStatus.PAID, OrderStatus.FULFILLED):
            return ChargeOutcome.PAID
        if status == OrderStatus.FAILED:
            return ChargeOutcome.DECLINED
        return ChargeOutcome.OPEN

    async def _order_status(self, order_id: str) -> str | None:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            return order.status if order is not None else None

    async def _record_payment_id(self, order_id: str, payment_id: str) -> None:
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is not None and not order.provider_payment_id:
                await orders.set_provider_payment(order, provider_payment_id=payment_id)

    async def balance(self, attempt: RenewalAttempt) -> ChargeOutcome:
        """Debit the balance and mark the order paid in one transaction."""
        try:
            async with self._db.session() as session:
                orders = OrderRepository(session)
                order = await orders.get_for_update(attempt.order_id)
                if order is None or order.status != OrderStatus.PENDING:
                    return ChargeOutcome.OPEN
                await CustomerRepository(session).change_balance(
                    order.customer_id,
                    -attempt.amount,
                    reason="purchase",
                    idempotency_key=f"order:{order.id}",
                    order_id=order.id,
                )
                paid = await self._lifecycle.mark_paid(session, order, payment_id=order.id)
        except InsufficientBalance:
            await self._fail_order(attempt.order_id)
            return ChargeOutcome.NO_BALANCE
        log.info("subscription renewed from the balance", extra={"order_id": attempt.order_id})
        await self._lifecycle.publish(paid)
        return ChargeOutcome.PAID

    async def _fail_order(self, order_id: str) -> None:
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is not None and order.status == OrderStatus.PENDING:
                await orders.set_status(order, OrderStatus.FAILED, now=self._clock.now())
