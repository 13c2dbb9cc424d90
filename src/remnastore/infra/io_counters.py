"""Counters of the shop's round trips to its database and Redis, at ``/metrics``: what one update costs
in statements and round trips is read from them (the burst benchmark divides them by the updates)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

NAMESPACE = "remnastore"


def count_sql_statements(engine: AsyncEngine, registry: CollectorRegistry) -> Counter:
    statements = Counter(
        "sql_statements", "SQL statements sent to the database", namespace=NAMESPACE, registry=registry
    )

    def counted(*_args: Any) -> None:
        statements.inc()

    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    return statements


def count_redis_round_trips(pool: ConnectionPool, registry: CollectorRegistry) -> Counter:
    """One count per request written to Redis: a single command, or a whole pipeline or transaction."""
    round_trips = Counter(
        "redis_round_trips",
        "Requests sent to Redis (a pipeline is one)",
        namespace=NAMESPACE,
        registry=registry,
    )
    base: type[AbstractConnection] = pool.connection_class

    class CountingConnection(base):  # type: ignore[valid-type,misc]
        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            round_trips.inc()
            await super().send_packed_command(command, check_health)

    pool.connection_class = CountingConnection
    return round_trips
