"""Settings of backups (a module of its own, so that the settings load without the backup machinery)."""

from __future__ import annotations

from pathlib import Path

from remnastore.settings_base import SettingsGroup, env


class BackupSettings(SettingsGroup):
    directory: Path = env("BACKUP_DIR", Path("./backups"), description="Where backup archives are written")
    keep_daily: int = env(
        "BACKUP_KEEP_DAILY", 7, ge=0, le=3660, description="Keep the newest archive of this many recent days"
    )
    keep_weekly: int = env(
        "BACKUP_KEEP_WEEKLY", 4, ge=0, le=520, description="Keep the newest archive of this many recent weeks"
    )
    keep_monthly: int = env(
        "BACKUP_KEEP_MONTHLY",
        6,
        ge=0,
        le=240,
        description="Keep the newest archive of this many recent months",
    )
    interval_hours: int = env(
        "BACKUP_INTERVAL_HOURS",
        24,
        ge=0,
        le=24 * 31,
        description="Make a backup every this many hours while the shop runs (0 = never)",
    )
    send_to_admins: bool = env(
        "BACKUP_SEND_TO_ADMINS",
        False,
        description="Send each scheduled backup to the admins in Telegram (archives up to 50 MB)",
    )
