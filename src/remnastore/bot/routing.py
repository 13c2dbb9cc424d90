"""The shop's routers: aiogram's ``Router``, without an outer-middleware chain built for nothing.

aiogram's ``Router.propagate_event`` wraps every event in the outer middlewares of the router's observer
for that event type (``wrap_outer_middleware``: a ``functools.wraps`` wrapper, a ``partial`` per
middleware and a closure), at every router the event passes on its way to a handler. The shop's routers
register no outer middlewares of their own (those are on the dispatcher), so an event crossed a dozen
routers building a dozen empty chains. This router goes straight to aiogram's ``_propagate_event`` when
its observer for the event type has no outer middleware, and does exactly what aiogram does otherwise.

``_propagate_event`` is aiogram's own (private) step; ``pyproject.toml`` bounds aiogram to the minor
versions it was checked with, and ``tests/unit/test_routing.py`` checks its signature and the routing.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router as AiogramRouter
from aiogram.types import TelegramObject


class Router(AiogramRouter):
    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        observer = self.observers.get(update_type)
        if observer is not None and len(observer.outer_middleware) > 0:
            return await super().propagate_event(update_type, event, **kwargs)
        kwargs["event_router"] = self
        return await self._propagate_event(observer=observer, update_type=update_type, event=event, **kwargs)
