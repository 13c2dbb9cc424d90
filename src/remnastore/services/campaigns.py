"""Advertising campaigns for the shop's admins: a start link per campaign and its funnel."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from remnastore.db.models import Campaign
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.campaigns import CampaignRepository
from remnastore.db.session import Database
from remnastore.domain.deep_links import PayloadKind, parse_start_payload
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money, is_known_currency
from remnastore.domain.promos import generate_code
from remnastore.domain.typed_numbers import NotATypedNumber, parse_typed_money

log = logging.getLogger(__name__)
PAGE_SIZE = 10


@dataclass(frozen=True)
class CampaignRow:
    id: int
    code: str
    title: str
    cost: Money
    created_at: datetime

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.code}"


@dataclass(frozen=True)
class Funnel:
    campaign: CampaignRow
    starts: int
    trials: int
    payers: int
    revenue: list[Money]

    @property
    def revenue_in_cost_currency(self) -> Money:
        currency = self.campaign.cost.currency
        return next((m for m in self.revenue if m.currency == currency), Money.zero(currency))


def _row(campaign: Campaign) -> CampaignRow:
    return CampaignRow(campaign.id, campaign.code, campaign.title, campaign.cost, campaign.created_at)


class CampaignAdmin:
    def __init__(self, db: Database, *, default_currency: str) -> None:
        self._db = db
        self.default_currency = default_currency

    @staticmethod
    def check_code(text: str) -> str:
        """A code that /start recognises as a campaign (2-64 of ``A-Za-z0-9_-``, not ``ref_``/``promo_``)."""
        code = text.strip()
        if parse_start_payload(code).kind is not PayloadKind.CAMPAIGN:
            raise DomainError("admin-campaign-bad-code")
        return code

    @staticmethod
    def check_title(text: str) -> str:
        title = " ".join(text.split())
        if not 1 <= len(title) <= 128:
            raise DomainError("admin-campaign-bad-title")
        return title

    def parse_cost(self, text: str) -> Money:
        """ "0", "5000", "5000 RUB", "40 USD" """
        parts = text.strip().split()
        currency = parts[1].upper() if len(parts) == 2 else self.default_currency
        if not parts or len(parts) > 2 or not is_known_currency(currency):
            raise DomainError("admin-campaign-bad-cost")
        try:
            cost = parse_typed_money(parts[0], currency)
        except NotATypedNumber:
            raise DomainError("admin-campaign-bad-cost") from None
        if not 0 <= cost.minor <= 10**13:
            raise DomainError("admin-campaign-bad-cost")
        return cost

    async def create(self, title: str, code: str | None, cost: Money, *, actor: int) -> CampaignRow:
        chosen = self.check_code(code) if code is not None else f"c_{generate_code(8).lower()}"
        try:
            async with self._db.session() as session:
                campaign = await CampaignRepository(session).create(
                    chosen, title=self.check_title(title), cost=cost
                )
                await AuditRepository(session).record(
                    actor,
                    "campaign.create",
                    details={
                        "campaign_id": campaign.id,
                        "code": campaign.code,
                        "title": campaign.title,
                        "cost_minor": cost.minor,
                        "cost_currency": cost.currency,
                    },
                )
                row = _row(campaign)
        except IntegrityError:
            raise DomainError("admin-campaign-code-taken") from None
        log.info("campaign created", extra={"campaign_id": row.id})
        return row

    async def exists(self, code: str) -> bool:
        async with self._db.session() as session:
            return await CampaignRepository(session).get_by_code(code) is not None

    async def page(self, page: int) -> tuple[list[CampaignRow], bool]:
        async with self._db.session() as session:
            rows = [
                _row(c)
                for c in await CampaignRepository(session).page(limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
            ]
        return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE

    async def funnel(self, campaign_id: int) -> Funnel:
        async with self._db.session() as session:
            campaigns = CampaignRepository(session)
            campaign = await campaigns.get(campaign_id)
            if campaign is None:
                raise DomainError("admin-campaign-not-found")
            counts = await campaigns.funnel(campaign_id)
            return Funnel(_row(campaign), counts.starts, counts.trials, counts.payers, counts.revenue)
