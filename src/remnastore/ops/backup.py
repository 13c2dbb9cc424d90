"""`remnastore backup`: the database, the Redis state and the configuration in one archive.

See :mod:`remnastore.ops.archive` for what the archive holds. Nothing here imports the application: the
caller hands in the database and Redis URLs and the effective settings (:class:`BackupSources`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, SecretStr
from redis.asyncio import Redis

from remnastore import __version__
from remnastore.config.backup import BackupSettings as BackupSettings
from remnastore.db import migrate
from remnastore.ops.archive import (
    CONFIG_FILE,
    PG_DUMP_FILE,
    REDIS_FILE,
    SQLITE_FILE,
    Manifest,
    archive_name,
    describe,
    write_archive,
)
from remnastore.ops.database_tools import dialect_of_url, pg_dump, sqlite_copy, sqlite_path, where
from remnastore.ops.rotation import RotationPlan, apply_rotation

REDACTED = "<redacted>"
# Key prefixes the shop writes to Redis: aiogram's conversation state, and everything of our own.
REDIS_PREFIXES: tuple[str, ...] = ("fsm:", "remnastore:")
# Transient keys not worth restoring: rate-limit windows, job and other locks.
REDIS_EXCLUDED_PREFIXES: tuple[str, ...] = ("remnastore:rl:", "remnastore:lock:", "remnastore:job:")
REDIS_EXCLUDED_SUFFIXES: tuple[str, ...] = (":lock",)
REDIS_TIMEOUT_SECONDS = 30.0
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|API_KEY|_KEY$|COOKIES|HEADERS", re.I)
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]+)(?P<tail>@)", re.I)

Progress = Callable[[str], None]


def _silent(_line: str) -> None:
    return None


@dataclass(frozen=True)
class BackupSources:
    """What to back up. ``config`` maps setting names to values (see :func:`settings_config`)."""

    database_url: str
    redis_url: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    secret_values: Sequence[str] = ()
    app_version: str = __version__
    redis_prefixes: Sequence[str] = REDIS_PREFIXES
    dump_timeout: float = 3600.0


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


# ------------------------------------------------------------------------------------- configuration


def _env_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return REDACTED if value.get_secret_value() else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return str(value)


def settings_config(groups: Iterable[BaseModel]) -> dict[str, str]:
    """Environment variable name -> effective value of every field of the settings groups."""
    values: dict[str, str] = {}
    for group in groups:
        for name, info in type(group).model_fields.items():
            alias = info.validation_alias
            key = str(alias.choices[0]) if isinstance(alias, AliasChoices) else name.upper()
            values[key] = _env_value(getattr(group, name))
    return values


def redact_config(values: Mapping[str, str], secret_values: Iterable[str] = ()) -> dict[str, str]:
    """Secrets replaced by ``<redacted>``: values of secret-looking names, passwords inside URLs, and
    any occurrence of a known secret value."""
    secrets = sorted({s for s in secret_values if s and len(s) >= 4}, key=len, reverse=True)
    redacted: dict[str, str] = {}
    for name, value in values.items():
        if value and _SECRET_NAME.search(name):
            redacted[name] = REDACTED
            continue
        value = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}{m['tail']}", value)
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        redacted[name] = value
    return redacted


def render_config(values: Mapping[str, str]) -> str:
    lines = ["# remnastore settings at backup time; secrets are <redacted>"]
    for name in sorted(values):
        value = values[name]
        needs_quotes = value != value.strip() or any(c in value for c in " #'\"\n")
        lines.append(f"{name}={json.dumps(value, ensure_ascii=False) if needs_quotes else value}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------- Redis


def redis_key_excluded(key: bytes) -> bool:
    text = key.decode("utf-8", errors="replace")
    return text.startswith(REDIS_EXCLUDED_PREFIXES) or text.endswith(REDIS_EXCLUDED_SUFFIXES)


async def dump_redis(redis: Redis, out: Path, prefixes: Sequence[str], *, batch: int = 500) -> int:
    """Write every key under ``prefixes`` (DUMP + PTTL) as JSON lines; returns the number of keys."""
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for prefix in prefixes:
            pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"
            keys: list[bytes] = []
            async for key in redis.scan_iter(match=pattern, count=batch):
                if not redis_key_excluded(key):
                    keys.append(key)
                if len(keys) >= batch:
                    count += await _dump_keys(redis, keys, handle)
                    keys = []
            count += await _dump_keys(redis, keys, handle)
    return count


async def _dump_keys(redis: Redis, keys: list[bytes], handle: Any) -> int:
    if not keys:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.dump(key)
            pipe.pttl(key)
        replies = await pipe.execute()
    written = 0
    for index, key in enumerate(keys):
        value, ttl = replies[2 * index], int(replies[2 * index + 1])
        if value is None or ttl == -2:
            continue  # expired while we were reading
        entry = {
            "key": base64.b64encode(key).decode(),
            "ttl_ms": max(ttl, 0),
            "value": base64.b64encode(value).decode(),
        }
        handle.write(json.dumps(entry) + "\n")
        written += 1
    return written


# -------------------------------------------------------------------------------------------- backup


def _free_target(directory: Path, created: datetime) -> Path:
    attempt = 1
    while (directory / archive_name(created, attempt)).exists():
        attempt += 1
    return directory / archive_name(created, attempt)


async def create_backup(
    sources: BackupSources,
    directory: Path,
    *,
    progress: Progress = _silent,
    now: datetime | None = None,
) -> BackupResult:
    """Write one archive into ``directory``; returns where it is and what it holds."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    created = (now or datetime.now(UTC)).astimezone(UTC)
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=directory))
    try:
        url = sources.database_url
        dialect = dialect_of_url(url)
        progress(f"database: dumping {where(url)}")
        dump_tool: str | None = None
        if dialect == "postgresql":
            db_file = work / PG_DUMP_FILE
            server, dump_tool = await pg_dump(url, db_file, time_limit=sources.dump_timeout)
        else:
            db_file = work / SQLITE_FILE
            await asyncio.to_thread(sqlite_copy, sqlite_path(url), db_file)
            server = sqlite3.sqlite_version
        revision = await migrate.current_revision(url)
        dumped = human_size(db_file.stat().st_size)
        progress(f"database: {dialect} {server}, schema {revision or 'empty'}, {dumped}")
        files = [db_file]
        redis_keys: int | None = None
        if sources.redis_url:
            progress("redis: dumping keys under " + ", ".join(f"{p}*" for p in sources.redis_prefixes))
            redis = Redis.from_url(
                sources.redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            try:
                redis_keys = await dump_redis(redis, work / REDIS_FILE, sources.redis_prefixes)
            finally:
                await redis.aclose()
            files.append(work / REDIS_FILE)
            progress(f"redis: {redis_keys} keys")
        config = redact_config(sources.config, sources.secret_values)
        (work / CONFIG_FILE).write_text(render_config(config), encoding="utf-8")
        files.append(work / CONFIG_FILE)
        progress(f"configuration: {len(config)} settings, secrets redacted")
        progress("checksums and compression")
        entries = await asyncio.to_thread(lambda: [describe(path) for path in files])
        manifest = Manifest(
            app_version=sources.app_version,
            created_at=created.isoformat(timespec="seconds"),
            alembic_revision=revision,
            database_dialect=dialect,
            database_server_version=server,
            database_file=db_file.name,
            dump_tool=dump_tool,
            redis_keys=redis_keys,
            files=entries,
        )
        target = _free_target(directory, created)
        await asyncio.to_thread(write_archive, target, work, manifest, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = target.stat().st_size
    progress(f"written: {target} ({human_size(size)})")
    return BackupResult(target, manifest, size)


async def backup_and_rotate(
    sources: BackupSources,
    settings: BackupSettings,
    *,
    progress: Progress = _silent,
    deliver: Callable[[Path], Awaitable[None]] | None = None,
) -> tuple[BackupResult, RotationPlan]:
    """One scheduled run: a new archive, old ones rotated away, and (when configured) the archive
    handed to ``deliver`` (e.g. sent to the admins)."""
    result = await create_backup(sources, settings.directory, progress=progress)
    plan = apply_rotation(
        settings.directory,
        daily=settings.keep_daily,
        weekly=settings.keep_weekly,
        monthly=settings.keep_monthly,
    )
    for path in plan.delete:
        progress(f"rotation: deleted {path.name}")
    if settings.send_to_admins and deliver is not None:
        await deliver(result.path)
    return result, plan
