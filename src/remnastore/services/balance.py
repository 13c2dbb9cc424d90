"""The customer's balance: what it holds and how it moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.session import Database
from remnastore.domain.money import Money
from remnastore.services.accounts import CustomerView


@dataclass(frozen=True)
class Movement:
    at: datetime
    amount: Money
    reason: str


@dataclass(frozen=True)
class BalanceView:
    balance: Money
    movements: list[Movement]


class BalanceService:
    def __init__(self, db: Database, *, currency: str, topups: list[Money]) -> None:
        self._db = db
        self.currency = currency
        self.topups = topups

    async def overview(self, customer: CustomerView, limit: int = 8) -> BalanceView:
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            row = await customers.get(customer.id)
            entries = await customers.ledger(customer.id, limit)
            balance = Money(row.balance_minor if row is not None else 0, self.currency)
            return BalanceView(
                balance, [Movement(e.created_at, Money(e.delta_minor, e.currency), e.reason) for e in entries]
            )

    def topup(self, index: int) -> Money | None:
        """A configured top-up amount by its position (buttons carry the position, never an amount)."""
        return self.topups[index] if 0 <= index < len(self.topups) else None
