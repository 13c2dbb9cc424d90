"""Backup and restore round trips on every database backend (and Redis with PostgreSQL)."""

from __future__ import annotations

import argparse
import io
import json
import os
import tarfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text

from remnastore.config import Settings, load_settings
from remnastore.db import Database
from remnastore.db.migrate import head_revision, upgrade
from remnastore.db.models import Base
from remnastore.db.repositories import (
    AuditRepository,
    CampaignRepository,
    CustomerRepository,
    OrderRepository,
    PromoRepository,
    ReferralRepository,
    SubscriptionRepository,
)
from remnastore.db.session import build_engine
from remnastore.domain.money import Money
from remnastore.ops import backup_cli
from remnastore.ops.archive import MANIFEST, ArchiveError, Manifest, read_manifest
from remnastore.ops.backup import REDACTED, BackupSettings, BackupSources, backup_and_rotate, create_backup
from remnastore.ops.database_tools import DatabaseToolError
from remnastore.ops.restore import RestoreRefused, restore_backup
from tests.fixtures.database import postgres_test_url, recreate_postgres_database

BOT_TOKEN = "7000000001:AAE2eBackupTestTokenOnly_0123456789ab"
PANEL_TOKEN = "panel-token-for-backup-tests-42"
PROVIDER_TOKEN = "12345:cryptobot-token-for-backup-tests"


# ------------------------------------------------------------------------------------------ helpers

POPULATED = (
    "customers",
    "subscriptions",
    "subscription_periods",
    "orders",
    "payment_events",
    "balance_ledger",
    "promo_codes",
    "promo_activations",
    "referrals",
    "referral_rewards",
    "campaigns",
    "campaign_attributions",
    "audit_log",
    "alembic_version",
)


async def populate(db: Database) -> None:
    """A bit of everything, through the repositories."""
    now = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    async with db.session() as session:
        customers = CustomerRepository(session)
        alice, _ = await customers.register(
            1001, username="alice", first_name="Алиса", last_name="<b>", language="ru", start_payload="c1"
        )
        bob, _ = await customers.register(
            1002, username=None, first_name="Bob", last_name=None, language="en", start_payload=None
        )
        await customers.register(
            1003, username="carol", first_name="Carol", last_name=None, language="en", start_payload=None
        )
        await ReferralRepository(session).record(alice.id, bob.id)
        subscriptions = SubscriptionRepository(session)
        await subscriptions.set_current(
            alice.id,
            kind="paid",
            tariff_code="basic",
            expires_at=now + timedelta(days=30),
            traffic_limit_bytes=50 * 1024**3,
            device_limit=3,
        )
        promos = PromoRepository(session)
        promo = await promos.create("Spring10", kind="percent", value=10, max_activations=5)
        orders = OrderRepository(session)
        order = await orders.create(
            alice.id,
            kind="subscription",
            amount=Money(29900, "RUB"),
            discount=Money(3000, "RUB"),
            provider="yookassa",
            tariff_code="basic",
            period_code="1m",
            days=30,
            promo_code_id=promo.id,
            meta={"note": "первый заказ", "nested": {"a": [1, 2]}},
        )
        await orders.record_event(
            provider="yookassa",
            provider_payment_id="pay-1",
            kind="paid",
            amount=Money(26900, "RUB"),
            raw={"event": "payment.succeeded"},
            order_id=order.id,
        )
        topup = await orders.create(bob.id, kind="topup", amount=Money(500, "XTR"), provider="stars")
        referrals = ReferralRepository(session)
        referral = await referrals.get_by_invitee(bob.id)
        assert referral is not None
        await referrals.mark_first_paid(referral, topup.id)
        await referrals.add_reward(referral.id, topup.id, kind="days", amount=7)
        await subscriptions.add_period(
            alice.id,
            kind="paid",
            days=30,
            starts_at=now,
            ends_at=now + timedelta(days=30),
            order_id=order.id,
            tariff_code="basic",
        )
        await promos.add_activation(promo.id, alice.id, status="consumed", order_id=order.id)
        await customers.change_balance(
            alice.id, Money(10000, "RUB"), reason="referral", idempotency_key="k-1", order_id=order.id
        )
        campaigns = CampaignRepository(session)
        campaign = await campaigns.create("summer", title="Summer ads", cost=Money(100000, "RUB"))
        await campaigns.attribute(campaign.id, bob.id)
        await AuditRepository(session).record(900001, "customer.ban", target_customer_id=bob.id)


async def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema revision), in primary key order."""
    engine = build_engine(url, pooled=False)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                tables[table.name] = [tuple(row) for row in (await connection.execute(query)).all()]
            revision = await connection.execute(text("SELECT version_num FROM alembic_version"))
            tables["alembic_version"] = [tuple(row) for row in revision.all()]
    finally:
        await engine.dispose()
    return tables


@pytest.fixture
async def redis_url(db_backend: str) -> AsyncIterator[str | None]:
    url = os.environ.get("TEST_REDIS_URL")
    yield url if db_backend == "postgres" and url else None


@pytest.fixture
async def empty_target(db_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database that does not exist yet (SQLite) or exists and is empty (PostgreSQL)."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'shop.sqlite3'}"
        return
    url = postgres_test_url("_restore")
    await recreate_postgres_database(url)
    yield url
    await recreate_postgres_database(url, create=False)


def settings_for(database_url: str, redis_url: str | None) -> Settings:
    values = {
        "BOT_TOKEN": BOT_TOKEN,
        "PANEL_URL": "https://panel.example.com",
        "PANEL_TOKEN": PANEL_TOKEN,
        "CRYPTOBOT_TOKEN": PROVIDER_TOKEN,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url or "",
    }
    return load_settings(None, values)


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-file", default="")
    backup_cli.add_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def rewrite_archive(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """Copy an archive, replacing (bytes) or dropping (None) some members, adding new ones."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()  # type: ignore[union-attr]
            if member.name in change:
                replacement = change[member.name]
                if replacement is None:
                    continue
                data = replacement
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        for name, data in change.items():
            if data is not None and name not in old.getnames():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                new.addfile(info, io.BytesIO(data))


def member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.extractfile(name).read()  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------- tests


async def test_round_trip_into_an_empty_database(
    database: Database, database_url: str, db_backend: str, empty_target: str, tmp_path: Path
) -> None:
    await populate(database)
    await database.dispose()
    before = await snapshot(database_url)
    assert [name for name in POPULATED if not before[name]] == []
    lines: list[str] = []
    result = await create_backup(
        BackupSources(database_url=database_url), tmp_path / "backups", progress=lines.append
    )
    assert result.path.parent == tmp_path / "backups" and result.path.name.endswith("Z.tar.gz")
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    assert any(line.startswith("database:") for line in lines) and lines[-1].startswith("written:")
    manifest = read_manifest(result.path)
    assert manifest.database_dialect == ("postgresql" if db_backend == "postgres" else "sqlite")
    assert manifest.alembic_revision == head_revision()
    if db_backend == "postgres":
        assert manifest.database_server_version.startswith("15")
        assert manifest.dump_tool is not None and "pg_dump" in manifest.dump_tool

    report = await restore_backup(
        result.path, database_url=empty_target, redis_url=None, confirm=None, progress=lines.append
    )
    assert report.schema_after == head_revision()
    assert await snapshot(empty_target) == before

    # the restored database keeps working: new rows get fresh ids after the restored ones
    restored = Database(empty_target)
    try:
        async with restored.session() as session:
            customer, created = await CustomerRepository(session).register(
                2001, username=None, first_name="New", last_name=None, language="en", start_payload=None
            )
        assert created and customer.id == max(row[0] for row in before["customers"]) + 1
    finally:
        await restored.dispose()


async def test_restore_over_an_existing_database_brings_back_its_rows(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    await populate(database)
    await database.dispose()
    before = await snapshot(database_url)
    result = await create_backup(BackupSources(database_url=database_url), tmp_path)
    async with database.session() as session:
        await session.execute(text("DELETE FROM audit_log"))
        await CustomerRepository(session).register(
            3001, username="late", first_name="Late", last_name=None, language="en", start_payload=None
        )
    await database.dispose()
    assert await snapshot(database_url) != before
    await restore_backup(result.path, database_url=database_url, redis_url=None, confirm=None)
    assert await snapshot(database_url) == before


@pytest.mark.postgres
async def test_redis_state_round_trip(
    database_url: str, redis_url: str | None, empty_target: str, tmp_path: Path
) -> None:
    assert redis_url is not None, "the PostgreSQL backend runs with Redis (TEST_REDIS_URL)"
    redis = Redis.from_url(redis_url)
    tag = uuid.uuid4().hex[:10]
    state_key, data_key = f"fsm:1:{tag}:{tag}:default:state", f"fsm:1:{tag}:{tag}:default:data"
    cache_key, limiter_key = f"remnastore:cache:{tag}", f"remnastore:rl:{tag}"
    try:
        await redis.set(state_key, "Checkout:period", ex=3600)
        await redis.set(data_key, json.dumps({"plan": "basic"}))
        await redis.hset(cache_key, mapping={"a": "1", "b": "два"})  # type: ignore[misc]
        await redis.set(limiter_key, "1", ex=60)
        result = await create_backup(BackupSources(database_url=database_url, redis_url=redis_url), tmp_path)
        assert result.manifest.redis_keys is not None and result.manifest.redis_keys >= 3
        await redis.delete(state_key, data_key, cache_key, limiter_key)

        report = await restore_backup(
            result.path, database_url=empty_target, redis_url=redis_url, confirm=None
        )
        assert report.redis_keys == result.manifest.redis_keys
        assert await redis.get(state_key) == b"Checkout:period"
        assert 3000 < await redis.ttl(state_key) <= 3600
        assert json.loads(await redis.get(data_key) or b"") == {"plan": "basic"}
        assert await redis.ttl(data_key) == -1
        assert await redis.hgetall(cache_key) == {b"a": b"1", b"b": "два".encode()}  # type: ignore[misc]
        assert await redis.exists(limiter_key) == 0  # rate-limit windows are not worth restoring
    finally:
        await redis.delete(state_key, data_key, cache_key, limiter_key)
        await redis.aclose()


async def test_an_altered_archive_is_refused_before_anything_changes(
    database: Database, database_url: str, empty_target: str, db_backend: str, tmp_path: Path
) -> None:
    await populate(database)
    await database.dispose()
    result = await create_backup(BackupSources(database_url=database_url), tmp_path)
    manifest = read_manifest(result.path)
    db_name = manifest.database_file
    original = member(result.path, db_name)
    flipped = original[:-100] + bytes([original[-100] ^ 0xFF]) + original[-99:]
    checksum, listing = "does not match its checksum", "files do not match its manifest"
    cases: dict[str, tuple[dict[str, bytes | None], str]] = {
        "altered dump": ({db_name: flipped}, checksum),
        "altered settings": ({"config.env": member(result.path, "config.env") + b"EXTRA=1\n"}, checksum),
        "missing dump": ({db_name: None}, listing),
        "extra file": ({"evil.sh": b"#!/bin/sh\n"}, listing),
        "path traversal": ({"../escape": b"x"}, "unexpected entry '../escape'"),
    }
    for label, (change, reason) in cases.items():
        bad = tmp_path / f"bad-{label.replace(' ', '-')}.tar.gz"
        rewrite_archive(result.path, bad, change)
        with pytest.raises(ArchiveError, match=reason):
            await restore_backup(bad, database_url=empty_target, redis_url=None, confirm=None)
    # a manifest that is not ours
    forged = Manifest.from_json(member(result.path, MANIFEST).decode())
    bad = tmp_path / "bad-format.tar.gz"
    rewrite_archive(
        result.path, bad, {MANIFEST: forged.to_json().replace('"format": 1', '"format": 9').encode()}
    )
    with pytest.raises(ArchiveError, match="unsupported archive format"):
        await restore_backup(bad, database_url=empty_target, redis_url=None, confirm=None)
    # the target was never touched
    if db_backend == "sqlite":
        assert not os.path.exists(empty_target.split("///", 1)[1])  # noqa: ASYNC240
    else:
        engine = build_engine(empty_target, pooled=False)
        try:
            async with engine.connect() as connection:
                count = await connection.execute(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                )
                assert count.scalar_one() == 0
        finally:
            await engine.dispose()


async def test_cli_backup_and_restore(
    database: Database,
    database_url: str,
    redis_url: str | None,
    empty_target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "archives"))
    await populate(database)
    await database.dispose()
    before = await snapshot(database_url)
    settings = settings_for(database_url, redis_url)
    assert await backup_cli.run_command(cli_args("backup"), settings) == 0
    out = capsys.readouterr().out
    assert "backup complete:" in out and "rotation: 1 archives kept" in out
    [archive] = list((tmp_path / "archives").glob("remnastore-*.tar.gz"))

    config = member(archive, "config.env").decode()
    assert f"BOT_TOKEN={REDACTED}" in config and f"PANEL_TOKEN={REDACTED}" in config
    assert f"CRYPTOBOT_TOKEN={REDACTED}" in config  # payment providers' settings are included
    assert BOT_TOKEN not in config and PANEL_TOKEN not in config and PROVIDER_TOKEN not in config
    assert "PANEL_URL=https://panel.example.com" in config
    assert "\nPANEL_COOKIES=\n" in config and "\nWEBHOOK_SECRET=\n" in config  # unset stays empty

    target = settings_for(empty_target, redis_url)
    asked: list[str] = []

    def refuse(question: str) -> bool:
        asked.append(question)
        return False

    assert await backup_cli.run_command(cli_args("restore", str(archive)), target, confirm=refuse) == 1
    assert "Continue?" in asked[0] and "nothing was changed" in capsys.readouterr().err
    assert await backup_cli.run_command(cli_args("restore", str(archive), "--yes"), target) == 0
    assert "restore complete:" in capsys.readouterr().out
    assert await snapshot(empty_target) == before

    missing = cli_args("restore", str(tmp_path / "nope.tar.gz"), "--yes")
    assert await backup_cli.run_command(missing, target) == 1
    assert "does not exist" in capsys.readouterr().err


async def test_a_password_in_the_database_url_is_redacted_from_the_settings_copy(tmp_path: Path) -> None:
    sources = BackupSources(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}",
        config={
            "DATABASE_URL": "postgresql://shop:s3cr3t-pass@db:5432/shop",
            "REDIS_URL": "redis://:redis-pass@redis:6379/0",
            "YOOKASSA_SECRET_KEY": "live_abcdef",
            "PANEL_EXTRA_HEADERS": '{"X-Api-Key": "k"}',
            "SUPPORT_URL": "https://t.me/support?start=abcdef123456",
            "TIMEZONE": "Europe/Moscow",
        },
        secret_values=["abcdef123456"],
    )
    await upgrade(sources.database_url)
    result = await create_backup(sources, tmp_path / "out")
    config = member(result.path, "config.env").decode()
    assert "DATABASE_URL=postgresql://shop:<redacted>@db:5432/shop" in config
    assert "REDIS_URL=redis://:<redacted>@redis:6379/0" in config
    assert f"YOOKASSA_SECRET_KEY={REDACTED}" in config and f"PANEL_EXTRA_HEADERS={REDACTED}" in config
    assert "SUPPORT_URL=https://t.me/support?start=<redacted>" in config
    assert "TIMEZONE=Europe/Moscow" in config
    for secret in ("s3cr3t-pass", "redis-pass", "live_abcdef", "abcdef123456"):
        assert secret not in config


@pytest.mark.postgres
async def test_without_pg_dump_the_backup_fails_with_a_clear_message(
    database_url: str, db_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(DatabaseToolError, match="pg_dump was not found on PATH"):
        await create_backup(BackupSources(database_url=database_url), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []  # no partial archive or scratch left behind


async def test_restoring_into_the_other_kind_of_database_is_refused(
    database_url: str, db_backend: str, tmp_path: Path
) -> None:
    result = await create_backup(BackupSources(database_url=database_url), tmp_path)
    other = (
        f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}"
        if db_backend == "postgres"
        else "postgresql+asyncpg://postgres@127.0.0.1:5432/remnastore_never_created_test"
    )
    with pytest.raises(RestoreRefused, match="same kind of database"):
        await restore_backup(result.path, database_url=other, redis_url=None, confirm=None)


async def test_a_scheduled_run_backs_up_rotates_and_delivers(database_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "scheduled"
    directory.mkdir()
    old = [directory / f"remnastore-202401{day:02d}-030000Z.tar.gz" for day in range(1, 11)]
    for path in old:
        path.write_bytes(b"old archive")
    settings = BackupSettings(
        _env_file=None,
        BACKUP_DIR=str(directory),
        BACKUP_KEEP_DAILY="2",
        BACKUP_KEEP_WEEKLY="0",
        BACKUP_KEEP_MONTHLY="1",
        BACKUP_SEND_TO_ADMINS="true",
    )
    delivered: list[Path] = []

    async def deliver(path: Path) -> None:
        delivered.append(path)

    result, plan = await backup_and_rotate(
        BackupSources(database_url=database_url), settings, deliver=deliver
    )
    assert delivered == [result.path]
    # kept: the new archive (newest of today and of this month) and the newest old one (the second day)
    assert sorted(p.name for p in directory.iterdir()) == sorted([result.path.name, old[-1].name])
    assert sorted(plan.delete) == sorted(old[:-1])
