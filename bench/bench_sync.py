"""Panel sync: seconds to import 100,000 panel users (and to run again with nothing to change).

    python -m bench.bench_sync [--users 100000] [--page-size 1000] [--concurrency 4]

The panel emulator serves the users over HTTP; 90% carry a telegramId. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from sqlalchemy import func, select

from bench.common import clean_database, database_url, redis_url, report
from remnastore.db.models import Customer
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator
from remnastore.infra.clock import SystemClock
from remnastore.panel.client import RemnawaveClient
from remnastore.services.panel_sync import PanelSync


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    url, redis = database_url(), redis_url()
    await clean_database(url)
    with_telegram = args.users * 9 // 10
    async with PanelEmulator() as panel:
        seeding = time.monotonic()
        panel.add_users(with_telegram, telegram_id_from=5_000_000)
        panel.add_users(args.users - with_telegram)
        seeded = time.monotonic() - seeding
        db = Database(url)
        client = RemnawaveClient(panel.url, panel.token, timeout=60.0)
        try:
            sync = PanelSync(
                db, client, SystemClock(), concurrency=args.concurrency, page_size=args.page_size
            )
            started = time.monotonic()
            first = await sync.run()
            first_seconds = time.monotonic() - started
            started = time.monotonic()
            second = await sync.run()
            second_seconds = time.monotonic() - started
            async with db.session() as session:
                customers = await session.scalar(select(func.count()).select_from(Customer))
        finally:
            await client.close()
            await db.dispose()
    report(
        "panel_sync",
        url,
        redis,
        {
            "panel_users": args.users,
            "with_telegram_id": with_telegram,
            "page_size": args.page_size,
            "concurrency": args.concurrency,
            "emulator_seed_seconds": round(seeded, 2),
            "import_seconds": round(first_seconds, 2),
            "users_per_second": round(args.users / first_seconds),
            "customers_created": first.created,
            "customers_in_database": customers,
            "second_run_seconds": round(second_seconds, 2),
            "second_run_changes": second.created + second.linked + second.expiry_updated,
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
