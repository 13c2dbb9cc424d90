"""What every emulator served over real HTTP shares: ``async with emulator:`` starts it on 127.0.0.1 (a
free port) and stops it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Served:
    """Base of the emulators with a server: subclasses implement :meth:`start` and :meth:`stop`."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def stop(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
