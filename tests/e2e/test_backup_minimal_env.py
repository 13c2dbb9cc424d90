"""`remnastore backup` and `restore` need only DATABASE_URL, REDIS_URL and BACKUP_DIR (as docs/operations.md
says): no bot token, no panel, run as the real command line with nothing else in the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from remnastore.db import Database
from remnastore.db.models import AuditEntry
from tests.e2e.test_cli import remnastore


def _minimal(**values: str) -> dict[str, str]:
    """The process environment of a cron job: a PATH, and the settings given."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    keep["PATH"] = f"{Path(sys.executable).parent}:{keep.get('PATH', '/usr/bin:/bin')}"
    return {**keep, **values}


@pytest.mark.redis
async def test_backup_and_restore_with_only_the_database_redis_and_backup_dir(tmp_path: Path) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL")
    assert redis_url, "TEST_REDIS_URL is needed for this test"
    database_url = f"sqlite:///{tmp_path}/shop.sqlite3"
    env = _minimal(DATABASE_URL=database_url, REDIS_URL=redis_url, BACKUP_DIR=str(tmp_path / "backups"))
    code, out = await remnastore("migrate", env=env, cwd=tmp_path)
    assert code == 0, out
    db = Database(database_url)
    async with db.session() as session:
        session.add(AuditEntry(action="before-backup", details={}))
    redis = Redis.from_url(redis_url)
    await redis.set("fsm:minimal-env:state", "waiting")
    try:
        code, out = await remnastore("backup", env=env, cwd=tmp_path)
        assert code == 0, out
        (archive,) = (tmp_path / "backups").glob("remnastore-*.tar.gz")
        assert "BOT_TOKEN" not in out and "required" not in out

        async with db.session() as session:
            session.add(AuditEntry(action="after-backup", details={}))
        await redis.delete("fsm:minimal-env:state")
        code, out = await remnastore("restore", str(archive), "--yes", env=env, cwd=tmp_path)
        assert code == 0, out
        assert await redis.get("fsm:minimal-env:state") == b"waiting"
    finally:
        await redis.delete("fsm:minimal-env:state")
        await redis.aclose()
    restored = Database(database_url)
    async with restored.session() as session:
        from sqlalchemy import select

        actions = set(await session.scalars(select(AuditEntry.action)))
    await db.dispose()
    await restored.dispose()
    assert "before-backup" in actions and "after-backup" not in actions


async def test_a_wrong_database_url_is_still_refused(tmp_path: Path) -> None:
    code, out = await remnastore("backup", env=_minimal(DATABASE_URL="mysql://x/y"), cwd=tmp_path)
    assert code == 2 and "DATABASE_URL" in out
