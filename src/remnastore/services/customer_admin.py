"""Customers for the shop's admins: search, pages, a card, and the actions on one customer.

Every action that changes something writes the audit log. Panel-side changes go first: when the panel
refuses or does not answer, nothing is changed in the database and the admin is told.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from datetime import datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, PeriodKind, SubscriptionKind
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.customer_admin import CustomerAdminRepository
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError, PanelUnavailable
from remnastore.panel.models import PanelUser, UpdateUserRequest
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.customer_cards import CustomerCard, CustomerRow, OrderLine, PanelState
from remnastore.services.device_limits import DeviceLimits
from remnastore.services.panel_link import PanelLink

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE_SIZE = 10
MAX_DAYS = 3650
MAX_DEVICES = 100


class CustomerAdmin:
    def __init__(
        self,
        db: Database,
        panel: RemnawaveClient,
        link: PanelLink,
        clock: Clock,
        *,
        access: AccessGrant,
        refundable_providers: frozenset[str] = frozenset(),
        timezone: str = "UTC",
        balance_currency: str = "RUB",
    ) -> None:
        self._access = access
        #: the enabled providers with the Refunds capability
        self.refundable_providers = refundable_providers
        self._balance_currency = balance_currency
        self._db = db
        self._panel = panel
        self._link = link
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        #: the device limit the panel really enforces (None: the user's own number is shown)
        self.device_limits: DeviceLimits | None = None

    def parse_date(self, text: str) -> datetime:
        """An expiry typed by an admin in the shop's time zone: ``2027-01-31`` (the end of that day),
        ``31.01.2027`` or ``2027-01-31 18:00``."""
        value = text.strip()
        for pattern, whole_day in (
            ("%Y-%m-%d %H:%M", False),
            ("%d.%m.%Y %H:%M", False),
            ("%Y-%m-%d", True),
            ("%d.%m.%Y", True),
        ):
            try:
                parsed = datetime.strptime(value, pattern)
            except ValueError:
                continue
            if whole_day:
                parsed = datetime.combine(parsed.date(), time(23, 59))
            return parsed.replace(tzinfo=self._tz)
        raise DomainError("admin-customer-bad-date")

    # -- reading -----------------------------------------------------------------------------------

    async def search(self, text: str) -> list[CustomerRow]:
        async with self._db.session() as session:
            return [CustomerRow.of(c) for c in await CustomerAdminRepository(session).search(text[:80])]

    async def page(self, page: int) -> tuple[list[CustomerRow], bool]:
        async with self._db.session() as session:
            rows, more = await CustomerAdminRepository(session).page(page, PAGE_SIZE)
            return [CustomerRow.of(c) for c in rows], more

    async def card(self, customer_id: int) -> CustomerCard:
        async with self._db.session() as session:
            customer = await self._customer(session, customer_id)
            view = CustomerView.of(customer)
            repository = CustomerAdminRepository(session)
            referrals = ReferralRepository(session)
            subscription = await SubscriptionRepository(session).get_current(customer_id)
            totals = await repository.order_totals(customer_id)
            recent = await repository.recent_orders(customer_id)
            card_args: dict[str, Any] = {
                "row": CustomerRow.of(customer),
                "language": customer.language,
                "last_seen_at": customer.last_seen_at,
                "trial_used_at": customer.trial_used_at,
                "balance": Money(customer.balance_minor, self._balance_currency),
                "referrer_telegram_id": await repository.telegram_id_of(customer.referred_by_id),
                "subscription_kind": subscription.kind if subscription else None,
                "subscription_tariff": subscription.tariff_code if subscription else None,
                "subscription_expires_at": subscription.expires_at if subscription else None,
                "subscription_panel_status": subscription.panel_status if subscription else None,
                "orders_count": totals.count,
                "paid": [Money(minor, currency) for currency, minor in totals.paid],
                "recent_orders": [
                    OrderLine(o.id, o.created_at, o.status, o.provider, Money(o.amount_minor, o.currency))
                    for o in recent
                ],
                "invited": await referrals.count_invited(customer_id),
                "invited_paying": await referrals.count_paying(customer_id),
                "promos": await repository.promo_uses(customer_id),
            }
        panel: PanelState | None = None
        unavailable = False
        try:
            user = await self._link.find(view)
        except ServiceUnavailable:
            user, unavailable = None, True
        if user is not None:
            panel = PanelState(
                status=user.status,
                expires_at=user.expire_at,
                used_bytes=user.used_traffic_bytes,
                limit_bytes=user.traffic_limit_bytes,
                device_limit=(
                    await self.device_limits.effective(user.hwid_device_limit)
                    if self.device_limits is not None
                    else user.hwid_device_limit
                ),
                link=user.subscription_url,
            )
        return CustomerCard(**card_args, panel=panel, panel_unavailable=unavailable)

    async def refundable_orders(self, customer_id: int) -> list[OrderLine]:
        async with self._db.session() as session:
            await self._customer(session, customer_id)
            orders = await CustomerAdminRepository(session).refundable_orders(
                customer_id, self.refundable_providers
            )
            return [
                OrderLine(o.id, o.created_at, o.status, o.provider, Money(o.amount_minor, o.currency))
                for o in orders
            ]

    async def telegram_id(self, customer_id: int) -> int:
        async with self._db.session() as session:
            return (await self._customer(session, customer_id)).telegram_id

    # -- actions -----------------------------------------------------------------------------------

    async def set_banned(self, customer_id: int, banned: bool, *, actor: int) -> None:
        """Ban (the customer gets only "you are blocked" from now on; the panel user is disabled) or unban."""
        view = await self._view(customer_id)
        user = await self._find(view)
        if user is not None:
            await self._call(
                self._panel.disable_user(user.ref) if banned else self._panel.enable_user(user.ref)
            )
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            customer = await self._customer(session, customer_id)
            await customers.set_banned(customer, banned)
            await self._audit(session, actor, "customer.ban" if banned else "customer.unban", customer_id)
        log.info(
            "customer %s by an admin", "banned" if banned else "unbanned", extra={"customer_id": customer_id}
        )

    async def extend(self, customer_id: int, days: int, *, actor: int) -> datetime:
        """Add ``days`` to the customer's access (from now if it has run out); returns the new expiry."""
        if not 1 <= days <= MAX_DAYS:
            raise DomainError("admin-customer-bad-days", max=MAX_DAYS)
        view = await self._view(customer_id)
        await self._require_user(view)
        key = f"admin:{customer_id}:{uuid.uuid4().hex}"
        granted = await self._call(self._access.grant_days(view, days, PeriodKind.ADMIN.value, key=key))
        if granted is None:
            raise DomainError("admin-customer-no-panel-user")
        updated = granted.user
        async with self._db.session() as session:
            await self._store_access(session, customer_id, updated)
            await self._audit(
                session,
                actor,
                "customer.extend",
                customer_id,
                days=days,
                expires_at=updated.expire_at.isoformat(),
            )
        return updated.expire_at

    async def set_expiry(self, customer_id: int, expires_at: datetime, *, actor: int) -> datetime:
        if expires_at <= self._clock.now():
            raise DomainError("admin-customer-bad-date")
        view = await self._view(customer_id)
        user = await self._require_user(view)
        request = UpdateUserRequest(expire_at=expires_at)
        if user.status == "EXPIRED" and not view.is_banned:
            request.status = "ACTIVE"
        updated = await self._call(self._panel.update_user(user.ref, request))
        async with self._db.session() as session:
            await self._store_access(session, customer_id, updated)
            await self._audit(
                session,
                actor,
                "customer.set_expiry",
                customer_id,
                old=user.expire_at.isoformat(),
                new=updated.expire_at.isoformat(),
            )
        return updated.expire_at

    async def set_device_limit(self, customer_id: int, limit: int, *, actor: int) -> None:
        """``limit`` devices; 0 returns the customer to the panel's default."""
        if not 0 <= limit <= MAX_DEVICES:
            raise DomainError("admin-customer-bad-devices", max=MAX_DEVICES)
        view = await self._view(customer_id)
        user = await self._require_user(view)
        updated = await self._call(
            self._panel.update_user(user.ref, UpdateUserRequest(hwid_device_limit=limit or None))
        )
        async with self._db.session() as session:
            await self._store_access(session, customer_id, updated)
            await self._audit(session, actor, "customer.set_devices", customer_id, limit=limit)

    async def reset_traffic(self, customer_id: int, *, actor: int) -> None:
        user = await self._require_user(await self._view(customer_id))
        await self._call(self._panel.reset_traffic(user.ref))
        async with self._db.session() as session:
            await self._audit(session, actor, "customer.reset_traffic", customer_id)

    async def revoke_link(self, customer_id: int, *, actor: int) -> str:
        """A new subscription link; the old one stops working. Returns the new link."""
        user = await self._require_user(await self._view(customer_id))
        updated = await self._call(self._panel.revoke_subscription(user.ref))
        async with self._db.session() as session:
            await self._audit(session, actor, "customer.revoke_link", customer_id)
        return updated.subscription_url

    async def reset_trial(self, customer_id: int, *, actor: int) -> None:
        """Offer the free trial again."""
        async with self._db.session() as session:
            await self._customer(session, customer_id)
            await CustomerRepository(session).reset_trial(customer_id)
            await self._audit(session, actor, "customer.reset_trial", customer_id)

    async def record_message(self, customer_id: int, *, actor: int, delivered: bool, kind: str) -> None:
        async with self._db.session() as session:
            await self._audit(session, actor, "customer.message", customer_id, delivered=delivered, kind=kind)

    async def delete(self, customer_id: int, *, confirmation: str, actor: int) -> None:
        """Delete the panel user and every record of the customer.

        ``confirmation`` is what the admin typed: it must be the customer's Telegram id.
        """
        view = await self._view(customer_id)
        if confirmation.strip() != str(view.telegram_id):
            raise DomainError("admin-customer-delete-mismatch")
        user = await self._find(view)
        if user is not None:
            await self._call(self._panel.delete_user(user.ref))
        async with self._db.session() as session:
            await CustomerAdminRepository(session).delete_everything(customer_id)
            await self._audit(
                session,
                actor,
                "customer.delete",
                customer_id,
                telegram_id=view.telegram_id,
                panel_user=str(user.ref) if user is not None else None,
            )
        log.info("customer deleted by an admin", extra={"customer_id": customer_id})

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    async def _customer(session: AsyncSession, customer_id: int) -> Customer:
        customer = await CustomerRepository(session).get(customer_id)
        if customer is None:
            raise DomainError("admin-customer-not-found")
        return customer

    async def _view(self, customer_id: int) -> CustomerView:
        async with self._db.session() as session:
            return CustomerView.of(await self._customer(session, customer_id))

    async def _find(self, view: CustomerView) -> PanelUser | None:
        return await self._link.find(view)

    async def _require_user(self, view: CustomerView) -> PanelUser:
        user = await self._find(view)
        if user is None:
            raise DomainError("admin-customer-no-panel-user")
        return user

    @staticmethod
    async def _call(work: Awaitable[T]) -> T:
        try:
            return await work
        except PanelUnavailable as exc:
            raise ServiceUnavailable() from exc
        except PanelError as exc:
            log.error("panel refused an admin action: %s", exc)
            raise DomainError("admin-customer-panel-refused") from exc

    @staticmethod
    async def _store_access(session: AsyncSession, customer_id: int, user: PanelUser) -> None:
        """Mirror the panel's expiry and device limit in the customer's current subscription."""
        subscriptions = SubscriptionRepository(session)
        current = await subscriptions.get_current(customer_id)
        await subscriptions.set_current(
            customer_id,
            kind=current.kind if current else SubscriptionKind.BONUS.value,
            tariff_code=current.tariff_code if current else None,
            expires_at=user.expire_at,
            traffic_limit_bytes=current.traffic_limit_bytes if current else user.traffic_limit_bytes,
            device_limit=user.hwid_device_limit,
        )

    @staticmethod
    async def _audit(
        session: AsyncSession, actor: int, action: str, customer_id: int, **details: Any
    ) -> None:
        await AuditRepository(session).record(actor, action, target_customer_id=customer_id, details=details)
