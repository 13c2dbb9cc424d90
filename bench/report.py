"""What every benchmark shares: which backend it runs on, the machine, percentiles, CPU and memory of a
process, and the one JSON object it prints.

A benchmark ends with ``emit("<name>", {...metrics...})``, which prints::

    {"benchmark": "<name>", "backend": "postgres+redis", "date": "<iso>",
     "machine": {"cpus": 2, "python": "3.11.9", ...}, "metrics": {...}}

The backend is chosen by ``DATABASE_URL`` and ``REDIS_URL`` (unset: a throw-away SQLite file and
in-process state), so ``make bench`` runs each benchmark once per backend.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Backend:
    database_url: str
    redis_url: str | None

    @property
    def label(self) -> str:
        database = "postgres" if self.database_url.startswith("postgres") else "sqlite"
        return f"{database}+{'redis' if self.redis_url else 'memory'}"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgres")


def backend_from_env(name: str) -> Backend:
    """``DATABASE_URL``/``REDIS_URL`` from the environment; unset: a fresh SQLite file, no Redis."""
    database = os.environ.get("DATABASE_URL", "").strip()
    if not database:
        directory = Path(tempfile.mkdtemp(prefix=f"remnastore-bench-{name}-"))
        database = f"sqlite+aiosqlite:///{directory / 'bench.sqlite3'}"
    redis = os.environ.get("REDIS_URL", "").strip() or None
    return Backend(database, redis)


def int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def float_env(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def floats_env(name: str, default: Sequence[float]) -> list[float]:
    """A comma-separated list of numbers (e.g. ``BENCH_BROADCAST_RATES=25,100,500``)."""
    value = os.environ.get(name, "").strip()
    return [float(item) for item in value.split(",") if item.strip()] if value else list(default)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count() or 1,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        info["load_avg_1m"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    try:
        import uvloop  # noqa: F401

        info["uvloop"] = True
    except ImportError:
        info["uvloop"] = False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # the benchmark process's own loop (run_load_generator)
        info["benchmark_loop"] = "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
    return info


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (nearest rank) of ``values``; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(seconds: Iterable[float], *, prefix: str = "") -> dict[str, float | int]:
    """p50/p95/p99/max in milliseconds (3 decimals) and the sample count."""
    values = list(seconds)
    result: dict[str, float | int] = {f"{prefix}samples": len(values)}
    for pct in (50, 95, 99):
        result[f"{prefix}p{pct}_ms"] = round(percentile(values, pct) * 1000, 3)
    result[f"{prefix}max_ms"] = round(max(values) * 1000, 3) if values else math.nan
    return result


class ProcessStats:
    """CPU seconds and peak resident memory of a process (Linux ``/proc``; this process by default)."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid or os.getpid()

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            if self.pid == os.getpid():
                return time.process_time()
            raise

    def peak_rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.pid}/status", encoding="utf-8") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        if self.pid == os.getpid():
            import resource

            return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return math.nan


class CollectorPauses:
    """The load generator's own garbage collector, kept out of a measured phase.

    The emulators keep every update and call they saw, so the load generator holds hundreds of thousands
    of objects, and its full collections stopped it for up to a quarter of a second (two seconds in all
    in a 20-second full-load run): every answer arriving meanwhile was timed late, and a closed loop of
    customers stood still. On entering, everything alive is collected and frozen (``gc.freeze``: left out
    of later collections) and the collector is switched off until the phase ends (the garbage of one
    phase is collected after it). ``summary()`` tells how many collections ran during the phase anyway
    and how long the longest stopped the load generator, so a result can be checked for them.
    """

    def __init__(self) -> None:
        self._started = 0.0
        self.pauses: list[float] = []

    def _watch(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)

    def __enter__(self) -> CollectorPauses:
        gc.collect()
        gc.freeze()
        gc.disable()
        gc.callbacks.append(self._watch)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        gc.callbacks.remove(self._watch)
        gc.enable()

    def summary(self) -> dict[str, float | int]:
        return {
            "collections": len(self.pauses),
            "longest_pause_ms": round(max(self.pauses, default=0.0) * 1000, 1),
            "total_pause_ms": round(sum(self.pauses) * 1000, 1),
            "load_generator_peak_rss_mb": ProcessStats(os.getpid()).peak_rss_mb(),
        }


def report(name: str, backend: Backend, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "benchmark": name,
        "backend": backend.label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "metrics": metrics,
    }


def run_load_generator(main: Coroutine[Any, Any, None]) -> None:
    """Run a benchmark whose shop is a child process: the benchmark process is only the load generator
    (the emulators and the simulated customers), run on uvloop when it is installed (the ``dev`` and
    ``speed`` extras), so that less of the machine goes to measuring. The report's ``machine`` says which
    loop it was (``benchmark_loop``); ``BENCH_LOOP=asyncio`` keeps asyncio's own loop."""
    if os.environ.get("BENCH_LOOP", "").strip() != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(main)
            return
    asyncio.run(main)


def emit(name: str, backend: Backend, metrics: dict[str, Any]) -> None:
    """Print the one JSON object of this benchmark run on stdout (progress goes to stderr)."""
    json.dump(report(name, backend, metrics), sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
