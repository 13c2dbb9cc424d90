"""Import stage of paid history: each succeeded payment becomes an order that is already fulfilled (no
settlement, fulfilment or notice runs), and the imported totals per currency for the report."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from remnastore.db.models import ImportKey, Order, OrderKind, OrderStatus, new_order_id
from remnastore.domain.money import Money, UnknownCurrency
from remnastore.ops.importers.machka_run import ImportRun
from remnastore.ops.importers.machka_values import (
    KEY_PREFIX,
    PAYMENTS,
    PROVIDERS,
    SOURCE,
    aware,
    chunks,
    core_table,
    currency_code,
    exact_money,
    fingerprint,
    payment_ref,
    source_decimal,
)


async def import_payments(run: ImportRun) -> None:
    payments = run.data.rows("payments")
    count = run.report.table(PAYMENTS)
    count.source = len(payments)
    run.progress.stage("payments", len(payments))
    for known, target in run.keys.targets(PAYMENTS).items():
        run.order_of[int(known)] = target
    seen: dict[tuple[str, str], int] = {}
    fresh: list[dict[str, Any]] = []
    for row in payments:
        source_id = int(row["payment_id"])
        status = str(row["status"] or "")
        if status != "succeeded":
            run.report.skip(PAYMENTS, source_id, f"not paid (status {status or 'empty'})")
            continue
        try:
            code = currency_code(row["currency"])
        except UnknownCurrency:
            run.report.skip(PAYMENTS, source_id, f"unknown currency {row['currency']!r}")
            continue
        before = source_decimal(row["amount"]) if row["amount"] is not None else None
        if before is not None:
            run.report.money_before[code] = run.report.money_before.get(code, Decimal(0)) + before
        provider = PROVIDERS.get(str(row["provider"] or "").strip().lower())
        ref = payment_ref(row)
        if ref is not None and provider is not None:
            if (provider, ref) in seen:
                other = seen[(provider, ref)]
                run.report.skip(PAYMENTS, source_id, f"duplicate of payment {other} (same payment id)")
                continue
            seen[(provider, ref)] = source_id
        if run.keys.get(PAYMENTS, source_id) is not None:
            count.unchanged += 1
            continue
        customer_id = run.customer_of.get(int(row["user_id"]))
        if customer_id is None:
            run.report.skip(PAYMENTS, source_id, "customer not imported")
            continue
        if provider is None:
            run.report.skip(PAYMENTS, source_id, f"unknown provider {row['provider']!r}")
            continue
        try:
            amount = exact_money(row["amount"], code)
        except (ValueError, InvalidOperation):
            run.report.skip(PAYMENTS, source_id, "amount is not a number")
            continue
        if amount.minor <= 0:
            run.report.skip(PAYMENTS, source_id, "amount is not positive")
            continue
        months = row["subscription_duration_months"]
        period = run.period(months)
        created = aware(row["created_at"]) or run.now
        paid = aware(row["updated_at"]) or created
        order_id = new_order_id()
        meta: dict[str, Any] = {
            "imported_from": SOURCE,
            "source_payment_id": source_id,
            "source_amount": str(before),
        }
        if row["description"]:
            meta["description"] = str(row["description"])[:256]
        if isinstance(months, int):
            meta["months"] = months
        fresh.append(
            {
                "id": order_id,
                "customer_id": customer_id,
                "kind": OrderKind.SUBSCRIPTION.value,
                "tariff_code": run.tariff.code,
                "period_code": period.code if period is not None else None,
                "days": period.approx_days if period is not None else None,
                "amount_minor": amount.minor,
                "currency": amount.currency,
                "discount_minor": 0,
                "provider": provider,
                "status": OrderStatus.FULFILLED.value,
                "idempotency_key": f"{KEY_PREFIX}{source_id}",
                "provider_payment_id": ref,
                "created_at": created,
                "updated_at": paid,
                "paid_at": paid,
                "fulfilled_at": paid,
                "fulfilment_attempts": 0,
                "meta": meta,
            }
        )
        run.order_of[source_id] = order_id
        run.keys.add(PAYMENTS, source_id, order_id, fingerprint(amount.minor, amount.currency, ref))
    for chunk in chunks(fresh):
        await run.s.execute(core_table(Order).insert(), list(chunk))
        count.created += len(chunk)
        run.progress.advance(len(chunk))
    run.progress.finish()


async def count_imported_money(run: ImportRun) -> None:
    query = (
        select(Order.currency, func.sum(Order.amount_minor))
        .join(ImportKey, ImportKey.target_key == Order.id)
        .where(ImportKey.source == SOURCE, ImportKey.entity == PAYMENTS)
        .group_by(Order.currency)
    )
    for code, total in (await run.s.execute(query)).all():
        run.report.money_after[str(code)] = Money(int(total or 0), str(code))
