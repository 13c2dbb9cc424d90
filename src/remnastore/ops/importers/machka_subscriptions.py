"""Import stages of access: each customer's current subscription (the later expiry wins over one bought
here) and their saved YooKassa card where auto-renewal was on."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from remnastore.db.models import AutoRenewal, Subscription, SubscriptionKind
from remnastore.db.repositories.autorenewals import AutoRenewalRepository
from remnastore.ops.importers.machka_run import ImportRun
from remnastore.ops.importers.machka_source import Row
from remnastore.ops.importers.machka_values import (
    SAVED_METHODS,
    SUBSCRIPTIONS,
    aware,
    card_title,
    chunks,
    core_table,
    fingerprint,
)


def _subscription_values(run: ImportRun, user_id: int, sub: Row) -> dict[str, Any]:
    status = str(sub["status_from_panel"] or "").upper()
    if sub["provider"] or user_id in run.paid_users:
        kind = SubscriptionKind.PAID.value
    elif status.startswith("TRIAL"):
        kind = SubscriptionKind.TRIAL.value
    else:
        kind = SubscriptionKind.BONUS.value
    return {
        "kind": kind,
        "tariff_code": run.tariff.code,
        "expires_at": aware(sub["end_date"]),
        "traffic_limit_bytes": max(int(sub["traffic_limit_bytes"] or 0), 0),
        "device_limit": run.options.device_limit,
    }


async def import_subscriptions(run: ImportRun) -> None:
    count = run.report.table(SUBSCRIPTIONS)
    count.source = sum(len(subs) for subs in run.subs_of.values())
    run.progress.stage("subscriptions", count.source)
    existing = {
        int(cid): expires
        for cid, expires in (
            await run.s.execute(select(Subscription.customer_id, Subscription.expires_at))
        ).all()
    }
    fresh: list[dict[str, Any]] = []
    for user_id, subs in run.subs_of.items():
        current = run.current_sub.get(user_id)
        for sub in subs:
            if sub is not current:
                reason = "no end date" if sub["end_date"] is None else "older row (one subscription is kept)"
                run.report.skip(SUBSCRIPTIONS, sub["subscription_id"], reason)
        if current is None:
            continue
        customer_id = run.customer_of.get(user_id)
        if customer_id is None:
            run.report.skip(SUBSCRIPTIONS, current["subscription_id"], "customer not imported")
            continue
        values = _subscription_values(run, user_id, current)
        digest = fingerprint(*values.values())
        key = run.keys.get(SUBSCRIPTIONS, user_id)
        if key is not None and key.fingerprint == digest:
            count.unchanged += 1
            continue
        here = existing.get(customer_id)
        if here is not None:
            # the customer's subscription here may have moved on (bought in this shop): keep the later
            values["expires_at"] = max(here, values["expires_at"])
            await run.s.execute(
                update(Subscription)
                .where(Subscription.customer_id == customer_id)
                .values(**values, updated_at=run.now)
            )
            if key is None:
                run.keys.add(SUBSCRIPTIONS, user_id, customer_id, digest)
                count.created += 1
            else:
                run.keys.touch(SUBSCRIPTIONS, user_id, digest)
                count.updated += 1
            continue
        started = aware(current["start_date"]) or run.now
        fresh.append({"customer_id": customer_id, "created_at": started, "updated_at": run.now, **values})
        run.keys.add(SUBSCRIPTIONS, user_id, customer_id, digest)
    for chunk in chunks(fresh):
        await run.s.execute(core_table(Subscription).insert(), list(chunk))
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()


def _cards(run: ImportRun) -> dict[int, list[tuple[str, str | None, bool, datetime | None]]]:
    """Each user's saved YooKassa methods, default first: (method id, title, default, saved at)."""
    cards: dict[int, dict[str, tuple[str, str | None, bool, datetime | None]]] = defaultdict(dict)
    for row in run.data.rows("user_payment_methods"):
        if str(row["provider"] or "yookassa").lower() != "yookassa" or not row["provider_payment_method_id"]:
            continue
        method = str(row["provider_payment_method_id"])[:64]
        at = aware(row["updated_at"]) or aware(row["created_at"])
        cards[int(row["user_id"])][method] = (method, card_title(row), bool(row["is_default"]), at)
    for row in run.data.rows("user_billing"):  # the legacy single card (often the same method again)
        method = str(row["yookassa_payment_method_id"] or "")[:64]
        if method and method not in cards[int(row["user_id"])]:
            at = aware(row["updated_at"]) or aware(row["created_at"])
            cards[int(row["user_id"])][method] = (method, card_title(row), False, at)
    epoch = datetime.min.replace(tzinfo=run.now.tzinfo)
    return {
        user: sorted(found.values(), key=lambda c: (c[2], c[3] or epoch), reverse=True)
        for user, found in cards.items()
        if found
    }


async def import_saved_methods(run: ImportRun) -> None:
    cards = _cards(run)
    count = run.report.table(SAVED_METHODS)
    count.source = len(cards)
    run.progress.stage("saved cards", len(cards))
    renewals = AutoRenewalRepository(run.s)
    existing = set((await run.s.execute(select(AutoRenewal.customer_id))).scalars().all())
    fresh: list[dict[str, Any]] = []
    for user_id, methods in cards.items():
        method_id, title, _, _ = methods[0]
        customer_id = run.customer_of.get(user_id)
        sub = run.current_sub.get(user_id)
        period = run.period(sub["duration_months"]) if sub is not None else None
        period = period or (run.tariff.periods[0] if run.tariff.periods else None)
        on = (
            sub is not None
            and str(sub["provider"] or "").lower() == "yookassa"
            and bool(sub["auto_renew_enabled"])
            and period is not None
        )
        digest = fingerprint(method_id, title, on, period.code if period else None)
        key = run.keys.get(SAVED_METHODS, user_id)
        if key is not None:
            if key.fingerprint == digest:
                count.unchanged += 1
                continue
            if customer_id is not None and on and period is not None:
                await renewals.enable(
                    customer_id,
                    method="yookassa",
                    tariff_code=run.tariff.code,
                    period_code=period.code,
                    saved_method_id=method_id,
                    saved_method_title=title,
                )
            elif customer_id is not None:
                await renewals.disable(customer_id)
            run.keys.touch(SAVED_METHODS, user_id, digest)
            count.updated += 1
            continue
        if customer_id is None:
            run.report.skip(SAVED_METHODS, user_id, "customer not imported")
        elif not on or period is None:
            run.report.skip(
                SAVED_METHODS,
                user_id,
                "auto-renewal was off in the old bot (a card is kept here only for auto-renewal)",
            )
        elif customer_id in existing:
            run.report.skip(SAVED_METHODS, user_id, "auto-renewal already set up in this shop")
        else:
            fresh.append(
                {
                    "customer_id": customer_id,
                    "enabled": True,
                    "method": "yookassa",
                    "saved_method_id": method_id,
                    "saved_method_title": title,
                    "tariff_code": run.tariff.code,
                    "period_code": period.code,
                    "attempts": 0,
                    "created_at": run.now,
                    "updated_at": run.now,
                }
            )
            run.keys.add(SAVED_METHODS, user_id, customer_id, digest)
    for chunk in chunks(fresh):
        await run.s.execute(core_table(AutoRenewal).insert(), list(chunk))
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()
