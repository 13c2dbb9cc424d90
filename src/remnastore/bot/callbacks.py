"""Callback data factories. Buttons carry ids and actions only, never prices or amounts."""

from __future__ import annotations

from enum import Enum

from aiogram.filters.callback_data import CallbackData


class Screen(str, Enum):
    MAIN = "main"
    SUBSCRIPTION = "sub"
    TRIAL = "trial"
    DEVICES = "dev"
    LANGUAGE = "lang"
    QR = "qr"


class Nav(CallbackData, prefix="n"):
    """Open a screen."""

    screen: Screen


class SetLanguage(CallbackData, prefix="l"):
    code: str


class DisconnectDevice(CallbackData, prefix="dd"):
    token: str
