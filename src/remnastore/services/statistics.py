"""The shop's figures for its admins: customers, conversion, revenue, top tariffs and the panel's state.

Computed with a handful of aggregate queries (see :mod:`remnastore.db.repositories.statistics`) and
kept for ``ttl`` seconds, so that several admins pressing the button cost one computation; ``refresh``
recomputes at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from remnastore.db.repositories.statistics import CustomerCounts, RevenueTotals, StatisticsRepository, Windows
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError
from remnastore.services.checkout import BALANCE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelStatus:
    users: int
    online_now: int
    nodes_online: int
    lifetime_bytes: int | None


@dataclass(frozen=True)
class ShopStatistics:
    at: datetime
    customers: CustomerCounts
    revenue: list[RevenueTotals]
    top_tariffs: list[tuple[str, int]]
    panel: PanelStatus | None

    @property
    def conversion_percent(self) -> Decimal:
        """Share of the customers who took a trial and paid for a subscription, one decimal place."""
        taken = self.customers.trials_taken
        if taken == 0:
            return Decimal("0.0")
        share = Decimal(self.customers.converted * 100) / Decimal(taken)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Statistics:
    def __init__(
        self,
        db: Database,
        panel: RemnawaveClient,
        clock: Clock,
        *,
        timezone: str = "UTC",
        ttl: float = 45.0,
    ) -> None:
        self._db = db
        self._panel = panel
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        self._ttl = timedelta(seconds=ttl)
        self._cached: ShopStatistics | None = None
        self._lock = asyncio.Lock()

    async def get(self, *, refresh: bool = False) -> ShopStatistics:
        async with self._lock:
            now = self._clock.now()
            cached = self._cached
            if not refresh and cached is not None and now - cached.at < self._ttl:
                return cached
            self._cached = await self._compute(now)
            return self._cached

    def windows(self, now: datetime) -> Windows:
        local = now.astimezone(self._tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return Windows(
            now=now,
            day=now - timedelta(days=1),
            week=now - timedelta(days=7),
            month=now - timedelta(days=30),
            today=midnight.astimezone(now.tzinfo),
        )

    async def _compute(self, now: datetime) -> ShopStatistics:
        windows = self.windows(now)
        async with self._db.session() as session:
            repository = StatisticsRepository(session)
            customers = await repository.customer_counts(windows)
            # paying from the balance spends money already counted when the balance was topped up
            revenue = await repository.revenue(windows, exclude_providers=(BALANCE,))
            top = await repository.top_tariffs()
        return ShopStatistics(
            at=now, customers=customers, revenue=revenue, top_tariffs=top, panel=await self._panel_status()
        )

    async def _panel_status(self) -> PanelStatus | None:
        try:
            stats = await self._panel.system_stats()
        except PanelError as exc:
            log.warning("panel statistics unavailable: %s", exc)
            return None
        return PanelStatus(
            users=stats.total_users,
            online_now=stats.online_now,
            nodes_online=stats.nodes_online,
            lifetime_bytes=stats.total_bytes_lifetime,
        )
