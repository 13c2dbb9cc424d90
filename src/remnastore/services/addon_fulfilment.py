"""Fulfilling add-on orders (more traffic, more devices), exactly once, retried like subscriptions.

1. Reserve: with the customer locked, compute the new absolute limit once (the panel user's current limit,
   not below the shop's record or the targets of other add-on orders of the same kind in flight, plus what
   the add-on adds) and store it in the order.
2. Apply: set the panel user's limit to that value, only ever upwards. Setting an absolute value is
   idempotent: a retry after a crash cannot add the add-on twice.
3. Complete: mark the order fulfilled and keep the new limit in the shop's subscription record, so that a
   renewal of the same tariff keeps the devices bought on top of it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from remnastore.db.models import OrderStatus, Subscription
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import GIB, Addon, Catalogue
from remnastore.domain.errors import ServiceUnavailable
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError
from remnastore.panel.models import PanelUser, UpdateUserRequest
from remnastore.services.accounts import CustomerView
from remnastore.services.customer_lock import lock_customer
from remnastore.services.lifecycle import Lifecycle, OrderFulfilled
from remnastore.services.notifications import AdminNotifier, CustomerNotifier, Recipient
from remnastore.services.panel_link import PanelLink

log = logging.getLogger(__name__)
TARGET = "target_limit"  # order.meta: the absolute limit this add-on sets (None: nothing to add to)


class FailureRecorder(Protocol):
    """Records a failed fulfilment attempt (and its next attempt) on an order."""

    async def __call__(self, order_id: str, error: str, *, retry_in: timedelta | None = None) -> None: ...


def panel_limit(addon: Addon, user: PanelUser) -> int | None:
    """The panel user's current limit of the add-on's kind; None when there is none to add to
    (unlimited traffic, or the panel's default device limit)."""
    value = user.traffic_limit_bytes if addon.kind == "traffic" else user.hwid_device_limit
    return value or None


def recorded_limit(addon: Addon, record: Subscription | None) -> int:
    if record is None:
        return 0
    return record.traffic_limit_bytes if addon.kind == "traffic" else record.device_limit or 0


def _update(addon: Addon, value: int) -> UpdateUserRequest:
    if addon.kind == "traffic":
        return UpdateUserRequest(traffic_limit_bytes=value)
    return UpdateUserRequest(hwid_device_limit=value)


class AddonFulfilment:
    def __init__(
        self,
        db: Database,
        panel: RemnawaveClient,
        link: PanelLink,
        catalogue: Catalogue,
        clock: Clock,
        *,
        customers: CustomerNotifier,
        admins: AdminNotifier,
        failed: FailureRecorder,
        lifecycle: Lifecycle,
    ) -> None:
        self._db = db
        self._panel = panel
        self._link = link
        self._catalogue = catalogue
        self._clock = clock
        self._customers = customers
        self._admins = admins
        self._failed = failed
        self._lifecycle = lifecycle

    async def fulfil(self, order_id: str) -> bool:
        reserved = await self._reserve(order_id)
        if reserved is None:
            return False
        customer, addon, target = reserved
        if target is not None:
            try:
                user = await self._link.find(customer)
                if user is None:
                    raise ServiceUnavailable()
                current = panel_limit(addon, user)
                if current is not None and current < target:  # only ever upwards
                    await self._panel.update_user(user.ref, _update(addon, target))
            except (PanelError, ServiceUnavailable) as exc:
                await self._failed(order_id, f"{type(exc).__name__}: {exc}")
                return False
        fulfilled = await self._complete(order_id, customer, addon, target)
        if fulfilled is None:
            return False
        log.info("add-on order fulfilled", extra={"order_id": order_id, "customer_id": customer.id})
        await self._lifecycle.publish(fulfilled)
        try:
            if target is None:
                await self._admins.alert("alert-addon-not-applied", order=order_id)
            else:
                await self._customers.addon_fulfilled(
                    Recipient(customer.telegram_id, customer.language),
                    kind=addon.kind,
                    added=addon.quantity,
                    total=target // GIB if addon.kind == "traffic" else target,
                )
        except Exception:
            log.exception("could not send an add-on notice", extra={"order_id": order_id})
        return True

    async def _reserve(self, order_id: str) -> tuple[CustomerView, Addon, int | None] | None:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.status != OrderStatus.PAID:
                return None
            addon = self._catalogue.addon(str(order.meta.get("addon", "")))
            customer = CustomerView.of(await lock_customer(session, order.customer_id, lock=False))
            meta = dict(order.meta)
        if addon is None or addon.kind != order.kind:
            await self._admins.alert("alert-unknown-item", order=order_id)
            await self._failed(order_id, "add-on no longer in the catalogue")
            return None
        if TARGET in meta:
            return customer, addon, meta[TARGET]
        try:
            # Outside the locked transaction: the lookup may store the panel link itself.
            user = await self._link.find(customer)
        except ServiceUnavailable as exc:
            await self._failed(order_id, f"panel unavailable: {exc}")
            return None
        if user is None:
            await self._failed(order_id, "the customer has no panel user")
            return None
        async with self._db.session() as session:
            orders = OrderRepository(session)
            await lock_customer(session, customer.id, lock=True)
            locked = await orders.get_for_update(order_id)
            if locked is None or locked.status != OrderStatus.PAID:
                return None
            if TARGET in locked.meta:
                return customer, addon, locked.meta[TARGET]
            current = panel_limit(addon, user)
            target: int | None = None
            if current is not None:
                record = await SubscriptionRepository(session).get_current(customer.id)
                candidates = [current, recorded_limit(addon, record)]
                in_flight = await orders.list(customer_id=customer.id, status=OrderStatus.PAID, limit=100)
                candidates += [
                    int(other.meta[TARGET])
                    for other in in_flight
                    if other.id != order_id and other.kind == addon.kind and other.meta.get(TARGET)
                ]
                target = max(candidates) + addon.increment
            locked.meta = {**locked.meta, TARGET: target}
            return customer, addon, target

    async def _complete(
        self, order_id: str, customer: CustomerView, addon: Addon, target: int | None
    ) -> OrderFulfilled | None:
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is None or order.status != OrderStatus.PAID:
                return None
            fulfilled = await self._lifecycle.fulfilled(session, order)
            subscriptions = SubscriptionRepository(session)
            record = await subscriptions.get_current(customer.id)
            if target is not None and record is not None:
                value = max(target, recorded_limit(addon, record))
                await subscriptions.set_current(
                    customer.id,
                    kind=record.kind,
                    tariff_code=record.tariff_code,
                    expires_at=record.expires_at,
                    traffic_limit_bytes=value if addon.kind == "traffic" else record.traffic_limit_bytes,
                    device_limit=value if addon.kind == "devices" else record.device_limit,
                )
            return fulfilled

    async def revoke(self, order_id: str) -> None:
        """Take back a refunded add-on: lower the limit by what it added, when that leaves a limit."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None:
                return
            addon = self._catalogue.addon(str(order.meta.get("addon", "")))
            applied = order.meta.get(TARGET) is not None
            customer = CustomerView.of(await lock_customer(session, order.customer_id, lock=False))
        if addon is None or not applied:
            if addon is None:
                await self._admins.alert("alert-revoke-failed", order=order_id)
            return
        try:
            user = await self._link.find(customer)
            current = panel_limit(addon, user) if user is not None else None
            if user is None or current is None or current - addon.increment <= 0:
                await self._admins.alert("alert-revoke-failed", order=order_id)
                return
            lowered = current - addon.increment
            await self._panel.update_user(user.ref, _update(addon, lowered))
        except (PanelError, ServiceUnavailable):
            log.exception("could not revoke a refunded add-on", extra={"order_id": order_id})
            await self._admins.alert("alert-revoke-failed", order=order_id)
            return
        async with self._db.session() as session:
            subscriptions = SubscriptionRepository(session)
            record = await subscriptions.get_current(customer.id)
            if record is not None and recorded_limit(addon, record) > lowered:
                await subscriptions.set_current(
                    customer.id,
                    kind=record.kind,
                    tariff_code=record.tariff_code,
                    expires_at=record.expires_at,
                    traffic_limit_bytes=lowered if addon.kind == "traffic" else record.traffic_limit_bytes,
                    device_limit=lowered if addon.kind == "devices" else record.device_limit,
                )
        log.info("refunded add-on revoked", extra={"order_id": order_id})
