"""Conversation states (kept in Redis when REDIS_URL is set, so they survive restarts)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class TopUpStates(StatesGroup):
    amount = State()
    method = State()


class PromoStates(StatesGroup):
    code = State()


class AdminPromoStates(StatesGroup):
    """The promo code wizard (and the edits of an existing code)."""

    count = State()
    code = State()
    value = State()
    limit = State()
    validity = State()
    tariffs = State()
    edit_limit = State()
    edit_validity = State()


class CampaignStates(StatesGroup):
    title = State()
    code = State()
    cost = State()
