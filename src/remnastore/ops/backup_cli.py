"""The `backup` and `restore` commands of the command line."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

from remnastore.ops.archive import ArchiveError
from remnastore.ops.backup import (
    BackupSettings,
    BackupSources,
    create_backup,
    human_size,
    settings_config,
)
from remnastore.ops.database_tools import DatabaseToolError
from remnastore.ops.restore import Confirm, RestoreRefused, restore_backup
from remnastore.ops.rotation import apply_rotation

if TYPE_CHECKING:
    from remnastore.config import DatabaseSettings, RedisSettings, Settings

COMMANDS = ("backup", "restore")


@dataclass
class BackupScope:
    """What `backup` and `restore` need: the database, Redis and backup settings, plus every other settings
    group that is valid (for the archive's configuration copy). A bot token or panel is not needed."""

    database: DatabaseSettings
    redis: RedisSettings
    backup: BackupSettings
    others: list[BaseSettings] = field(default_factory=list)

    def secrets(self) -> list[str]:
        values: list[str] = []
        for group in self.others:
            for name in type(group).model_fields:
                value = getattr(group, name)
                if isinstance(value, SecretStr):
                    values.append(value.get_secret_value())
                elif isinstance(value, dict) and name in ("extra_headers", "cookies"):
                    values.extend(str(v) for v in value.values())
        return [v for v in values if len(v) >= 6]


def load_scope(env_file: str | None) -> BackupScope:
    """Read the settings groups one by one; only DATABASE_*, REDIS_* and BACKUP_* must be valid."""
    from remnastore.config import DatabaseSettings, RedisSettings, all_groups
    from remnastore.settings_base import ConfigError

    file = env_file if env_file and Path(env_file).exists() else None
    loaded: dict[type[BaseSettings], BaseSettings] = {}
    problems: dict[str, str] = {}
    for group in all_groups().values():
        try:
            loaded[group] = group(_env_file=file)
        except ValidationError as exc:
            if group in (DatabaseSettings, RedisSettings, BackupSettings):
                for error in exc.errors():
                    problems[str(error["loc"][0]) if error["loc"] else group.__name__] = str(error["msg"])
    if problems:
        raise ConfigError(problems)
    database, redis, backup = (loaded[g] for g in (DatabaseSettings, RedisSettings, BackupSettings))
    assert isinstance(database, DatabaseSettings) and isinstance(redis, RedisSettings)
    assert isinstance(backup, BackupSettings)
    others = [g for g in loaded.values() if g not in (database, redis, backup)]
    return BackupScope(database, redis, backup, others)


def add_commands(subparsers: Any) -> None:
    """Register `backup` and `restore` on the main parser's subparsers."""
    backup = subparsers.add_parser(
        "backup", help="write the database, Redis state and settings into one archive in BACKUP_DIR"
    )
    backup.add_argument("--dir", type=Path, default=None, help="write the archive here instead of BACKUP_DIR")
    backup.add_argument(
        "--no-rotate", action="store_true", help="keep every older archive (skip BACKUP_KEEP_* rotation)"
    )
    restore = subparsers.add_parser(
        "restore", help="restore a backup archive into DATABASE_URL and REDIS_URL (stop the shop first)"
    )
    restore.add_argument("archive", type=Path, help="the .tar.gz archive made by `remnastore backup`")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _print(line: str) -> None:
    print(line, flush=True)


def ask_on_terminal(question: str) -> bool:
    """y/N on stdin; anything but yes (including end of input) is no."""
    print(f"{question} [y/N] ", end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        answer = ""
    if not answer.endswith("\n"):
        print()  # the input did not end the line (end of input)
    return answer.strip().lower() in ("y", "yes")


def backup_settings(settings: Settings | BackupScope, env_file: str | None = None) -> BackupSettings:
    """The backup group of the loaded settings, or read on its own when the settings lack it."""
    group = getattr(settings, "backup", None)
    if isinstance(group, BackupSettings):
        return group
    file = env_file if env_file and Path(env_file).exists() else None
    return BackupSettings(_env_file=file)


def backup_sources(settings: Settings | BackupScope) -> BackupSources:
    """What `remnastore backup` saves, from the loaded settings."""
    groups: list[BaseSettings] = []
    for value in vars(settings).values():
        if isinstance(value, BaseSettings):
            groups.append(value)
        elif isinstance(value, dict):  # e.g. the payment providers' groups, by name
            groups.extend(item for item in value.values() if isinstance(item, BaseSettings))
        elif isinstance(value, list):  # a BackupScope's other groups
            groups.extend(item for item in value if isinstance(item, BaseSettings))
    return BackupSources(
        database_url=settings.database.url,
        redis_url=settings.redis.url,
        config=settings_config(groups),
        secret_values=settings.secrets(),
    )


async def run_command(
    args: argparse.Namespace, settings: Settings | BackupScope, *, confirm: Confirm | None = None
) -> int:
    """Run `backup` or `restore`; returns the process exit code. ``confirm`` replaces the terminal
    question (tests)."""
    try:
        if args.command == "backup":
            return await _backup(args, settings)
        if args.command == "restore":
            ask = None if args.yes else (confirm or ask_on_terminal)
            return await _restore(args, settings, ask)
    except RestoreRefused as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (ArchiveError, DatabaseToolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    raise ValueError(f"not a backup command: {args.command}")


async def _backup(args: argparse.Namespace, settings: Settings | BackupScope) -> int:
    group = backup_settings(settings, getattr(args, "env_file", None))
    directory = args.dir if args.dir is not None else group.directory
    result = await create_backup(backup_sources(settings), directory, progress=_print)
    if not args.no_rotate:
        plan = apply_rotation(
            directory, daily=group.keep_daily, weekly=group.keep_weekly, monthly=group.keep_monthly
        )
        for path in plan.delete:
            _print(f"rotation: deleted {path.name}")
        _print(f"rotation: {len(plan.keep)} archives kept")
    _print(f"backup complete: {result.path} ({human_size(result.size)})")
    return 0


async def _restore(
    args: argparse.Namespace, settings: Settings | BackupScope, confirm: Confirm | None
) -> int:
    report = await restore_backup(
        args.archive,
        database_url=settings.database.url,
        redis_url=settings.redis.url,
        confirm=confirm,
        progress=_print,
    )
    _print(
        f"restore complete: backup of {report.manifest.created_at}, schema {report.schema_after}, "
        f"{report.redis_keys} Redis keys"
    )
    return 0
