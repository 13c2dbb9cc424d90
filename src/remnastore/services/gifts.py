"""Gifts: a period bought for somebody else.

1. The buyer pays an order of kind ``gift`` (any method). Fulfilment hands it to :meth:`GiftService.issue`,
   which (with the order locked, once) creates the gift with a random token, marks the order fulfilled
   and sends the buyer the link ``t.me/<bot>?start=gift_<token>``.
2. Whoever opens the link first activates it (:meth:`GiftService.activate`): in one transaction the
   gift is claimed (``UPDATE ... WHERE activated_at IS NULL``) and a paid zero-amount order of the
   recipient, keyed on the token, is created. Every later activation is refused.
3. That order goes through the normal fulfilment (panel user created or extended, retried until done);
   when it is fulfilled the buyer is told (:meth:`GiftService.on_fulfilled`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError

from remnastore.db.models import OrderKind, OrderStatus
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.gifts import GiftRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Period
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.services.accounts import CustomerView
from remnastore.services.lifecycle import SILENT, Lifecycle, OrderPaid
from remnastore.services.notifications import Recipient

log = logging.getLogger(__name__)

#: the provider name of the orders that activate a gift (their payment id is the gift's token)
GIFT_PROVIDER = "gift"
#: order meta of an activation order: the gift's token
GIFT_META = "gift"


def new_gift_token() -> str:
    return secrets.token_urlsafe(12)  # 16 characters of A-Za-z0-9_-


class GiftNotifier(Protocol):
    async def gift_ready(self, to: Recipient, *, token: str, tariff_name: str, period: Period) -> None:
        """The buyer's gift is paid: send its link (with a share button)."""
        ...

    async def gift_activated(
        self, buyer: Recipient, recipient: Recipient, *, tariff_name: str, expires_at: datetime
    ) -> None:
        """Tell the recipient their gift is active and the buyer that it was activated."""
        ...


@dataclass(frozen=True)
class Activation:
    order_id: str
    tariff_name: str
    days: int
    #: published by :meth:`GiftService.apply`, once the recipient was answered
    paid: OrderPaid | None = None


@dataclass(frozen=True)
class GiftView:
    token: str
    tariff_name: str
    period: Period | None
    activated_at: datetime | None


class GiftService:
    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        clock: Clock,
        *,
        notifier: GiftNotifier,
        lifecycle: Lifecycle,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._clock = clock
        self._notifier = notifier
        self._lifecycle = lifecycle

    async def issue(self, order_id: str) -> bool:
        """Fulfil a paid gift order: create its gift once and send the buyer the link."""
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is None or order.status != OrderStatus.PAID or order.kind != OrderKind.GIFT:
                return False
            gift = await GiftRepository(session).issue(
                token=new_gift_token(),
                order_id=order.id,
                buyer_id=order.customer_id,
                tariff_code=order.tariff_code or "",
                period_code=order.period_code or "",
            )
            fulfilled = await self._lifecycle.fulfilled(session, order)
            buyer = await CustomerRepository(session).get(order.customer_id)
            assert buyer is not None
            recipient = Recipient(buyer.telegram_id, buyer.language)
            token = gift.token
        item = self._catalogue.item(order.tariff_code or "", order.period_code or "")
        name = item[0].name(recipient.language) if item else str(order.tariff_code)
        period = item[1] if item else Period(str(order.period_code), 0, order.days or 0, {})
        log.info("gift issued", extra={"order_id": order_id})
        await self._lifecycle.publish(fulfilled)
        try:
            await self._notifier.gift_ready(recipient, token=token, tariff_name=name, period=period)
        except Exception:
            log.exception("could not send a gift link", extra={"order_id": order_id})
        return True

    async def fulfil(self, order_id: str) -> bool:
        """The gift order kind: a paid gift order is fulfilled by issuing its gift."""
        return await self.issue(order_id)

    async def revoke(self, order_id: str) -> None:
        """A gift order was refunded. An unused link is voided (whoever opens it later is told the gift
        was refunded). A link already used: the recipient's access from it is taken back (their
        activation order is refunded too, which revokes it like any refunded subscription)."""
        async with self._db.session() as session:
            gifts = GiftRepository(session)
            gift = await gifts.by_order(order_id)
            if gift is None:
                return
            if await gifts.void(gift.id, now=self._clock.now()):
                log.info("refunded gift voided", extra={"order_id": order_id})
                return
            gift = await gifts.by_order(order_id)
            assert gift is not None
            refunded = None
            if gift.recipient_order_id is not None:
                orders = OrderRepository(session)
                activation = await orders.get_for_update(gift.recipient_order_id)
                if activation is not None and activation.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                    refunded = await self._lifecycle.mark_refunded(session, activation)
        log.info("refunded gift: the recipient's access is taken back", extra={"order_id": order_id})
        await self._lifecycle.publish(refunded)

    async def activate(self, customer: CustomerView, token: str) -> Activation:
        """Activate the gift ``token`` for ``customer``; refused (DomainError) if unknown or already used."""
        now = self._clock.now()
        try:
            async with self._db.session() as session:
                gifts = GiftRepository(session)
                gift = await gifts.by_token(token)
                if gift is None:
                    raise DomainError("gift-unknown")
                if gift.activated_at is not None:
                    raise DomainError("gift-already-activated")
                orders = OrderRepository(session)
                paid = await orders.get(gift.order_id)
                if gift.voided_at is not None or paid is None or paid.status == OrderStatus.REFUNDED:
                    raise DomainError("gift-refunded")
                item = self._catalogue.item(gift.tariff_code, gift.period_code)
                if item is None:
                    raise DomainError("gift-unavailable")
                tariff, period = item
                currency = paid.currency
                order = await orders.create(
                    customer.id,
                    kind=OrderKind.SUBSCRIPTION.value,
                    amount=Money(0, currency),
                    provider=GIFT_PROVIDER,
                    tariff_code=tariff.code,
                    period_code=period.code,
                    days=period.approx_days,
                    # fulfilment stays silent: the gift's own notices follow (on_fulfilled)
                    meta={GIFT_META: gift.token, SILENT: True},
                )
                # keyed on the token: a second activation order cannot exist, whatever the race
                await orders.set_provider_payment(order, provider_payment_id=gift.token)
                if not await gifts.claim(gift.id, recipient_id=customer.id, order_id=order.id, now=now):
                    raise DomainError("gift-already-activated")
                activated = await self._lifecycle.mark_paid(session, order, payment_id=gift.token)
                order_id = order.id
        except IntegrityError:
            raise DomainError("gift-already-activated") from None
        log.info("gift activated", extra={"order_id": order_id, "customer_id": customer.id})
        return Activation(order_id, tariff.name(customer.language), period.approx_days, activated)

    async def bought_by(self, customer: CustomerView, limit: int = 20) -> list[GiftView]:
        """The gifts this customer bought, newest first."""
        async with self._db.session() as session:
            gifts = await GiftRepository(session).of_buyer(customer.id, limit)
        views = []
        for gift in gifts:
            item = self._catalogue.item(gift.tariff_code, gift.period_code)
            name = item[0].name(customer.language) if item else gift.tariff_code
            views.append(GiftView(gift.token, name, item[1] if item else None, gift.activated_at))
        return views

    async def apply(self, activation: Activation) -> None:
        """Publish the activation's payment (after the recipient was answered): its subscribers fulfil
        it; should this never run, the fulfilment job finds the paid order anyway."""
        await self._lifecycle.publish(activation.paid)

    async def on_fulfilled(self, order_id: str) -> None:
        """An activation order was fulfilled: tell the recipient and the buyer."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.provider != GIFT_PROVIDER:
                return
            gift = await GiftRepository(session).by_recipient_order(order_id)
            if gift is None:
                return
            customers = CustomerRepository(session)
            buyer = await customers.get(gift.buyer_id)
            recipient = await customers.get(order.customer_id)
            target = order.meta.get("target_expires_at")
        if buyer is None or recipient is None or target is None:
            return
        item = self._catalogue.item(order.tariff_code or "", order.period_code or "")
        name = item[0].name(recipient.language) if item else str(order.tariff_code)
        await self._notifier.gift_activated(
            Recipient(buyer.telegram_id, buyer.language),
            Recipient(recipient.telegram_id, recipient.language),
            tariff_name=name,
            expires_at=datetime.fromisoformat(target),
        )
