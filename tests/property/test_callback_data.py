"""Callback data is outside input: a client can send any string up to 64 bytes with any button press.

Every callback factory of the shop either refuses a string (``TypeError`` or ``ValueError``, which
aiogram's filter treats as "not this button") or returns a value its own fields accept, quickly; and what
it accepts packs and reads back unchanged, so it is a value the shop itself could have sent. Admin
factories are told apart by prefix so that the guard can refuse them to customers
(tests/unit/test_admin_callbacks.py).
"""

from __future__ import annotations

import inspect
import time

from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st

from remnastore.bot import callbacks
from remnastore.bot.callbacks import AdminCallback
from remnastore.bot.channel_membership import CheckChannel

TIME_BOUND = 0.05


def _factories() -> list[type[CallbackData]]:
    found = [
        cls
        for _name, cls in inspect.getmembers(callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls not in (CallbackData, AdminCallback)
    ]
    return [*found, CheckChannel]


FACTORIES = _factories()


def _callback_strings(prefixes: list[str]) -> st.SearchStrategy[str]:
    """Strings shaped like callback data: a known prefix, separators, hostile parts; or anything at all."""
    part = st.one_of(
        st.text(max_size=20),
        st.integers().map(str),
        st.sampled_from(["", "-1", "1e999", "nan", "None", "true", "\u202e", "0" * 40, "<b>", ":::"]),
    )
    shaped = st.tuples(st.sampled_from(prefixes), st.lists(part, max_size=6)).map(
        lambda item: ":".join([item[0], *item[1]])
    )
    return st.one_of(shaped, st.text(max_size=64), st.binary(max_size=64).map(lambda b: b.decode("latin-1")))


PREFIXES = sorted({cls.__prefix__ for cls in FACTORIES})


@given(factory=st.sampled_from(FACTORIES), text=_callback_strings(PREFIXES))
def test_unpack_refuses_or_returns_a_valid_value_quickly(factory: type[CallbackData], text: str) -> None:
    started = time.perf_counter()
    try:
        value = factory.unpack(text)
    except (TypeError, ValueError):  # what aiogram's filter reads as "not this button"
        value = None
    assert time.perf_counter() - started < TIME_BOUND
    if value is not None:
        assert isinstance(value, factory)
        assert text.startswith(factory.__prefix__ + factory.__separator__) or text == factory.__prefix__
        # what was accepted is a value the factory itself would send
        assert factory.unpack(value.pack()) == value
