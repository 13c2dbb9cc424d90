"""What a subscription order sets on the panel: where its period starts, its traffic limit (and whether
the used traffic is reset) and its device limit; read with the customer locked (services/
subscription_fulfilment.py stores the result in the order once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Order, OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.domain.catalogue import Tariff, renewal_traffic_limit
from remnastore.panel.models import PanelUser
from remnastore.services.accounts import CustomerView


async def period_start(
    session: AsyncSession,
    order: Order,
    customer: CustomerView,
    tariff: Tariff,
    user: PanelUser | None,
    now: datetime,
) -> tuple[datetime, bool]:
    """Where the new period starts, and whether it is a tariff change (which starts from now)."""
    current = await SubscriptionRepository(session).get_current(customer.id)
    if (
        current is not None
        and current.kind == "paid"
        and current.tariff_code not in (None, tariff.code)
        and current.expires_at > now
    ):
        return now, True  # a tariff change (announced to the customer before paying) starts from now
    candidates = [now]
    if user is not None and user.status != "DISABLED":
        candidates.append(user.expire_at)
    if current is not None:
        candidates.append(current.expires_at)
    in_flight = await OrderRepository(session).list(
        customer_id=customer.id, status=OrderStatus.PAID, limit=100
    )
    for other in in_flight:
        target = other.meta.get("target_expires_at")
        if other.id != order.id and target:
            candidates.append(datetime.fromisoformat(target))
    return max(candidates), False


async def traffic_limit(
    session: AsyncSession,
    customer: CustomerView,
    tariff: Tariff,
    user: PanelUser | None,
    *,
    switch: bool,
) -> tuple[int, bool]:
    """The traffic limit this order sets, and whether the used traffic is reset: a renewal of the same
    limited tariff follows the tariff's ``renewal_traffic`` policy (computed once, stored in the
    order); a first purchase or a change of tariff gets the tariff's limit."""
    current = await SubscriptionRepository(session).get_current(customer.id)
    renewal = (
        not switch
        and user is not None
        and current is not None
        and current.kind == "paid"
        and current.tariff_code == tariff.code
        and tariff.traffic_limit_bytes > 0
    )
    if not renewal or user is None or current is None:
        return tariff.traffic_limit_bytes, False
    limit = renewal_traffic_limit(
        tariff.renewal_traffic,
        tariff.traffic_limit_bytes,
        recorded_limit=current.traffic_limit_bytes,
        panel_limit=user.traffic_limit_bytes,
        panel_used=user.used_traffic_bytes,
    )
    return limit, True


async def devices_allowed(
    session: AsyncSession, customer: CustomerView, tariff: Tariff, *, switch: bool
) -> int | None:
    """The device limit a period of ``tariff`` gives: a renewal of the same tariff keeps devices bought
    on top of it (the larger of the tariff's limit and the recorded one); a change of tariff resets it."""
    current = await SubscriptionRepository(session).get_current(customer.id)
    limit = tariff.device_limit or None
    if (
        limit is not None
        and not switch
        and current is not None
        and current.kind == "paid"
        and current.tariff_code == tariff.code
        and current.device_limit is not None
    ):
        return max(limit, current.device_limit)
    return limit
