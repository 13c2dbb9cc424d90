"""Import stages of promotions: ad campaigns and who came through them, promo codes (bonus days) and
their activations."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select, update

from remnastore.db.models import (
    Campaign,
    CampaignAttribution,
    PromoActivation,
    PromoActivationStatus,
    PromoCode,
    PromoKind,
)
from remnastore.db.repositories.promos import normalize_promo_code
from remnastore.ops.importers.machka_run import ImportRun
from remnastore.ops.importers.machka_values import (
    ATTRIBUTIONS,
    CAMPAIGNS,
    PROMO_ACTIVATIONS,
    PROMO_CODES,
    aware,
    chunks,
    clipped,
    core_table,
    exact_money,
    fingerprint,
)

_CAMPAIGN_CODE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")


async def import_campaigns(run: ImportRun) -> None:
    campaigns = run.data.rows("ad_campaigns")
    count = run.report.table(CAMPAIGNS)
    count.source = len(campaigns)
    run.progress.stage("ad campaigns", len(campaigns))
    for row in campaigns:
        source_id = int(row["ad_campaign_id"])
        code = str(row["start_param"] or "").strip()
        if not _CAMPAIGN_CODE.match(code):
            run.report.skip(CAMPAIGNS, source_id, "start parameter is not a valid deep-link code")
            continue
        try:
            cost = exact_money(row["cost"] or 0, run.options.campaign_currency)
        except ValueError:
            run.report.skip(CAMPAIGNS, source_id, "cost is not a number")
            continue
        values = {
            "code": code,
            "title": clipped(row["source"], 128) or code,
            "cost_minor": max(cost.minor, 0),
            "cost_currency": cost.currency,
            "is_active": True if row["is_active"] is None else bool(row["is_active"]),
        }
        digest = fingerprint(*values.values())
        key = run.keys.get(CAMPAIGNS, source_id)
        if key is not None:
            if key.fingerprint == digest:
                count.unchanged += 1
            else:
                await run.s.execute(update(Campaign).where(Campaign.id == int(key.target)).values(values))
                run.keys.touch(CAMPAIGNS, source_id, digest)
                count.updated += 1
            continue
        created = aware(row["created_at"]) or run.now
        new_id = await run.s.scalar(
            insert(Campaign).values(**values, created_at=created).returning(Campaign.id)
        )
        run.keys.add(CAMPAIGNS, source_id, int(new_id or 0), digest)
        count.created += 1
        run.progress.advance()
    run.progress.finish()


async def import_attributions(run: ImportRun) -> None:
    rows = run.data.rows("ad_attributions")
    count = run.report.table(ATTRIBUTIONS)
    count.source = len(rows)
    run.progress.stage("ad attributions", len(rows))
    campaigns = run.keys.targets(CAMPAIGNS)
    already = set((await run.s.execute(select(CampaignAttribution.customer_id))).scalars().all())
    fresh: list[dict[str, Any]] = []
    for row in rows:
        user_id = int(row["user_id"])
        if run.keys.get(ATTRIBUTIONS, user_id) is not None:
            count.unchanged += 1
            continue
        customer_id = run.customer_of.get(user_id)
        campaign_id = campaigns.get(str(row["ad_campaign_id"]))
        if customer_id is None:
            run.report.skip(ATTRIBUTIONS, user_id, "customer not imported")
        elif campaign_id is None:
            run.report.skip(ATTRIBUTIONS, user_id, "campaign not imported")
        elif customer_id in already:
            run.report.skip(ATTRIBUTIONS, user_id, "customer already attributed in this shop")
        else:
            started = aware(row["first_start_at"]) or run.now
            fresh.append({"campaign_id": int(campaign_id), "customer_id": customer_id, "created_at": started})
            run.keys.add(ATTRIBUTIONS, user_id, customer_id, fingerprint(campaign_id))
    for chunk in chunks(fresh):
        await run.s.execute(core_table(CampaignAttribution).insert(), list(chunk))
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()


async def import_promo_codes(run: ImportRun) -> None:
    promos = run.data.rows("promo_codes")
    count = run.report.table(PROMO_CODES)
    count.source = len(promos)
    run.progress.stage("promo codes", len(promos))
    used: dict[int, int] = defaultdict(int)
    for activation in run.data.rows("promo_code_activations"):
        used[int(activation["promo_code_id"])] += 1
    seen: dict[str, int] = {}
    for row in promos:
        source_id = int(row["promo_code_id"])
        code = str(row["code"] or "").strip()
        normalized = normalize_promo_code(code)
        if not normalized or len(normalized) > 64:
            run.report.skip(PROMO_CODES, source_id, "empty or too long code")
            continue
        if normalized in seen:
            run.report.skip(PROMO_CODES, source_id, f"duplicate code (same as promo code {seen[normalized]})")
            continue
        seen[normalized] = source_id
        days = int(row["bonus_days"] or 0)
        if days <= 0:
            run.report.skip(PROMO_CODES, source_id, "bonus days are not positive")
            continue
        maximum = int(row["max_activations"] or 0)
        values: dict[str, Any] = {
            "max_activations": max(maximum, 0),
            "activations_count": max(int(row["current_activations"] or 0), used[source_id]),
            "valid_until": aware(row["valid_until"]),
            "is_active": True if row["is_active"] is None else bool(row["is_active"]),
            "value": days,
        }
        digest = fingerprint(*values.values())
        key = run.keys.get(PROMO_CODES, source_id)
        if key is not None:
            if key.fingerprint == digest:
                count.unchanged += 1
            else:
                target = await run.s.get(PromoCode, int(key.target))
                if target is not None:
                    values["activations_count"] = max(values["activations_count"], target.activations_count)
                await run.s.execute(update(PromoCode).where(PromoCode.id == int(key.target)).values(values))
                run.keys.touch(PROMO_CODES, source_id, digest)
                count.updated += 1
            continue
        new_id = await run.s.scalar(
            insert(PromoCode)
            .values(
                code=code[:64],
                code_normalized=normalized,
                kind=PromoKind.DAYS.value,
                currency=None,
                first_purchase_only=False,
                created_by=row["created_by_admin_id"],
                created_at=aware(row["created_at"]) or run.now,
                **values,
            )
            .returning(PromoCode.id)
        )
        run.keys.add(PROMO_CODES, source_id, int(new_id or 0), digest)
        count.created += 1
        run.progress.advance()
    run.progress.finish()


async def import_promo_activations(run: ImportRun) -> None:
    rows = run.data.rows("promo_code_activations")
    count = run.report.table(PROMO_ACTIVATIONS)
    count.source = len(rows)
    run.progress.stage("promo activations", len(rows))
    promos = run.keys.targets(PROMO_CODES)
    pairs = (await run.s.execute(select(PromoActivation.promo_id, PromoActivation.customer_id))).all()
    existing: set[tuple[int, int]] = {(int(p), int(c)) for p, c in pairs}
    fresh: list[dict[str, Any]] = []
    for row in rows:
        source_id = int(row["activation_id"])
        if run.keys.get(PROMO_ACTIVATIONS, source_id) is not None:
            count.unchanged += 1
            continue
        customer_id = run.customer_of.get(int(row["user_id"]))
        promo_id = promos.get(str(row["promo_code_id"]))
        if customer_id is None:
            run.report.skip(PROMO_ACTIVATIONS, source_id, "customer not imported")
            continue
        if promo_id is None:
            run.report.skip(PROMO_ACTIVATIONS, source_id, "promo code not imported")
            continue
        pair = (int(promo_id), customer_id)
        if pair in existing:
            run.report.skip(PROMO_ACTIVATIONS, source_id, "customer already used this code")
            continue
        existing.add(pair)
        at = aware(row["activated_at"]) or run.now
        order_id = run.order_of.get(int(row["payment_id"])) if row["payment_id"] is not None else None
        fresh.append(
            {
                "promo_id": int(promo_id),
                "customer_id": customer_id,
                "order_id": order_id,
                "status": PromoActivationStatus.APPLIED.value,
                "created_at": at,
                "consumed_at": at,
            }
        )
        run.keys.add(PROMO_ACTIVATIONS, source_id, f"{promo_id}:{customer_id}", fingerprint(pair))
    for chunk in chunks(fresh):
        await run.s.execute(core_table(PromoActivation).insert(), list(chunk))
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()
