"""``remnastore run --workers N``: N processes of one shop on one port.

The parent checks that the shop can be shared (webhook mode, PostgreSQL and Redis), then forks the
workers before any event loop, thread or connection exists, and waits. Each worker is a whole shop
(``remnastore run``) whose web server binds the port with ``SO_REUSEPORT``, so the kernel spreads the
incoming connections (Telegram's webhook calls, payment and panel notifications) over them. What the
workers share goes through PostgreSQL and Redis exactly as with several machines (docs/scaling.md):
conversations, per-chat locks, rate limits, caches, one winner per scheduled job.

SIGTERM or SIGINT to the parent is passed to every worker, which stops gracefully; the parent exits
when they all have. A worker that dies on its own takes the others down with it (exit code of the
failed worker), so that the service manager restarts the whole shop.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import suppress
from types import FrameType

from remnastore.config import Settings
from remnastore.ops.exit_codes import ExitCode, StartupError

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


def workers_arg(value: str) -> int:
    """``--workers``: a positive number, or ``auto`` for the cores this process may use."""
    if value == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {value!r}") from None
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError("expected 1 to 64 workers")
    return count


def refusal(settings: Settings, workers: int) -> StartupError | None:
    """Why ``workers`` processes cannot share this shop, or None."""
    if workers <= 1:
        return None
    if not settings.use_webhook:
        return StartupError(
            ExitCode.INVALID_SETTINGS,
            f"--workers {workers} needs webhook mode: with long polling only one process may take updates",
            "set WEBHOOK_BASE_URL, or run one worker",
        )
    if not settings.database.url.startswith("postgres") or not settings.redis.url:
        return StartupError(
            ExitCode.INVALID_SETTINGS,
            f"--workers {workers} needs PostgreSQL and Redis shared by the workers "
            "(SQLite and in-memory state belong to one process)",
            "set DATABASE_URL=postgresql://... and REDIS_URL, or run one worker",
        )
    return None


def worker_settings(settings: Settings, index: int) -> Settings:
    """Worker ``index`` (from 0) serves its metrics on ``METRICS_PORT + index`` (0 stays "any port")."""
    if settings.web.metrics_port:
        settings.web.metrics_port += index
    return settings


def _stop_with_parent() -> None:
    """Linux: SIGTERM to this worker when the parent dies (even by SIGKILL), so no worker is orphaned
    holding the port."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        log.debug("workers will not be stopped with a killed parent on this system")
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def run_workers(workers: int, run_one: Callable[[int], int]) -> int:
    """Fork ``workers`` processes running ``run_one(index)``; pass SIGTERM/SIGINT on; the exit code."""
    children: dict[int, int] = {}
    stopping = False

    def stop_all(signum: int) -> None:
        for pid in children:
            with suppress(ProcessLookupError):
                os.kill(pid, signum)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        stop_all(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    sys.stdout.flush()
    sys.stderr.flush()
    for index in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _stop_with_parent()
            code = int(ExitCode.UNEXPECTED)
            try:
                code = run_one(index)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(ExitCode.UNEXPECTED)
            except BaseException:
                log.exception("worker %d failed", index)
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = index
    log.info("%d workers running", workers, extra={"pids": sorted(children)})
    result = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid not in children:
            continue
        index = children.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and result == 0:
            result = code if code > 0 else int(ExitCode.UNEXPECTED)
        if not stopping:
            log.error("worker %d exited with code %d: stopping the others", index, code)
            stopping = True
            stop_all(signal.SIGTERM)
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    return result
