"""Two instances of the shop behind a real nginx (round robin, configured from deploy/nginx.conf.example),
sharing PostgreSQL and Redis.

Every update is answered once, by whichever instance got it; a conversation goes on across instances;
a scheduled job runs once per period in the whole cluster; a job run that lost its lock commits nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import AuditEntry, Customer, Order
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.infra.fencing import FenceLost
from remnastore.jobs.scheduler import Job
from tests.fixtures.nginx import NginxBalancer
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import free_port, shop_settings

pytestmark = pytest.mark.postgres


@dataclass
class Cluster:
    apps: list[Application]
    balancer: NginxBalancer
    telegram: TelegramEmulator
    redis: Redis
    probe_runs: list[int]


@pytest.fixture
async def cluster(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    payment_emulators: PaymentEmulators,
    tmp_path: Path,
) -> AsyncIterator[Cluster]:
    assert redis_url is not None, "the cluster needs Redis"
    balancer = NginxBalancer(tmp_path / "nginx", free_port())
    probe_runs: list[int] = []
    apps: list[Application] = []
    for instance in range(2):
        port = free_port()
        extra = {
            **payment_emulators.settings(),
            "WEBHOOK_BASE_URL": balancer.url,
            "WEB_PORT": str(port),
            "BALANCE_ENABLED": "true",
            "BALANCE_TOPUP_AMOUNTS": "100,300",
        }
        settings = load_settings(
            None, shop_settings(database_url, telegram_emulator, panel_emulator, redis_url, extra)
        )
        app = Application(settings)

        async def probe(instance: int = instance) -> None:
            probe_runs.append(instance)

        app.scheduler.add(Job("probe", 3600.0, probe, first_delay=3600.0))
        apps.append(app)
        balancer.backends.append(f"127.0.0.1:{port}")
    redis = Redis.from_url(redis_url)
    for app in apps:
        await app.start()
    await balancer.start()
    payment_emulators.point_at(balancer.url)
    try:
        yield Cluster(apps, balancer, telegram_emulator, redis, probe_runs)
    finally:
        for app in apps:
            await app.stop()
        await redis.aclose()
        await balancer.stop()


async def test_each_update_is_answered_once_by_either_instance(cluster: Cluster) -> None:
    telegram = cluster.telegram
    users = [telegram.user(8100 + n, first_name=f"U{n}", language_code="en") for n in range(6)]
    starts = [await user.send("/start") for user in users]
    for user, update_id in zip(users, starts, strict=True):
        await user.wait_reply(update_id)
    presses = [await user.press("🔐 My subscription") for user in users]
    for user, update_id in zip(users, presses, strict=True):
        reply = await user.wait_reply(update_id)
        assert "no subscription yet" in reply.text

    delivered = {u: await cluster.balancer.backends_of(u) for u in starts + presses}
    for update_id, backends in delivered.items():
        assert len(backends) == 1, f"update {update_id} delivered {len(backends)} times"
    assert {b for backends in delivered.values() for b in backends} == {0, 1}
    for user in users:
        menus = [c for c in telegram.calls_for("sendMessage") if c.chat_id == user.id]
        assert len(menus) == 1, f"user {user.id} got {len(menus)} menus for one /start"
    answers = telegram.calls_for("answerCallbackQuery")
    assert len(answers) == len(presses)
    async with cluster.apps[0].db.session() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
    assert customers == len(users)


async def test_a_conversation_continues_on_the_other_instance(cluster: Cluster) -> None:
    olga = cluster.telegram.user(8201, first_name="Olga", language_code="en")
    await olga.wait_reply(await olga.send("/start"))
    await olga.wait_reply(await olga.press("💰 Balance"))
    ask = await olga.press("✏️ Another amount")
    reply = await olga.wait_reply(ask)
    assert "Type the amount" in reply.text
    typed = await olga.send("250")
    reply = await olga.wait_reply(typed)
    pay = await olga.press("YooKassa")
    reply = await olga.wait_reply(pay)
    backends = [await cluster.balancer.backends_of(u) for u in (ask, typed, pay)]
    # the state set by one instance was read by the other, and its data back again by the first
    assert backends[0] != backends[1] != backends[2], backends
    async with cluster.apps[0].db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert (order.kind, order.amount_minor) == ("topup", 25000)


async def test_a_job_runs_once_per_period_in_the_cluster(cluster: Cluster) -> None:
    first, second = cluster.apps
    ran = await asyncio.gather(first.scheduler.run_now("probe"), second.scheduler.run_now("probe"))
    assert sorted(ran) == [False, True]
    assert len(cluster.probe_runs) == 1
    # the same period: neither instance runs it again
    again = await asyncio.gather(first.scheduler.run_now("probe"), second.scheduler.run_now("probe"))
    assert again == [False, False]
    assert len(cluster.probe_runs) == 1


async def test_a_job_run_that_lost_its_lock_commits_nothing(cluster: Cluster) -> None:
    app = cluster.apps[0]
    reached = asyncio.Event()
    proceed = asyncio.Event()
    outcome: list[BaseException | None] = []

    async def audit(action: str) -> None:
        async with app.db.session() as session:
            session.add(AuditEntry(action=action, details={}))

    async def fenced() -> None:
        await audit("fenced-before")
        reached.set()
        await proceed.wait()
        try:
            await audit("fenced-after")
        except FenceLost as exc:
            outcome.append(exc)
            raise
        outcome.append(None)

    app.scheduler.add(Job("fenced", 3600.0, fenced, first_delay=3600.0))
    run = asyncio.create_task(app.scheduler.run_now("fenced"))
    await asyncio.wait_for(reached.wait(), 10)
    # the lock expired and another instance took the job over
    await cluster.redis.set("remnastore:job:fenced", "another-instance", px=60_000)
    proceed.set()
    assert await run is True
    assert len(outcome) == 1 and isinstance(outcome[0], FenceLost)
    async with app.db.session() as session:
        actions = set(await session.scalars(select(AuditEntry.action)))
    assert actions == {"fenced-before"}


async def test_only_the_webhooks_are_reachable_through_the_proxy(cluster: Cluster) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/metrics", "/readyz", "/healthz", "/"):
            async with http.get(cluster.balancer.url + path) as response:
                assert response.status == 404, path
        # while each instance still answers its own health check
        async with http.get(f"http://{cluster.balancer.backends[0]}/healthz") as response:
            assert response.status == 200
