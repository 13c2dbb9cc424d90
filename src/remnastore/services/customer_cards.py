"""What the admins' customer screens show (services/customer_admin.py fills them): a row of a list, and a
customer's card with the panel's view of them and their recent orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remnastore.db.models import Customer
from remnastore.domain.money import Money


@dataclass(frozen=True)
class CustomerRow:
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    panel_username: str | None
    is_banned: bool
    created_at: datetime

    @classmethod
    def of(cls, customer: Customer) -> CustomerRow:
        return cls(
            id=customer.id,
            telegram_id=customer.telegram_id,
            username=customer.username,
            first_name=customer.first_name,
            panel_username=customer.panel_username,
            is_banned=customer.is_banned,
            created_at=customer.created_at,
        )


@dataclass(frozen=True)
class PanelState:
    status: str
    expires_at: datetime
    used_bytes: int
    limit_bytes: int
    device_limit: int | None
    link: str


@dataclass(frozen=True)
class OrderLine:
    id: str
    created_at: datetime
    status: str
    provider: str
    amount: Money


@dataclass(frozen=True)
class CustomerCard:
    row: CustomerRow
    language: str
    last_seen_at: datetime
    trial_used_at: datetime | None
    balance: Money
    referrer_telegram_id: int | None
    subscription_kind: str | None
    subscription_tariff: str | None
    subscription_expires_at: datetime | None
    #: the panel's status as the shop last learnt it (None: not told yet)
    subscription_panel_status: str | None
    panel: PanelState | None
    panel_unavailable: bool
    orders_count: int
    paid: list[Money]
    recent_orders: list[OrderLine]
    invited: int
    invited_paying: int
    promos: list[tuple[str, str]]
