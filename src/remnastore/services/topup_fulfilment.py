"""Top-up orders: money onto the customer's balance, once; taken back on a refund.

A refunded top-up takes back what is left of it on the balance. What the customer already spent of it
cannot be taken from the balance: the purchases paid from the balance since the top-up are refunded
instead (newest first, until the spent part is covered), which takes their access back through their own
order kind; an admin is alerted only if that still does not cover it.
"""

from __future__ import annotations

import logging

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.money import Money
from remnastore.services.checkout import BALANCE
from remnastore.services.customer_lock import lock_customer
from remnastore.services.lifecycle import Lifecycle, OrderRefunded
from remnastore.services.notifications import AdminNotifier, CustomerNotifier, Recipient

log = logging.getLogger(__name__)
#: order meta of a balance purchase refunded because the top-up that paid for it was refunded
SPENT_TOPUP = "spent_topup"


class TopUpFulfilment:
    def __init__(
        self,
        db: Database,
        lifecycle: Lifecycle,
        *,
        customers: CustomerNotifier,
        admins: AdminNotifier,
    ) -> None:
        self._db = db
        self._lifecycle = lifecycle
        self._customers = customers
        self._admins = admins

    async def fulfil(self, order_id: str) -> bool:
        """A paid top-up: credit the balance once (keyed on the order) and mark the order fulfilled."""
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is None or order.status != OrderStatus.PAID:
                return False
            amount = Money(order.amount_minor, order.currency)
            customers = CustomerRepository(session)
            await customers.change_balance(
                order.customer_id,
                amount,
                reason="topup",
                idempotency_key=f"topup:{order.id}",
                order_id=order.id,
            )
            fulfilled = await self._lifecycle.fulfilled(session, order)
            customer = await customers.get(order.customer_id)
            assert customer is not None
            recipient = Recipient(customer.telegram_id, customer.language)
            balance = Money(customer.balance_minor, order.currency)
        log.info("balance topped up", extra={"order_id": order_id})
        await self._lifecycle.publish(fulfilled)
        try:
            await self._customers.balance_topped_up(recipient, amount=amount, balance=balance)
        except Exception:
            log.exception("could not tell the customer about a top-up", extra={"order_id": order_id})
        return True

    async def revoke(self, order_id: str) -> None:
        """Take back a refunded top-up: from the balance, then from what was bought with it."""
        refunded: list[OrderRefunded] = []
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get(order_id)
            if order is None or order.meta.get("topup_revoked"):
                return
            customer = await lock_customer(session, order.customer_id, lock=True)
            order = await orders.get_for_update(order_id)
            assert order is not None
            if order.meta.get("topup_revoked"):
                return
            order.meta = {**order.meta, "topup_revoked": True}
            take = min(max(customer.balance_minor, 0), order.amount_minor)
            if take > 0:
                await CustomerRepository(session).change_balance(
                    order.customer_id,
                    Money(-take, order.currency),
                    reason="refund",
                    idempotency_key=f"refund:{order.id}",
                    order_id=order.id,
                )
            spent = order.amount_minor - take
            since = order.fulfilled_at or order.paid_at or order.created_at
            if spent > 0:
                bought = await orders.list(
                    customer_id=order.customer_id,
                    status=(OrderStatus.PAID, OrderStatus.FULFILLED),
                    provider=BALANCE,
                    limit=100,
                )
                for purchase in bought:  # newest first
                    if spent <= 0:
                        break
                    if purchase.paid_at is None or purchase.paid_at < since:
                        continue
                    locked = await orders.get_for_update(purchase.id)
                    assert locked is not None
                    locked.meta = {**locked.meta, SPENT_TOPUP: order.id}
                    refunded.append(await self._lifecycle.mark_refunded(session, locked))
                    spent -= locked.amount_minor
        log.info("refunded top-up taken back", extra={"order_id": order_id, "purchases": len(refunded)})
        # each purchase's own subscribers take its access (and its referrer's reward) back
        await self._lifecycle.publish(*refunded)
        if spent > 0:
            await self._admins.alert("alert-revoke-failed", order=order_id)
