"""Callback data factories. Buttons carry ids and actions only, never prices or amounts."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from pydantic import Field


class Screen(StrEnum):
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
    code: str = Field(pattern=r"^[a-z]{2}$")


class DisconnectDevice(CallbackData, prefix="dd"):
    token: str = Field(pattern=r"^[0-9a-f]{16}$")
