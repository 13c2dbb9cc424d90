"""The admin guard's filter: which button presses it takes away from the routers (to refuse them)."""

from __future__ import annotations

import pytest
from aiogram.types import CallbackQuery, User

from remnastore.bot.routers.admin.guard import ForeignAdminButton

ADMIN = 900001
CUSTOMER = 5001


def _press(user_id: int, data: str | None) -> CallbackQuery:
    user = User(id=user_id, is_bot=False, first_name="U")
    return CallbackQuery(id="1", from_user=user, chat_instance="1", data=data)


@pytest.mark.parametrize("data", ["an:st", "an", "ao:all:0", "aoc:0123:confirm", "acu:5:del", "amt:on"])
async def test_a_customer_pressing_an_admin_button_is_caught(data: str) -> None:
    assert await ForeignAdminButton({ADMIN})(_press(CUSTOMER, data)) is True


@pytest.mark.parametrize("data", ["an:st", "ao:all:0", "amt:on"])
async def test_an_admin_pressing_an_admin_button_passes(data: str) -> None:
    assert await ForeignAdminButton({ADMIN, 42})(_press(ADMIN, data)) is False


@pytest.mark.parametrize(
    "data", [None, "", "n:main", "anx:st", "xan:st", "AN:st", " an:st", "bm:standard:1m:stars"]
)
async def test_customer_buttons_and_lookalikes_pass(data: str | None) -> None:
    assert await ForeignAdminButton({ADMIN})(_press(CUSTOMER, data)) is False


async def test_with_no_admins_every_admin_button_is_caught() -> None:
    assert await ForeignAdminButton(set())(_press(ADMIN, "an:st")) is True
