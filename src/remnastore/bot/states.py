"""Conversation states (kept in Redis when REDIS_URL is set, so they survive restarts)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class TopUpStates(StatesGroup):
    amount = State()
    method = State()


class BroadcastStates(StatesGroup):
    message = State()
    buttons = State()
    audience = State()
    confirm = State()
