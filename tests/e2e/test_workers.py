"""``remnastore run --workers 2``: two processes of one shop on one port, sharing PostgreSQL and Redis.
Every update is answered once, a scheduled job runs once per period, SIGTERM stops both cleanly; long
polling and SQLite are refused with one clear line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from tests.fixtures.shop import free_port, shop_settings

pytestmark = pytest.mark.postgres
CUSTOMERS = 24


def free_port_pair() -> int:
    """A port p with p + 1 free as well (the two workers' metrics listeners)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no two free ports in a row")


async def samples(http: aiohttp.ClientSession, port: int, name: str) -> dict[str, float]:
    """Labels -> value of one metric at a worker's /metrics."""
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        body = await response.text()
    found: dict[str, float] = {}
    for match in re.finditer(rf"^{name}\{{([^}}]*)\}} ([0-9.e+-]+)$", body, re.MULTILINE):
        found[match[1]] = float(match[2])
    return found


def shop_environment(
    database_url: str, redis_url: str | None, telegram: TelegramEmulator, panel: PanelEmulator, port: int
) -> dict[str, str]:
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
    }
    return {
        **inherited,
        **shop_settings(database_url, telegram, panel, redis_url),
        "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_PORT": str(port),
        "SHUTDOWN_TIMEOUT": "20",
    }


async def test_two_workers_share_the_port_answer_each_update_once_and_stop_on_sigterm(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    tmp_path: Path,
) -> None:
    port, metrics = free_port(), free_port_pair()
    env = shop_environment(database_url, redis_url, telegram_emulator, panel_emulator, port)
    env["METRICS_PORT"] = str(metrics)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run", "--workers", "2",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await telegram_emulator.wait_until(
            lambda: len(telegram_emulator.calls_for("setWebhook")) >= 2 or process.returncode is not None, 60
        )
        if process.returncode is not None:
            output, _ = await process.communicate()
            raise AssertionError(f"the shop exited at start: {output.decode()[-3000:]}")
        users = [
            telegram_emulator.user(9800 + n, first_name=f"W{n}", language_code="en") for n in range(CUSTOMERS)
        ]
        sent = await asyncio.gather(*(user.send("/start") for user in users))
        for user, update in zip(users, sent, strict=True):
            await user.wait_reply(update, timeout=30)
        welcomes = {user.id: sum("Welcome" in m.text for m in user.history) for user in users}
        assert set(welcomes.values()) == {1}, welcomes

        async with aiohttp.ClientSession() as http:
            handled = [
                sum((await samples(http, metrics + n, "remnastore_updates_total")).values()) for n in range(2)
            ]
            assert sum(handled) == CUSTOMERS, handled

            # Every worker's scheduler looks at the reconciliation job 5 s after its start: one runs it,
            # the other finds the period taken.
            async def reconciliation() -> list[dict[str, float]]:
                return [await samples(http, metrics + n, "remnastore_job_runs_total") for n in range(2)]

            def outcomes(per_worker: list[dict[str, float]]) -> dict[str, float]:
                total: dict[str, float] = {}
                for worker in per_worker:
                    for labels, value in worker.items():
                        if 'job="reconciliation"' in labels:
                            outcome = labels.split('outcome="')[1].rstrip('"')
                            total[outcome] = total.get(outcome, 0) + value
                return total

            seen = outcomes(await reconciliation())
            for _ in range(300):
                if sum(seen.values()) >= 2:
                    break
                await asyncio.sleep(0.1)
                seen = outcomes(await reconciliation())
            assert seen.get("elsewhere") == 1 and seen.get("ok", 0) + seen.get("error", 0) == 1, seen

        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, output.decode()[-3000:]
        assert output.decode().count("stopping") >= 2  # both workers stopped gracefully
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"WEBHOOK_BASE_URL": ""}, "needs webhook mode"),
        ({"DATABASE_URL": "sqlite+aiosqlite:///shop.sqlite3", "REDIS_URL": ""}, "needs PostgreSQL and Redis"),
    ],
)
async def test_workers_are_refused_with_long_polling_and_with_sqlite(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    tmp_path: Path,
    overrides: dict[str, str],
    reason: str,
) -> None:
    env = shop_environment(database_url, redis_url, telegram_emulator, panel_emulator, free_port())
    env.update(overrides)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run", "--workers", "2",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await asyncio.wait_for(process.communicate(), 60)
    lines = errors.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and reason in lines[0] and lines[0].startswith("remnastore: --workers 2"), lines
    assert not telegram_emulator.calls  # nothing was started


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="utf-8") as children:
            found.update(int(child) for child in children.read().split())
    return found


async def test_workers_do_not_outlive_a_killed_parent(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    tmp_path: Path,
) -> None:
    port = free_port()
    env = shop_environment(database_url, redis_url, telegram_emulator, panel_emulator, port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run", "--workers", "2",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await telegram_emulator.wait_until(lambda: len(telegram_emulator.calls_for("setWebhook")) >= 2, 60)
        workers = children_of(process.pid)
        assert len(workers) == 2
        process.kill()  # SIGKILL: the parent cannot pass anything on
        await process.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not all(gone(pid) for pid in workers):
            assert loop.time() < deadline, "a worker outlived its parent and still holds the port"
            await asyncio.sleep(0.1)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # the port is free again
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
