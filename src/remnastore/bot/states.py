"""Conversation states (kept in Redis when REDIS_URL is set, so they survive restarts)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class TopUpStates(StatesGroup):
    amount = State()
    method = State()


class AdminCustomerStates(StatesGroup):
    """An admin typing something for the customers section (the customer's id is in the state data)."""

    search = State()
    extend_days = State()
    expiry = State()
    device_limit = State()
    message = State()
    delete = State()


class AdminInputStates(StatesGroup):
    """An admin is typing a value a prompt asked for (which one: in the state data)."""

    price = State()
    trial_value = State()
    link = State()
    maintenance_message = State()


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


class BroadcastStates(StatesGroup):
    message = State()
    buttons = State()
    audience = State()
    confirm = State()
