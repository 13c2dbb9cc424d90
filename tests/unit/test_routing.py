"""The shop's Router skips aiogram's empty outer-middleware chains and routes exactly as aiogram does:
handlers deep in the tree get the event and the data, ``event_router`` names the handler's router, a
router's own outer middleware and filters still apply."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram import Router as AiogramRouter
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Command, CommandStart, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    ErrorEvent,
    InlineQuery,
    Message,
    TelegramObject,
    Update,
    User,
)

from remnastore.bot.callbacks import AdminNav, AdminOrders, AdminSection, Nav, Screen, nav_data
from remnastore.bot.filters import Magic, OpensScreen
from remnastore.bot.routers.admin.guard import ForeignAdminButton
from remnastore.bot.routers.user import user_router
from remnastore.bot.routing import Router, admits

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def test_aiogram_still_has_the_step_the_router_calls() -> None:
    parameters = list(inspect.signature(AiogramRouter._propagate_event).parameters)
    assert parameters == ["self", "observer", "update_type", "event", "kwargs"]


def update(text: str, user_id: int = 7) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ann")
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"), from_user=user, text=text
    )
    return Update(update_id=1, message=message)


def tree() -> tuple[Dispatcher, list[str]]:
    seen: list[str] = []
    dispatcher = Dispatcher()
    outer, middle, leaf, guarded = Router(name="outer"), Router(name="middle"), Router(name="leaf"), Router()
    guarded.message.filter(Magic(F.from_user.id == 1))

    @guarded.message(F.text == "secret")
    async def secret(message: Message) -> str:
        return "secret"

    @leaf.message(F.text == "hello")
    async def hello(message: Message, event_router: AiogramRouter, shop: str) -> str:
        return f"{event_router.name}:{shop}"

    async def counting(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen.append("middle's outer middleware")
        return await handler(event, data)

    middle.message.outer_middleware(counting)
    middle.include_router(leaf)
    outer.include_routers(guarded, middle)
    dispatcher.include_router(outer)
    dispatcher["shop"] = "remnastore"
    return dispatcher, seen


async def test_an_event_reaches_a_handler_deep_in_the_tree_with_its_data() -> None:
    dispatcher, seen = tree()
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, update("hello")) == "leaf:remnastore"
    assert seen == ["middle's outer middleware"]


async def test_a_routers_filter_still_keeps_others_out() -> None:
    dispatcher, _ = tree()
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, update("secret", user_id=1)) == "secret"
        assert await dispatcher.feed_update(bot, update("secret", user_id=2)) is UNHANDLED


# --- the routing index: routers that cannot take an event are skipped, the same handler wins --------

ADMIN, CUSTOMER = 900001, 5001
RouterClass = type[AiogramRouter]


class Pick(CallbackData, prefix="pk"):
    item: int


class Amount(CallbackData, prefix="am0"):
    method: str


class Piped(CallbackData, prefix="pp", sep="|"):
    item: str


class Wizard(StatesGroup):
    amount = State()


class Counted(Filter):
    """Lets everything through and counts how often it was asked."""

    def __init__(self, calls: Counter[str], label: str) -> None:
        self.calls, self.label = calls, label

    async def __call__(self, event: TelegramObject) -> bool:
        self.calls[self.label] += 1
        return True


def named(name: str) -> Callable[[TelegramObject], Awaitable[str]]:
    async def handler(event: TelegramObject) -> str:
        return name

    return handler


async def explode(event: TelegramObject) -> str:
    raise ValueError("thirteen")


async def on_error(event: ErrorEvent) -> str:
    return f"error:{type(event.exception).__name__}"


def shop_tree(make: RouterClass, calls: Counter[str]) -> Dispatcher:
    """The shop's shape: an admin root (guard, admin routers behind an admin filter), the customer
    routers behind a private-chat filter ending in a catch-all, and an error router."""
    admins = frozenset({ADMIN})
    guard, admin, menu, orders = (
        make(name="guard"),
        make(name="admin"),
        make(name="menu"),
        make(name="orders"),
    )
    guard.callback_query.register(named("refused"), ForeignAdminButton(admins))
    admin.message.filter(Counted(calls, "admin message root"), Magic(F.from_user.id.in_(admins)))
    admin.callback_query.filter(Counted(calls, "admin button root"), Magic(F.from_user.id.in_(admins)))
    menu.message.register(named("admin menu"), Command("admin"))
    menu.callback_query.register(named("admin menu"), AdminNav.filter(F.section.is_(None)))
    orders.callback_query.register(named("orders"), AdminOrders.filter())
    orders.callback_query.register(named("orders"), AdminNav.filter(F.section == AdminSection.ORDERS))
    admin.include_routers(menu, orders)
    admin_root = make(name="admin-root")
    admin_root.include_routers(guard, admin)

    user, start, picks, piped = make(name="user"), make(name="start"), make(name="picks"), make(name="piped")
    wizard, devices, inline, fallback = make(name="wizard"), make(name="dev"), make(name="inline"), make()
    user.message.filter(Magic(F.chat.type == "private"))
    user.callback_query.filter(Magic(F.message.chat.type == "private"))
    start.message.register(named("start"), CommandStart())
    start.callback_query.register(named("main menu"), Nav.filter(F.screen == Screen.MAIN))
    picks.callback_query.filter(Counted(calls, "picks root"))
    picks.callback_query.register(explode, Pick.filter(F.item == 13))
    picks.callback_query.register(named("pick"), Counted(calls, "pick handler"), Pick.filter(F.item > 0))
    piped.callback_query.register(named("piped"), Piped.filter())  # another separator: always asked
    wizard.message.register(named("typed amount"), Wizard.amount, F.text)
    wizard.callback_query.register(named("amount method"), Amount.filter(), Wizard.amount)
    devices.callback_query.register(
        named("devices"), Counted(calls, "devices handler"), OpensScreen(Screen.DEVICES)
    )  # a whole callback data declared ("n:dev"), beside start's prefix ("n")
    inline.message.filter(Counted(calls, "inline message root"))
    inline.inline_query.register(named("inline"))
    fallback.message.register(named("unknown message"))
    fallback.callback_query.register(named("unknown button"))
    user.include_routers(start, picks, piped, wizard, devices, inline, fallback)

    errors = make(name="errors")
    errors.errors.register(on_error)
    dispatcher = Dispatcher(storage=MemoryStorage())
    dispatcher.include_routers(admin_root, user, errors)
    return dispatcher


def sender(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name="Ann")


def chat_message(user_id: int, text: str, chat_type: str = "private") -> Message:
    chat = Chat(id=user_id if chat_type == "private" else -100, type=chat_type)
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, from_user=sender(user_id), text=text)


def press(data: str | None, user_id: int = CUSTOMER, chat_type: str = "private") -> Update:
    query = CallbackQuery(
        id="1",
        from_user=sender(user_id),
        chat_instance="c",
        message=chat_message(user_id, "menu", chat_type),
        data=data,
    )
    return Update(update_id=1, callback_query=query)


def typed(text: str, user_id: int = CUSTOMER, chat_type: str = "private") -> Update:
    return Update(update_id=1, message=chat_message(user_id, text, chat_type))


def inline_query(user_id: int = CUSTOMER) -> Update:
    return Update(
        update_id=1, inline_query=InlineQuery(id="1", from_user=sender(user_id), query="", offset="")
    )


def kicked(user_id: int = CUSTOMER) -> Update:
    member = ChatMemberUpdated(
        chat=Chat(id=user_id, type="private"),
        from_user=sender(user_id),
        date=datetime.now(UTC),
        old_chat_member=ChatMemberMember(user=sender(42)),
        new_chat_member=ChatMemberBanned(user=sender(42), until_date=0),
    )
    return Update(update_id=1, my_chat_member=member)


DATA = [
    None, "", ":", "garbage", "n", "n:", "n:main", "n:dev", "n:nope", "n:main:extra", "an", "an:", "an:or",
    "an:zz", "ao:paid:0", "ao:PAID:0", "aoc:x", "a:1", "pk:1", "pk:0", "pk:13", "pk:x", "pk", "pp|a",
    "pp:a", "am0:card", "am0", "zz:1", "AN:", " an:",
]  # fmt: skip
TEXTS = ["/start", "/admin", "hello", "12", ""]


def updates() -> list[Update]:
    found: list[Update] = [inline_query(), inline_query(ADMIN), kicked()]
    for user_id in (CUSTOMER, ADMIN):
        for chat_type in ("private", "group"):
            found += [press(data, user_id, chat_type) for data in DATA]
            found += [typed(text, user_id, chat_type) for text in TEXTS]
    return found


async def route(dispatcher: Dispatcher, bot: Bot, event: Update, state: State | None) -> Any:
    query = event.callback_query
    message = event.message or (query.message if query is not None else None)
    if isinstance(message, Message) and message.from_user is not None:
        key = StorageKey(bot_id=bot.id, chat_id=message.chat.id, user_id=message.from_user.id)
        await dispatcher.storage.set_state(key, state)
    return await dispatcher.feed_update(bot, event)


async def test_the_index_routes_every_update_to_the_handler_aiogram_routes_it_to() -> None:
    ours, aiograms = shop_tree(Router, Counter()), shop_tree(AiogramRouter, Counter())
    answers: set[Any] = set()
    async with Bot("42:TEST") as bot:
        for state in (None, Wizard.amount):
            for event in updates():
                answer = await route(ours, bot, event, state)
                assert answer == await route(aiograms, bot, event, state), event.model_dump(exclude_none=True)
                answers.add(answer)
    assert answers >= {  # every kind of outcome was compared
        "refused", "admin menu", "orders", "main menu", "devices", "pick", "piped", "amount method",
        "typed amount", "start", "inline", "unknown button", "unknown message", "error:ValueError", UNHANDLED,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("event", "state", "answer"),
    [
        (press("an:or"), None, "refused"),
        (press("an:or", ADMIN), None, "orders"),
        (press("an:zz", ADMIN), None, "unknown button"),
        (press("zz:1"), None, "unknown button"),
        (press(None), None, "unknown button"),
        (press("garbage"), None, "unknown button"),
        (press("pk:13"), None, "error:ValueError"),
        (press("pk:0"), None, "unknown button"),
        (press("pp|a"), None, "piped"),
        (press("am0:card"), None, "unknown button"),
        (press("am0:card"), Wizard.amount, "amount method"),
        (press("n:dev", chat_type="group"), None, UNHANDLED),
        (typed("12"), Wizard.amount, "typed amount"),
        (typed("/admin", ADMIN), None, "admin menu"),
        (typed("/admin"), None, "unknown message"),
        (kicked(), None, UNHANDLED),
    ],
)
async def test_the_shops_rules_hold_with_the_index(event: Update, state: State | None, answer: Any) -> None:
    async with Bot("42:TEST") as bot:
        assert await route(shop_tree(Router, Counter()), bot, event, state) == answer


async def count_filter_calls(make: RouterClass, events: list[Update]) -> Counter[str]:
    calls: Counter[str] = Counter()
    dispatcher = shop_tree(make, calls)
    async with Bot("42:TEST") as bot:
        for event in events:
            await dispatcher.feed_update(bot, event)
    return calls


async def test_routers_that_cannot_take_a_button_are_not_asked() -> None:
    presses = [press("n:dev"), press("n:main", ADMIN), press("zz:1"), press("an:or"), press("an:or", ADMIN)]
    assert await count_filter_calls(Router, presses) == Counter(
        {"admin button root": 1, "devices handler": 1}  # the admin's; the devices button's own
    )
    assert await count_filter_calls(AiogramRouter, presses) == Counter(
        {"admin button root": 4, "picks root": 2, "pick handler": 2, "devices handler": 2}
    )


async def test_a_router_declaring_whole_data_is_asked_only_for_that_data() -> None:
    others = [press("n:main"), press("n:sub"), press("n:dev:x"), press("n:"), press("n")]
    assert await count_filter_calls(Router, others) == Counter()
    asked_by_aiogram = await count_filter_calls(AiogramRouter, others)
    assert asked_by_aiogram["devices handler"] == 4  # all but "n:main", which start takes first
    assert await count_filter_calls(Router, [press("n:dev")]) == Counter({"devices handler": 1})


@pytest.mark.parametrize(
    "data", ["n:main", "n:sub", "n:dev", "n:dev:1", "n:", "n", "nav:sub", "garbage", None]
)
async def test_opening_a_screen_matches_what_the_nav_filter_matches(data: str | None) -> None:
    query = press(data).callback_query
    assert query is not None
    for screen in Screen:
        nav = await Nav.filter(F.screen == screen)(query)
        ours = await OpensScreen(screen)(query)
        assert ours == nav, (data, screen)


def test_in_the_shops_tree_a_screen_button_is_offered_to_its_own_router_only() -> None:
    user = user_router()
    offered = {
        data: [
            str(router.name)
            for router in user.sub_routers
            if isinstance(router, Router) and admits(router.accepts("callback_query"), ("n", data))
        ]
        for data in (nav_data(Screen.DEVICES), nav_data(Screen.REFERRALS), nav_data(Screen.MAIN))
    }
    assert offered == {
        "n:dev": ["devices", "fallback"],
        "n:ref": ["referrals", "fallback"],
        "n:main": ["start", "fallback"],
    }


async def test_a_router_that_can_take_the_button_is_still_asked() -> None:
    assert await count_filter_calls(Router, [press("pk:1"), press("pk:0")]) == Counter(
        {"picks root": 2, "pick handler": 2}
    )
    assert await count_filter_calls(Router, [press(None)]) == Counter(
        {"admin button root": 1, "picks root": 1, "pick handler": 1, "devices handler": 1}
    )  # a button without data: every router with a button handler is asked


async def test_routers_without_a_handler_for_a_message_are_not_asked() -> None:
    messages = [typed("hello"), typed("/admin", ADMIN)]
    assert await count_filter_calls(Router, messages) == Counter({"admin message root": 2})
    assert await count_filter_calls(AiogramRouter, messages) == Counter(
        {"admin message root": 2, "inline message root": 1}
    )


async def test_handlers_routers_and_middlewares_added_after_the_first_update_are_reached() -> None:
    dispatcher, top, picks, deep = Dispatcher(), Router(name="top"), Router(name="picks"), Router(name="deep")
    picks.callback_query.register(named("pick"), Pick.filter())
    picks.include_router(deep)
    top.include_router(picks)
    dispatcher.include_router(top)
    seen: list[str] = []

    async def counting(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen.append("picks' outer middleware")
        return await handler(event, data)

    async with Bot("42:TEST") as bot:
        for data in ("am0:card", "n:main", "zz:1", "zz:2"):
            assert await dispatcher.feed_update(bot, press(data)) is UNHANDLED
        picks.callback_query.register(named("late handler"), Amount.filter())
        assert await dispatcher.feed_update(bot, press("am0:card")) == "late handler"
        deep.callback_query.register(named("deep handler"), Nav.filter())
        assert await dispatcher.feed_update(bot, press("n:main")) == "deep handler"
        late = Router(name="late")
        late.callback_query.register(named("late router"))
        top.include_router(late)
        assert await dispatcher.feed_update(bot, press("zz:1")) == "late router"
        picks.callback_query.outer_middleware(counting)
        assert await dispatcher.feed_update(bot, press("zz:2")) == "late router"
        assert seen == ["picks' outer middleware"]


async def test_a_router_of_aiograms_own_class_is_always_asked() -> None:
    dispatcher, top, plain = Dispatcher(), Router(name="top"), AiogramRouter(name="plain")
    top.include_router(plain)
    dispatcher.include_router(top)
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, press("zz:1")) is UNHANDLED
        plain.callback_query.register(named("plain"), F.data == "zz:1")
        assert await dispatcher.feed_update(bot, press("zz:1")) == "plain"


def test_every_observer_of_the_router_is_the_one_it_routes_with() -> None:
    router = Router()
    for name, observer in router.observers.items():
        assert getattr(router, name) is observer
    assert router.errors is router.error is router.observers["error"]


@pytest.mark.parametrize(("make", "asked"), [(Router, 0), (AiogramRouter, 2)])
async def test_a_top_level_router_that_cannot_take_it_is_not_asked(make: RouterClass, asked: int) -> None:
    """Under the dispatcher (aiogram's class), and with a handler all of whose filters must pass."""
    calls: Counter[str] = Counter()
    dispatcher, guarded = Dispatcher(), make(name="guarded")
    guarded.callback_query.filter(Counted(calls, "guarded root"))
    guarded.callback_query.register(named("admin menu"), ForeignAdminButton({ADMIN}), AdminNav.filter())
    dispatcher.include_router(guarded)
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, press("an:")) == "admin menu"
        for data in ("zz:1", "ao:paid:0"):
            assert await dispatcher.feed_update(bot, press(data)) is UNHANDLED
    assert calls["guarded root"] == 1 + asked
