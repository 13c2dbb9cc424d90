"""One-time sign-in codes: the bot gives a customer who is in Telegram on another device a short code,
which the cabinet's sign-in page takes instead of a link.

A code is eight digits: the first two name the code (a "slot", not secret), the other six are its secret.
Only a keyed digest of the whole code is stored; a code is valid for a few minutes and is consumed by one
conditional UPDATE, like a link. Guessing is limited twice over with the shop's rate limiter: a slot
takes :data:`CODE_ATTEMPTS` wrong codes, after which every code of that slot is refused until it expired
anyway, and one client address takes :data:`ADDRESS_ATTEMPTS` wrong codes per window before it is
refused for a while. Wrong, expired, used and blocked codes are refused alike.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from remnastore.cabinet.auth import SignInRefused
from remnastore.cabinet.sessions import CabinetAccess, NewSession, TokenKind
from remnastore.db.models import CabinetToken
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.infra.clock import Clock
from remnastore.infra.ratelimit import Limits, RateLimiter

log = logging.getLogger(__name__)

#: wrong codes a slot takes before its codes are refused (until they expired anyway)
CODE_ATTEMPTS = 5
#: wrong codes one client address may enter per window before it is refused for a while
ADDRESS_ATTEMPTS = 10
ADDRESS_WINDOW = timedelta(minutes=10)
ADDRESS_BAN = timedelta(minutes=15)
_SLOTS = 100
_CODE = re.compile(r"[0-9]{8}", re.ASCII)


def code_limits(ttl: timedelta) -> Limits:
    """Wrong codes per slot: the attempt after the last allowed one blocks the slot for a code's life."""
    seconds = ttl.total_seconds()
    return Limits(events=CODE_ATTEMPTS - 1, window=seconds, ban=seconds, strikes=1)


def address_limits() -> Limits:
    return Limits(
        events=ADDRESS_ATTEMPTS - 1,
        window=ADDRESS_WINDOW.total_seconds(),
        ban=ADDRESS_BAN.total_seconds(),
        strikes=1,
    )


def _key(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.sha256(f"code-{kind}:{value}".encode()).digest()[:7], "big")


def shown(code: str) -> str:
    """A code as the bot shows it: two groups of four digits."""
    return f"{code[:4]} {code[4:]}"


class SignInCodes:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        access: CabinetAccess,
        *,
        secret: bytes,
        ttl: timedelta,
        per_code: RateLimiter,
        per_address: RateLimiter,
    ) -> None:
        self._db = db
        self._clock = clock
        self._access = access
        self._secret = secret
        self.ttl = ttl
        self._per_code = per_code
        self._per_address = per_address

    @property
    def minutes(self) -> int:
        return int(self.ttl.total_seconds() // 60)

    def _digest(self, code: str) -> str:
        return hmac.new(self._secret, f"code:{code}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, customer_id: int) -> str:
        """A new code for this customer (their earlier unused codes are voided); a DomainError while
        somebody's guessing has blocked the slots drawn."""
        now = self._clock.now()
        for _ in range(20):
            slot = f"{secrets.randbelow(_SLOTS):02d}"
            if await self._per_code.is_banned(_key("slot", slot)):
                continue  # somebody is guessing in this slot
            code = slot + f"{secrets.randbelow(10**6):06d}"
            try:
                async with self._db.session() as session:
                    await session.execute(
                        delete(CabinetToken).where(
                            CabinetToken.customer_id == customer_id,
                            CabinetToken.kind == TokenKind.CODE,
                            CabinetToken.used_at.is_(None),
                        )
                    )
                    session.add(
                        CabinetToken(
                            kind=TokenKind.CODE,
                            digest=self._digest(code),
                            customer_id=customer_id,
                            created_at=now,
                            expires_at=now + self.ttl,
                        )
                    )
                    await session.flush()
            except IntegrityError:
                continue  # the same code is live for somebody else: draw again
            log.info("cabinet sign-in code issued", extra={"customer_id": customer_id})
            return code
        log.warning("no sign-in code could be drawn: the slots are blocked by wrong codes")
        raise DomainError("cabinet-code-busy")

    async def sign_in(self, typed: str, address: str) -> NewSession:
        """Consume the code and open a session; SignInRefused (always alike) for anything else."""
        address_key = _key("ip", address)
        if await self._per_address.is_banned(address_key):
            raise SignInRefused("too many wrong codes from this address")
        code = typed.replace(" ", "").replace("-", "")[:16]
        if _CODE.fullmatch(code) is None:
            await self._per_address.hit(address_key)
            raise SignInRefused("not a sign-in code")
        slot_key = _key("slot", code[:2])
        if await self._per_code.is_banned(slot_key):
            await self._per_address.hit(address_key)
            raise SignInRefused("too many wrong codes in this slot")
        customer_id = await self._access.consume(TokenKind.CODE, self._digest(code))
        if customer_id is None:
            await self._per_code.hit(slot_key)
            await self._per_address.hit(address_key)
            raise SignInRefused("sign-in code wrong, used or expired")
        return await self._access.open_session(customer_id)
