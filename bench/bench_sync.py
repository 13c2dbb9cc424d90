"""Panel sync: seconds to import BENCH_SYNC_USERS (100,000) panel users, and to run again with nothing
to change.

The fake panel serves the users over HTTP, 90% of them with a telegramId; the shop's ``PanelSync``
reads them BENCH_SYNC_PAGE_SIZE (1,000) a page, BENCH_SYNC_CONCURRENCY (4) pages at a time, into an
empty database and creates a customer for every user with a Telegram id.

Run: ``python -m bench.bench_sync`` (DATABASE_URL chooses the backend; Redis is not used).
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bench.harness import reset_database
from bench.report import Backend, backend_from_env, emit, int_env, progress
from remnastore.db.models import Customer
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator
from remnastore.infra.clock import SystemClock
from remnastore.panel.client import RemnawaveClient
from remnastore.services.panel_sync import PanelSync

NAME = "sync"
FIRST_TELEGRAM_ID = 5_000_000


async def main(backend: Backend) -> None:
    users = int_env("BENCH_SYNC_USERS", 100_000)
    page_size = int_env("BENCH_SYNC_PAGE_SIZE", 1000)
    concurrency = int_env("BENCH_SYNC_CONCURRENCY", 4)
    with_telegram = users * 9 // 10
    await reset_database(backend)
    async with PanelEmulator() as panel:
        progress(f"seeding {users} panel users")
        seeding = time.monotonic()
        panel.add_users(with_telegram, telegram_id_from=FIRST_TELEGRAM_ID)
        panel.add_users(users - with_telegram)
        seeded = time.monotonic() - seeding
        db = Database(backend.database_url)
        client = RemnawaveClient(panel.url, panel.token, timeout=60.0)
        try:
            sync = PanelSync(db, client, SystemClock(), concurrency=concurrency, page_size=page_size)
            progress("first sync (import)")
            started = time.monotonic()
            first = await sync.run()
            first_seconds = time.monotonic() - started
            progress(f"imported in {first_seconds:.1f} s; second sync (nothing to change)")
            started = time.monotonic()
            second = await sync.run()
            second_seconds = time.monotonic() - started
            async with db.session() as session:
                customers = await session.scalar(select(func.count()).select_from(Customer))
        finally:
            await client.close()
            await db.dispose()
    metrics = {
        "panel_users": users,
        "with_telegram_id": with_telegram,
        "page_size": page_size,
        "concurrency": concurrency,
        "emulator_seed_seconds": round(seeded, 2),
        "import_seconds": round(first_seconds, 2),
        "users_per_second": round(users / first_seconds),
        "customers_created": first.created,
        "customers_in_database": customers,
        "second_run_seconds": round(second_seconds, 2),
        "second_run_changes": second.created + second.linked + second.expiry_updated,
    }
    emit(NAME, Backend(backend.database_url, None), metrics)


if __name__ == "__main__":
    asyncio.run(main(backend_from_env(NAME)))
