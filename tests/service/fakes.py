"""In-process fakes for service-level tests: a panel implementing :class:`PanelApi` (with the failure the
real panel shows: a change applied whose reply is lost), a recording order-event subscriber, notifiers
that remember what they were asked to send. The database is the real one (SQLite or PostgreSQL)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from remnastore.db.models import Customer, utcnow
from remnastore.db.session import Database
from remnastore.domain.money import Money
from remnastore.panel.errors import CODE_USERNAME_TAKEN, PanelNotFound, PanelUnavailable, PanelUsernameTaken
from remnastore.panel.models import CreateUserRequest, PanelUser, UpdateUserRequest
from remnastore.services.accounts import CustomerView
from remnastore.services.lifecycle import (
    OrderEvent,
    OrderEvents,
    OrderFailed,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
)
from remnastore.services.notifications import Recipient


class FakePanel:
    """The panel's users in a dict. ``lose_replies`` makes the next writes happen and then fail as a
    timeout would; ``down`` fails every call before it does anything."""

    def __init__(self) -> None:
        self.users: dict[int, PanelUser] = {}
        self.calls: list[str] = []
        self.lose_replies = 0
        self.down = False

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise PanelUnavailable("the panel is down")

    def _reply(self, user: PanelUser) -> PanelUser:
        if self.lose_replies:
            self.lose_replies -= 1
            raise PanelUnavailable("no reply within the timeout")
        return user

    async def find_by_telegram_id(self, telegram_id: int) -> list[PanelUser]:
        self._call("find")
        return [u for u in self.users.values() if u.telegram_id == telegram_id]

    async def get_user(self, ref: int | str) -> PanelUser:
        self._call("get")
        if int(ref) not in self.users:
            raise PanelNotFound("no such user")
        return self.users[int(ref)]

    async def create_user(self, req: CreateUserRequest) -> PanelUser:
        """As the client does: a taken username is adopted when it is the same Telegram user's, and
        refused (the panel's 400 ``A019``) when it is somebody else's."""
        self._call("create")
        holder = next((u for u in self.users.values() if u.username == req.username), None)
        if holder is not None:
            if req.telegram_id is not None and holder.telegram_id == req.telegram_id:
                return self._reply(holder)
            raise PanelUsernameTaken("User username already exists", status=400, code=CODE_USERNAME_TAKEN)
        user = PanelUser(
            id=len(self.users) + 1,
            username=req.username,
            short_uuid=secrets.token_hex(8),
            status=req.status or "ACTIVE",
            expire_at=req.expire_at,
            telegram_id=req.telegram_id,
            traffic_limit_bytes=req.traffic_limit_bytes,
            hwid_device_limit=req.hwid_device_limit,
            subscription_url=f"https://panel.example/sub/{len(self.users) + 1}",
        )
        self.users[int(user.id or 0)] = user
        return self._reply(user)

    async def update_user(self, ref: int | str, req: UpdateUserRequest) -> PanelUser:
        self._call("update")
        changes = {name: getattr(req, name) for name in req.model_fields_set}
        user = self.users[int(ref)].model_copy(update=changes)
        self.users[int(ref)] = user
        return self._reply(user)

    async def disable_user(self, ref: int | str) -> PanelUser:
        self._call("disable")
        user = self.users[int(ref)].model_copy(update={"status": "DISABLED"})
        self.users[int(ref)] = user
        return self._reply(user)

    async def reset_traffic(self, ref: int | str) -> PanelUser:
        self._call("reset_traffic")
        user = self.users[int(ref)].model_copy(update={"used_traffic_bytes": 0})
        self.users[int(ref)] = user
        return self._reply(user)

    async def list_internal_squads(self) -> list[tuple[str, str]]:
        self._call("squads")
        return [("6f1c2b9e-4d3a-4c8b-9e7f-1a2b3c4d5e60", "Default-Squad")]

    def add(self, telegram_id: int, expire_at: datetime, *, username: str | None = None) -> PanelUser:
        user = PanelUser(
            id=len(self.users) + 1,
            username=username or f"tg_{telegram_id}",
            short_uuid=secrets.token_hex(8),
            status="ACTIVE",
            expire_at=expire_at,
            telegram_id=telegram_id,
        )
        self.users[int(user.id or 0)] = user
        return user


@dataclass
class Recorder:
    """Subscribes to every order event and keeps them, in order."""

    events: list[OrderEvent] = field(default_factory=list)

    def attach(self, events: OrderEvents) -> OrderEvents:
        for kind in (OrderPaid, OrderFulfilled, OrderRefunded, OrderFailed):
            events.subscribe(kind, "recorder", self._record)
        return events

    async def _record(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@dataclass
class Notices:
    """CustomerNotifier and AdminNotifier at once: what would have been sent."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def order_fulfilled(self, to: Recipient, **kwargs: Any) -> None:
        self.sent.append(("order_fulfilled", {"to": to, **kwargs}))

    async def payment_failed(self, to: Recipient, *, amount: Money) -> None:
        self.sent.append(("payment_failed", {"to": to, "amount": amount}))

    async def payment_refunded(self, to: Recipient, *, amount: Money) -> None:
        self.sent.append(("payment_refunded", {"to": to, "amount": amount}))

    async def balance_topped_up(self, to: Recipient, *, amount: Money, balance: Money) -> None:
        self.sent.append(("balance_topped_up", {"to": to, "amount": amount}))

    async def addon_fulfilled(self, to: Recipient, **kwargs: Any) -> None:
        self.sent.append(("addon_fulfilled", {"to": to, **kwargs}))

    async def payment_received(self, **kwargs: Any) -> None:
        self.sent.append(("payment_received", kwargs))

    async def alert(self, text_key: str, **args: str | int) -> None:
        self.sent.append(("alert", {"key": text_key, **args}))

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


async def new_customer(db: Database, telegram_id: int, *, balance: int = 0) -> CustomerView:
    now = utcnow()
    async with db.session() as session:
        await session.execute(
            insert(Customer).values(
                telegram_id=telegram_id,
                language="en",
                referral_code=f"S{telegram_id:015d}"[-16:],
                created_at=now,
                updated_at=now,
                last_seen_at=now,
                balance_minor=balance,
                is_banned=False,
            )
        )
    return await customer_view(db, telegram_id)


async def customer_view(db: Database, telegram_id: int) -> CustomerView:
    """The customer as the next update sees them (the bot reads the view afresh for every update)."""
    async with db.session() as session:
        from sqlalchemy import select

        row = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
        assert row is not None
        return CustomerView.of(row)
