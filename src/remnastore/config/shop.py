"""The shop itself: language and time zone, the free trial, the main menu's link buttons."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.config.panel import PanelSettings
from remnastore.settings_base import SettingsGroup, env


class TrialSettings(SettingsGroup):
    enabled: bool = env("TRIAL_ENABLED", True, description="offer a free trial, once per Telegram account")
    days: int = env("TRIAL_DAYS", 3, ge=1, le=365, description="trial length, days")
    traffic_gb: int = env("TRIAL_TRAFFIC_GB", 10, ge=0, description="trial traffic limit, GB (0 = unlimited)")
    device_limit: int = env(
        "TRIAL_DEVICE_LIMIT", 1, ge=0, description="trial device limit (0 = the panel's default)"
    )
    traffic_strategy: Literal["NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING"] = env(
        "TRIAL_TRAFFIC_STRATEGY",
        "NO_RESET",
        description="trial traffic reset strategy: NO_RESET, DAY, WEEK, MONTH, MONTH_ROLLING",
    )
    squads: Annotated[list[str], NoDecode] = env(
        "TRIAL_SQUADS",
        default_factory=list,
        description="comma-separated internal squad UUIDs for trials; empty = PANEL_SQUADS",
    )

    @field_validator("squads", mode="before")
    @classmethod
    def _squads(cls, value: Any) -> Any:
        return PanelSettings._squads(value)


class LinkSettings(SettingsGroup):
    support: str | None = env("SUPPORT_URL", None, description="Support button link (optional)")
    status: str | None = env("STATUS_URL", None, description="Service status button link (optional)")
    terms: str | None = env("TERMS_URL", None, description="Terms of service button link (optional)")
    channel: str | None = env("CHANNEL_URL", None, description="Channel button link (optional)")
    feedback: str | None = env("FEEDBACK_URL", None, description="Feedback button link (optional)")
    mini_app: str | None = env(
        "SUBSCRIPTION_MINI_APP_URL",
        None,
        description="open subscriptions in this Mini App (https://) instead of the plain link on the Connect button",
    )

    @field_validator("support", "status", "terms", "channel", "feedback", "mini_app")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://", "tg://")):
            raise ValueError("must be a http(s):// or tg:// link")
        return value


class ShopSettings(SettingsGroup):
    default_language: Literal["ru", "en"] = env(
        "DEFAULT_LANGUAGE",
        "en",
        description=(
            "language (ru or en) for customers whose Telegram language is neither English nor Russian or"
            " a language of the Russian family (uk, be, kk, ...: those get Russian), and for texts with no"
            " customer"
        ),
    )
    devices_enabled: bool = env(
        "DEVICES_ENABLED", True, description='show the "My devices" screen (HWID devices from the panel)'
    )
    timezone: str = env(
        "TIMEZONE", "UTC", description="time zone in which dates are shown to customers, e.g. Europe/Moscow"
    )
    settings_refresh_seconds: float = env(
        "SETTINGS_REFRESH_SECONDS",
        5.0,
        ge=0,
        le=3600,
        description="how often each instance checks for settings changed in the admin menu (prices, trial, links, maintenance), seconds",
    )
