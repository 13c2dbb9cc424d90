"""What every benchmark shares: the backend from the environment, a clean database, the JSON report."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from remnastore.db.migrate import upgrade
from remnastore.db.session import Database, normalize_url


def database_url() -> str:
    """DATABASE_URL (a throw-away PostgreSQL database: its name must contain "test" or "bench"), else a
    fresh SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='remnastore-bench-')}/bench.sqlite3"
    name = make_url(normalize_url(url)).database or ""
    if "test" not in name and "bench" not in name:
        raise SystemExit("DATABASE_URL must name a throw-away database (with 'test' or 'bench' in its name)")
    return url


def redis_url() -> str | None:
    return os.environ.get("REDIS_URL") or None


def backend(db_url: str, redis: str | None) -> str:
    return (
        "postgres+redis"
        if db_url.startswith("postgres") and redis
        else ("postgres+memory" if db_url.startswith("postgres") else "sqlite+memory")
    )


async def clean_database(url: str) -> None:
    """Migrate, then empty the tables a benchmark fills."""
    await upgrade(url)
    db = Database(url)
    try:
        async with db.session() as session:
            for table in ("broadcast_recipients", "broadcasts", "subscriptions", "audit_log", "customers"):
                await session.execute(text(f"DELETE FROM {table}"))
    finally:
        await db.dispose()


def report(name: str, db_url: str, redis: str | None, metrics: dict[str, Any]) -> None:
    """Print the one JSON object a benchmark outputs."""
    print(
        json.dumps(
            {
                "benchmark": name,
                "backend": backend(db_url, redis),
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": sys.version.split()[0],
                    "platform": platform.platform(),
                },
                "metrics": metrics,
            }
        )
    )
