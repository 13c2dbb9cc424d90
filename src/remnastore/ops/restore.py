"""`remnastore restore ARCHIVE`: put a backup back, after proving the archive is intact.

Order: verify every checksum (an altered archive is refused before anything changes), ask for
confirmation, restore the database (PostgreSQL: pg_restore --clean in one transaction; SQLite: the file
replaced with an atomic rename, the old one kept as ``.pre-restore``), restore the Redis keys with their
remaining lifetimes, then apply migrations so that an older backup fits this version of the shop.
Stop every instance of the shop before restoring.
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from remnastore.db import migrate
from remnastore.ops.archive import PG_DUMP_FILE, REDIS_FILE, SQLITE_FILE, Manifest, extract_verified
from remnastore.ops.backup import REDIS_TIMEOUT_SECONDS, Progress, human_size
from remnastore.ops.database_tools import (
    DatabaseToolError,
    dialect_of_url,
    pg_restore,
    sqlite_check,
    sqlite_path,
    sqlite_replace,
    where,
)

Confirm = Callable[[str], bool]


class RestoreRefused(Exception):
    """The restore did not start: the operator said no, or the archive does not fit the target."""


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    redis_keys: int
    schema_before: str | None
    schema_after: str | None
    previous_sqlite: Path | None = None


def _silent(_line: str) -> None:
    return None


async def restore_redis(redis: Redis, source: Path, *, batch: int = 500) -> int:
    """RESTORE ... REPLACE every key of a ``redis.jsonl`` dump; returns the number of keys."""
    restored = 0
    pending: list[tuple[bytes, int, bytes]] = []

    async def flush() -> None:
        nonlocal restored
        if not pending:
            return
        async with redis.pipeline(transaction=False) as pipe:
            for key, ttl, value in pending:
                pipe.restore(key, ttl, value, replace=True)
            await pipe.execute()
        restored += len(pending)
        pending.clear()

    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key = base64.b64decode(entry["key"])
                value = base64.b64decode(entry["value"])
                ttl = int(entry["ttl_ms"])
            except (ValueError, KeyError, TypeError):
                raise DatabaseToolError(f"{REDIS_FILE} line {number} is not a key dump") from None
            pending.append((key, max(ttl, 0), value))
            if len(pending) >= batch:
                await flush()
    await flush()
    return restored


async def restore_backup(
    archive: Path,
    *,
    database_url: str,
    redis_url: str | None,
    confirm: Confirm | None,
    progress: Progress = _silent,
    restore_timeout: float = 3600.0,
    work_dir: Path | None = None,
) -> RestoreReport:
    """Restore ``archive`` into the database at ``database_url`` (and Redis at ``redis_url``).

    ``confirm`` is asked (with a description of what will be replaced) unless it is None; a False
    answer raises :class:`RestoreRefused` before anything changed.
    """
    if not await asyncio.to_thread(archive.is_file):
        raise RestoreRefused(f"{archive} does not exist")
    with tempfile.TemporaryDirectory(prefix="remnastore-restore-", dir=work_dir) as scratch:
        folder = Path(scratch)
        progress(f"verifying {archive.name}")
        manifest = extract_verified(archive, folder)
        progress(
            f"archive: made {manifest.created_at} by remnastore {manifest.app_version}, "
            f"{manifest.database_dialect} {manifest.database_server_version}, "
            f"schema {manifest.alembic_revision or 'empty'}, {len(manifest.files)} files, checksums ok"
        )
        target_dialect = dialect_of_url(database_url)
        if manifest.database_dialect != target_dialect:
            raise RestoreRefused(
                f"the archive holds a {manifest.database_dialect} database but DATABASE_URL is "
                f"{target_dialect}: restore into the same kind of database"
            )
        has_redis = (folder / REDIS_FILE).exists()
        question = f"This replaces the data of {where(database_url)}"
        if has_redis and redis_url:
            question += f" and {manifest.redis_keys or 0} Redis keys"
        if confirm is not None and not confirm(question + ". Every shop instance must be stopped. Continue?"):
            raise RestoreRefused("restore cancelled: nothing was changed")

        schema_before = await _current_revision(database_url)
        previous: Path | None = None
        if target_dialect == "postgresql":
            dump = folder / PG_DUMP_FILE
            progress(f"database: pg_restore into {where(database_url)} ({human_size(dump.stat().st_size)})")
            await pg_restore(database_url, dump, time_limit=restore_timeout)
        else:
            copy = folder / SQLITE_FILE
            sqlite_check(copy)
            target = sqlite_path(database_url)
            progress(f"database: replacing {target}")
            previous = sqlite_replace(target, copy)
            if previous is not None:
                progress(f"database: the previous file is kept as {previous}")
        progress("database: restored")

        redis_keys = 0
        if has_redis and redis_url:
            redis = Redis.from_url(
                redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
            try:
                redis_keys = await restore_redis(redis, folder / REDIS_FILE)
            finally:
                await redis.aclose()
            progress(f"redis: {redis_keys} keys restored")
        elif has_redis:
            progress("redis: the archive has Redis keys but REDIS_URL is not set; skipped")

    progress("migrations: bringing the schema up to date")
    await migrate.upgrade(database_url)
    schema_after = await migrate.current_revision(database_url)
    progress(f"done: schema {schema_after}")
    return RestoreReport(manifest, redis_keys, schema_before, schema_after, previous)


async def _current_revision(url: str) -> str | None:
    if dialect_of_url(url) == "sqlite" and not sqlite_path(url).exists():
        return None  # connecting would create the file
    try:
        return await migrate.current_revision(url)
    except Exception:  # an empty or unreachable target: pg_restore reports the real problem
        return None
