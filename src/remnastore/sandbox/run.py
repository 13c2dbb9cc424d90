"""`remnastore sandbox`: start everything, print the page's address, run until Ctrl+C."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from remnastore.sandbox.world import Sandbox

log = logging.getLogger(__name__)


async def serve(port: int, data_dir: Path | None, host: str = "127.0.0.1") -> int:
    try:
        sandbox = Sandbox(port=port, data_dir=data_dir, host=host)
    except ValueError as exc:
        print(f"The sandbox could not start: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await sandbox.start()
    except Exception as exc:
        log.debug("start-up failed", exc_info=True)
        print(f"The sandbox could not start: {exc}", file=sys.stderr)
        await sandbox.stop()
        return 1
    print(f"remnastore sandbox is running: open {sandbox.url}", flush=True)
    print(f"  data: {sandbox.database_file}  (Ctrl+C stops it)", flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0
