"""Light sync: the panel users changed since the last look, applied to the shop's records.

Used while the panel's webhooks are off. The panel lists its users newest ``updatedAt`` first; the walk
stops at the first user not changed since the previous run (less a small margin for clock rounding), so
a run reads one page when little changed, whatever the size of the panel. The watermark is the panel's
own ``updatedAt`` (no dependence on the shop's clock); the first run after a start looks back
``first_lookback``. Each change is applied like the full sync applies it (:meth:`PanelSync.apply_users`):
expiry, limits, status, squads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.models import PanelUser
from remnastore.services.panel_sync import PanelSync

log = logging.getLogger(__name__)

MARGIN = timedelta(seconds=5)
FIRST_LOOKBACK = timedelta(days=1)


class LightSync:
    def __init__(
        self,
        panel: RemnawaveClient,
        sync: PanelSync,
        clock: Clock,
        *,
        page_size: int = 100,
        max_pages: int = 50,
        first_lookback: timedelta = FIRST_LOOKBACK,
    ) -> None:
        self._panel = panel
        self._sync = sync
        self._clock = clock
        self._page_size = max(1, min(page_size, 1000))
        self._max_pages = max_pages
        self._first_lookback = first_lookback
        self._since: datetime | None = None

    async def run(self) -> int:
        """Apply the users changed since the last run; how many were read as changed."""
        since = self._since if self._since is not None else self._clock.now() - self._first_lookback
        changed: list[PanelUser] = []
        start = 0
        for _ in range(self._max_pages):
            _, page = await self._panel.users_page(start, self._page_size, recently_updated_first=True)
            fresh = [
                user for user in page if user.updated_at is not None and user.updated_at >= since - MARGIN
            ]
            changed.extend(fresh)
            if len(fresh) < len(page) or len(page) < self._page_size:
                break
            start += len(page)
        if changed:
            report = await self._sync.apply_users(changed)
            if report is None:
                return 0  # a full sync is running; the next light run looks again from the same point
            log.info("light panel sync applied changes", extra={"report": report.__dict__})
        newest = max((user.updated_at for user in changed if user.updated_at is not None), default=None)
        self._since = max(since, newest) if newest is not None else since
        return len(changed)
