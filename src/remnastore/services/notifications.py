"""What services tell people, without knowing how: the bot layer implements these protocols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from remnastore.domain.catalogue import Period, Tariff
from remnastore.domain.money import Money


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    language: str


class CustomerNotifier(Protocol):
    async def order_fulfilled(
        self, to: Recipient, *, tariff_name: str, expires_at: datetime, link: str, amount: Money
    ) -> None: ...

    async def payment_failed(self, to: Recipient, *, amount: Money) -> None: ...

    async def payment_refunded(self, to: Recipient, *, amount: Money) -> None: ...

    async def balance_topped_up(self, to: Recipient, *, amount: Money, balance: Money) -> None: ...

    async def addon_fulfilled(self, to: Recipient, *, kind: str, added: int, total: int) -> None:
        """An add-on was applied: ``kind`` "traffic" (``added``/``total`` in GB) or "devices"."""
        ...


class AdminNotifier(Protocol):
    """The shop's log chat and admins: payments, problems that need a person."""

    async def payment_received(
        self, *, order_id: str, customer_telegram_id: int, provider: str, amount: Money, item: str
    ) -> None: ...

    async def alert(self, text_key: str, **args: str | int) -> None: ...


class ShopEvents(Protocol):
    """Events worth a line in the shop's log chat. Calls return at once: delivery happens in the
    background with a timeout, and a failure is only logged, never raised to the caller."""

    def new_customer(self, *, telegram_id: int, name: str, username: str | None) -> None: ...

    def trial_started(self, *, telegram_id: int, days: int) -> None: ...

    def promo_used(self, *, telegram_id: int, code: str, effect: str) -> None: ...


class RenewalNotifier(Protocol):
    async def renewal_upcoming(
        self, to: Recipient, *, amount: Money, charge_at: datetime, card: str | None
    ) -> None: ...

    async def renewal_succeeded(self, to: Recipient, *, amount: Money, card: str | None) -> None: ...

    async def renewal_failed(
        self, to: Recipient, *, amount: Money, retry_at: datetime | None, reason: str
    ) -> None:
        """``retry_at`` None: no more attempts for this period. ``reason``: "declined" or "balance"."""
        ...

    async def card_kept(self, to: Recipient, *, card: str | None) -> None:
        """After a purchase asking to keep the card: on with ``card``, or (None) the card was not kept."""
        ...

    def charge_description(self, tariff: Tariff, period: Period, language: str) -> str:
        """What the renewal charge is called on the customer's statement and receipt."""
        ...
