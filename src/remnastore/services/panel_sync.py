"""Panel sync: import the panel's users that carry a telegramId, reconcile links and expiry.

* Pages of ``GET /api/users`` are fetched concurrently (at most ``concurrency`` at once).
* Every panel user with a ``telegramId`` ends up linked to the customer with that Telegram id (created
  if missing, with a subscription expiring when the panel user does). Users without one are skipped.
  When several panel users share a Telegram id, the one named like the shop names its users wins, else
  the one that expires last (as :class:`PanelLink` chooses).
* Idempotent: a second run with nothing changed in the panel writes nothing. The panel is the source of
  truth for expiry, limits, status (ACTIVE, DISABLED, LIMITED, EXPIRED: imported as it is, never turned
  into "active") and squads; the shop's subscription kind and tariff are kept.
* :meth:`PanelSync.apply_users` applies a given list of users the same way (the light sync of changed
  users, ``services.light_sync``).
* Writes are batched (a few hundred customers per statement), so 100,000 users take seconds, not hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, Subscription, SubscriptionKind, new_referral_code
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.session import Database, dialect_insert, dialect_of
from remnastore.domain.access import panel_username
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.models import PanelUser

log = logging.getLogger(__name__)

CHUNK = 400
SAME_EXPIRY = timedelta(seconds=1)


@dataclass
class SyncReport:
    panel_users: int = 0
    skipped: int = 0  # no telegramId
    created: int = 0  # new customers
    linked: int = 0  # existing customers whose panel link was set or changed
    expiry_updated: int = 0  # subscriptions created or whose expiry/limits changed
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.linked or self.expiry_updated)


@dataclass(frozen=True)
class SyncProgress:
    stage: str  # "fetch" | "apply"
    done: int
    total: int


Progress = Callable[[SyncProgress], Awaitable[None]]
Done = Callable[[SyncReport | None], Awaitable[None]]
Spawn = Callable[[Awaitable[Any]], object]


class SyncBusy(RuntimeError):
    """A sync is already running in this instance."""


def _same_time(a: datetime, b: datetime) -> bool:
    return abs(a - b) < SAME_EXPIRY


class PanelSync:
    def __init__(
        self,
        db: Database,
        panel: RemnawaveClient,
        clock: Clock,
        *,
        concurrency: int = 4,
        page_size: int = 500,
        username_prefix: str = "",
        default_language: str = "ru",
        spawn: Spawn | None = None,
    ) -> None:
        self._db = db
        self._panel = panel
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._page_size = max(1, min(page_size, 1000))
        self._prefix = username_prefix
        self._language = default_language
        self._lock = asyncio.Lock()
        self._spawn: Spawn = spawn or asyncio.ensure_future
        self._queued = False

    def start(self, progress: Progress | None, done: Done, *, actor_telegram_id: int | None) -> bool:
        """Run a sync in the background (False if one is running); ``done`` gets the report (None: failed)."""
        if self.running or self._queued:
            return False
        self._queued = True

        async def work() -> None:
            try:
                report = await self.run(progress, actor_telegram_id=actor_telegram_id)
            except Exception:
                log.exception("panel sync failed")
                await done(None)
                return
            finally:
                self._queued = False
            await done(report)

        self._spawn(work())
        return True

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def run_scheduled(self) -> None:
        if self.running or self._queued:
            return
        report = await self.run()
        log.info("panel sync finished", extra={"report": report.__dict__})

    async def run(
        self, progress: Progress | None = None, *, actor_telegram_id: int | None = None
    ) -> SyncReport:
        """Fetch every panel user and apply them; raises :class:`SyncBusy` if a sync is running."""
        if self._lock.locked():
            raise SyncBusy()
        async with self._lock:
            users = await self._fetch(progress)
            report = await self._apply(users, progress)
            async with self._db.session() as session:
                await AuditRepository(session).record(
                    actor_telegram_id, "panel.sync", details=dict(report.__dict__)
                )
            return report

    async def apply_users(self, users: list[PanelUser]) -> SyncReport | None:
        """Apply these panel users like a full sync would (None: a sync is running, which covers them)."""
        if self._lock.locked():
            return None
        async with self._lock:
            return await self._apply(users, None)

    async def last_report(self) -> tuple[datetime, SyncReport] | None:
        async with self._db.session() as session:
            entries = await AuditRepository(session).recent(1, action="panel.sync")
        if not entries:
            return None
        entry = entries[0]
        known = set(SyncReport.__dataclass_fields__)
        return entry.created_at, SyncReport(**{k: int(v) for k, v in entry.details.items() if k in known})

    # -- fetching --------------------------------------------------------------------------------------

    async def _fetch(self, progress: Progress | None) -> list[PanelUser]:
        size = self._page_size
        total, first = await self._panel.users_page(0, size)
        pages: list[list[PanelUser]] = [first]
        if total is None:  # the panel does not say how many: walk page by page
            start = len(first)
            while pages[-1]:
                _, page = await self._panel.users_page(start, size)
                pages.append(page)
                start += len(page)
        else:
            fetched = len(first)
            semaphore = asyncio.Semaphore(self._concurrency)

            async def fetch(start: int) -> list[PanelUser]:
                nonlocal fetched
                async with semaphore:
                    _, page = await self._panel.users_page(start, size)
                fetched += len(page)
                if progress is not None:
                    await progress(SyncProgress("fetch", fetched, total))
                return page

            if progress is not None:
                await progress(SyncProgress("fetch", fetched, total))
            pages += await asyncio.gather(*(fetch(start) for start in range(size, total, size)))
        unique: dict[int | str, PanelUser] = {}
        for page in pages:
            for user in page:
                unique[user.ref] = user  # pages shifted by concurrent changes may repeat a user
        return list(unique.values())

    # -- applying --------------------------------------------------------------------------------------

    def _choose(self, telegram_id: int, candidates: list[PanelUser]) -> PanelUser:
        own = panel_username(self._prefix, telegram_id)
        for user in candidates:
            if user.username == own:
                return user
        return max(candidates, key=lambda u: (u.expire_at, str(u.ref)))

    async def _apply(self, users: list[PanelUser], progress: Progress | None) -> SyncReport:
        report = SyncReport(panel_users=len(users))
        grouped: dict[int, list[PanelUser]] = {}
        for user in users:
            if user.telegram_id is None:
                report.skipped += 1
            else:
                grouped.setdefault(user.telegram_id, []).append(user)
        chosen = [self._choose(tg, found) for tg, found in sorted(grouped.items())]
        done = 0
        for start in range(0, len(chosen), CHUNK):
            chunk = chosen[start : start + CHUNK]
            part = await self._apply_chunk(chunk)
            for name in ("created", "linked", "expiry_updated", "unchanged"):
                setattr(report, name, getattr(report, name) + getattr(part, name))
            done += len(chunk)
            if progress is not None:
                await progress(SyncProgress("apply", done, len(chosen)))
        return report

    async def _apply_chunk(self, users: list[PanelUser]) -> SyncReport:
        for attempt in range(3):
            try:
                async with self._db.session() as session:
                    if dialect_of(session) == "postgresql":
                        # A large import grows the tables faster than their statistics: a generic plan
                        # cached while they were small would scan every row for each chunk's lookups.
                        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
                    return await self._write_chunk(session, users)
            except IntegrityError:
                # A new referral code collided, or a customer registered meanwhile: try the chunk again.
                if attempt == 2:
                    raise
                log.info("panel sync: a chunk met a concurrent change, retrying")
        raise AssertionError("unreachable")

    async def _write_chunk(self, session: AsyncSession, users: Sequence[PanelUser]) -> SyncReport:
        report = SyncReport()
        by_tg = {int(u.telegram_id): u for u in users if u.telegram_id is not None}
        now = self._clock.now()
        await self._release_foreign_links(session, by_tg)
        rows = (
            await session.execute(
                select(
                    Customer.id, Customer.telegram_id, Customer.panel_user_id, Customer.panel_uuid,
                    Customer.panel_username,
                ).where(Customer.telegram_id.in_(list(by_tg)))
            )
        ).all()  # fmt: skip
        existing = {row.telegram_id: row for row in rows}
        new = [tg for tg in by_tg if tg not in existing]
        if new:
            values = [
                {
                    "telegram_id": tg,
                    "language": self._language,
                    "referral_code": new_referral_code(),
                    "panel_user_id": by_tg[tg].id,
                    "panel_uuid": by_tg[tg].uuid,
                    "panel_username": by_tg[tg].username,
                    "balance_minor": 0,
                    "is_banned": False,
                    "created_at": now,
                    "updated_at": now,
                    "last_seen_at": now,
                }
                for tg in new
            ]
            insert = dialect_insert(session, Customer)
            await session.execute(
                insert.on_conflict_do_nothing(index_elements=[Customer.telegram_id]), values
            )
            report.created = len(new)
        relink: list[dict[str, Any]] = []
        for tg, row in existing.items():
            user = by_tg[tg]
            if (row.panel_user_id, row.panel_uuid, row.panel_username) != (user.id, user.uuid, user.username):
                relink.append(
                    {
                        "id": row.id,
                        "panel_user_id": user.id,
                        "panel_uuid": user.uuid,
                        "panel_username": user.username,
                        "updated_at": now,
                    }
                )
        if relink:
            await session.execute(update(Customer), relink)
            report.linked = len(relink)
        ids = dict(
            (
                await session.execute(
                    select(Customer.telegram_id, Customer.id).where(Customer.telegram_id.in_(list(by_tg)))
                )
            )
            .tuples()
            .all()
        )
        subs = {
            row.customer_id: row
            for row in (
                await session.execute(
                    select(
                        Subscription.id, Subscription.customer_id, Subscription.expires_at,
                        Subscription.traffic_limit_bytes, Subscription.device_limit,
                        Subscription.panel_status, Subscription.panel_squads,
                    ).where(Subscription.customer_id.in_(list(ids.values())))
                )
            ).all()
        }  # fmt: skip
        missing: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for tg, customer_id in ids.items():
            user = by_tg[tg]
            sub = subs.get(customer_id)
            if sub is None:
                missing.append(
                    {
                        "customer_id": customer_id,
                        "kind": SubscriptionKind.PAID.value,
                        "expires_at": user.expire_at,
                        "traffic_limit_bytes": user.traffic_limit_bytes,
                        "device_limit": user.hwid_device_limit,
                        "panel_status": user.status,
                        "panel_squads": list(user.active_internal_squads),
                        "panel_seen_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            elif (
                not _same_time(sub.expires_at, user.expire_at)
                or sub.traffic_limit_bytes != user.traffic_limit_bytes
                or sub.device_limit != user.hwid_device_limit
                or sub.panel_status != user.status
                or sorted(sub.panel_squads or []) != sorted(user.active_internal_squads)
            ):
                changed.append(
                    {
                        "id": sub.id,
                        "expires_at": user.expire_at,
                        "traffic_limit_bytes": user.traffic_limit_bytes,
                        "device_limit": user.hwid_device_limit,
                        "panel_status": user.status,
                        "panel_squads": list(user.active_internal_squads),
                        "panel_seen_at": now,
                        "updated_at": now,
                    }
                )
        if missing:
            insert = dialect_insert(session, Subscription)
            await session.execute(
                insert.on_conflict_do_nothing(index_elements=[Subscription.customer_id]), missing
            )
        if changed:
            await session.execute(update(Subscription), changed)
        report.expiry_updated = len(missing) + len(changed)
        touched = {r["id"] for r in relink} | {m["customer_id"] for m in missing}
        touched |= {sub.customer_id for sub in subs.values() if sub.id in {c["id"] for c in changed}}
        report.unchanged = sum(1 for row in rows if row.id not in touched)
        return report

    async def _release_foreign_links(self, session: AsyncSession, by_tg: dict[int, PanelUser]) -> None:
        """A panel user now bound to another Telegram id: unlink it from the customer who had it."""
        panel_ids = [u.id for u in by_tg.values() if u.id is not None]
        panel_uuids = [u.uuid for u in by_tg.values() if u.uuid is not None]
        owner = {u.id: tg for tg, u in by_tg.items() if u.id is not None}
        owner_uuid = {u.uuid: tg for tg, u in by_tg.items() if u.uuid is not None}
        holders = (
            await session.execute(
                select(Customer.id, Customer.telegram_id, Customer.panel_user_id, Customer.panel_uuid).where(
                    or_(Customer.panel_user_id.in_(panel_ids), Customer.panel_uuid.in_(panel_uuids))
                )
            )
        ).all()
        foreign = [
            row.id
            for row in holders
            if owner.get(row.panel_user_id, row.telegram_id) != row.telegram_id
            or owner_uuid.get(row.panel_uuid, row.telegram_id) != row.telegram_id
        ]
        if foreign:
            log.warning("panel sync: %d panel users moved to another Telegram id", len(foreign))
            await session.execute(
                update(Customer)
                .where(Customer.id.in_(foreign))
                .values(panel_user_id=None, panel_uuid=None, panel_username=None)
            )
