"""Advertising campaigns (deep-link codes) and which customer came from which (first one wins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Campaign, CampaignAttribution, Customer, Order, OrderStatus, utcnow
from remnastore.db.session import insert_ignoring_conflicts
from remnastore.domain.money import Money

PAID_STATUSES = (OrderStatus.PAID.value, OrderStatus.FULFILLED.value)


@dataclass(frozen=True)
class FunnelCounts:
    starts: int
    trials: int
    payers: int
    revenue: list[Money]


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, campaign_id: int) -> Campaign | None:
        return await self.session.get(Campaign, campaign_id)

    async def get_by_code(self, code: str) -> Campaign | None:
        query = select(Campaign).where(Campaign.code == code.strip())
        return (await self.session.execute(query)).scalars().first()

    async def create(
        self, code: str, *, title: str, cost: Money | None = None, is_active: bool = True
    ) -> Campaign:
        """A new campaign; raises ``sqlalchemy.exc.IntegrityError`` if the code exists."""
        campaign = Campaign(code=code.strip(), title=title, is_active=is_active)
        if cost is not None:
            campaign.cost_minor, campaign.cost_currency = cost.minor, cost.currency
        self.session.add(campaign)
        await self.session.flush()
        return campaign

    async def all(self) -> Sequence[Campaign]:
        query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
        return (await self.session.execute(query)).scalars().all()

    async def attribute(self, campaign_id: int, customer_id: int) -> bool:
        """Attribute the customer to the campaign unless another campaign already has them."""
        statement = (
            insert_ignoring_conflicts(self.session, CampaignAttribution)
            .values(campaign_id=campaign_id, customer_id=customer_id, created_at=utcnow())
            .returning(CampaignAttribution.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def attribution_of(self, customer_id: int) -> CampaignAttribution | None:
        query = select(CampaignAttribution).where(CampaignAttribution.customer_id == customer_id)
        return (await self.session.execute(query)).scalars().first()

    async def count_attributed(self, campaign_id: int) -> int:
        query = (
            select(func.count())
            .select_from(CampaignAttribution)
            .where(CampaignAttribution.campaign_id == campaign_id)
        )
        return int((await self.session.execute(query)).scalar_one())

    async def page(self, *, limit: int, offset: int) -> Sequence[Campaign]:
        query = select(Campaign).order_by(Campaign.id.desc()).limit(limit).offset(offset)
        return (await self.session.execute(query)).scalars().all()

    async def funnel(self, campaign_id: int) -> FunnelCounts:
        """Aggregates over the campaign's customers: how many arrived, took the trial, paid, and the
        money received (per currency) from orders made after they arrived through the campaign. Paying
        from the balance is not counted again (the top-up that filled it was)."""
        attributed = CampaignAttribution.campaign_id == campaign_id
        starts = await self.session.scalar(
            select(func.count()).select_from(CampaignAttribution).where(attributed)
        )
        trials = await self.session.scalar(
            select(func.count())
            .select_from(CampaignAttribution)
            .join(Customer, Customer.id == CampaignAttribution.customer_id)
            .where(attributed, Customer.trial_used_at.is_not(None))
        )
        paid = (
            select(Order)
            .join(CampaignAttribution, CampaignAttribution.customer_id == Order.customer_id)
            .where(
                attributed,
                Order.status.in_(PAID_STATUSES),
                Order.provider != "balance",
                Order.created_at >= CampaignAttribution.created_at,
            )
            .subquery()
        )
        payers = await self.session.scalar(select(func.count(distinct(paid.c.customer_id))))
        revenue_rows = await self.session.execute(
            select(paid.c.currency, func.sum(paid.c.amount_minor))
            .group_by(paid.c.currency)
            .order_by(paid.c.currency)
        )
        return FunnelCounts(
            starts=int(starts or 0),
            trials=int(trials or 0),
            payers=int(payers or 0),
            revenue=[Money(int(total), str(currency)) for currency, total in revenue_rows.all()],
        )
