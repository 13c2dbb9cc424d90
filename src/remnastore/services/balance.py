"""The customer's balance: what it holds and how it moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money, currency
from remnastore.domain.typed_numbers import NotATypedNumber, parse_typed_money
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
    def __init__(
        self, db: Database, *, currency: str, topups: list[Money], bounds: tuple[Money, Money] | None = None
    ) -> None:
        self._db = db
        self.currency = currency
        self.topups = topups
        self.bounds = bounds or (Money.from_decimal("1", currency), Money.from_decimal("1000000", currency))

    def parse_amount(self, text: str) -> Money:
        """A typed amount ("250", "250.50", "250,5 ₽") within the allowed bounds, or a refusal.

        The strict grammar of :mod:`remnastore.domain.typed_numbers` runs first: no exponent, sign or
        inner space ever reaches ``Decimal``."""
        low, high = self.bounds
        symbol = currency(self.currency).symbol
        cleaned = text.strip().removesuffix(symbol).removeprefix(symbol)  # "250 ₽", "$5"
        try:
            amount = parse_typed_money(cleaned, self.currency)
        except NotATypedNumber:
            raise DomainError("balance-amount-invalid", low=low.format(), high=high.format()) from None
        if not low.minor <= amount.minor <= high.minor:
            raise DomainError("balance-amount-invalid", low=low.format(), high=high.format())
        return amount

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
