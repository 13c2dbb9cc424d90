"""A small progress bar for long imports, drawn on a terminal (stderr) and quiet elsewhere."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.2


class Progress:
    """``stage(name, total)``, then ``advance(n)`` as work is done, then ``finish()``.

    On a terminal the bar is redrawn in place at most every :data:`REDRAW_SECONDS`; on anything else
    (a log file, a pipe) one line per finished stage is written instead.
    """

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._interactive = self._stream.isatty() if interactive is None else interactive
        self._name = ""
        self._total = 0
        self._done = 0
        self._drawn_at = 0.0

    def stage(self, name: str, total: int) -> None:
        self._name, self._total, self._done, self._drawn_at = name, max(total, 0), 0, 0.0
        self._draw(force=True)

    def advance(self, count: int = 1) -> None:
        self._done = min(self._done + count, self._total) if self._total else self._done + count
        self._draw()

    def finish(self) -> None:
        if not self._name:
            return
        self._done = max(self._done, self._total)
        if self._interactive:
            self._draw(force=True)
            self._stream.write("\n")
        else:
            self._stream.write(f"{self._name}: {self._done}/{self._total}\n")
        self._stream.flush()
        self._name = ""

    def _draw(self, *, force: bool = False) -> None:
        if not self._interactive:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        share = self._done / self._total if self._total else 1.0
        filled = int(WIDTH * share)
        bar = "#" * filled + "." * (WIDTH - filled)
        self._stream.write(f"\r{self._name:<22} [{bar}] {self._done}/{self._total}")
        self._stream.flush()
