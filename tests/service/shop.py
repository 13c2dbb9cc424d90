"""The order services wired as app.py wires them, around in-process fakes and the real database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Order
from remnastore.db.models import PaymentEvent as EventRow
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import load_catalogue
from remnastore.domain.money import Money
from remnastore.infra.clock import ManualClock
from remnastore.payments.base import EventKind, PaymentEvent
from remnastore.services.access_grant import AccessGrant
from remnastore.services.fulfilment import Fulfilment, FulfilmentFailures, OrderKinds
from remnastore.services.lifecycle import Lifecycle, OrderEvents
from remnastore.services.panel_link import PanelLink
from remnastore.services.promos import PromoService
from remnastore.services.settlement import Settlement
from remnastore.services.subscription_fulfilment import SubscriptionFulfilment
from tests.service.fakes import FakePanel, Notices, Recorder

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CATALOGUE = load_catalogue()
#: the fixed products a provider sells without an invoice of ours (Tribute's product links)
PRODUCTS = {"prod-standard-1m": ("standard", "1m"), "prod-nowhere": ("gold", "1m")}


@dataclass
class TaxReceipts:
    """The tax receipt queue's hook: which orders it was asked to queue or cancel, and when, and the
    order's status as the settling transaction shows it (the hook writes in that transaction)."""

    calls: list[tuple[str, str, datetime]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    #: awaited inside the settling transaction before anything is queued (to hold a transaction open)
    pause: Callable[[], Awaitable[object]] | None = None

    async def order_paid(self, session: AsyncSession, order: Order, now: datetime) -> None:
        await self._see(session, order)
        self.calls.append(("paid", order.id, now))

    async def order_refunded(self, session: AsyncSession, order: Order, now: datetime) -> None:
        await self._see(session, order)
        self.calls.append(("refunded", order.id, now))

    async def _see(self, session: AsyncSession, order: Order) -> None:
        if self.pause is not None:
            await self.pause()
        status = await session.scalar(select(Order.status).where(Order.id == order.id))
        self.seen.append(str(status))


class Shop:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.clock = ManualClock(NOW)
        self.panel = FakePanel()
        self.notices = Notices()
        self.recorder = Recorder()
        self.receipts = TaxReceipts()
        self.outcomes: list[tuple[str, str]] = []
        link = PanelLink(db, self.panel, username_prefix="tg_")
        self.access = AccessGrant(db, self.panel, link, self.clock)
        self.promos = PromoService(
            db,
            link,
            self.clock,
            access=self.access,
            balance_currency="RUB",
        )
        self.lifecycle = Lifecycle(self.clock, self.recorder.attach(OrderEvents()), promos=self.promos)
        self.settlement = Settlement(
            db,
            self.clock,
            CATALOGUE,
            lifecycle=self.lifecycle,
            admins=self.notices,
            product_lookups={"tribute": PRODUCTS.get},
            on_outcome=lambda provider, outcome: self.outcomes.append((provider, outcome)),
            tax_receipts=self.receipts,
        )
        self.failures = FulfilmentFailures(db, self.clock, self.notices)
        self.fulfilment = Fulfilment(db, self.clock, OrderKinds(), self.failures, self.notices)
        self.subscriptions = SubscriptionFulfilment(
            db,
            self.panel,
            link,
            CATALOGUE,
            self.clock,
            customers=self.notices,
            admins=self.notices,
            default_squads=(),
            lifecycle=self.lifecycle,
            access=self.access,
            failed=self.failures,
        )
        self.fulfilment.kinds.register("subscription", self.subscriptions)

    async def order(
        self, customer_id: int, provider: str = "yookassa", *, payment_id: str | None = None
    ) -> str:
        """A pending 199 RUB order; ``payment_id``: the provider's payment made for it (its invoice)."""
        async with self.db.session() as session:
            orders = OrderRepository(session)
            order = await orders.create(
                customer_id,
                kind="subscription",
                amount=Money(19900, "RUB"),
                provider=provider,
                tariff_code="standard",
                period_code="1m",
                days=30,
            )
            if payment_id is not None:
                await orders.set_provider_payment(order, provider_payment_id=payment_id)
            return order.id

    async def get(self, order_id: str) -> Order:
        async with self.db.session() as session:
            order = await OrderRepository(session).get(order_id)
        assert order is not None
        return order

    async def events(self, provider: str, payment_id: str) -> list[tuple[str, str | None, Money, dict]]:
        """The payment's notifications on record: (kind, order, amount, raw)."""
        async with self.db.session() as session:
            rows: list[EventRow] = list(await OrderRepository(session).events(provider, payment_id))
        return [(r.kind, r.order_id, Money(r.amount_minor, r.currency), dict(r.raw)) for r in rows]


def event(
    order_id: str | None,
    kind: EventKind = EventKind.PAID,
    *,
    amount: int | None = 19900,
    currency: str = "RUB",
    payment_id: str | None = None,
    provider: str = "yookassa",
    raw: dict | None = None,
    saved_method_id: str | None = None,
) -> PaymentEvent:
    """A provider's notification about order ``order_id``; its payment id is ``pay-<order>`` unless given."""
    return PaymentEvent(
        provider=provider,
        provider_payment_id=payment_id or f"pay-{order_id}",
        kind=kind,
        order_id=order_id,
        amount=Money(amount, currency) if amount is not None else None,
        occurred_at=NOW,
        saved_method_id=saved_method_id,
        raw=raw or {},
    )
