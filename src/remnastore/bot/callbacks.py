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
    BUY = "buy"
    BALANCE = "bal"
    TOPUP_OTHER = "topup"
    REFERRALS = "ref"
    AUTORENEW = "ar"


class Nav(CallbackData, prefix="n"):
    """Open a screen."""

    screen: Screen


class SetLanguage(CallbackData, prefix="l"):
    code: str = Field(pattern=r"^[a-z]{2}$")


class DisconnectDevice(CallbackData, prefix="dd"):
    token: str = Field(pattern=r"^[0-9a-f]{16}$")


class BuyTariff(CallbackData, prefix="bt"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class BuyPeriod(CallbackData, prefix="bp"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class BuyMethod(CallbackData, prefix="bm"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class CheckOrder(CallbackData, prefix="co"):
    order: str = Field(pattern=r"^[0-9a-f-]{32,36}$")


class TopUpAmount(CallbackData, prefix="ta"):
    """A top-up amount, by its position in the configured list."""

    index: int = Field(ge=0, le=50)


class TopUpMethod(CallbackData, prefix="tm"):
    index: int = Field(ge=0, le=50)
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AdminOrders(CallbackData, prefix="ao"):
    status: str = Field(pattern=r"^[a-z]{3,10}$")
    page: int = Field(ge=0, le=100_000)


class AdminOrder(CallbackData, prefix="aoc"):
    order: str = Field(pattern=r"^[0-9a-f]{32}$")
    action: str = Field(default="view", pattern=r"^(view|refund|confirm)$")


class AdminOrdersCsv(CallbackData, prefix="aox"):
    status: str = Field(pattern=r"^[a-z]{3,10}$")


class TopUpOtherMethod(CallbackData, prefix="to"):
    """Pay a top-up of the amount the customer typed (kept in the conversation state, not in the button)."""

    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AddonKind(CallbackData, prefix="ak"):
    """The add-ons of one kind (more traffic, more devices)."""

    kind: str = Field(pattern=r"^(traffic|devices)$")


class AddonPick(CallbackData, prefix="ap"):
    addon: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class AddonMethod(CallbackData, prefix="am"):
    addon: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AutoRenewAction(CallbackData, prefix="ara"):
    """Auto-renewal: turn it off (and delete the card) or on from the balance."""

    action: str = Field(pattern=r"^(off|balance)$")


class BuyAutoRenew(CallbackData, prefix="bar"):
    """Pay a period with a provider that keeps the card, and renew with it automatically."""

    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class BuyGift(CallbackData, prefix="bg"):
    """Buy this period as a gift: choose how to pay."""

    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")


class GiftMethod(CallbackData, prefix="gm"):
    tariff: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    period: str = Field(pattern=r"^[a-z0-9_-]{1,16}$")
    method: str = Field(pattern=r"^[a-z0-9_]{1,16}$")


class AdminSection(StrEnum):
    """The sections of the admin menu. Each admin router module handles ``AdminNav`` for its own section."""

    STATS = "st"
    CUSTOMERS = "cu"
    ORDERS = "or"
    BROADCASTS = "bc"
    PROMOS = "pr"
    CAMPAIGNS = "cp"
    SYNC = "sy"
    SETTINGS = "se"
    MAINTENANCE = "mt"
    HEALTH = "he"
    BACKUPS = "bk"


class AdminNav(CallbackData, prefix="an"):
    """Open an admin section (or the admin menu itself with ``section=None``)."""

    section: AdminSection | None = None
