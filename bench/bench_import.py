"""Import from the predecessor bot: seconds to bring BENCH_IMPORT_CUSTOMERS (100,000) customers of a
machka-pasla/remnawave-tg-shop database over, and to run again with nothing to change.

The source is a PostgreSQL database in the predecessor's schema, seeded with set-based SQL: every
customer has a subscription, every second one a payment of 199.99000000000001 RUB (5% of them not
paid), every tenth a saved card, every fourth was invited by the previous one, some are banned.

Run: ``python -m bench.bench_import``. DATABASE_URL chooses the shop's backend (default: a fresh SQLite
file); BENCH_IMPORT_SOURCE_URL is the old bot's database to create (its name must contain "bench";
default: ``remnastore_bench_machka`` on the PostgreSQL server of DATABASE_URL, else on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import os
import time

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.harness import reset_database
from bench.report import Backend, backend_from_env, emit, int_env, progress
from remnastore.db.models import AutoRenewal, Customer, Order
from remnastore.db.session import Database, build_engine, normalize_url
from remnastore.domain.catalogue import load_catalogue
from remnastore.emulators.machka_db import MachkaDatabase
from remnastore.ops.importers.machka import MachkaImporter
from remnastore.ops.importers.progress import Progress

NAME = "import"
SOURCE_DATABASE = "remnastore_bench_machka"


def source_url(backend: Backend) -> str:
    explicit = os.environ.get("BENCH_IMPORT_SOURCE_URL", "").strip()
    if explicit:
        return explicit
    if backend.is_postgres:
        url = make_url(normalize_url(backend.database_url)).set(database=SOURCE_DATABASE)
        return url.render_as_string(hide_password=False)
    return f"postgresql://postgres@127.0.0.1:5432/{SOURCE_DATABASE}"


async def recreate(url: str, *, create: bool = True) -> None:
    target = make_url(normalize_url(url))
    name = target.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to wipe database {name!r}: its name must contain 'bench'")
    admin = build_engine(target.set(database="postgres").render_as_string(hide_password=False), pooled=False)
    try:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def main(backend: Backend) -> None:
    customers = int_env("BENCH_IMPORT_CUSTOMERS", 100_000)
    url = source_url(backend)
    await reset_database(backend)
    await recreate(url)
    source = MachkaDatabase(url)
    try:
        progress(f"seeding the old bot's database with {customers} customers")
        started = time.monotonic()
        await source.create_schema()
        await source.seed_bulk(customers)
        seeded = time.monotonic() - started
        await source.dispose()
        db = Database(backend.database_url)
        try:
            importer = MachkaImporter(db, load_catalogue(None), progress=Progress())
            progress(f"seeded in {seeded:.1f} s; importing")
            started = time.monotonic()
            first = await importer.run(url)
            first_seconds = time.monotonic() - started
            progress(f"imported in {first_seconds:.1f} s; importing again (nothing to change)")
            started = time.monotonic()
            second = await importer.run(url)
            second_seconds = time.monotonic() - started
            async with db.session() as session:
                in_database = await session.scalar(select(func.count()).select_from(Customer))
                orders = await session.scalar(select(func.count()).select_from(Order))
                renewals = await session.scalar(select(func.count()).select_from(AutoRenewal))
        finally:
            await db.dispose()
    finally:
        await source.dispose()
        await recreate(url, create=False)
    metrics = {
        "customers": customers,
        "source_seed_seconds": round(seeded, 2),
        "import_seconds": round(first_seconds, 2),
        "customers_per_second": round(customers / first_seconds),
        "customers_in_database": in_database,
        "orders_in_database": orders,
        "auto_renewals_in_database": renewals,
        "rows_created": sum(c.created for c in first.tables.values()),
        "rows_skipped": len(first.skipped),
        "money_before": {code: str(amount) for code, amount in first.money_before.items()},
        "money_after": {code: str(amount.to_decimal()) for code, amount in first.money_after.items()},
        "second_run_seconds": round(second_seconds, 2),
        "second_run_changes": sum(c.created + c.updated for c in second.tables.values()),
    }
    emit(NAME, backend, metrics)


if __name__ == "__main__":
    asyncio.run(main(backend_from_env(NAME)))
