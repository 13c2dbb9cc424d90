"""The composition root: the scheduled jobs a shop runs follow its settings (the table in wiring/jobs.py)."""

from __future__ import annotations

from pathlib import Path

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.wiring.jobs import JOBS

BASE = {
    "BOT_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
    "PANEL_URL": "http://127.0.0.1:9",
    "PANEL_TOKEN": "token",
    "ADMIN_IDS": "1",
    "REDIS_URL": "",
}


async def _jobs(tmp_path: Path, **values: str) -> list[str]:
    settings = load_settings(
        None, {**BASE, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}", **values}
    )
    app = Application(settings)
    try:
        return [job.name for job in app.scheduler.jobs]
    finally:
        await app.stop()


def test_every_job_has_its_own_name() -> None:
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))


async def test_a_shop_with_everything_on_runs_every_job_in_the_table(tmp_path: Path) -> None:
    names = await _jobs(
        tmp_path,
        REFERRAL_ENABLED="true",
        PROMO_ENABLED="true",
        AUTORENEW_ENABLED="true",
        REMINDERS_ENABLED="true",
        BACKUP_INTERVAL_HOURS="24",
        PANEL_SYNC_INTERVAL_MINUTES="60",
        PANEL_LIGHT_SYNC_MINUTES="5",
        STARS_ENABLED="true",
        NALOGO_ENABLED="true",
        NALOGO_INN="500100732259",
        NALOGO_PASSWORD="a-password",
        CABINET_ENABLED="true",
        PUBLIC_URL="https://shop.example",
    )
    assert names == [job.name for job in JOBS]


async def test_switched_off_features_have_no_job(tmp_path: Path) -> None:
    names = await _jobs(
        tmp_path,
        REFERRAL_ENABLED="false",
        PROMO_ENABLED="false",
        AUTORENEW_ENABLED="false",
        REMINDERS_ENABLED="false",
        BACKUP_INTERVAL_HOURS="0",
        PANEL_SYNC_INTERVAL_MINUTES="0",
        PANEL_LIGHT_SYNC_MINUTES="0",
        STARS_ENABLED="false",
    )
    assert names == ["fulfilment", "reconciliation", "late-payments", "expire-orders"]


async def test_panel_webhooks_replace_the_light_sync(tmp_path: Path) -> None:
    names = await _jobs(tmp_path, PANEL_LIGHT_SYNC_MINUTES="5", PANEL_WEBHOOK_SECRET="a-long-panel-secret")
    assert "panel-light-sync" not in names
    assert "panel-light-sync" in await _jobs(tmp_path, PANEL_LIGHT_SYNC_MINUTES="5")


async def test_the_cabinet_needs_a_public_address(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        {
            **BASE,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}",
            "CABINET_ENABLED": "true",
        },
    )
    app = Application(settings)
    try:
        assert app.cabinet is None
        assert not app.customers.menu.cabinet_enabled
        assert "cabinet-purge" not in [job.name for job in app.scheduler.jobs]
        assert app.dispatcher.workflow_data["cabinet_links"] is None
    finally:
        await app.stop()
    with_address = load_settings(
        None,
        {
            **BASE,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}",
            "CABINET_ENABLED": "true",
            "PUBLIC_URL": "https://shop.example",
        },
    )
    app = Application(with_address)
    try:
        assert app.cabinet is not None
        assert app.customers.menu.cabinet_enabled
        assert app.dispatcher.workflow_data["cabinet_links"] is app.cabinet.links
        assert any(r.canonical.startswith("/cabinet") for r in app.web_app.router.resources())
    finally:
        await app.stop()
