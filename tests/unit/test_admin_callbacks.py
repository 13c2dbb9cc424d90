"""Admin buttons are recognisable by their prefix, so that the guard can refuse them to everybody else."""

from __future__ import annotations

import inspect

from aiogram.filters.callback_data import CallbackData

from remnastore.bot import callbacks
from remnastore.bot.callbacks import AdminCallback, admin_prefixes


def _factories() -> list[type[CallbackData]]:
    return [
        cls
        for _name, cls in inspect.getmembers(callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls not in (CallbackData, AdminCallback)
    ]


def test_every_admin_factory_is_an_admin_callback() -> None:
    admin_named = [cls for cls in _factories() if cls.__name__.startswith("Admin")]
    assert admin_named, "no admin callback factories found"
    assert [cls.__name__ for cls in admin_named if not issubclass(cls, AdminCallback)] == []


def test_admin_prefixes_cover_admin_buttons_and_no_customer_button() -> None:
    prefixes = admin_prefixes()
    assert {"an", "ao", "aoc", "aox", "asr", "acl", "acs", "acu"} <= prefixes
    customer = {cls.__prefix__ for cls in _factories() if not issubclass(cls, AdminCallback)}
    assert customer and prefixes.isdisjoint(customer)


def test_prefixes_are_unique() -> None:
    prefixes = [cls.__prefix__ for cls in _factories()]
    assert len(prefixes) == len(set(prefixes))
