"""Promo codes for the shop's admins: create one or many (with a CSV), list, edit, switch off, activations.

Every change is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from remnastore.db.models import PromoCode
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.promos import PromoRepository, normalize_promo_code
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money, is_known_currency
from remnastore.domain.promos import MAX_DAYS, MAX_PERCENT, PromoKindName, generate_code, valid_code
from remnastore.domain.typed_numbers import NotATypedNumber, parse_typed_money, typed_int_or_none
from remnastore.infra.clock import Clock

log = logging.getLogger(__name__)
PAGE_SIZE = 10
MAX_BULK = 1000
MAX_LIMIT = 1_000_000


@dataclass(frozen=True)
class PromoSpec:
    """What a new code (or each code of a batch) gives and under which limits."""

    kind: str
    value: int
    currency: str | None = None
    max_activations: int | None = None
    valid_days: int | None = None
    first_purchase_only: bool = False
    tariff_codes: tuple[str, ...] | None = None

    @property
    def amount(self) -> Money | None:
        """The value as money for fixed discounts and balance credits."""
        if self.kind in (PromoKindName.FIXED, PromoKindName.BALANCE) and self.currency:
            return Money(self.value, self.currency)
        return None


@dataclass(frozen=True)
class PromoRow:
    id: int
    code: str
    spec: PromoSpec
    activations_count: int
    valid_until: datetime | None
    is_active: bool
    created_at: datetime
    statuses: dict[str, int]


@dataclass(frozen=True)
class ActivationRow:
    telegram_id: int
    status: str
    order_id: str | None
    created_at: datetime
    consumed_at: datetime | None


def _row(promo: PromoCode, statuses: dict[str, int] | None = None) -> PromoRow:
    return PromoRow(
        id=promo.id,
        code=promo.code,
        spec=PromoSpec(
            kind=promo.kind,
            value=promo.value,
            currency=promo.currency,
            max_activations=promo.max_activations,
            first_purchase_only=promo.first_purchase_only,
            tariff_codes=tuple(promo.tariff_codes) if promo.tariff_codes else None,
        ),
        activations_count=promo.activations_count,
        valid_until=promo.valid_until,
        is_active=promo.is_active,
        created_at=promo.created_at,
        statuses=statuses or {},
    )


class PromoAdmin:
    def __init__(self, db: Database, clock: Clock, catalogue: Catalogue, *, default_currency: str) -> None:
        self._db = db
        self._clock = clock
        self.catalogue = catalogue
        self.default_currency = default_currency

    # parsing what the admin typed

    def parse_value(self, kind: str, text: str) -> tuple[int, str | None]:
        """The value of a kind: days (1-3650), percent (1-99), or an amount with an optional currency
        ("100", "100 RUB", "50 XTR")."""
        cleaned = text.strip()
        if kind in (PromoKindName.DAYS, PromoKindName.PERCENT):
            top = MAX_DAYS if kind == PromoKindName.DAYS else MAX_PERCENT
            number = cleaned.removesuffix("%").strip()
            value = typed_int_or_none(number, low=1, high=top)
            if value is None:
                raise DomainError("admin-promo-bad-value", high=top)
            return value, None
        if kind not in (PromoKindName.FIXED, PromoKindName.BALANCE):
            raise DomainError("admin-promo-bad-kind")
        parts = cleaned.split()
        currency = parts[1].upper() if len(parts) == 2 else self.default_currency
        if not parts or len(parts) > 2 or not is_known_currency(currency):
            raise DomainError("admin-promo-bad-amount")
        try:
            amount = parse_typed_money(parts[0], currency)
        except NotATypedNumber:
            raise DomainError("admin-promo-bad-amount") from None
        if not 0 < amount.minor <= 10**12:
            raise DomainError("admin-promo-bad-amount")
        return amount.minor, amount.currency

    @staticmethod
    def parse_count(text: str, top: int) -> int:
        """A positive whole number up to ``top``."""
        value = typed_int_or_none(text, low=1, high=top)
        if value is None:
            raise DomainError("admin-promo-bad-number", high=top)
        return value

    def parse_tariffs(self, text: str) -> tuple[str, ...]:
        codes = tuple(
            dict.fromkeys(c.strip().lower() for c in text.replace(" ", ",").split(",") if c.strip())
        )
        known = {t.code for t in self.catalogue.tariffs}
        if not codes or any(code not in known for code in codes):
            raise DomainError("admin-promo-bad-tariffs", known=", ".join(sorted(known)))
        return codes

    @staticmethod
    def check_code(text: str) -> str:
        code = text.strip()
        if not valid_code(code):
            raise DomainError("admin-promo-bad-code")
        return code

    # changes

    async def create(self, spec: PromoSpec, code: str | None, *, actor: int) -> PromoRow:
        """One code (``None``: generated); refused if the code exists in any letter case."""
        typed = self.check_code(code) if code is not None else None
        try:
            async with self._db.session() as session:
                promos = PromoRepository(session)
                chosen = typed or (await self._fresh_codes(promos, 1))[0]
                promo = await self._create(promos, spec, chosen, actor)
                await AuditRepository(session).record(
                    actor,
                    "promo.create",
                    details={"promo_id": promo.id, "code": promo.code, **_details(spec)},
                )
                row = _row(promo)
        except IntegrityError:
            raise DomainError("admin-promo-code-taken") from None
        log.info("promo code created", extra={"promo_id": row.id})
        return row

    async def bulk(self, spec: PromoSpec, count: int, *, actor: int) -> list[str]:
        """``count`` new generated codes with the same terms, in one transaction."""
        if not 1 <= count <= MAX_BULK:
            raise DomainError("admin-promo-bad-number", high=MAX_BULK)
        async with self._db.session() as session:
            promos = PromoRepository(session)
            codes = await self._fresh_codes(promos, count)
            for code in codes:
                await self._create(promos, spec, code, actor)
            await AuditRepository(session).record(
                actor, "promo.bulk", details={"count": count, "first": codes[0], **_details(spec)}
            )
        log.info("promo codes generated", extra={"count": count})
        return codes

    async def _fresh_codes(self, promos: PromoRepository, count: int) -> list[str]:
        """``count`` distinct generated codes that no stored code has."""
        codes: set[str] = set()
        while len(codes) < count:
            batch = {generate_code() for _ in range(count - len(codes))} - codes
            taken = set(
                (
                    await promos.session.execute(
                        select(PromoCode.code_normalized).where(PromoCode.code_normalized.in_(batch))
                    )
                ).scalars()
            )
            codes |= batch - taken
        return sorted(codes)

    async def _create(self, promos: PromoRepository, spec: PromoSpec, code: str, actor: int) -> PromoCode:
        now = self._clock.now()
        return await promos.create(
            code,
            kind=spec.kind,
            value=spec.value,
            currency=spec.currency,
            max_activations=spec.max_activations,
            valid_until=now + timedelta(days=spec.valid_days) if spec.valid_days else None,
            first_purchase_only=spec.first_purchase_only,
            tariff_codes=spec.tariff_codes,
            created_by=actor,
        )

    async def set_active(self, promo_id: int, active: bool, *, actor: int) -> PromoRow:
        return await self._change(
            promo_id, actor, "promo.activate" if active else "promo.deactivate", is_active=active
        )

    async def set_limit(self, promo_id: int, limit: int | None, *, actor: int) -> PromoRow:
        return await self._change(promo_id, actor, "promo.limit", max_activations=limit)

    async def set_validity(self, promo_id: int, days: int | None, *, actor: int) -> PromoRow:
        until = self._clock.now() + timedelta(days=days) if days else None
        return await self._change(promo_id, actor, "promo.validity", valid_until=until)

    async def _change(self, promo_id: int, actor: int, action: str, **values: object) -> PromoRow:
        async with self._db.session() as session:
            promo = await PromoRepository(session).get(promo_id)
            if promo is None:
                raise DomainError("admin-promo-not-found")
            before = {name: _plain(getattr(promo, name)) for name in values}
            for name, value in values.items():
                setattr(promo, name, value)
            await session.flush()
            await AuditRepository(session).record(
                actor,
                action,
                details={
                    "promo_id": promo.id,
                    "code": promo.code,
                    "before": before,
                    "after": {k: _plain(v) for k, v in values.items()},
                },
            )
            row = _row(promo, await PromoRepository(session).count_by_status(promo.id))
        log.info("promo code changed: %s", action, extra={"promo_id": promo_id})
        return row

    # reading

    async def page(self, page: int) -> tuple[list[PromoRow], bool]:
        async with self._db.session() as session:
            rows = await PromoRepository(session).page(limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
            listed = [_row(p) for p in rows]
        return listed[:PAGE_SIZE], len(listed) > PAGE_SIZE

    async def get(self, promo_id: int) -> PromoRow:
        async with self._db.session() as session:
            promos = PromoRepository(session)
            promo = await promos.get(promo_id)
            if promo is None:
                raise DomainError("admin-promo-not-found")
            return _row(promo, await promos.count_by_status(promo.id))

    async def find(self, code: str) -> PromoRow | None:
        async with self._db.session() as session:
            promo = await PromoRepository(session).get_by_code(normalize_promo_code(code))
            return _row(promo) if promo is not None else None

    async def activations(self, promo_id: int, page: int) -> tuple[list[ActivationRow], bool]:
        async with self._db.session() as session:
            rows = await PromoRepository(session).activations_page(
                promo_id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE
            )
            listed = [ActivationRow(tg, a.status, a.order_id, a.created_at, a.consumed_at) for a, tg in rows]
        return listed[:PAGE_SIZE], len(listed) > PAGE_SIZE

    @staticmethod
    def csv(codes: Sequence[str], spec: PromoSpec, bot_username: str) -> bytes:
        """The codes of a batch with their terms and deep links (UTF-8 with BOM: opens in Excel)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["code", "kind", "value", "currency", "max_activations", "link"])
        for code in codes:
            writer.writerow(
                [
                    code,
                    spec.kind,
                    spec.value,
                    spec.currency or "",
                    spec.max_activations if spec.max_activations is not None else "",
                    f"https://t.me/{bot_username}?start=promo_{code}",
                ]
            )
        return buffer.getvalue().encode("utf-8-sig")


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _details(spec: PromoSpec) -> dict[str, object]:
    return {
        "kind": spec.kind,
        "value": spec.value,
        "currency": spec.currency,
        "max_activations": spec.max_activations,
        "valid_days": spec.valid_days,
        "first_purchase_only": spec.first_purchase_only,
        "tariffs": list(spec.tariff_codes) if spec.tariff_codes else None,
    }
