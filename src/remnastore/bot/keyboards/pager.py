"""The pager of every long list (admin orders, customers, promo codes, campaigns, activations)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder


def pager_row(page: int, more: bool, to_page: Callable[[int], CallbackData]) -> list[InlineKeyboardButton]:
    """◀️ (when there is a page before) and ▶️ (when ``more`` follow); ``to_page`` makes each button's data."""
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text="◀️", callback_data=to_page(page - 1).pack()))
    if more:
        row.append(InlineKeyboardButton(text="▶️", callback_data=to_page(page + 1).pack()))
    return row


def add_pager(
    kb: InlineKeyboardBuilder, page: int, more: bool, to_page: Callable[[int], CallbackData]
) -> None:
    """The pager as one row of ``kb`` (nothing when the list fits on one page)."""
    row = pager_row(page, more, to_page)
    if row:
        kb.row(*row)
