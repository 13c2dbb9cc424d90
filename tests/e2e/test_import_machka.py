"""Moving from the predecessor bot: after `remnastore import machka`, a customer of the old bot opens
this bot, sees the same expiry, and is renewed automatically with the card saved in the old bot.

The old bot's database is a real PostgreSQL database in its schema; the panel user and the YooKassa
card exist in the panel and YooKassa emulators as the old bot left them. The import runs through the
command's own entry point (the arguments a seller types) against the running shop's database.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Customer
from remnastore.domain.catalogue import add_months
from remnastore.emulators.machka_db import MachkaDatabase
from remnastore.emulators.panel import PanelEmulator
from remnastore.ops.importers import cli as import_cli
from tests.e2e.test_cli import remnastore
from tests.fixtures.renew_shop import RenewShop, eventually
from tests.fixtures.shop import BOT_TOKEN

LEAD = timedelta(hours=24)  # AUTORENEW_LEAD_HOURS default
OLD_CUSTOMER = 9801
PANEL_UUID = "5b7e5d7e-8d1c-4f7e-9a43-1c2b3d4e5f60"
CARD = "2d9e1c3a-000f-5000-9000-1e6a3c7b5d42"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="remnastore")
    import_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def old_bot_state(source: MachkaDatabase, shop: RenewShop, expiry: datetime) -> None:
    """What the old bot left behind: its rows, the panel user it created, the card YooKassa saved."""
    now = datetime.now(UTC)
    await source.insert(
        "users",
        {
            "user_id": OLD_CUSTOMER,
            "username": "olga",
            "first_name": "Olga",
            "language_code": "en",
            "registration_date": now - timedelta(days=120),
            "is_banned": False,
            "panel_user_uuid": PANEL_UUID,
            "referral_code": "OLGA12345",
        },
    )
    await source.insert(
        "subscriptions",
        {
            "user_id": OLD_CUSTOMER,
            "panel_user_uuid": PANEL_UUID,
            "panel_subscription_uuid": "sub-olga",
            "start_date": now - timedelta(days=10),
            "end_date": expiry,
            "duration_months": 1,
            "is_active": True,
            "status_from_panel": "ACTIVE",
            "traffic_limit_bytes": 0,
            "provider": "yookassa",
            "auto_renew_enabled": True,
        },
    )
    await source.insert(
        "payments",
        {
            "user_id": OLD_CUSTOMER,
            "yookassa_payment_id": "2d9e1c3a-000f-5000-9000-aaaaaaaaaaaa",
            "provider": "yookassa",
            "amount": 199.00000000000003,
            "currency": "RUB",
            "status": "succeeded",
            "description": "Subscription for 1 month",
            "subscription_duration_months": 1,
            "created_at": now - timedelta(days=10),
        },
    )
    await source.insert(
        "user_payment_methods",
        {
            "user_id": OLD_CUSTOMER,
            "provider": "yookassa",
            "provider_payment_method_id": CARD,
            "card_last4": "4242",
            "card_network": "Visa",
            "is_default": True,
        },
    )
    shop.panel.add_user(username=f"tg_{OLD_CUSTOMER}", telegram_id=OLD_CUSTOMER, expire_at=expiry)
    shop.yookassa.add_saved_method(CARD, last4="4242", card_type="Visa")


async def test_old_customer_sees_the_same_expiry_and_is_renewed_with_the_imported_card(
    renew_shop: RenewShop, machka_source: MachkaDatabase, tmp_path: Path
) -> None:
    shop = renew_shop
    expiry = (datetime.now(UTC) + timedelta(days=20)).replace(second=0, microsecond=0)
    await old_bot_state(machka_source, shop, expiry)
    panel_before = shop.panel.user_by_telegram_id(OLD_CUSTOMER)
    shop.panel.requests.clear()
    telegram_calls = len(shop.telegram.calls)

    # a dry run first, as the docs suggest: nothing is written
    out, err = io.StringIO(), io.StringIO()
    args = parse(
        "import", "machka", "--from", machka_source.url, "--dry-run", "--report", str(tmp_path / "dry.txt")
    )
    assert await import_cli.run_command(args, shop.app.settings, out=out, err=err) == 0
    assert "Dry run: nothing was written" in out.getvalue()
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0

    report_file = tmp_path / "import.txt"
    args = parse("import", "machka", "--from", machka_source.url, "--report", str(report_file))
    assert await import_cli.run_command(args, shop.app.settings, out=out, err=err) == 0
    printed = out.getvalue()
    assert "customers                       1        1" in printed
    assert "RUB: 199.00000000000003 -> 199.00" in printed
    assert "1 links checked, 1 confirmed, 0 mismatches" in printed
    assert "run the panel sync" in printed
    assert report_file.read_text(encoding="utf-8").startswith("Import from postgresql")
    assert "customers: 1/1" in err.getvalue()  # progress on stderr

    # nothing was sent to the customer, nothing written to the panel (the check only reads)
    assert len(shop.telegram.calls) == telegram_calls
    assert {r.method for r in shop.panel.requests} == {"GET"}
    assert shop.panel.user_by_telegram_id(OLD_CUSTOMER) == panel_before

    # the customer opens this bot: same expiry
    user = shop.user(OLD_CUSTOMER, first_name="Olga", language_code="en")
    await user.wait_reply(await user.send("/start"))
    reply = await user.wait_reply(await user.press("My subscription"))
    assert expiry.strftime("%Y-%m-%d %H:%M") in reply.text, reply.text
    assert "Auto-renewal: on" in " ".join(reply.button_texts)

    # a day before expiry the imported card is charged once, and the subscription moves a month
    shop.clock.set(expiry - LEAD + timedelta(minutes=5))
    assert shop.app.autorenew is not None
    assert await shop.app.autorenew.run_due() == 1
    (charge,) = shop.saved_charges()
    assert charge["payment_method"]["id"] == CARD and charge["status"] == "succeeded"
    assert charge["amount"] == {"value": "199.00", "currency": "RUB"}

    async def renewed() -> datetime | None:
        subscription = await shop.subscription(OLD_CUSTOMER)
        return subscription.expires_at if subscription and subscription.expires_at > expiry else None

    assert await eventually(renewed) == add_months(expiry, 1)
    panel_user = shop.panel.user_by_telegram_id(OLD_CUSTOMER)
    assert panel_user is not None
    panel_expiry = datetime.fromisoformat(panel_user["expireAt"].replace("Z", "+00:00"))
    assert abs(panel_expiry - add_months(expiry, 1)) < timedelta(seconds=2)
    await shop.telegram.wait_until(lambda: any("renewed automatically" in m.text for m in user.history), 10)

    # running the import again changes nothing, also after the renewal here
    out = io.StringIO()
    args = parse("import", "machka", "--from", machka_source.url, "--report", str(tmp_path / "again.txt"))
    assert await import_cli.run_command(args, shop.app.settings, out=out, err=err) == 0
    subscription = await shop.subscription(OLD_CUSTOMER)
    assert subscription is not None and subscription.expires_at == add_months(expiry, 1)
    assert len(shop.saved_charges()) == 1


async def test_refusal_is_one_line_and_a_non_zero_exit(
    renew_shop: RenewShop, machka_source: MachkaDatabase, tmp_path: Path
) -> None:
    await machka_source.execute("DROP TABLE payments CASCADE")
    out, err = io.StringIO(), io.StringIO()
    args = parse("import", "machka", "--from", machka_source.url, "--report", str(tmp_path / "r.txt"))
    assert await import_cli.run_command(args, renew_shop.app.settings, out=out, err=err) == 1
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("import refused: ") and "table payments is missing" in err.getvalue()
    assert not (tmp_path / "r.txt").exists()


async def test_the_command_as_a_seller_types_it(
    machka_source: MachkaDatabase, panel_emulator: PanelEmulator, tmp_path: Path
) -> None:
    """`remnastore import machka` in a fresh directory: the dry run refuses an unmigrated database (it
    never writes, not even the schema); after `remnastore migrate` it reports and writes nothing; the real
    run imports, checks the panel and writes the report file."""
    await machka_source.insert(
        "users",
        {
            "user_id": 77,
            "first_name": "Ivan",
            "language_code": "ru",
            "is_banned": False,
            "registration_date": datetime.now(UTC),
            "panel_user_uuid": None,
            "referral_code": "IVAN00001",
        },
    )
    env = {
        "BOT_TOKEN": BOT_TOKEN,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "DATABASE_URL": "sqlite:///./shop.db",
        "AUTO_MIGRATE": "false",
    }
    code, out = await remnastore(
        "import", "machka", "--from", machka_source.url, "--dry-run", env=env, cwd=tmp_path
    )
    assert code == 1 and "run `remnastore migrate`" in out, out
    assert (await remnastore("migrate", env=env, cwd=tmp_path))[0] == 0

    code, out = await remnastore(
        "import",
        "machka",
        "--from",
        machka_source.url,
        "--dry-run",
        "--report",
        "dry.txt",
        env=env,
        cwd=tmp_path,
    )
    assert code == 0, out
    assert "customers                       1        1" in out and "Dry run: nothing was written" in out
    code, out = await remnastore("import", "machka", "--from", machka_source.url, env=env, cwd=tmp_path)
    assert code == 0, out
    assert "customers                       1        1" in out and "Panel check (read-only)" in out
    (report,) = [name for name in os.listdir(tmp_path) if name.startswith("import-machka-")]
    assert "customers" in (tmp_path / report).read_text(encoding="utf-8")
    code, out = await remnastore("import", "machka", "--from", machka_source.url, env=env, cwd=tmp_path)
    assert code == 0 and "customers                       1        0        0          1" in out, out


async def test_without_the_panel_check_an_old_uuid_link_is_resolved_when_the_customer_comes(
    renew_shop: RenewShop, machka_source: MachkaDatabase, tmp_path: Path
) -> None:
    """A 3.x panel has no lookup by the old uuid: the customer is found by Telegram id on first use."""
    shop = renew_shop
    expiry = (datetime.now(UTC) + timedelta(days=20)).replace(second=0, microsecond=0)
    await old_bot_state(machka_source, shop, expiry)
    out, err = io.StringIO(), io.StringIO()
    args = parse(
        "import",
        "machka",
        "--from",
        machka_source.url,
        "--no-panel-check",
        "--report",
        str(tmp_path / "r.txt"),
    )
    assert await import_cli.run_command(args, shop.app.settings, out=out, err=err) == 0
    assert "links checked" not in out.getvalue()
    assert "found by their Telegram id when they first use the bot" in out.getvalue()
    async with shop.db.session() as session:
        imported = await session.scalar(select(Customer).where(Customer.telegram_id == OLD_CUSTOMER))
    assert imported is not None and (imported.panel_uuid, imported.panel_user_id) == (PANEL_UUID, None)

    user = shop.user(OLD_CUSTOMER, first_name="Olga", language_code="en")
    await user.wait_reply(await user.send("/start"))
    reply = await user.wait_reply(await user.press("My subscription"))
    assert expiry.strftime("%Y-%m-%d %H:%M") in reply.text, reply.text
    panel_user = shop.panel.user_by_telegram_id(OLD_CUSTOMER)
    assert panel_user is not None and panel_user["subscriptionUrl"] in reply.text
    async with shop.db.session() as session:
        linked = await session.scalar(select(Customer).where(Customer.telegram_id == OLD_CUSTOMER))
    assert linked is not None and linked.panel_user_id == panel_user["id"]


async def test_an_old_uuid_link_that_matches_no_panel_user_is_cleared_with_a_warning(
    renew_shop: RenewShop, machka_source: MachkaDatabase, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The seller deleted the old bot's panel user by hand before moving: a 3.x panel cannot be asked for
    the old uuid and no user has the customer's Telegram id. The panel decides who has access (as the
    panel sync does): the customer is offered to buy, never shown an error, and the seller finds the
    cleared link in the log."""
    shop = renew_shop
    expiry = (datetime.now(UTC) + timedelta(days=20)).replace(second=0, microsecond=0)
    await old_bot_state(machka_source, shop, expiry)
    deleted = shop.panel.user_by_telegram_id(OLD_CUSTOMER)
    assert deleted is not None
    shop.panel.delete_user(deleted["id"])
    args = parse(
        "import", "machka", "--from", machka_source.url, "--no-panel-check", "--report", str(tmp_path / "r")
    )
    assert await import_cli.run_command(args, shop.app.settings, out=io.StringIO(), err=io.StringIO()) == 0

    user = shop.user(OLD_CUSTOMER, first_name="Olga", language_code="en")
    await user.wait_reply(await user.send("/start"))
    with caplog.at_level(logging.WARNING, logger="remnastore.services.panel_link"):
        reply = await user.wait_reply(await user.press("My subscription"))
    assert "no subscription" in reply.text and "🚀 Buy subscription" in reply.button_texts, reply.text
    async with shop.db.session() as session:
        row = await session.scalar(select(Customer).where(Customer.telegram_id == OLD_CUSTOMER))
    assert row is not None and (row.panel_uuid, row.panel_user_id) == (None, None)
    [cleared] = [r for r in caplog.records if r.getMessage().startswith("panel link cleared")]
    assert "linked uuid" in cleared.getMessage() and getattr(cleared, "panel_ref", None) == PANEL_UUID
