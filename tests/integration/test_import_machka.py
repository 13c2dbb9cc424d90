"""Import from machka-pasla/remnawave-tg-shop: a realistic old database (duplicates, NULLs, float money,
a referral cycle, a banned customer, a lost panel link) is brought over exactly once; a dry run writes
nothing; a second run changes nothing; new activity in the old bot is brought over as the difference;
a source of another schema or a target with conflicting rows is refused before anything is written.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from remnastore.db.models import (
    AutoRenewal,
    Campaign,
    CampaignAttribution,
    Customer,
    ImportKey,
    Order,
    PromoActivation,
    PromoCode,
    Referral,
    Subscription,
)
from remnastore.db.session import Database
from remnastore.domain.catalogue import load_catalogue
from remnastore.domain.money import Money
from remnastore.emulators.machka_db import MachkaDatabase
from remnastore.emulators.panel import PanelEmulator
from remnastore.ops.importers.machka import MachkaImporter
from remnastore.ops.importers.machka_run import ImportOptions
from remnastore.ops.importers.machka_source import ImportRefused
from remnastore.ops.importers.machka_values import exact_money
from remnastore.ops.importers.panel_check import check_panel_links
from remnastore.ops.importers.progress import Progress
from remnastore.ops.importers.report import ImportReport
from remnastore.panel.client import RemnawaveClient

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
ANNA, BORIS, CYRIL, DINA, EGOR, FIRA, GLEB = 101, 102, 103, 104, 105, 106, 107
UUID = {user: f"00000000-0000-4000-8000-000000000{user}" for user in (ANNA, BORIS, CYRIL, DINA, EGOR, FIRA)}


async def seed(source: MachkaDatabase) -> None:
    """What the old bot's database looks like after a few months of trade."""

    def user(user_id: int, days_ago: int, **fields: Any) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "registration_date": NOW - days_ago * DAY,
            "is_banned": False,
            "language_code": "ru",
            **fields,
        }

    await source.insert(
        "users",
        user(
            ANNA,
            200,
            username="anna",
            first_name="Анна",
            panel_user_uuid=UUID[ANNA],
            referral_code="ABCDEF123",
        ),
        user(
            BORIS,
            150,
            username="boris",
            first_name="Boris",
            language_code="en",
            is_banned=True,
            panel_user_uuid=UUID[BORIS],
            referral_code="BORIS0001",
            referred_by_id=ANNA,
        ),
        # NULL names and language; invited by Dina, who (registered later) claims to be invited by Cyril
        user(
            CYRIL,
            100,
            username=None,
            first_name=None,
            language_code=None,
            panel_user_uuid=UUID[CYRIL],
            referral_code="CYRIL0001",
        ),
        user(
            DINA,
            90,
            first_name="Дина",
            language_code="uk",
            panel_user_uuid=UUID[DINA],
            referral_code="DINA00001",
            referred_by_id=CYRIL,
        ),
        # the old bot lost this link on a panel timeout (its bug C6); the subscription row still has it
        user(EGOR, 80, first_name="Egor", panel_user_uuid=None, referral_code="EGOR00001"),
        # linked to a panel user that was deleted on the panel since
        user(FIRA, 70, first_name="Fira", panel_user_uuid=UUID[FIRA], referral_code="FIRA00001"),
        user(GLEB, 60, first_name="Gleb", panel_user_uuid=None, referral_code=None),
    )
    await source.execute("UPDATE users SET referred_by_id = :d WHERE user_id = :c", {"d": DINA, "c": CYRIL})

    def sub(user_id: int, key: str, end: datetime, **fields: Any) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "panel_user_uuid": UUID[user_id],
            "panel_subscription_uuid": key,
            "start_date": NOW - 30 * DAY,
            "end_date": end,
            "is_active": True,
            "traffic_limit_bytes": 0,
            "auto_renew_enabled": False,
            **fields,
        }

    await source.insert(
        "subscriptions",
        # an old trial row and the current paid one (auto-renewal on, YooKassa)
        sub(
            ANNA, "trial-anna", NOW - 150 * DAY, is_active=False, status_from_panel="TRIAL", duration_months=0
        ),
        sub(
            ANNA,
            "paid-anna",
            NOW + 20 * DAY,
            status_from_panel="ACTIVE",
            duration_months=1,
            provider="yookassa",
            auto_renew_enabled=True,
            traffic_limit_bytes=50 * 2**30,
        ),
        sub(
            BORIS,
            "paid-boris",
            NOW - 10 * DAY,
            status_from_panel="ACTIVE",
            duration_months=3,
            provider="freekassa",
        ),
        sub(
            DINA,
            "trial-dina",
            NOW + 2 * DAY,
            status_from_panel="TRIAL",
            duration_months=0,
            auto_renew_enabled=True,
        ),
        sub(
            EGOR,
            "paid-egor",
            NOW + 40 * DAY,
            is_active=False,
            status_from_panel="ACTIVE",
            duration_months=1,
            provider="cryptopay",
        ),
        sub(FIRA, "bonus-fira", NOW + 5 * DAY, status_from_panel="ACTIVE_BONUS", duration_months=0),
    )

    def pay(
        user_id: int, provider: str, amount: float, currency: str, days_ago: int, **fields: Any
    ) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "provider": provider,
            "amount": amount,
            "currency": currency,
            "status": "succeeded",
            "description": "Subscription for 1 month",
            "subscription_duration_months": 1,
            "created_at": NOW - days_ago * DAY,
            "updated_at": NOW - days_ago * DAY + timedelta(minutes=1),
            **fields,
        }

    await source.insert(
        "payments",
        pay(ANNA, "yookassa", 199.99000000000001, "RUB", 60, yookassa_payment_id="yk-1"),
        pay(ANNA, "yookassa", 199.99000000000001, "RUB", 30, yookassa_payment_id="yk-2"),
        pay(ANNA, "yookassa", 199.99, "RUB", 1, status="pending_yookassa", yookassa_payment_id="yk-3"),
        pay(
            BORIS, "freekassa", 549.5, "RUB", 100, provider_payment_id="fk-77", subscription_duration_months=3
        ),
        pay(BORIS, "telegram_stars", 150.0, "XTR", 95, provider_payment_id="st-1"),
        pay(EGOR, "cryptopay", 2.5, "USDT", 20, provider_payment_id="cp-9"),
        pay(GLEB, "platega", 0.1 + 0.2, "RUB", 10, provider_payment_id="pl-1"),
        pay(GLEB, "platega", 100.0, "ABC", 9, provider_payment_id="pl-2"),
        # the auto-renew path of the old bot wrote the same YooKassa payment twice
        pay(GLEB, "yookassa", 100.0, "RUB", 8, yookassa_payment_id="yk-dup"),
        pay(GLEB, "yookassa", 100.0, "RUB", 8, provider_payment_id="yk-dup"),
    )
    await source.insert(
        "user_payment_methods",
        {
            "user_id": ANNA,
            "provider": "yookassa",
            "provider_payment_method_id": "pm-old-anna",
            "card_last4": "0005",
            "card_network": "MasterCard",
            "is_default": False,
            "created_at": NOW - 90 * DAY,
        },
        {
            "user_id": ANNA,
            "provider": "yookassa",
            "provider_payment_method_id": "pm-anna",
            "card_last4": "1234",
            "card_network": "Visa",
            "is_default": True,
            "created_at": NOW - 60 * DAY,
        },
        # a card, but auto-renewal was off: not kept here
        {
            "user_id": BORIS,
            "provider": "yookassa",
            "provider_payment_method_id": "pm-boris",
            "card_last4": "9999",
            "card_network": "Mir",
            "is_default": True,
            "created_at": NOW - 100 * DAY,
        },
    )
    # the legacy single-card table repeats Anna's card
    await source.insert(
        "user_billing",
        {
            "user_id": ANNA,
            "yookassa_payment_method_id": "pm-anna",
            "card_last4": "1234",
            "card_network": "Visa",
        },
    )
    await source.insert(
        "promo_codes",
        {
            "code": "SPRING",
            "bonus_days": 7,
            "max_activations": 10,
            "current_activations": 2,
            "is_active": True,
            "created_by_admin_id": 1,
            "valid_until": NOW + 30 * DAY,
        },
        {
            "code": "spring ",
            "bonus_days": 3,
            "max_activations": 5,
            "current_activations": 0,
            "is_active": True,
            "created_by_admin_id": 1,
        },
        {
            "code": "OLD",
            "bonus_days": 1,
            "max_activations": 1,
            "current_activations": 1,
            "is_active": False,
            "created_by_admin_id": 1,
            "valid_until": NOW - 30 * DAY,
        },
    )
    await source.insert(
        "promo_code_activations",
        {"promo_code_id": 1, "user_id": ANNA, "activated_at": NOW - 50 * DAY},
        {"promo_code_id": 1, "user_id": BORIS, "activated_at": NOW - 40 * DAY},
        {"promo_code_id": 3, "user_id": CYRIL, "activated_at": NOW - 35 * DAY},
    )
    await source.insert(
        "ad_campaigns",
        {"source": "VK ads", "start_param": "vk_ads", "cost": 1500.1, "is_active": True},
        {"source": "Broken", "start_param": "bad param!", "cost": 0.0, "is_active": True},
    )
    await source.insert(
        "ad_attributions",
        {"user_id": ANNA, "ad_campaign_id": 1, "first_start_at": NOW - 200 * DAY},
        {"user_id": CYRIL, "ad_campaign_id": 1, "first_start_at": NOW - 100 * DAY},
        {"user_id": DINA, "ad_campaign_id": 2, "first_start_at": NOW - 90 * DAY},
    )


def importer(database: Database, **options: Any) -> MachkaImporter:
    return MachkaImporter(database, load_catalogue(None), ImportOptions(**options))


async def snapshot(database: Database) -> dict[str, Any]:
    """Every imported table, as plain values (to compare runs)."""
    out: dict[str, Any] = {}
    async with database.session() as session:
        for model in (
            Customer,
            Subscription,
            Order,
            Referral,
            PromoCode,
            PromoActivation,
            Campaign,
            CampaignAttribution,
            AutoRenewal,
            ImportKey,
        ):
            rows = (await session.execute(select(model))).scalars().all()
            columns = [c.key for c in model.__table__.columns]
            out[model.__tablename__] = sorted(
                (tuple(str(getattr(row, c)) for c in columns) for row in rows), key=str
            )
    return out


async def customer(database: Database, telegram_id: int) -> Customer:
    async with database.session() as session:
        row = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
    assert row is not None, telegram_id
    return row


# -- money ------------------------------------------------------------------------------------------


def test_float_money_is_read_as_its_shortest_decimal_and_rounded_half_up() -> None:
    assert exact_money(199.99000000000001, "RUB") == Money(19999, "RUB")
    assert exact_money(0.1 + 0.2, "RUB") == Money(30, "RUB")
    assert exact_money(0.125, "RUB") == Money(13, "RUB")  # half up, not to even
    assert exact_money(2.675, "RUB") == Money(268, "RUB")  # the float is 2.67499999..., its repr 2.675
    assert exact_money(150.0, "XTR") == Money(150, "XTR")
    assert exact_money(149.5, "XTR") == Money(150, "XTR")
    assert exact_money(2.5, "USDT") == Money(2_500_000, "USDT")
    with pytest.raises(ValueError, match="finite"):
        exact_money(float("nan"), "RUB")


# -- the import -------------------------------------------------------------------------------------


async def test_realistic_database_is_imported_once_with_a_report(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    report = await importer(database).run(machka_source.url)

    counts = {name: (c.source, c.created, c.skipped) for name, c in report.tables.items()}
    assert counts["customers"] == (7, 7, 0)
    assert counts["subscriptions"] == (6, 5, 1)  # Anna's old trial row is history
    assert counts["payments"] == (10, 7, 3)  # pending, unknown currency, the duplicate
    assert counts["referrals"] == (3, 2, 1)  # the cycle
    assert counts["promo_codes"] == (3, 2, 1)  # "spring " is "SPRING" again
    assert counts["promo_activations"] == (3, 3, 0)
    assert counts["ad_campaigns"] == (2, 1, 1)
    assert counts["ad_attributions"] == (3, 2, 1)
    assert counts["saved_methods"] == (2, 1, 1)  # Boris had auto-renewal off
    reasons = report.counts()
    assert reasons["not paid (status pending_yookassa)"] == 1
    assert reasons["unknown currency 'ABC'"] == 1
    assert reasons["referral cycle (the inviter was invited by them)"] == 1
    assert any(r.startswith("duplicate of payment") for r in reasons)
    assert any(r.startswith("duplicate code") for r in reasons)

    # money: exact sums of the floats as stored, and the orders
    assert report.money_before["RUB"] == Decimal("199.99") * 2 + Decimal("549.5") + Decimal(
        "0.30000000000000004"
    ) + Decimal("200.0")
    assert report.money_after == {
        "RUB": Money(19999 * 2 + 54950 + 30 + 10000, "RUB"),
        "XTR": Money(150, "XTR"),
        "USDT": Money(2_500_000, "USDT"),
    }
    text = report.render(full=True)
    assert "RUB: 1149.78000000000000004 -> 1049.78 (difference -100.00000000000000004" in text
    assert "XTR: 150 -> 150 (difference +0 " in text
    assert "customers: referral cycle" not in text and "referrals: referral cycle" in text

    anna = await customer(database, ANNA)
    assert (anna.first_name, anna.language, anna.is_banned) == ("Анна", "ru", False)
    assert anna.referral_code == "UABCDEF123"  # old links ref_uABCDEF123 keep working
    assert anna.panel_uuid == UUID[ANNA]
    assert anna.created_at == NOW - 200 * DAY
    assert anna.trial_used_at == NOW - 30 * DAY
    boris = await customer(database, BORIS)
    assert (boris.language, boris.is_banned, boris.referred_by_id) == ("en", True, anna.id)
    cyril = await customer(database, CYRIL)
    dina = await customer(database, DINA)
    assert (cyril.username, cyril.first_name, cyril.language) == (None, None, "ru")
    assert cyril.referred_by_id == dina.id and dina.referred_by_id is None
    assert dina.language == "ru"  # "uk" is not a language of the shop
    egor = await customer(database, EGOR)
    assert egor.panel_uuid == UUID[EGOR]  # restored from the subscription row
    gleb = await customer(database, GLEB)
    assert gleb.referral_code and gleb.referral_code != "U"

    async with database.session() as session:
        subs = {s.customer_id: s for s in (await session.execute(select(Subscription))).scalars().all()}
        orders = (await session.execute(select(Order).order_by(Order.created_at))).scalars().all()
        renewal = await session.scalar(select(AutoRenewal))
        referral = await session.scalar(select(Referral).where(Referral.invitee_id == boris.id))
        promo = await session.scalar(select(PromoCode).where(PromoCode.code_normalized == "SPRING"))
    assert subs[anna.id].kind == "paid" and subs[anna.id].expires_at == NOW + 20 * DAY
    assert subs[anna.id].traffic_limit_bytes == 50 * 2**30 and subs[anna.id].tariff_code == "standard"
    assert subs[boris.id].expires_at == NOW - 10 * DAY
    assert subs[dina.id].kind == "trial" and subs[egor.id].kind == "paid"
    assert {o.status for o in orders} == {"fulfilled"}
    anna_orders = [o for o in orders if o.customer_id == anna.id]
    assert [(o.amount_minor, o.currency, o.provider, o.provider_payment_id) for o in anna_orders] == [
        (19999, "RUB", "yookassa", "yk-1"),
        (19999, "RUB", "yookassa", "yk-2"),
    ]
    assert anna_orders[0].paid_at == NOW - 60 * DAY + timedelta(minutes=1)
    assert {o.provider for o in orders} == {"yookassa", "freekassa", "stars", "cryptobot", "platega"}
    assert renewal is not None and renewal.customer_id == anna.id and renewal.enabled
    assert (renewal.method, renewal.saved_method_id, renewal.saved_method_title) == (
        "yookassa",
        "pm-anna",
        "Visa *1234",
    )
    assert (renewal.tariff_code, renewal.period_code) == ("standard", "1m")
    # Boris's purchases in the old bot count: his first purchase here is not a "first payment"
    boris_first = next(o for o in orders if o.customer_id == boris.id)
    assert referral is not None and referral.first_paid_order_id == boris_first.id
    assert promo is not None and (promo.kind, promo.value, promo.max_activations) == ("days", 7, 10)
    assert promo.activations_count == 2


async def test_dry_run_writes_nothing_and_reports_the_same(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    before = await snapshot(database)
    dry = await importer(database).run(machka_source.url, dry_run=True)
    assert await snapshot(database) == before
    assert dry.dry_run and dry.table("customers").created == 7
    real = await importer(database).run(machka_source.url)
    assert {k: (v.created, v.skipped) for k, v in dry.tables.items()} == {
        k: (v.created, v.skipped) for k, v in real.tables.items()
    }
    assert dry.money_after == real.money_after


async def test_second_run_changes_nothing_and_new_activity_comes_over_as_the_difference(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    await importer(database).run(machka_source.url)
    first = await snapshot(database)

    again = await importer(database).run(machka_source.url)
    assert not again.changed
    assert await snapshot(database) == first
    assert again.table("customers").unchanged == 7 and again.table("payments").unchanged == 7

    # the old bot keeps trading for a day: a new customer pays, Anna renews, Boris is unbanned
    await machka_source.insert(
        "users",
        {
            "user_id": 108,
            "registration_date": NOW,
            "is_banned": False,
            "language_code": "en",
            "first_name": "Hana",
            "panel_user_uuid": "00000000-0000-4000-8000-000000000108",
            "referral_code": "HANA00001",
            "referred_by_id": ANNA,
        },
    )
    await machka_source.insert(
        "payments",
        {
            "user_id": 108,
            "provider": "yookassa",
            "amount": 199.99000000000001,
            "currency": "RUB",
            "status": "succeeded",
            "yookassa_payment_id": "yk-new",
            "subscription_duration_months": 1,
            "created_at": NOW,
        },
        {
            "user_id": ANNA,
            "provider": "yookassa",
            "amount": 199.99000000000001,
            "currency": "RUB",
            "status": "succeeded",
            "yookassa_payment_id": "yk-4",
            "subscription_duration_months": 1,
            "created_at": NOW,
        },
    )
    await machka_source.execute(
        "UPDATE subscriptions SET end_date = end_date + interval '1 month'"
        " WHERE panel_subscription_uuid = 'paid-anna'"
    )
    await machka_source.execute("UPDATE users SET is_banned = false WHERE user_id = :b", {"b": BORIS})
    await machka_source.execute("UPDATE payments SET status = 'succeeded' WHERE yookassa_payment_id = 'yk-3'")

    later = await importer(database).run(machka_source.url)
    assert later.table("customers").created == 1 and later.table("customers").updated == 1
    assert later.table("customers").unchanged == 6
    assert later.table("payments").created == 3  # Hana's, Anna's renewal, the pending one now paid
    assert later.table("subscriptions").updated == 1 and later.table("subscriptions").created == 0
    assert later.table("referrals").created == 1
    hana = await customer(database, 108)
    assert (await customer(database, BORIS)).is_banned is False
    assert hana.referred_by_id == (await customer(database, ANNA)).id
    async with database.session() as session:
        sub = await session.scalar(
            select(Subscription).where(Subscription.customer_id == (await customer(database, ANNA)).id)
        )
        paid = await session.scalar(select(func.count()).select_from(Order))
    assert sub is not None and sub.expires_at > NOW + 45 * DAY
    assert paid == 10

    assert not (await importer(database).run(machka_source.url)).changed


async def test_source_of_another_schema_is_refused(machka_source: MachkaDatabase, database: Database) -> None:
    await machka_source.execute("ALTER TABLE payments DROP COLUMN amount")
    with pytest.raises(ImportRefused, match="not a remnawave-tg-shop database: table payments lacks amount"):
        await importer(database).run(machka_source.url)


async def test_unreachable_or_non_postgres_source_is_refused(database: Database) -> None:
    with pytest.raises(ImportRefused, match="postgresql"):
        await importer(database).run("sqlite:///old.db")
    with pytest.raises(ImportRefused, match="cannot") as refused:
        await importer(database).run("postgresql://nobody:s3cret-pw@127.0.0.1:1/none_test")
    assert "s3cret-pw" not in str(refused.value)


async def test_two_imports_at_once_write_each_row_once(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    results = await asyncio.gather(
        importer(database).run(machka_source.url),
        importer(database).run(machka_source.url),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ImportRefused)]
    assert all(isinstance(r, ImportRefused | ImportReport) for r in results), results
    assert len(refused) <= 1
    if refused:
        assert "run the import again" in str(refused[0])
    again = await importer(database).run(machka_source.url)
    assert not again.changed
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 7
        assert await session.scalar(select(func.count()).select_from(Order)) == 7


async def test_conflicting_target_rows_refuse_the_import_and_nothing_is_written(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    async with database.session() as session:
        session.add(Customer(telegram_id=BORIS, language="en", referral_code="ZZZZ2222"))
        session.add(Campaign(code="vk_ads", title="mine"))
    before = await snapshot(database)
    with pytest.raises(ImportRefused) as refused:
        await importer(database).run(machka_source.url)
    message = str(refused.value)
    assert "1 customers with the same Telegram id (102)" in message
    assert "1 ad campaigns with the same code (vk_ads)" in message
    assert "\n" not in message
    assert await snapshot(database) == before


async def test_unknown_tariff_is_refused(machka_source: MachkaDatabase, database: Database) -> None:
    with pytest.raises(ImportRefused, match="tariff 'gold' is not in the catalogue"):
        await importer(database, tariff_code="gold").run(machka_source.url)


async def test_progress_is_drawn_on_a_terminal(machka_source: MachkaDatabase, database: Database) -> None:
    await seed(machka_source)
    stream = io.StringIO()
    await MachkaImporter(database, load_catalogue(None), progress=Progress(stream, interactive=True)).run(
        machka_source.url
    )
    drawn = stream.getvalue()
    assert "\rcustomers" in drawn and "7/7" in drawn and "#" * 30 in drawn


# -- the panel check --------------------------------------------------------------------------------


async def test_panel_check_confirms_links_and_lists_mismatches_without_writing_to_the_panel(
    machka_source: MachkaDatabase, database: Database, panel_emulator: PanelEmulator
) -> None:
    await seed(machka_source)
    panel_emulator.add_user(username="tg_101", telegram_id=ANNA, expire_at=NOW + 20 * DAY)
    panel_emulator.add_user(username="tg_102", telegram_id=BORIS, expire_at=NOW - 10 * DAY)
    panel_emulator.add_user(username="tg_103", telegram_id=CYRIL, expire_at=NOW)  # never subscribed here
    panel_emulator.add_user(username="tg_104", telegram_id=DINA, expire_at=NOW + 9 * DAY)  # differs
    panel_emulator.add_user(username="tg_105", telegram_id=EGOR, expire_at=NOW + 40 * DAY)
    panel_emulator.add_user(username="someone", telegram_id=999, expire_at=NOW)
    # Fira's panel user is gone; Gleb never had one
    await importer(database).run(machka_source.url)
    panel_emulator.requests.clear()

    async with RemnawaveClient(panel_emulator.url, panel_emulator.token, timeout=5) as client:
        result = await check_panel_links(database, client, username_prefix="tg_")

    assert {r.method for r in panel_emulator.requests} == {"GET"}
    problems = {m.telegram_id: m.problem for m in result.mismatches}
    assert set(problems) == {DINA, FIRA}
    assert problems[FIRA].startswith("the panel user is gone")
    assert problems[DINA].startswith("expiry differs")
    assert result.checked == 6 and result.confirmed == 4  # Anna, Boris, Cyril (no subscription), Egor
    anna = await customer(database, ANNA)
    panel_anna = panel_emulator.user_by_telegram_id(ANNA)
    assert panel_anna is not None
    assert (anna.panel_user_id, anna.panel_username) == (panel_anna["id"], "tg_101")
    assert (await customer(database, FIRA)).panel_user_id is None


async def test_a_lost_link_is_not_restored_onto_a_panel_user_another_customer_holds(
    machka_source: MachkaDatabase, database: Database
) -> None:
    await seed(machka_source)
    async with (
        database.session() as session
    ):  # somebody else, already in this shop, has Egor's old panel user
        session.add(Customer(telegram_id=555, language="ru", referral_code="QQQQ5555", panel_uuid=UUID[EGOR]))
    report = await importer(database).run(machka_source.url)
    assert report.table("customers").created == 7
    assert (await customer(database, EGOR)).panel_uuid is None
    assert (await customer(database, 555)).panel_uuid == UUID[EGOR]


async def test_panel_check_does_not_take_a_panel_user_linked_to_a_customer_of_this_shop(
    machka_source: MachkaDatabase, database: Database, panel_emulator: PanelEmulator
) -> None:
    await seed(machka_source)
    anna_panel = panel_emulator.add_user(username="tg_101", telegram_id=ANNA, expire_at=NOW + 20 * DAY)
    await importer(database).run(machka_source.url)
    async with database.session() as session:  # a customer of this shop linked to that panel user
        session.add(
            Customer(telegram_id=556, language="ru", referral_code="QQQQ5556", panel_user_id=anna_panel["id"])
        )

    async with RemnawaveClient(panel_emulator.url, panel_emulator.token, timeout=5) as client:
        result = await check_panel_links(database, client, username_prefix="tg_")

    problems = {m.telegram_id: m.problem for m in result.mismatches}
    assert problems[ANNA] == "the same panel user as Telegram id 556"
    assert (await customer(database, ANNA)).panel_user_id is None
