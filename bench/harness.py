"""Running the real shop for a benchmark: a clean database and Redis, the emulators in this process and
the shop's settings for them; ``remnastore run`` in a child process (webhook mode), whose CPU and memory
are measured on their own, or an ``Application`` in this process (``shop_env`` + ``load_settings``)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.report import Backend, ProcessStats, progress
from remnastore.db.migrate import upgrade
from remnastore.db.session import build_engine, normalize_url
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator

BOT_TOKEN = "7000000001:AAE2eBenchTokenForTheEmulatorOnly_xyz"
ADMIN_ID = 900001
_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>[-+0-9.eE]+|NaN)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def reset_database(backend: Backend) -> None:
    """An empty, migrated database (also between the runs of one benchmark). The database is wiped: a
    PostgreSQL database or SQLite file must have "bench" in its name."""
    url = make_url(normalize_url(backend.database_url))
    name = url.database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to wipe database {name!r}: its name must contain 'bench'")
    if not backend.is_postgres:
        path = Path(name)
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            file.unlink(missing_ok=True)
    else:
        admin = build_engine(url.set(database="postgres").render_as_string(hide_password=False), pooled=False)
        try:
            async with admin.connect() as connection:
                connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                exists = await connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not exists:
                    await connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await admin.dispose()
        engine = build_engine(backend.database_url, pooled=False)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()
    await upgrade(backend.database_url)


async def flush_redis(backend: Backend) -> None:
    """Empty the Redis database the benchmark was given (use a database of its own, e.g. /6)."""
    if backend.redis_url is None:
        return
    client = Redis.from_url(backend.redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


#: The shop's pace of messages lifted for the benchmarks: the fake Telegram does not limit it, and the
#: benchmarks measure the shop, not Telegram's 30 messages a second (bot/send_budget.py). Far above what
#: one process reaches: at 1,000 a second the pace itself held the presses to 998 a second.
LIFTED_PACE = {
    "TELEGRAM_SEND_RATE": os.environ.get("BENCH_SEND_RATE", "10000"),
    "TELEGRAM_CHAT_SEND_RATE": "30",
}


def shop_env(
    backend: Backend,
    telegram: TelegramEmulator,
    panel: PanelEmulator,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The settings (environment variable -> value) of a shop talking to the emulators, for
    ``remnastore run`` in a child process or ``load_settings(None, ...)`` in this one. Without
    ``WEBHOOK_BASE_URL`` in ``extra`` the shop takes updates by long polling."""
    env = {
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "PANEL_URL": panel.url,
        "PANEL_TOKEN": panel.token,
        "ADMIN_IDS": str(ADMIN_ID),
        "DATABASE_URL": backend.database_url,
        "REDIS_URL": backend.redis_url or "",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": "0",
        "METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
        "DEFAULT_LANGUAGE": "en",
        "BACKUP_INTERVAL_HOURS": "0",
        # Thousands of presses per customer: the rate limiter stays on (its cost is measured)
        # but must not throttle the simulated crowd.
        "RATE_LIMIT_EVENTS": "10000",
    }
    env.update(extra or {})
    return env


class ShopProcess:
    """``python -m remnastore run`` against the emulators, taking updates by webhook."""

    def __init__(
        self,
        backend: Backend,
        telegram: TelegramEmulator,
        panel: PanelEmulator,
        extra: Mapping[str, str] | None = None,
        *,
        workers: int = 1,
    ) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
        env.update(
            shop_env(
                backend,
                telegram,
                panel,
                {
                    "WEB_PORT": str(self.port),
                    "METRICS_PORT": self.metrics_url.rsplit(":", 1)[1],
                    "WEBHOOK_BASE_URL": self.url,
                    **(extra or {}),
                },
            )
        )
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkdtemp(prefix="remnastore-bench-")) / "shop.log"

    @property
    def stats(self) -> ProcessStats:
        assert self._process is not None
        return ProcessStats(self._process.pid)

    async def start(self, telegram: TelegramEmulator, timeout: float = 120.0) -> None:  # noqa: ASYNC109
        calls = len(telegram.calls_for("setWebhook"))
        self._process = await asyncio.to_thread(self._spawn)
        deadline = asyncio.get_running_loop().time() + timeout
        while len(telegram.calls_for("setWebhook")) < calls + self.workers:  # every worker is up
            if self._process.poll() is not None:
                raise RuntimeError(f"the shop exited at start:\n{self._log.read_text()[-4000:]}")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("the shop did not start in time")
            await telegram.hub.wait_changed(0.2)
        progress(f"shop running (pid {self._process.pid}, log {self._log})")

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(self._log, "wb") as log:
            return subprocess.Popen(  # noqa: S603 - our own command line
                [
                    sys.executable,
                    *("-m", "remnastore", "run"),  # settings from the environment (no .env in cwd)
                    *(("--workers", str(self.workers)) if self.workers != 1 else ()),
                ],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._log.parent,
            )

    async def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        for _ in range(300):
            if self._process.poll() is not None:
                return
            await asyncio.sleep(0.1)
        self._process.kill()

    async def metrics(self) -> dict[tuple[str, str], float]:
        """The shop's Prometheus samples: (name, labels) -> value, summed over its workers (worker i
        serves its metrics on METRICS_PORT + i)."""
        base, port = self.metrics_url.rsplit(":", 1)
        samples: dict[tuple[str, str], float] = {}
        async with aiohttp.ClientSession() as http:
            for worker in range(self.workers):
                async with http.get(f"{base}:{int(port) + worker}/metrics") as resp:
                    body = await resp.text()
                for line in body.splitlines():
                    match = _SAMPLE.match(line)
                    if match:
                        key = (match["name"], match["labels"] or "")
                        samples[key] = samples.get(key, 0.0) + float(match["value"])
        return samples


def cache_counts(samples: Mapping[tuple[str, str], float]) -> dict[str, tuple[float, float]]:
    """(hits, misses) per cache area from the shop's metrics."""
    areas: dict[str, list[float]] = {}
    for (name, labels), value in samples.items():
        if name in ("remnastore_cache_hits_total", "remnastore_cache_misses_total"):
            area = labels.split('"')[1] if '"' in labels else "?"
            slot = areas.setdefault(area, [0.0, 0.0])
            slot[0 if name == "remnastore_cache_hits_total" else 1] += value
    return {area: (v[0], v[1]) for area, v in areas.items()}


def cache_hit_rates(
    before: Mapping[tuple[str, str], float], after: Mapping[tuple[str, str], float]
) -> dict[str, float]:
    """Hit rate per area and overall over the interval between two scrapes."""
    start, end = cache_counts(before), cache_counts(after)
    rates: dict[str, float] = {}
    total_hits = total = 0.0
    for area, (hits, misses) in end.items():
        h0, m0 = start.get(area, (0.0, 0.0))
        hits, misses = hits - h0, misses - m0
        if hits + misses:
            rates[area] = round(hits / (hits + misses), 4)
            total_hits += hits
            total += hits + misses
    rates["overall"] = round(total_hits / total, 4) if total else float("nan")
    return rates
