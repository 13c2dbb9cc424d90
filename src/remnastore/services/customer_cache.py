"""The cached customer behind an update: profile and flags, so that an ordinary button press needs no
database round trip.

An entry is keyed by Telegram id and holds the :class:`CustomerView` plus what ``touch`` compares (the
raw profile and when the customer was last recorded as seen). It is used only while the profile Telegram
sends is unchanged and the last-seen mark is fresh; otherwise the database is asked (and written). Every
committed change of a ``customers`` row drops its entry (see :mod:`remnastore.db.changes`), in Redis for
all instances at once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from remnastore.db.changes import CustomerChanges
from remnastore.domain.referrals import NO_REFERRALS, ReferralStats
from remnastore.infra.cache import Cache, Derived
from remnastore.services.accounts import CustomerView

log = logging.getLogger(__name__)

AREA = "customer"
ID_AREA = "customer-id"
#: A customer's referral numbers (invited, paying, earned), by customer id: dropped with the customer's
#: entry (a commission changes the balance) and when their referrals change (see db/changes.py).
REFERRALS_AREA = "customer-referrals"


#: Where a cached customer's entry holds their ids (read by the update gate's prefetch, see :func:`prefetch`).
ID_FIELD = "view.id"
PANEL_REF_FIELDS = ("view.panel_user_id", "view.panel_uuid")  # the order of CustomerView.panel_ref


def entry_key(telegram_id: int) -> str:
    """The full cache key of the customer with this Telegram id."""
    return Cache.key(AREA, str(telegram_id))


def prefetch(telegram_id: int) -> list[str | Derived]:
    """What an update of this customer reads from the cache: their entry and their referral numbers."""
    entry = entry_key(telegram_id)
    return [entry, Derived(entry, (ID_FIELD,), Cache.key(REFERRALS_AREA, ""))]


@dataclass(frozen=True)
class CachedCustomer:
    view: CustomerView
    username: str | None
    first_name: str | None
    last_name: str | None
    last_seen_at: datetime

    def matches(self, username: str | None, first_name: str | None, last_name: str | None) -> bool:
        return (self.username, self.first_name, self.last_name) == (username, first_name, last_name)


class CustomerCache:
    def __init__(self, cache: Cache, ttl_seconds: int) -> None:
        self._cache = cache
        self.ttl_seconds = ttl_seconds

    async def get(self, telegram_id: int) -> CachedCustomer | None:
        if self.ttl_seconds <= 0:
            return None
        raw = await self._cache.get(AREA, str(telegram_id))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            return CachedCustomer(
                view=CustomerView(**data["view"]),
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                last_seen_at=datetime.fromtimestamp(data["seen"], UTC),
            )
        except TypeError:  # written by an earlier version with other fields: read afresh
            await self._cache.delete(AREA, [str(telegram_id)])
            return None
        except (ValueError, KeyError):
            log.warning("unreadable customer cache entry dropped")
            await self._cache.delete(AREA, [str(telegram_id)])
            return None

    async def put(
        self,
        view: CustomerView,
        *,
        username: str | None,
        first_name: str | None,
        last_name: str | None,
        last_seen_at: datetime,
        registered: bool = False,
    ) -> None:
        """Keep the customer (in one request to Redis). ``registered``: their row was committed a moment
        ago by this update, so their referral numbers are known without asking the database: nobody can
        have used their referral code yet (it is shown to them only after this), and a referral recorded
        later drops these numbers like any other."""
        if self.ttl_seconds <= 0:
            return
        value = json.dumps(
            {
                "view": asdict(view),
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "seen": last_seen_at.timestamp(),
            },
            separators=(",", ":"),
        )
        entries = [(ID_AREA, str(view.id), str(view.telegram_id)), (AREA, str(view.telegram_id), value)]
        if registered:
            entries.append((REFERRALS_AREA, str(view.id), NO_REFERRALS.dumps()))
        await self._cache.set_many(entries, self.ttl_seconds)

    async def referral_numbers(self, customer_id: int) -> ReferralStats | None:
        """The referral numbers kept with :meth:`keep_referral_numbers` (or at registration)."""
        if self.ttl_seconds <= 0:
            return None
        raw = await self._cache.get(REFERRALS_AREA, str(customer_id))
        return ReferralStats.loads(raw) if raw is not None else None

    async def keep_referral_numbers(self, customer_id: int, stats: ReferralStats) -> None:
        await self._cache.set(REFERRALS_AREA, str(customer_id), stats.dumps(), self.ttl_seconds)

    async def invalidate(self, changes: CustomerChanges) -> None:
        """Drop the entries of changed customers (all of them when the rows are unknown) and the
        referral numbers of changed customers and referrers."""
        if changes.referrals_unknown:
            await self._cache.clear(REFERRALS_AREA)
        else:
            changed = {str(c) for c in changes.ids | changes.referrers}
            await self._cache.delete(REFERRALS_AREA, changed)
        if changes.unknown:
            await self._cache.clear(AREA)
            return
        telegram_ids = {str(t) for t in changes.telegram_ids}
        for customer_id in changes.ids:
            known = await self._cache.peek(ID_AREA, str(customer_id))
            if known is not None:
                telegram_ids.add(known)
        await self._cache.delete(AREA, telegram_ids)
