"""The panel's view of a customer (their panel user and device count) for a short time, so that opening
"my subscription" again does not call the panel.

Entries are keyed by how the customer reaches their panel user: ``ref:<id or uuid>`` when linked,
``tg:<telegram id>`` otherwise (a "no panel user" answer is cached too). Every write the shop makes to a
panel user drops its entries (:class:`remnastore.panel.watched.WatchedPanelClient`); changes made in the
panel itself show after the TTL.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass

from remnastore.infra.cache import Cache, Derived
from remnastore.panel.models import PanelUser
from remnastore.services.accounts import CustomerView

log = logging.getLogger(__name__)

AREA = "panel-user"


@dataclass(frozen=True)
class PanelSnapshot:
    user: PanelUser | None
    device_count: int | None


def _keys(ref_keys: set[str]) -> list[str]:
    return [f"{key}:{suffix}" for key in ref_keys for suffix in ("d", "n")]


def prefetch(
    customer_entry: str, fields: tuple[str, ...], telegram_id: int, *, with_devices: bool
) -> Derived:
    """The entry :meth:`PanelUserCache.get` reads for a customer, named by their cached customer entry
    (``customer_entry``, whose ``fields`` hold the panel user's id or uuid, in ``panel_ref``'s order)."""
    suffix = ":d" if with_devices else ":n"
    fallback = Cache.key(AREA, f"tg:{telegram_id}{suffix}")
    return Derived(customer_entry, fields, Cache.key(AREA, "ref:"), suffix, fallback)


class PanelUserCache:
    def __init__(self, cache: Cache, ttl_seconds: int) -> None:
        self._cache = cache
        self.ttl_seconds = ttl_seconds

    @staticmethod
    def _key(customer: CustomerView, with_devices: bool) -> str:
        base = f"ref:{customer.panel_ref}" if customer.panel_ref is not None else f"tg:{customer.telegram_id}"
        return f"{base}:{'d' if with_devices else 'n'}"

    async def get(self, customer: CustomerView, *, with_devices: bool) -> PanelSnapshot | None:
        if self.ttl_seconds <= 0:
            return None
        raw = await self._cache.get(AREA, self._key(customer, with_devices))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            user = PanelUser.model_validate(data["user"]) if data["user"] is not None else None
            return PanelSnapshot(user, data["devices"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable panel cache entry dropped")
            return None

    async def put(self, customer: CustomerView, snapshot: PanelSnapshot, *, with_devices: bool) -> None:
        if self.ttl_seconds <= 0:
            return
        user = snapshot.user.model_dump(mode="json", by_alias=True) if snapshot.user is not None else None
        value = json.dumps({"user": user, "devices": snapshot.device_count}, separators=(",", ":"))
        # spread the expiries, so customers who looked at once do not all ask the panel again at once
        ttl = self.ttl_seconds * random.uniform(0.75, 1.0)
        await self._cache.set(AREA, self._key(customer, with_devices), value, ttl)

    async def forget(self, refs: set[str], telegram_ids: set[int]) -> None:
        """Drop what is cached for these panel users (matches :data:`remnastore.panel.watched.WriteHook`)."""
        keys = {f"ref:{ref}" for ref in refs} | {f"tg:{telegram_id}" for telegram_id in telegram_ids}
        await self._cache.delete(AREA, _keys(keys))
