"""Subscription orders: a period of a tariff on the panel, exactly once, retried until it succeeds.

1. Reserve: with the customer locked, compute the order's target expiry once (from the latest of now,
   the panel's expiry, the shop's record and the targets of the customer's other orders in flight) and
   store it in the order and its access grant.
2. Apply: the access grant sets the panel user's expiry to the target (only ever forward) with the
   tariff's limits. Setting an absolute value is idempotent: a retry after a crash cannot add the period
   twice.
3. Complete: mark the order fulfilled and record the period (one transaction).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from remnastore.db.models import Order, OrderStatus, PeriodKind
from remnastore.db.repositories.access_grants import AccessGrantRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Period, Tariff
from remnastore.domain.errors import ServiceUnavailable
from remnastore.infra.clock import Clock
from remnastore.panel.errors import PanelConfigurationError, PanelError
from remnastore.panel.models import CreateUserRequest, PanelUser, UpdateUserRequest
from remnastore.panel.protocol import PanelApi
from remnastore.services.access_grant import SLACK, AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.addon_fulfilment import FailureRecorder
from remnastore.services.customer_lock import lock_customer
from remnastore.services.fulfilment import CONFIGURATION_RETRY
from remnastore.services.lifecycle import Lifecycle, OrderFulfilled
from remnastore.services.notifications import AdminNotifier, CustomerNotifier
from remnastore.services.panel_config import ConfigurationAlerts
from remnastore.services.panel_link import PanelLink
from remnastore.services.subscription_terms import devices_allowed, period_start, traffic_limit

log = logging.getLogger(__name__)
#: order meta: the access of this refunded order was taken back (or is being taken back)
REVOKED = "access_revoked"
#: order meta: the traffic limit the order sets, and whether it resets the used traffic (a renewal)
TRAFFIC_LIMIT = "traffic_limit"
RESET_TRAFFIC = "reset_traffic"
#: what completing an order that was refunded while its panel call was in flight returns
REFUNDED_IN_FLIGHT = object()


def grant_key(order_id: str) -> str:
    """The access grant of a subscription order."""
    return f"order:{order_id}"


class SubscriptionFulfilment:
    def __init__(
        self,
        db: Database,
        panel: PanelApi,
        link: PanelLink,
        catalogue: Catalogue,
        clock: Clock,
        *,
        customers: CustomerNotifier,
        admins: AdminNotifier,
        default_squads: tuple[str, ...],
        external_squad: str | None = None,
        user_tag: str | None = None,
        lifecycle: Lifecycle,
        access: AccessGrant,
        failed: FailureRecorder,
        config_alerts: ConfigurationAlerts | None = None,
    ) -> None:
        """``lifecycle``: reports each order fulfilled (its subscribers notify the customer, reward the
        referrer, tell a gift's buyer)."""
        self._db = db
        self._panel = panel
        self._link = link
        self._catalogue = catalogue
        self._clock = clock
        self._customers = customers
        self._admins = admins
        self._squads = default_squads
        self._external_squad = external_squad
        self._tag = user_tag
        self._lifecycle = lifecycle
        self._access = access
        self._failed = failed
        self._config_alerts = config_alerts

    async def fulfil(self, order_id: str) -> bool:
        """Fulfil one paid order; False when it is not (yet) possible (then a retry is scheduled)."""
        reserved = await self._reserve(order_id)
        if reserved is None:
            return False
        customer, order_view, tariff, period, target = reserved
        switch = bool(order_view.meta.get("switch"))
        traffic = int(order_view.meta.get(TRAFFIC_LIMIT, tariff.traffic_limit_bytes))
        try:
            async with self._db.session() as session:
                devices = await devices_allowed(session, customer, tariff, switch=switch)
            user = await self._apply(
                order_id, customer, tariff, target, switch=switch, device_limit=devices, traffic=traffic
            )
            if order_view.meta.get(RESET_TRAFFIC):
                await self._panel.reset_traffic(user.ref)  # a renewal starts with fresh traffic
        except PanelConfigurationError as exc:
            # The order stays paid; the seller must fix the squads. One alert, no quick retries.
            await self._failed(order_id, f"{type(exc).__name__}: {exc}", retry_in=CONFIGURATION_RETRY)
            if self._config_alerts is not None:
                await self._config_alerts.unknown_squads(tariff.squads or self._squads, what=order_id)
            return False
        except (PanelError, ServiceUnavailable) as exc:
            await self._failed(order_id, f"{type(exc).__name__}: {exc}")
            return False
        fulfilled = await self._complete(
            order_id,
            customer,
            tariff,
            period,
            target,
            user,
            switch=switch,
            device_limit=devices,
            traffic=traffic,
        )
        if fulfilled is REFUNDED_IN_FLIGHT:
            # the refund arrived while the panel call was in flight: what it just gave is taken back
            await self._revert(order_id, customer, user)
            return False
        if not isinstance(fulfilled, OrderFulfilled):
            return False
        log.info("order fulfilled", extra={"order_id": order_id, "customer_id": customer.id})
        await self._lifecycle.publish(fulfilled)
        return True

    async def _reserve(self, order_id: str) -> tuple[CustomerView, Order, Tariff, Period, datetime] | None:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.status != OrderStatus.PAID:
                return None
            item = self._catalogue.item(order.tariff_code or "", order.period_code or "")
            customer = CustomerView.of(await lock_customer(session, order.customer_id, lock=False))
            stored = order.meta.get("target_expires_at")
        if item is None:
            await self._admins.alert("alert-unknown-item", order=order_id)
            await self._failed(order_id, "tariff or period no longer in the catalogue")
            return None
        tariff, period = item
        if stored is not None:
            return customer, order, tariff, period, datetime.fromisoformat(stored)
        try:
            # Outside the locked transaction: the lookup may store the panel link itself.
            user = await self._link.find(customer)
        except ServiceUnavailable as exc:
            await self._failed(order_id, f"panel unavailable: {exc}")
            return None
        async with self._db.session() as session:
            orders = OrderRepository(session)
            await lock_customer(session, customer.id, lock=True)
            locked = await orders.get_for_update(order_id)
            if locked is None or locked.status != OrderStatus.PAID:
                return None
            stored = locked.meta.get("target_expires_at")
            if stored is not None:
                return customer, locked, tariff, period, datetime.fromisoformat(stored)
            base, switch = await period_start(session, locked, customer, tariff, user, self._clock.now())
            target = period.extend(base)
            traffic, reset = await traffic_limit(session, customer, tariff, user, switch=switch)
            locked.meta = {
                **locked.meta,
                "target_expires_at": target.isoformat(),
                "switch": switch,
                TRAFFIC_LIMIT: traffic,
                RESET_TRAFFIC: reset,
            }
            await AccessGrantRepository(session).reserve(
                grant_key(order_id),
                customer_id=customer.id,
                reason=PeriodKind.PAID.value,
                days=period.approx_days or max(1, (target - base).days),
                starts_at=base,
                target=target,
                order_id=order_id,
            )
            return customer, locked, tariff, period, target

    async def _apply(
        self,
        order_id: str,
        customer: CustomerView,
        tariff: Tariff,
        target: datetime,
        *,
        switch: bool = False,
        device_limit: int | None = None,
        traffic: int = 0,
    ) -> PanelUser:
        """``switch``: a tariff change sets the expiry to the target even if the old one was later."""
        squads = list(tariff.squads or self._squads) or [
            uuid for uuid, _ in await self._panel.list_internal_squads()
        ]

        def create(expires: datetime) -> CreateUserRequest:
            return CreateUserRequest(
                username=self._link.username_for(customer.telegram_id),
                expire_at=expires,
                telegram_id=customer.telegram_id,
                traffic_limit_bytes=traffic,
                traffic_limit_strategy=tariff.traffic_strategy,
                hwid_device_limit=device_limit,
                active_internal_squads=squads,
                external_squad_uuid=self._external_squad,
                tag=self._tag,
                status="ACTIVE",
            )

        changes = UpdateUserRequest(
            traffic_limit_bytes=traffic,
            traffic_limit_strategy=tariff.traffic_strategy,
            hwid_device_limit=device_limit,
            active_internal_squads=squads,
        )
        if not customer.is_banned:
            changes.status = "ACTIVE"
        granted = await self._access.extend_to(
            customer,
            target,
            PeriodKind.PAID.value,
            key=grant_key(order_id),
            create=create,
            changes=changes,
            exact=switch,
            record=False,  # recorded with the order's completion (_complete)
        )
        assert granted is not None  # created when missing
        return granted.user

    async def _complete(
        self,
        order_id: str,
        customer: CustomerView,
        tariff: Tariff,
        period: Period,
        target: datetime,
        user: PanelUser,
        *,
        switch: bool = False,
        device_limit: int | None = None,
        traffic: int = 0,
    ) -> OrderFulfilled | object | None:
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is not None and order.status == OrderStatus.REFUNDED:
                return REFUNDED_IN_FLIGHT if await self._claim_revocation(orders, order) else None
            if order is None or order.status != OrderStatus.PAID:
                return None
            fulfilled = await self._lifecycle.fulfilled(
                session,
                order,
                expires_at=max(target, user.expire_at),
                link=user.subscription_url,
                tariff_name=tariff.name(customer.language),
            )
            await self._access.record(session, customer.id, grant_key(order_id), tariff.code)
            subscriptions = SubscriptionRepository(session)
            current = await subscriptions.get_current(customer.id)
            keep_later = current is not None and current.kind == "paid" and not switch
            expires = max(target, current.expires_at) if keep_later and current is not None else target
            await subscriptions.set_current(
                customer.id,
                kind="paid",
                tariff_code=tariff.code,
                expires_at=expires,
                traffic_limit_bytes=traffic,
                device_limit=device_limit,
            )
            return fulfilled

    async def revoke(self, order_id: str) -> None:
        """Take back what a refunded order gave, once, whenever the refund arrives.

        Applied already (the panel's expiry has reached the order's target): this call takes it back.
        Not yet: the fulfilment in flight finds the order refunded when it completes and takes back what
        its panel call gave (:meth:`fulfil`). Whoever takes it back claims it first (order meta), so it
        happens once."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None:
                return
            customer = CustomerView.of(await lock_customer(session, order.customer_id, lock=False))
            grant = await AccessGrantRepository(session).get(grant_key(order_id))
        try:
            user = await self._link.find(customer)
            if user is None:
                return
            target = grant.target_expires_at if grant is not None else None
            if target is not None and user.expire_at < target - SLACK:
                log.info(
                    "refund before the access was given: nothing to take back", extra={"order_id": order_id}
                )
                return
            async with self._db.session() as session:
                orders = OrderRepository(session)
                locked = await orders.get_for_update(order_id)
                if locked is None or not await self._claim_revocation(orders, locked):
                    return
            await self._revert(order_id, customer, user)
        except (PanelError, ServiceUnavailable):
            log.exception("could not revoke a refunded order", extra={"order_id": order_id})
            await self._admins.alert("alert-revoke-failed", order=order_id)

    @staticmethod
    async def _claim_revocation(orders: OrderRepository, order: Order) -> bool:
        """True for the one caller that takes the order's access back (the order row is locked)."""
        if order.meta.get(REVOKED):
            return False
        order.meta = {**order.meta, REVOKED: True}
        return True

    async def _revert(self, order_id: str, customer: CustomerView, user: PanelUser) -> None:
        """Set the panel back to where the order started it (minus its days when later periods were
        stacked on top of it); disable the user when nothing is left."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            grant = await AccessGrantRepository(session).get(grant_key(order_id))
        if order is None:
            return
        item = self._catalogue.item(order.tariff_code or "", order.period_code or "")
        now = self._clock.now()
        if grant is not None and user.expire_at <= grant.target_expires_at + SLACK:
            new_expiry = grant.starts_at
        else:
            days = item[1].approx_days if item else (order.days or 0)
            new_expiry = user.expire_at - timedelta(days=days)
        if new_expiry <= now + timedelta(minutes=1):
            await self._panel.disable_user(user.ref)
        else:
            await self._panel.update_user(user.ref, UpdateUserRequest(expire_at=new_expiry))
        log.info("refunded order revoked", extra={"order_id": order_id})
