"""Customers: registration, profile, trial flag, panel link and balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import BalanceEntry, Customer, new_referral_code, utcnow
from remnastore.db.session import (
    Dialect,
    dialect_insert,
    dialect_of,
    driverless_dialect,
    insert_ignoring_conflicts,
)
from remnastore.domain.money import Money

REFERRAL_CODE_ATTEMPTS = 8
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


class InsufficientBalance(Exception):
    """A debit would take the balance below zero; the unit of work must be rolled back."""


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


#: The most newcomers one registering statement takes (13 parameters each). Statements are built for
#: powers of two up to it (a group of 37 is registered as 32, 4 and 1), so that no more than seven of
#: them take places in SQLAlchemy's cache of compiled statements (per dialect).
REGISTRATION_BATCH = 64


@dataclass(frozen=True, slots=True)
class Newcomer:
    """Someone to register, as Telegram describes them."""

    telegram_id: int
    username: str | None
    first_name: str | None
    last_name: str | None
    language: str
    start_payload: str | None = None
    referred_by_id: int | None = None


_COLUMNS = (
    "telegram_id",
    "username",
    "first_name",
    "last_name",
    "language",
    "start_payload",
    "referred_by_id",
    "referral_code",
    "created_at",
    "updated_at",
    "last_seen_at",
    "is_banned",  # the columns' defaults, given: a text statement does not fill them in
    "balance_minor",
)
_PARAMETERS = [tuple(f"{column}_{row}" for column in _COLUMNS) for row in range(REGISTRATION_BATCH)]
_registrations: dict[tuple[Dialect, int], Executable] = {}


def _registration(session: AsyncSession, rows: int) -> Executable:
    """The registering ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` of ``rows`` newcomers for the
    session's dialect, built once per size with parameters (``telegram_id_0``, ...): a statement built per
    call with the values in it made SQLAlchemy walk every value for the statement's cache key.

    It runs as the text of that statement: SQLAlchemy keeps no compiled form of an ``INSERT`` of several
    ``VALUES`` rows (each group's statement was compiled afresh, 0.2-0.4 ms), while a text is compiled
    once and then taken from its statement cache."""
    key = (dialect_of(session), rows)
    statement = _registrations.get(key)
    if statement is None:
        table = Customer.__table__
        values: list[dict[str, Any]] = [
            {column: bindparam(name) for column, name in zip(_COLUMNS, _PARAMETERS[row], strict=True)}
            for row in range(rows)
        ]
        insert = (
            insert_ignoring_conflicts(session, Customer)
            .values(values if rows > 1 else values[0])
            .returning(*table.columns)  # the new rows themselves: one statement registers the newcomers
        )
        # the SQL in the dialect's words, with :name parameters (no driver's casts) for text()
        compiled = insert.compile(dialect=driverless_dialect(session, paramstyle="named"))
        unfilled = set(compiled.binds) - {name for names in _PARAMETERS[:rows] for name in names}
        if unfilled:  # a column default the text would not fill in: name its column in _COLUMNS
            raise RuntimeError(f"registration gives no values for {sorted(unfilled)}")
        parameters = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
        textual = text(str(compiled)).bindparams(*parameters).columns(*table.columns)
        statement = _registrations[key] = (
            select(Customer).from_statement(textual).execution_options(populate_existing=True)
        )
    return statement


def _statement_rows(waiting: int) -> int:
    """How many of ``waiting`` newcomers the next registering statement takes: a power of two."""
    return min(REGISTRATION_BATCH, 1 << (waiting.bit_length() - 1))


def _registration_values(newcomers: Sequence[Newcomer]) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {}
    for row, newcomer in enumerate(newcomers):
        names = _PARAMETERS[row]
        values.update(
            zip(
                names,
                (
                    newcomer.telegram_id,
                    newcomer.username,
                    newcomer.first_name,
                    newcomer.last_name,
                    newcomer.language,
                    newcomer.start_payload,
                    newcomer.referred_by_id,
                    new_referral_code(),
                    now,
                    now,
                    now,
                    False,
                    0,
                ),
                strict=True,
            )
        )
    return values


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: int) -> Customer | None:
        return await self.session.get(Customer, customer_id)

    async def get_by_telegram_id(self, telegram_id: int) -> Customer | None:
        return await self._one(select(Customer).where(Customer.telegram_id == telegram_id))

    async def get_by_username(self, username: str) -> Customer | None:
        """Case-insensitive, ignores a leading ``@``; the most recently seen holder wins."""
        name = username.strip().lstrip("@").lower()
        if not name:
            return None
        query = (
            select(Customer)
            .where(func.lower(Customer.username) == name)
            .order_by(Customer.last_seen_at.desc(), Customer.id.desc())
            .limit(1)
        )
        return await self._one(query)

    async def get_by_referral_code(self, code: str) -> Customer | None:
        normalized = code.strip().upper()
        if not normalized:
            return None
        return await self._one(select(Customer).where(Customer.referral_code == normalized))

    async def get_by_panel_username(self, panel_username: str) -> Customer | None:
        return await self._one(select(Customer).where(Customer.panel_username == panel_username).limit(1))

    async def register(
        self,
        telegram_id: int,
        *,
        username: str | None,
        first_name: str | None,
        last_name: str | None,
        language: str,
        start_payload: str | None,
        referred_by_id: int | None = None,
    ) -> tuple[Customer, bool]:
        """The customer for ``telegram_id``, created if missing; ``True`` only for the call that created it.

        One newcomer's :meth:`register_all`.
        """
        newcomer = Newcomer(
            telegram_id, username, first_name, last_name, language, start_payload, referred_by_id
        )
        return (await self.register_all([newcomer]))[telegram_id]

    async def register_all(self, newcomers: Sequence[Newcomer]) -> dict[int, tuple[Customer, bool]]:
        """The customers for the newcomers' Telegram ids, each created if missing, with ``True`` for those
        this call created (one row per Telegram id: the first newcomer given for it is registered).

        Safe under concurrency: ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the new rows (statements of
        1, 2, 4 .. :data:`REGISTRATION_BATCH` rows), then ``SELECT`` only those whose row existed. A clash
        on the (random) referral code is retried with a new code.
        """
        found: dict[int, tuple[Customer, bool]] = {}
        unique: dict[int, Newcomer] = {}
        for newcomer in newcomers:
            unique.setdefault(newcomer.telegram_id, newcomer)
        waiting = list(unique.values())
        for _ in range(REFERRAL_CODE_ATTEMPTS):
            start = 0
            while start < len(waiting):
                rows = _statement_rows(len(waiting) - start)
                await self._register_batch(waiting[start : start + rows], found)
                start += rows
            waiting = [newcomer for newcomer in waiting if newcomer.telegram_id not in found]
            if not waiting:
                return found
        raise RuntimeError("could not generate a unique referral code")

    async def _register_batch(
        self, newcomers: Sequence[Newcomer], found: dict[int, tuple[Customer, bool]]
    ) -> None:
        statement = _registration(self.session, len(newcomers))
        inserted = (await self.session.execute(statement, _registration_values(newcomers))).scalars()
        for customer in inserted:
            found[customer.telegram_id] = (customer, True)
        existing = [newcomer.telegram_id for newcomer in newcomers if newcomer.telegram_id not in found]
        if existing:
            query = select(Customer).where(Customer.telegram_id.in_(existing))
            for customer in await self.session.scalars(query.execution_options(populate_existing=True)):
                found[customer.telegram_id] = (customer, False)

    async def touch(
        self,
        customer: Customer,
        *,
        username: str | None,
        first_name: str | None,
        last_name: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Record that the customer was seen; writes only if the profile changed, the customer had
        blocked the bot, or ``last_seen_at`` is older than :data:`LAST_SEEN_RESOLUTION`.

        Returns whether anything was written.
        """
        now = now or utcnow()
        changes: dict[str, Any] = {}
        for field, value in (("username", username), ("first_name", first_name), ("last_name", last_name)):
            if getattr(customer, field) != value:
                changes[field] = value
        if customer.blocked_bot_at is not None:
            changes["blocked_bot_at"] = None  # a customer who writes to us has unblocked the bot
        if changes or now - customer.last_seen_at >= LAST_SEEN_RESOLUTION:
            changes["last_seen_at"] = now
        if not changes:
            return False
        for field, value in changes.items():
            setattr(customer, field, value)
        await self.session.flush()
        return True

    async def set_language(self, customer: Customer, language: str) -> None:
        customer.language = language
        await self.session.flush()

    async def set_banned(self, customer: Customer, banned: bool) -> None:
        customer.is_banned = banned
        await self.session.flush()

    async def set_panel_link(
        self,
        customer: Customer,
        *,
        panel_user_id: int | None,
        panel_uuid: str | None,
        panel_username: str | None,
    ) -> None:
        customer.panel_user_id = panel_user_id
        customer.panel_uuid = panel_uuid
        customer.panel_username = panel_username
        await self.session.flush()

    async def claim_trial(self, customer_id: int, now: datetime) -> bool:
        """Mark the trial as used; ``True`` only for the single caller whose update set it."""
        statement = (
            update(Customer)
            .where(Customer.id == customer_id, Customer.trial_used_at.is_(None))
            .values(trial_used_at=now, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def reset_trial(self, customer_id: int) -> None:
        statement = (
            update(Customer)
            .where(Customer.id == customer_id)
            .values(trial_used_at=None, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        await self.session.execute(statement)

    async def mark_blocked(self, telegram_id: int, at: datetime) -> bool:
        """Note that the customer blocked the bot (messages to them fail); False if unknown."""
        statement = (
            update(Customer)
            .where(Customer.telegram_id == telegram_id)
            .values(blocked_bot_at=at, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(await self.session.execute(statement)) > 0

    async def set_pending_promo(self, customer: Customer, code: str | None) -> None:
        customer.pending_promo_code = code
        await self.session.flush()

    async def count(self) -> int:
        return int((await self.session.execute(select(func.count()).select_from(Customer))).scalar_one())

    async def change_balance(
        self,
        customer_id: int,
        delta: Money,
        *,
        reason: str,
        idempotency_key: str,
        order_id: str | None = None,
    ) -> bool:
        """Apply ``delta`` once per ``idempotency_key``: a ledger row plus the cached balance.

        Returns False if this key was already applied. Raises :class:`InsufficientBalance` if a debit
        would go below zero; the ledger row is then already written, so the caller must roll back
        (``Database.session()`` does so when the exception leaves the block).
        """
        inserted = (
            await self.session.execute(
                dialect_insert(self.session, BalanceEntry)
                .values(
                    customer_id=customer_id,
                    delta_minor=delta.minor,
                    currency=delta.currency,
                    reason=reason,
                    order_id=order_id,
                    idempotency_key=idempotency_key,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing()
                .returning(BalanceEntry.id)
            )
        ).scalar_one_or_none()
        if inserted is None:
            return False
        statement = (
            update(Customer)
            .where(Customer.id == customer_id, Customer.balance_minor + delta.minor >= 0)
            .values(balance_minor=Customer.balance_minor + delta.minor, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        if _rowcount(await self.session.execute(statement)) != 1:
            raise InsufficientBalance(f"customer {customer_id}: balance would go below zero")
        return True

    async def ledger(self, customer_id: int, limit: int = 10) -> Sequence[BalanceEntry]:
        """The customer's latest balance movements, newest first."""
        query = (
            select(BalanceEntry)
            .where(BalanceEntry.customer_id == customer_id)
            .order_by(BalanceEntry.created_at.desc(), BalanceEntry.id.desc())
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def _one(self, query: Any) -> Customer | None:
        return cast(Customer | None, (await self.session.execute(query)).scalars().first())
