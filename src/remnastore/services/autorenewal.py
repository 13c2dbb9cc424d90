"""Auto-renewal: charge a saved card (or the balance) before the subscription expires.

The scheduler calls :meth:`AutoRenewalService.run_due`. For each enabled renewal whose paid subscription
expires soon:

* once per expiry, ``notice`` before the charge, the customer is told it is coming;
* ``lead`` before expiry, a charge is started. The charge of attempt *n* for the expiry *E* of
  subscription *S* has the key ``ar-S-E-n``: it is the order's unique idempotency key and YooKassa's
  ``Idempotence-Key``. The attempt is claimed with a compare-and-set on the renewal row first, so two
  concurrent runs cannot both start one; a run that finds the attempt's order still pending repeats the
  same request (same key: the provider answers with the same payment) or asks the provider for its status;
* the charge's result goes through settlement like any payment (exactly once), and fulfilment extends the
  subscription; a failure is retried ``retry_delay`` later, up to ``max_attempts`` times per expiry,
  each time with a notice.

A successful renewal moves the expiry, so the next period starts with fresh attempts and a fresh key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from remnastore.config.renewal import RenewalSettings
from remnastore.db.models import AutoRenewal, OrderStatus
from remnastore.db.repositories.autorenewals import AutoRenewalRepository, RenewalCandidate
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import PaymentEvent
from remnastore.payments.capabilities import SavedMethodCharges
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import BALANCE
from remnastore.services.lifecycle import Lifecycle
from remnastore.services.notifications import Recipient, RenewalNotifier
from remnastore.services.renewal_charges import ChargeOutcome, RenewalAttempt, RenewalCharges

log = logging.getLogger(__name__)

#: order meta marking a purchase whose card the customer wants kept for auto-renewal
SAVE_FOR_RENEWAL = "autorenew"
#: order meta of a renewal charge (its period key)
RENEWAL = "renewal"
#: subscriptions that expired longer ago than this are not renewed automatically
LOOKBACK = timedelta(days=3)


@dataclass(frozen=True)
class RenewalView:
    """What the auto-renewal screen shows."""

    enabled: bool
    method: str | None
    card: str | None
    tariff: Tariff | None
    period: Period | None
    #: the provider that can keep a card for renewals (None: none is enabled)
    card_provider: str | None
    balance_possible: bool


def period_key(subscription_id: int, expires_at: datetime, attempt: int) -> str:
    """The idempotency key of one charge attempt for one expiry (at most 64 characters)."""
    return f"ar-{subscription_id}-{int(expires_at.timestamp())}-{attempt}"


class AutoRenewalService:
    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        clock: Clock,
        settings: RenewalSettings,
        *,
        chargers: Mapping[str, SavedMethodCharges],
        settle: Callable[[PaymentEvent], Awaitable[Any]],
        lifecycle: Lifecycle,
        notifier: RenewalNotifier,
        balance_currency: str | None,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._clock = clock
        self.settings = settings
        self._chargers = dict(chargers)
        self._charges = RenewalCharges(db, clock, chargers=self._chargers, settle=settle, lifecycle=lifecycle)
        self._notifier = notifier
        self._balance_currency = balance_currency

    @property
    def card_provider(self) -> str | None:
        return next(iter(self._chargers), None)

    # -- the customer's side ---------------------------------------------------------------------
    async def view(self, customer: CustomerView) -> RenewalView:
        async with self._db.session() as session:
            row = await AutoRenewalRepository(session).get(customer.id)
            current = await SubscriptionRepository(session).get_current(customer.id)
        enabled = row is not None and row.enabled
        item = None
        if row is not None and enabled:
            item = self._renewed_item(row, current.tariff_code if current is not None else None)
        elif current is not None and current.kind == "paid":
            item = self._default_item(current.tariff_code, self._balance_currency)
        return RenewalView(
            enabled=enabled,
            method=row.method if enabled and row is not None else None,
            card=row.saved_method_title if enabled and row is not None else None,
            tariff=item[0] if item else None,
            period=item[1] if item else None,
            card_provider=self.card_provider,
            balance_possible=(
                self._balance_currency is not None
                and item is not None
                and self._balance_currency in item[1].prices
            ),
        )

    def _default_item(self, tariff_code: str | None, currency: str | None) -> tuple[Tariff, Period] | None:
        tariff = self._catalogue.tariff(tariff_code or "")
        if tariff is None:
            return None
        periods = [p for p in tariff.periods if currency is None or currency in p.prices]
        return (tariff, periods[0]) if periods else None

    async def enable_balance(self, customer: CustomerView) -> None:
        """Renew from the balance: the current tariff, its first period priced in the balance currency."""
        if self._balance_currency is None:
            raise DomainError("autorenew-unavailable")
        async with self._db.session() as session:
            current = await SubscriptionRepository(session).get_current(customer.id)
            if current is None or current.kind != "paid":
                raise DomainError("autorenew-needs-subscription")
            item = self._default_item(current.tariff_code, self._balance_currency)
            if item is None:
                raise DomainError("autorenew-unavailable")
            await AutoRenewalRepository(session).enable(
                customer.id, method=BALANCE, tariff_code=item[0].code, period_code=item[1].code
            )
        log.info("auto-renewal enabled from the balance", extra={"customer_id": customer.id})

    async def disable(self, customer: CustomerView) -> bool:
        """Turn auto-renewal off and delete the saved card (one tap)."""
        async with self._db.session() as session:
            changed = await AutoRenewalRepository(session).disable(customer.id)
        if changed:
            log.info("auto-renewal disabled, saved method deleted", extra={"customer_id": customer.id})
        return changed

    async def remember_card(self, order_id: str) -> None:
        """After a payment: if the customer asked to keep the card and it was saved, renew with it."""
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get(order_id)
            if order is None or not order.meta.get(SAVE_FOR_RENEWAL) or order.provider not in self._chargers:
                return
            customer = await CustomerRepository(session).get(order.customer_id)
            if customer is None or not order.tariff_code or not order.period_code:
                return
            recipient = Recipient(customer.telegram_id, customer.language)
            method_id = order.meta.get("saved_method_id")
            title = None
            if method_id and order.provider_payment_id:
                for event in await orders.events(order.provider, order.provider_payment_id):
                    method = event.raw.get("payment_method")
                    if isinstance(method, dict) and isinstance(method.get("title"), str):
                        title = method["title"][:64]
            if method_id:
                await AutoRenewalRepository(session).enable(
                    order.customer_id,
                    method=order.provider,
                    tariff_code=order.tariff_code,
                    period_code=order.period_code,
                    saved_method_id=str(method_id),
                    saved_method_title=title,
                )
        if method_id:
            log.info("auto-renewal enabled with a saved card", extra={"order_id": order_id})
        else:
            log.info("the provider did not keep the card: no auto-renewal", extra={"order_id": order_id})
        try:
            await self._notifier.card_kept(recipient, card=(title or "") if method_id else None)
        except Exception:
            log.exception("could not tell the customer about auto-renewal", extra={"order_id": order_id})

    # -- the job ---------------------------------------------------------------------------------
    async def run_due(self) -> int:
        """Send due notices and start due charges; the number of charges that succeeded."""
        if not self.settings.autorenew_enabled:
            return 0
        now = self._clock.now()
        async with self._db.session() as session:
            candidates = await AutoRenewalRepository(session).due(
                expiring_until=now + self.settings.lead + self.settings.notice,
                expiring_after=now - LOOKBACK,
            )
        renewed = 0
        for candidate in candidates:
            try:
                if candidate.expires_at - self.settings.lead > now:
                    await self._notice(candidate, now)
                elif await self._renew(candidate, now):
                    renewed += 1
            except Exception:
                log.exception("auto-renewal failed", extra={"customer_id": candidate.customer_id})
        return renewed

    async def _notice(self, candidate: RenewalCandidate, now: datetime) -> None:
        async with self._db.session() as session:
            repo = AutoRenewalRepository(session)
            row = await repo.get(candidate.customer_id)
            if row is None or not self.settings.notice_hours:
                return
            item = self._renewed_item(row, candidate.tariff_code)
            amount = self._price(row, item[1]) if item else None
            if amount is None or not await repo.claim_notice(row.id, candidate.expires_at):
                return
            card = row.saved_method_title
        await self._notifier.renewal_upcoming(
            Recipient(candidate.telegram_id, candidate.language),
            amount=amount,
            charge_at=candidate.expires_at - self.settings.lead,
            card=card,
        )

    def _renewed_item(self, row: AutoRenewal, current_tariff: str | None) -> tuple[Tariff, Period] | None:
        """What a renewal buys: the tariff the customer has now (a renewal never switches tariffs), for
        the period chosen when auto-renewal was turned on (or that tariff's first one)."""
        tariff_code = current_tariff or row.tariff_code or ""
        item = self._catalogue.item(tariff_code, row.period_code or "")
        if item is not None:
            return item
        tariff = self._catalogue.tariff(tariff_code)
        return (tariff, tariff.periods[0]) if tariff is not None and tariff.periods else None

    def _price(self, row: AutoRenewal, period: Period) -> Money | None:
        if row.method == BALANCE:
            return period.prices.get(self._balance_currency or "")
        charger = self._chargers.get(row.method)
        if charger is None:
            return None
        currencies: frozenset[str] = getattr(charger, "currencies", frozenset())
        return next((price for currency, price in period.prices.items() if currency in currencies), None)

    async def _renew(self, candidate: RenewalCandidate, now: datetime) -> bool:
        try:
            attempt = await self._claim(candidate, now)
        except (_Lost, IntegrityError):
            log.info("another run took this renewal", extra={"customer_id": candidate.customer_id})
            return False
        if attempt is None:
            return False
        recipient = Recipient(candidate.telegram_id, candidate.language)
        if attempt.method == BALANCE:
            outcome = await self._charges.balance(attempt)
        else:
            outcome = await self._charges.card(candidate, attempt, now)
        if outcome is ChargeOutcome.PAID:
            await self._succeeded(candidate, attempt, recipient)
            return True
        if outcome is not ChargeOutcome.OPEN:
            await self._failed(candidate, attempt, recipient, outcome.value)
        return False

    async def _claim(self, candidate: RenewalCandidate, now: datetime) -> RenewalAttempt | None:
        """Claim the next step for this expiry: a new attempt, the repeat of a pending one, or nothing."""
        async with self._db.session() as session:
            repo = AutoRenewalRepository(session)
            orders = OrderRepository(session)
            row = await repo.get(candidate.customer_id)
            if row is None or not row.enabled:
                return None
            same_period = row.period_expires_at == candidate.expires_at
            attempts = row.attempts if same_period else 0
            if same_period and row.next_attempt_at is not None and row.next_attempt_at > now:
                return None
            last = await orders.get(row.last_order_id) if same_period and row.last_order_id else None
            if last is not None and last.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                return None  # this expiry is renewed; fulfilment moves it
            retry_at = now + self.settings.retry_delay(max(1, attempts))
            if last is not None and last.status == OrderStatus.PENDING:
                if not await repo.claim_attempt(
                    row,
                    expires_at=candidate.expires_at,
                    attempts=attempts,
                    next_attempt_at=retry_at,
                    order_id=last.id,
                ):
                    return None
                return RenewalAttempt(
                    last.id,
                    last.idempotency_key,
                    last.provider,
                    row.saved_method_id,
                    row.saved_method_title,
                    last.amount,
                    attempts,
                    True,
                    last.provider_payment_id,
                    str(last.meta.get("description", "")),  # the same request: the same body
                )
            if attempts >= self.settings.max_attempts:
                return None
            item = self._renewed_item(row, candidate.tariff_code)
            amount = self._price(row, item[1]) if item else None
            if item is None or amount is None:
                log.warning("auto-renewal has nothing to charge", extra={"customer_id": row.customer_id})
                return None
            if row.method != BALANCE and not row.saved_method_id:
                return None
            number = attempts + 1
            key = period_key(candidate.subscription_id, candidate.expires_at, number)
            tariff, period = item
            description = self._notifier.charge_description(tariff, period, candidate.language)[:128]
            order = await orders.create(
                row.customer_id,
                kind="subscription",
                amount=amount,
                provider=row.method,
                tariff_code=tariff.code,
                period_code=period.code,
                days=period.approx_days,
                meta={RENEWAL: key, "description": description},
            )
            order.idempotency_key = key  # unique: a second order for this attempt cannot exist
            await session.flush()
            retry_at = now + self.settings.retry_delay(number)
            if not await repo.claim_attempt(
                row,
                expires_at=candidate.expires_at,
                attempts=number,
                next_attempt_at=retry_at,
                order_id=order.id,
            ):
                raise _Lost
            return RenewalAttempt(
                order.id,
                key,
                row.method,
                row.saved_method_id,
                row.saved_method_title,
                amount,
                number,
                False,
                description=description,
            )

    async def _succeeded(
        self, candidate: RenewalCandidate, attempt: RenewalAttempt, recipient: Recipient
    ) -> None:
        async with self._db.session() as session:
            await AutoRenewalRepository(session).reschedule(candidate.renewal_id, None)
        try:
            await self._notifier.renewal_succeeded(recipient, amount=attempt.amount, card=attempt.card)
        except Exception:
            log.exception("could not tell the customer about a renewal", extra={"order_id": attempt.order_id})

    async def _failed(
        self, candidate: RenewalCandidate, attempt: RenewalAttempt, recipient: Recipient, reason: str
    ) -> None:
        retry_at = None
        if attempt.attempt < self.settings.max_attempts:
            retry_at = self._clock.now() + self.settings.retry_delay(attempt.attempt)
        log.info(
            "renewal charge failed",
            extra={"order_id": attempt.order_id, "attempt": attempt.attempt, "reason": reason},
        )
        try:
            await self._notifier.renewal_failed(
                recipient, amount=attempt.amount, retry_at=retry_at, reason=reason
            )
        except Exception:
            log.exception("could not tell the customer about a failed renewal")


class _Lost(Exception):
    """Another run claimed this attempt first (the order just created is rolled back)."""
