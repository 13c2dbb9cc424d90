"""After an import: read the panel (never write to it) and confirm each imported customer's panel user.

Every panel user is listed once (pages of the panel's user list). An imported customer's link is
confirmed when a panel user has the stored uuid (2.x panels) or, failing that, the customer's Telegram id
(3.x panels address users by a numeric id, so an old uuid cannot be looked up). A confirmed link is
completed in this shop's database (the panel's numeric id and username), so the bot finds the user at
once. What does not match is listed: the panel user is gone, belongs to another Telegram id, or expires
at another time than the imported subscription (the panel sync then takes the panel's expiry).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from remnastore.db.models import Customer, ImportKey, Subscription
from remnastore.db.session import Database
from remnastore.ops.importers.machka_values import CUSTOMERS, SOURCE
from remnastore.ops.importers.progress import Progress
from remnastore.ops.importers.report import Mismatch, PanelCheckResult
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError
from remnastore.panel.models import PanelUser

SAME_EXPIRY = timedelta(minutes=1)
PAGE = 500


async def check_panel_links(
    db: Database,
    panel: RemnawaveClient,
    *,
    username_prefix: str,
    progress: Progress | None = None,
) -> PanelCheckResult:
    """Compare imported customers with the panel's users; completes confirmed links in our database."""
    progress = progress or Progress(interactive=False)
    result = PanelCheckResult()
    async with db.session() as session:
        query = (
            select(
                Customer.id,
                Customer.telegram_id,
                Customer.panel_uuid,
                Customer.panel_user_id,
                Customer.panel_username,
                Subscription.expires_at,
            )
            .join(ImportKey, ImportKey.target_key == Customer.id.cast(ImportKey.target_key.type))
            .outerjoin(Subscription, Subscription.customer_id == Customer.id)
            .where(ImportKey.source == SOURCE, ImportKey.entity == CUSTOMERS)
            .where((Customer.panel_uuid.is_not(None)) | (Subscription.id.is_not(None)))
            .order_by(Customer.telegram_id)
        )
        customers = (await session.execute(query)).all()
    if not customers:
        return result
    by_uuid: dict[str, PanelUser] = {}
    by_telegram: dict[int, list[PanelUser]] = {}
    progress.stage("panel users", 0)
    try:
        async for page in panel.iter_users(PAGE):
            for user in page:
                if user.uuid:
                    by_uuid[user.uuid] = user
                if user.telegram_id is not None:
                    by_telegram.setdefault(user.telegram_id, []).append(user)
            progress.advance(len(page))
    except PanelError as exc:
        progress.finish()
        result.error = f"the panel could not be read: {exc}"
        return result
    progress.finish()
    async with db.session() as session:
        checked = {int(row[1]) for row in customers}  # their Telegram ids
        others = (
            await session.execute(
                select(Customer.panel_user_id, Customer.telegram_id).where(
                    Customer.panel_user_id.is_not(None)
                )
            )
        ).all()
    # panel users already linked to customers who were not imported (they keep them)
    taken: dict[int | str, int] = {
        int(ref): int(tg) for ref, tg in others if ref is not None and int(tg) not in checked
    }
    links: list[dict[str, object]] = []
    progress.stage("panel check", len(customers))
    for cid, telegram_id, link, user_id, username, expires in customers:
        result.checked += 1
        found = by_uuid.get(link) if link else None
        if found is None:
            found = _choose(by_telegram.get(telegram_id, []), f"{username_prefix}{telegram_id}")
        if found is None:
            gone = "the panel user is gone" if link else "no panel user"
            result.mismatches.append(Mismatch(telegram_id, link, f"{gone} (no user with this Telegram id)"))
            continue
        ref = found.id if found.id is not None else found.uuid or found.username
        if found.telegram_id is not None and found.telegram_id != telegram_id:
            result.mismatches.append(
                Mismatch(telegram_id, link, f"the panel user belongs to Telegram id {found.telegram_id}")
            )
            continue
        if ref in taken:
            result.mismatches.append(
                Mismatch(telegram_id, link, f"the same panel user as Telegram id {taken[ref]}")
            )
            continue
        taken[ref] = telegram_id
        if expires is not None and abs(found.expire_at - expires) > SAME_EXPIRY:
            result.mismatches.append(
                Mismatch(
                    telegram_id,
                    link,
                    f"expiry differs: imported {_when(expires)}, panel {_when(found.expire_at)}",
                )
            )
        else:
            result.confirmed += 1
        if (user_id, link, username) != (found.id, found.uuid or link, found.username):
            links.append(
                {
                    "id": cid,
                    "panel_user_id": found.id,
                    "panel_uuid": found.uuid or link,
                    "panel_username": found.username,
                }
            )
        progress.advance()
    progress.finish()
    if links:
        async with db.session() as session:
            await session.execute(update(Customer), links)
    return result


def _choose(candidates: list[PanelUser], own_name: str) -> PanelUser | None:
    if not candidates:
        return None
    for user in candidates:
        if user.username == own_name:
            return user
    return max(candidates, key=lambda u: u.expire_at)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
