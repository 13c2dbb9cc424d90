"""What /health shows an admin: each component's state, the work queues, version and uptime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from remnastore.db.models import Order, OrderStatus
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.infra.probes import ProbeResult
from remnastore.ops.check import CheckResult

ProviderCheck = Callable[[], Awaitable[CheckResult]]
CHECK_TIMEOUT = 10.0


@dataclass(frozen=True)
class ComponentState:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthSnapshot:
    components: list[ComponentState]
    #: paid orders still waiting for their subscription, add-on or top-up
    awaiting_fulfilment: int
    #: orders created and not yet paid
    awaiting_payment: int
    #: running broadcasts; None when the shop has no broadcasts
    running_broadcasts: int | None
    version: str
    uptime: timedelta
    #: the shop sells from the shipped example catalogue (CATALOGUE_FILE unset, or a copy of it)
    example_catalogue: bool = False

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)


def _probe_state(result: ProbeResult) -> ComponentState:
    if result.ok:
        return ComponentState(result.name, True, f"{result.seconds * 1000:.0f} ms")
    return ComponentState(result.name, False, result.error or "error")


async def _provider_state(name: str, check: ProviderCheck) -> ComponentState:
    try:
        result = await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as exc:  # a check reports, it never raises
        return ComponentState(name, False, "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__)
    return ComponentState(name, result.ok, result.detail)


def _has_broadcasts(connection: Connection) -> bool:
    """Whether the schema has a broadcasts table with a status (the shop may have no broadcasts)."""
    inspector = inspect(connection)
    if not inspector.has_table("broadcasts"):
        return False
    return "status" in {c["name"] for c in inspector.get_columns("broadcasts")}


class ShopHealth:
    def __init__(
        self,
        db: Database,
        probes: Callable[[], Awaitable[list[ProbeResult]]],
        providers: Mapping[str, ProviderCheck],
        clock: Clock,
        *,
        version: str,
        example_catalogue: bool = False,
    ) -> None:
        self._example_catalogue = example_catalogue
        self._db = db
        self._probes = probes
        self._providers = providers
        self._clock = clock
        self._version = version
        self._started: datetime = clock.now()

    @property
    def sells_example_catalogue(self) -> bool:
        """Whether the shop sells from the shipped example catalogue (shown on /health, logged at start)."""
        return self._example_catalogue

    async def snapshot(self) -> HealthSnapshot:
        probes, providers = await asyncio.gather(
            self._probes(),
            asyncio.gather(*(_provider_state(n, c) for n, c in self._providers.items())),
        )
        components = [_probe_state(r) for r in probes] + list(providers)
        paid = pending = 0
        broadcasts: int | None = None
        try:
            async with self._db.session() as session:
                counts: dict[str, int] = {
                    str(status): int(count)
                    for status, count in (
                        await session.execute(
                            select(Order.status, func.count())
                            .where(Order.status.in_([OrderStatus.PAID, OrderStatus.PENDING]))
                            .group_by(Order.status)
                        )
                    ).all()
                }
                paid, pending = counts.get(OrderStatus.PAID, 0), counts.get(OrderStatus.PENDING, 0)
                connection = await session.connection()
                if await connection.run_sync(_has_broadcasts):
                    broadcasts = int(
                        await session.scalar(
                            text("SELECT count(*) FROM broadcasts WHERE status IN ('running', 'sending')")
                        )
                        or 0
                    )
        except Exception as exc:  # the database probe above already says why
            components.append(ComponentState("queues", False, type(exc).__name__))
        return HealthSnapshot(
            components=components,
            awaiting_fulfilment=int(paid),
            awaiting_payment=int(pending),
            running_broadcasts=broadcasts,
            version=self._version,
            uptime=self._clock.now() - self._started,
            example_catalogue=self._example_catalogue,
        )
