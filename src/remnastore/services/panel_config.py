"""Configuration problems the panel reveals: internal squads the shop names that the panel does not have.

A real panel answers a create or update naming an unknown squad with 500 ``A018``/``A039``. That is the
seller's configuration (PANEL_SQUADS, TRIAL_SQUADS, a tariff's ``squads``), not an outage: the admins get
one clear alert naming the missing squads (once per set of squads in this process), and the work waits
for the fix instead of being retried as "panel unavailable".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError
from remnastore.services.notifications import AdminNotifier

log = logging.getLogger(__name__)

ALERT_KEY = "alert-panel-unknown-squads"


async def missing_squads(panel: RemnawaveClient, squads: Iterable[str]) -> list[str] | None:
    """Which of ``squads`` the panel does not have (None: the panel's squads could not be read)."""
    wanted = list(dict.fromkeys(squads))
    try:
        known = {uuid for uuid, _name in await panel.list_internal_squads()}
    except PanelError:
        return None
    return [squad for squad in wanted if squad not in known]


class ConfigurationAlerts:
    def __init__(self, panel: RemnawaveClient, admins: AdminNotifier) -> None:
        self._panel = panel
        self._admins = admins
        self._alerted: set[frozenset[str]] = set()

    async def unknown_squads(self, squads: Iterable[str], *, what: str) -> None:
        """The panel refused a request naming ``squads`` for ``what`` (an order id, "trial"): alert once."""
        missing = await missing_squads(self._panel, squads)
        named = missing if missing else list(squads)
        key = frozenset(named)
        log.error("the panel refused squads %s (%s): a configuration error", ", ".join(named), what)
        if key in self._alerted:
            return
        self._alerted.add(key)
        await self._admins.alert(ALERT_KEY, squads=", ".join(named) or "—", what=what)
