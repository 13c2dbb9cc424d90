"""Cabinet credentials in the database: sign-in links (single use), browser sessions (with their CSRF
token) and used Mini App sign-ins (so the same ``initData`` cannot sign in twice).

Only digests are stored; a link is consumed by one conditional UPDATE, so two browsers presenting the
same link at once cannot both get in. "Sign out everywhere" deletes a customer's sessions, links and
one-time codes (see codes.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError

from remnastore.cabinet.auth import (
    LinkTokens,
    MiniAppSignIn,
    SignInRefused,
    digest,
    redacted,
    verify_init_data,
)
from remnastore.db.models import CabinetToken, Customer
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.services.accounts import AccountService, CustomerView, TelegramProfile

log = logging.getLogger(__name__)


class TokenKind(StrEnum):
    LINK = "link"
    SESSION = "session"
    INIT_DATA = "initdata"
    CODE = "code"


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``token`` goes into the cookie and nowhere else."""

    token: str
    customer: CustomerView


@dataclass(frozen=True)
class CabinetSession:
    """The customer behind a session cookie, and the CSRF token its forms must carry."""

    customer: CustomerView
    csrf: str
    digest: str


class CabinetAccess:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        accounts: AccountService,
        *,
        bot_token: str,
        links: LinkTokens,
        link_ttl: timedelta,
        reminder_link_ttl: timedelta,
        session_ttl: timedelta,
        init_data_age: timedelta,
    ) -> None:
        self._db = db
        self._clock = clock
        self._accounts = accounts
        self._bot_token = bot_token
        self._links = links
        self.link_ttl = link_ttl
        #: links sent in expiry reminders live longer: the customer may read them days later
        self.reminder_link_ttl = reminder_link_ttl
        self.session_ttl = session_ttl
        self._init_data_age = init_data_age

    async def issue_link(self, customer_id: int, *, ttl: timedelta | None = None) -> str:
        """A new personal sign-in link token for this customer (valid for ``ttl``, by default
        ``link_ttl``, once)."""
        token = self._links.new()
        now = self._clock.now()
        async with self._db.session() as session:
            session.add(
                CabinetToken(
                    kind=TokenKind.LINK,
                    digest=digest(token),
                    customer_id=customer_id,
                    created_at=now,
                    expires_at=now + (ttl or self.link_ttl),
                )
            )
        log.info("cabinet sign-in link issued", extra={"customer_id": customer_id})
        return token

    async def sign_in_with_link(self, token: str) -> NewSession:
        """Consume the link (atomically: only the first of concurrent attempts wins) and open a session."""
        customer_id = await self.consume(TokenKind.LINK, self._links.check(token))
        if customer_id is None:
            log.info("cabinet sign-in link refused (used, expired or unknown): %s", redacted(token))
            raise SignInRefused("sign-in link used, expired or revoked")
        return await self.open_session(customer_id)

    async def consume(self, kind: TokenKind, digest: str) -> int | None:
        """Use up a single-use token (a link or a code) by one conditional UPDATE, so that only the first
        of concurrent attempts wins; its customer, or None when it is unknown, used or expired."""
        now = self._clock.now()
        async with self._db.session() as session:
            result = await session.execute(
                update(CabinetToken)
                .where(
                    CabinetToken.kind == kind,
                    CabinetToken.digest == digest,
                    CabinetToken.used_at.is_(None),
                    CabinetToken.expires_at > now,
                )
                .values(used_at=now)
            )
            if cast(CursorResult[Any], result).rowcount != 1:
                return None
            query = select(CabinetToken.customer_id).where(
                CabinetToken.kind == kind, CabinetToken.digest == digest
            )
            return int((await session.execute(query)).scalar_one())

    def verify_launch(self, init_data: str) -> MiniAppSignIn:
        """Mini App launch data checked (signature, freshness); whether it was used is not looked at."""
        return verify_init_data(
            init_data, self._bot_token, now=self._clock.now(), max_age=self._init_data_age
        )

    async def sign_in_with_telegram(self, init_data: str) -> NewSession:
        """A Mini App launch: verified, refused if seen before, the customer found or registered."""
        now = self._clock.now()
        signed = self.verify_launch(init_data)
        arrival = await self._accounts.arrive(
            TelegramProfile(
                telegram_id=signed.telegram_id,
                first_name=signed.first_name,
                last_name=signed.last_name,
                username=signed.username,
                language_code=signed.language_code,
            )
        )
        try:
            async with self._db.session() as session:
                session.add(
                    CabinetToken(
                        kind=TokenKind.INIT_DATA,
                        digest=signed.digest,
                        customer_id=arrival.customer.id,
                        created_at=now,
                        expires_at=signed.auth_date + self._init_data_age + timedelta(minutes=5),
                    )
                )
                await session.flush()
        except IntegrityError:
            log.info("cabinet Mini App sign-in replayed", extra={"customer_id": arrival.customer.id})
            raise SignInRefused("init data already used") from None
        return await self.open_session(arrival.customer.id)

    async def open_session(self, customer_id: int) -> NewSession:
        """A new session for this customer (refused when the customer is unknown or banned)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._db.session() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None or customer.is_banned:
                raise SignInRefused("customer unknown or banned")
            session.add(
                CabinetToken(
                    kind=TokenKind.SESSION,
                    digest=digest(token),
                    customer_id=customer_id,
                    csrf=secrets.token_urlsafe(24),
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
            view = CustomerView.of(customer)
        log.info("cabinet session opened", extra={"customer_id": customer_id})
        return NewSession(token, view)

    async def session(self, token: str) -> CabinetSession | None:
        """The live session behind a cookie value (None: unknown, expired, signed out or banned)."""
        if not token or len(token) > 128:
            return None
        stored = digest(token)
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(CabinetToken, Customer)
                    .join(Customer, Customer.id == CabinetToken.customer_id)
                    .where(
                        CabinetToken.kind == TokenKind.SESSION,
                        CabinetToken.digest == stored,
                        CabinetToken.expires_at > self._clock.now(),
                    )
                )
            ).first()
            if row is None:
                return None
            token_row, customer = row
            if customer.is_banned:
                return None
            return CabinetSession(CustomerView.of(customer), token_row.csrf or "", stored)

    async def refresh_customer(self, current: CabinetSession) -> CabinetSession:
        """The same session with the customer as stored now (after a change of language)."""
        async with self._db.session() as session:
            customer = await session.get(Customer, current.customer.id)
            if customer is None:
                return current
            return CabinetSession(CustomerView.of(customer), current.csrf, current.digest)

    async def sign_out(self, current: CabinetSession) -> None:
        async with self._db.session() as session:
            await session.execute(
                delete(CabinetToken).where(
                    CabinetToken.kind == TokenKind.SESSION, CabinetToken.digest == current.digest
                )
            )

    async def sign_out_everywhere(self, customer_id: int) -> int:
        """End every session of this customer and void every unused sign-in link and code; how many
        ended."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(CabinetToken).where(
                    CabinetToken.customer_id == customer_id,
                    CabinetToken.kind.in_([TokenKind.SESSION, TokenKind.LINK, TokenKind.CODE]),
                )
            )
            ended = cast(CursorResult[Any], result).rowcount
        log.info("cabinet: signed out everywhere", extra={"customer_id": customer_id})
        return ended

    async def purge_stale(self) -> None:
        """Forget expired credentials (a scheduled job); used Mini App hashes go once they are stale."""
        async with self._db.session() as session:
            await session.execute(delete(CabinetToken).where(CabinetToken.expires_at <= self._clock.now()))
