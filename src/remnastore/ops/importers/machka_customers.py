"""Import stages of people: customers (names, language, ban, panel link, referral code) and who invited
whom (referrals, with each invitee's first imported paid order)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from remnastore.db.models import Customer, ImportKey, Order, Referral, new_referral_code
from remnastore.locales import SUPPORTED_LANGUAGES
from remnastore.ops.importers.machka_run import ImportRun
from remnastore.ops.importers.machka_source import Row
from remnastore.ops.importers.machka_values import (
    CUSTOMERS,
    PAYMENTS,
    REFERRALS,
    SOURCE,
    aware,
    chunks,
    clipped,
    core_table,
    fingerprint,
    leads_to,
    referral_code,
)

_CUSTOMER_FIELDS = ("username", "first_name", "last_name", "language", "is_banned", "panel_uuid")


async def import_customers(run: ImportRun) -> None:
    users = run.data.rows("users")
    count = run.report.table(CUSTOMERS)
    count.source = len(users)
    run.progress.stage("customers", len(users))
    existing = (await run.s.execute(select(Customer.id, Customer.referral_code, Customer.panel_uuid))).all()
    codes = {str(code) for _, code, _ in existing}
    imported = {int(v) for v in run.keys.targets(CUSTOMERS).values()}
    foreign_links = {str(link) for cid, _, link in existing if link and cid not in imported}
    links = _panel_links(run, foreign_links)
    regenerated = 0
    fresh: list[tuple[Row, dict[str, Any], str]] = []
    for user in users:
        user_id = int(user["user_id"])
        values = _customer_values(run, user, links.get(user_id))
        digest = fingerprint(*(values[k] for k in _CUSTOMER_FIELDS))
        key = run.keys.get(CUSTOMERS, user_id)
        if key is not None:
            run.customer_of[user_id] = int(key.target)
            if key.fingerprint == digest:
                count.unchanged += 1
            else:
                await run.s.execute(
                    update(Customer)
                    .where(Customer.id == int(key.target))
                    .values(**{k: values[k] for k in _CUSTOMER_FIELDS}, updated_at=run.now)
                )
                run.keys.touch(CUSTOMERS, user_id, digest)
                count.updated += 1
            continue
        code = referral_code(user["referral_code"])
        if code is None or code in codes:
            regenerated += 1
            code = new_referral_code()
            while code in codes:
                code = new_referral_code()
        codes.add(code)
        values["referral_code"] = code
        fresh.append((user, values, digest))
    for chunk in chunks(fresh):
        table = core_table(Customer)
        statement = table.insert().returning(table.c.id, table.c.telegram_id)
        result = await run.s.execute(statement, [values for _, values, _ in chunk])
        ids = {int(tg): int(cid) for cid, tg in result.all()}
        for user, _, digest in chunk:
            user_id = int(user["user_id"])
            run.customer_of[user_id] = ids[user_id]
            run.keys.add(CUSTOMERS, user_id, ids[user_id], digest)
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()
    if regenerated:
        run.report.notes.append(
            f"{regenerated} customers had no usable referral code in the source and got a new one"
        )


def _panel_links(run: ImportRun, foreign: set[str]) -> dict[int, str]:
    """Each user's panel user: ``users.panel_user_uuid``, or, where the old bot lost it, the one of
    their current subscription (if no other user, here or there, holds it)."""
    links: dict[int, str] = {}
    held: set[str] = set(foreign)
    for user in run.data.rows("users"):
        link = clipped(user["panel_user_uuid"], 64)
        if link is not None:
            if len(link) > 36:
                run.report.notes.append(f"user {user['user_id']}: panel link {link!r} is not a uuid")
                continue
            links[int(user["user_id"])] = link
            held.add(link)
    restored = 0
    for user in run.data.rows("users"):
        user_id = int(user["user_id"])
        sub = run.current_sub.get(user_id)
        if user_id in links or sub is None:
            continue
        link = clipped(sub["panel_user_uuid"], 64)
        if link is not None and len(link) <= 36 and link not in held:
            links[user_id] = link
            held.add(link)
            restored += 1
    if restored:
        run.report.notes.append(
            f"{restored} customers had lost their panel link in the old bot; it was restored from"
            " their subscription (the panel check below confirms it)"
        )
    return links


def _customer_values(run: ImportRun, user: Row, link: str | None) -> dict[str, Any]:
    user_id = int(user["user_id"])
    registered = aware(user["registration_date"]) or run.now
    subs = run.subs_of.get(user_id, [])
    starts = [m for s in subs if (m := aware(s.get("start_date")) or aware(s["end_date"]))]
    language = str(user["language_code"] or "").strip().lower().split("-")[0]
    return {
        "telegram_id": user_id,
        "username": clipped(user["username"], 64),
        "first_name": clipped(user["first_name"], 128),
        "last_name": clipped(user["last_name"], 128),
        "language": language if language in SUPPORTED_LANGUAGES else "ru",
        "is_banned": bool(user["is_banned"]),
        "panel_uuid": link,
        "trial_used_at": min(starts) if starts else None,
        "created_at": registered,
        "updated_at": run.now,
        "last_seen_at": registered,
        "balance_minor": 0,
    }


async def import_referrals(run: ImportRun) -> None:
    users = [u for u in run.data.rows("users") if u["referred_by_id"] is not None]
    count = run.report.table(REFERRALS)
    count.source = len(users)
    run.progress.stage("referrals", len(users))
    inviter_of: dict[int, int] = {
        int(invitee): int(referrer)
        for invitee, referrer in (
            await run.s.execute(select(Referral.invitee_id, Referral.referrer_id))
        ).all()
    }
    first_order = await _first_orders(run)
    users.sort(key=lambda u: (aware(u["registration_date"]) or run.now, int(u["user_id"])))
    fresh: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for user in users:
        user_id = int(user["user_id"])
        invitee = run.customer_of.get(user_id)
        key = run.keys.get(REFERRALS, user_id)
        if key is not None:
            order = first_order.get(invitee) if invitee is not None else None
            if order is not None and key.fingerprint != fingerprint(order):
                await run.s.execute(
                    update(Referral)
                    .where(Referral.id == int(key.target), Referral.first_paid_order_id.is_(None))
                    .values(first_paid_order_id=order)
                )
                run.keys.touch(REFERRALS, user_id, fingerprint(order))
                count.updated += 1
            else:
                count.unchanged += 1
            continue
        referrer_source = int(user["referred_by_id"])
        referrer = run.customer_of.get(referrer_source)
        if referrer_source == user_id:
            run.report.skip(REFERRALS, user_id, "invited by themselves")
        elif invitee is None or referrer is None:
            run.report.skip(REFERRALS, user_id, "customer or inviter not imported")
        elif invitee in inviter_of:
            run.report.skip(REFERRALS, user_id, "already has an inviter in this shop")
        elif leads_to(inviter_of, referrer, invitee):
            run.report.skip(REFERRALS, user_id, "referral cycle (the inviter was invited by them)")
        else:
            inviter_of[invitee] = referrer
            order = first_order.get(invitee)
            fresh.append(
                {
                    "referrer_id": referrer,
                    "invitee_id": invitee,
                    "created_at": aware(user["registration_date"]) or run.now,
                    "first_paid_order_id": order,
                    "_user_id": user_id,
                    "_digest": fingerprint(order),
                }
            )
            links.append({"id": invitee, "referred_by_id": referrer})
    for chunk in chunks(fresh):
        table = core_table(Referral)
        statement = table.insert().returning(table.c.id, table.c.invitee_id)
        values = [{k: v for k, v in row.items() if not k.startswith("_")} for row in chunk]
        ids = {int(invitee): int(rid) for rid, invitee in (await run.s.execute(statement, values)).all()}
        for row in chunk:
            run.keys.add(REFERRALS, row["_user_id"], ids[row["invitee_id"]], row["_digest"])
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    for chunk in chunks(links):
        customers = core_table(Customer)
        link = (
            customers.update()
            .where(customers.c.id == bindparam("customer_id"))
            .values(referred_by_id=bindparam("referrer_id"))
        )
        await run.s.execute(
            link, [{"customer_id": r["id"], "referrer_id": r["referred_by_id"]} for r in chunk]
        )
    run.progress.finish()


async def _first_orders(run: ImportRun) -> dict[int, str]:
    """Each imported customer's first paid order (so that their first purchase here is not taken
    for a first purchase: referral rewards for "the first payment" were given by the old bot)."""
    query = (
        select(Order.customer_id, Order.id)
        .join(ImportKey, ImportKey.target_key == Order.id)
        .where(ImportKey.source == SOURCE, ImportKey.entity == PAYMENTS)
        .order_by(Order.customer_id, Order.created_at.desc(), Order.id.desc())
    )
    # newest first, so the last value kept per customer is the earliest order
    return {int(cid): str(oid) for cid, oid in (await run.s.execute(query)).all()}
