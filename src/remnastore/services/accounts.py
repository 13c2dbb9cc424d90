"""Customers: registration on first contact, profile refresh, language, deep-link payloads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from remnastore.db.models import Customer
from remnastore.db.repositories.campaigns import CampaignRepository
from remnastore.db.repositories.customers import (
    LAST_SEEN_RESOLUTION,
    REGISTRATION_BATCH,
    CustomerRepository,
    Newcomer,
)
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.session import Database
from remnastore.domain.deep_links import PayloadKind, parse_start_payload
from remnastore.infra.batches import Batcher
from remnastore.locales import SUPPORTED_LANGUAGES, resolve_language
from remnastore.services.notifications import ShopEvents

if TYPE_CHECKING:
    from remnastore.services.customer_cache import CustomerCache

log = logging.getLogger(__name__)
#: How many Telegram ids an :class:`AccountService` remembers as registered before it starts afresh.
KNOWN_LIMIT = 100_000  # about 7 MB


@dataclass(frozen=True)
class TelegramProfile:
    """Who is talking to the bot, as Telegram describes them."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class CustomerView:
    id: int
    telegram_id: int
    first_name: str
    username: str | None
    language: str
    is_banned: bool
    trial_used: bool
    referral_code: str
    panel_user_id: int | None
    panel_uuid: str | None
    #: the promo code the customer entered and has not used yet (checked again when it is applied)
    pending_promo_code: str | None

    @property
    def panel_ref(self) -> int | str | None:
        return self.panel_user_id if self.panel_user_id is not None else self.panel_uuid

    @classmethod
    def of(cls, customer: Customer) -> CustomerView:
        return cls(
            id=customer.id,
            telegram_id=customer.telegram_id,
            first_name=customer.first_name or "",
            username=customer.username,
            language=customer.language,
            is_banned=customer.is_banned,
            trial_used=customer.trial_used_at is not None,
            referral_code=customer.referral_code,
            panel_user_id=customer.panel_user_id,
            panel_uuid=customer.panel_uuid,
            pending_promo_code=customer.pending_promo_code,
        )


@dataclass(frozen=True)
class Arrival:
    customer: CustomerView
    created: bool


class AccountService:
    def __init__(
        self,
        db: Database,
        *,
        default_language: str,
        events: ShopEvents | None = None,
        cache: CustomerCache | None = None,
    ) -> None:
        self._db = db
        self._default_language = default_language
        self._events = events
        self._cache = cache
        #: Newcomers who arrive together are registered together: one statement and one commit for all who
        #: came while the previous group registered (SQLite's writers take turns; PostgreSQL saves the
        #: per-statement work of each)
        self._registrations: Batcher[Newcomer, tuple[Customer, bool]] = Batcher(
            self._register, limit=REGISTRATION_BATCH, name="registrations"
        )
        #: Telegram ids this process found or registered in the database. Someone not among them is most
        #: likely new: they are registered straight away (the registration finds an existing row itself).
        self._known: set[int] = set()

    async def arrive(self, profile: TelegramProfile) -> Arrival:
        """Find or register (race-safe) the customer behind an update and refresh their profile.

        With a cache, a known customer whose profile is unchanged and whose last-seen mark is fresh
        costs no database round trip.
        """
        first_name = _clip(profile.first_name, 128)
        last_name = _clip(profile.last_name, 128)
        if self._cache is not None:
            cached = await self._cache.get(profile.telegram_id)
            if cached is not None:
                self._remember(profile.telegram_id)  # their row exists: looked up first if needed
                if (
                    cached.matches(profile.username, first_name, last_name)
                    and utcnow() - cached.last_seen_at < LAST_SEEN_RESOLUTION
                ):
                    return Arrival(cached.view, False)
        arrival, row = await self._arrive(profile)
        if self._cache is not None:
            await self._cache.put(
                arrival.customer,
                username=row.username,
                first_name=row.first_name,
                last_name=row.last_name,
                last_seen_at=row.last_seen_at,
                registered=arrival.created,
            )
        return arrival

    async def _arrive(self, profile: TelegramProfile) -> tuple[Arrival, Customer]:
        newcomer = Newcomer(
            profile.telegram_id,
            username=profile.username,
            first_name=_clip(profile.first_name, 128),
            last_name=_clip(profile.last_name, 128),
            language=resolve_language(profile.language_code, self._default_language),
        )
        customer = None
        if profile.telegram_id in self._known:
            # each statement stands alone: no BEGIN and COMMIT
            async with self._db.session(statementwise=True) as session:
                customers = CustomerRepository(session)
                customer = await customers.get_by_telegram_id(profile.telegram_id)
                if customer is not None:
                    await _touch(customers, customer, newcomer)
        created = False
        if customer is None:
            # someone new (most likely): registered straight away, which finds an existing row itself
            customer, created = await self._registrations.submit(newcomer)
        arrival = Arrival(CustomerView.of(customer), created)
        self._remember(profile.telegram_id)
        if created and self._events is not None:  # told only once the registration is committed
            self._events.new_customer(
                telegram_id=profile.telegram_id,
                name=" ".join(p for p in (profile.first_name, profile.last_name) if p),
                username=profile.username,
            )
        return arrival, customer

    async def _register(self, newcomers: Sequence[Newcomer]) -> list[tuple[Customer, bool]]:
        """Register the newcomers in one unit of work (one statement for the new ones; a known one costs
        the statement's share and a ``SELECT``, and has their profile refreshed)."""
        arrivals: list[tuple[Customer, bool]] = []
        async with self._db.session(statementwise=True) as session:
            customers = CustomerRepository(session)
            found = await customers.register_all(newcomers)
            told: set[int] = set()
            for newcomer in newcomers:
                customer, created = found[newcomer.telegram_id]
                created = created and newcomer.telegram_id not in told  # the same person twice: new once
                told.add(newcomer.telegram_id)
                if created:
                    log.info("customer registered", extra={"customer_id": customer.id})
                else:
                    await _touch(customers, customer, newcomer)
                arrivals.append((customer, created))
        return arrivals

    def _remember(self, telegram_id: int) -> None:
        """Note a customer whose row exists (found, registered, or cached from it)."""
        if len(self._known) >= KNOWN_LIMIT:
            self._known.clear()
        self._known.add(telegram_id)

    async def apply_start_payload(self, customer: CustomerView, payload: str | None, *, is_new: bool) -> None:
        """Record what a deep link carried. Referrals count only for customers who just arrived."""
        parsed = parse_start_payload(payload)
        if parsed.kind is PayloadKind.NONE:
            return
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            row = await customers.get(customer.id)
            if row is None:
                return
            if is_new and row.start_payload is None:
                row.start_payload = parsed.raw[:64]
            if parsed.kind is PayloadKind.REFERRAL:
                if not is_new:
                    return
                referrer = await customers.get_by_referral_code(parsed.value)
                if referrer is None or referrer.id == row.id:
                    return
                if await ReferralRepository(session).record(referrer.id, row.id):
                    row.referred_by_id = referrer.id
                    log.info("referral recorded", extra={"customer_id": row.id, "referrer_id": referrer.id})
            elif parsed.kind is PayloadKind.PROMO:
                await customers.set_pending_promo(row, parsed.value[:64])
            elif parsed.kind is PayloadKind.CAMPAIGN:
                campaigns = CampaignRepository(session)
                campaign = await campaigns.get_by_code(parsed.value)
                if campaign is not None and campaign.is_active:
                    await campaigns.attribute(campaign.id, row.id)

    async def language_of(self, telegram_id: int) -> str | None:
        """The language a known customer chose (from the cache when it holds them); None for a stranger."""
        if self._cache is not None:
            cached = await self._cache.get(telegram_id)
            if cached is not None:
                return cached.view.language
        async with self._db.session() as session:
            row = await CustomerRepository(session).get_by_telegram_id(telegram_id)
            return row.language if row is not None else None

    async def set_language(self, customer: CustomerView, language: str) -> CustomerView:
        if language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            row = await customers.get(customer.id)
            if row is None:
                return customer
            await customers.set_language(row, language)
            return CustomerView.of(row)


async def _touch(customers: CustomerRepository, customer: Customer, seen: Newcomer) -> None:
    await customers.touch(
        customer, username=seen.username, first_name=seen.first_name, last_name=seen.last_name
    )


def _clip(value: str | None, length: int) -> str | None:
    """A profile text as stored: at most ``length`` characters, without NUL (which PostgreSQL cannot
    store in text; Telegram profiles are outside input)."""
    if value is None:
        return None
    return value.replace("\x00", "")[:length]


def utcnow() -> datetime:
    return datetime.now(UTC)
