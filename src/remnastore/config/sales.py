"""Sales: catalogue, payment methods, orders, the balance and the log chat."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from remnastore.domain.money import Money, is_known_currency
from remnastore.settings_base import SettingsGroup, env, split_list


class SalesSettings(SettingsGroup):
    catalogue_file: str | None = env(
        "CATALOGUE_FILE",
        None,
        description="TOML file with tariffs, periods and prices; unset = the shipped example catalogue",
    )
    payment_methods_order: Annotated[list[str], NoDecode] = env(
        "PAYMENT_METHODS_ORDER",
        description="order of payment method buttons (comma-separated provider names)",
        default_factory=lambda: [
            "stars",
            "yookassa",
            "yoomoney",
            "freekassa",
            "platega",
            "severpay",
            "cryptobot",
            "heleket",
            "tribute",
        ],
    )
    order_ttl_minutes: int = env(
        "ORDER_TTL_MINUTES",
        120,
        ge=5,
        le=7 * 24 * 60,
        description="minutes an unpaid order (and its invoice) stays valid",
    )
    balance_enabled: bool = env(
        "BALANCE_ENABLED", False, description="customers keep a balance: top up with any method, pay from it"
    )
    balance_currency: str = env("BALANCE_CURRENCY", "RUB", description="currency of customer balances")
    balance_topups: Annotated[list[str], NoDecode] = env(
        "BALANCE_TOPUP_AMOUNTS",
        default_factory=lambda: ["100", "300", "500", "1000"],
        description="top-up amounts offered, in BALANCE_CURRENCY (comma-separated)",
    )
    balance_topup_min: str = env(
        "BALANCE_TOPUP_MIN", "50", description="smallest top-up a customer may type, in BALANCE_CURRENCY"
    )
    balance_topup_max: str = env(
        "BALANCE_TOPUP_MAX", "100000", description="largest top-up a customer may type, in BALANCE_CURRENCY"
    )
    public_url: str | None = env(
        "PUBLIC_URL",
        None,
        description="public https:// base address where providers reach /webhooks/<provider>; unset = WEBHOOK_BASE_URL",
    )
    return_url: str | None = env(
        "PAYMENT_RETURN_URL",
        None,
        description="where customers return after paying; unset = the bot's t.me link",
    )
    log_chat_id: int | None = env(
        "LOG_CHAT_ID",
        None,
        description="chat (group or channel) id for the payment log and alerts; unset = alerts go to ADMIN_IDS",
    )
    log_thread_id: int | None = env(
        "LOG_THREAD_ID", None, description="forum topic id in LOG_CHAT_ID (optional)"
    )

    @field_validator("payment_methods_order", "balance_topups", mode="before")
    @classmethod
    def _order(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("balance_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(f"unknown currency {value!r}")
        return value.upper()

    @model_validator(mode="after")
    def _amounts(self) -> SalesSettings:
        for amount in self.balance_topups:
            if Money.from_decimal(amount, self.balance_currency).minor <= 0:
                raise ValueError(f"BALANCE_TOPUP_AMOUNTS: {amount} is not a positive amount")
        return self

    def topup_bounds(self) -> tuple[Money, Money]:
        return (
            Money.from_decimal(self.balance_topup_min, self.balance_currency),
            Money.from_decimal(self.balance_topup_max, self.balance_currency),
        )

    def topup_amounts(self) -> list[Money]:
        return [Money.from_decimal(a, self.balance_currency) for a in self.balance_topups]

    @field_validator("catalogue_file", "public_url", "return_url", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
        return value or None

    @field_validator("log_chat_id", "log_thread_id", mode="before")
    @classmethod
    def _blank_int(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value
