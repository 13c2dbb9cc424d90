"""Settings of the customer cabinet (a module of its own, so that the settings load without aiohttp)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.settings_base import SettingsGroup, env, split_list

PLATFORMS = ("ios", "android", "windows", "macos", "linux", "androidtv")
APPS = ("happ", "v2raytun", "hiddify", "streisand", "v2box")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class CabinetSettings(SettingsGroup):
    enabled: bool = env(
        "CABINET_ENABLED",
        False,
        description=(
            "customer cabinet at PUBLIC_URL/cabinet/ (Mini App and sign-in links); needs PUBLIC_URL,"
            " https:// for the Mini App"
        ),
    )
    shop_name: str = env(
        "CABINET_SHOP_NAME", "VPN", max_length=64, description="the shop's name in the cabinet's header"
    )
    support_url: str | None = env(
        "CABINET_SUPPORT_URL", None, description="support link shown in the cabinet; unset = SUPPORT_URL"
    )
    accent_colour: str = env(
        "CABINET_ACCENT_COLOUR", "#1f5fbf", description="the cabinet's accent colour (#rrggbb; keep it dark)"
    )
    background_colour: str = env(
        "CABINET_BACKGROUND_COLOUR", "#f4f6fa", description="the cabinet's page background (#rrggbb)"
    )
    platforms: Annotated[list[str], NoDecode] = env(
        "CABINET_PLATFORMS",
        default_factory=lambda: list(PLATFORMS),
        description="connect guides shown, in this order: " + ", ".join(PLATFORMS),
    )
    apps: Annotated[list[str], NoDecode] = env(
        "CABINET_APPS",
        default_factory=lambda: list(APPS),
        description="client apps offered in the guides, in this order: " + ", ".join(APPS),
    )
    link_minutes: int = env(
        "CABINET_LINK_MINUTES",
        15,
        ge=1,
        le=24 * 60,
        description="minutes a personal sign-in link stays valid",
    )
    reminder_link_hours: int = env(
        "CABINET_REMINDER_LINK_HOURS",
        72,
        ge=1,
        le=14 * 24,
        description="hours the sign-in link in an expiry reminder stays valid (once, like every link)",
    )
    code_sign_in: bool = env(
        "CABINET_CODE_SIGN_IN",
        False,
        description="the bot also gives one-time sign-in codes, typed on the cabinet's sign-in page",
    )
    code_minutes: int = env(
        "CABINET_CODE_MINUTES", 5, ge=1, le=30, description="minutes a one-time sign-in code stays valid"
    )
    session_days: int = env(
        "CABINET_SESSION_DAYS", 30, ge=1, le=365, description="days a cabinet sign-in lasts in one browser"
    )
    init_data_seconds: int = env(
        "CABINET_INIT_DATA_SECONDS",
        3600,
        ge=30,
        le=86_400,
        description="how old a Mini App sign-in (Telegram's auth_date) may be, seconds",
    )
    requests_per_minute: int = env(
        "CABINET_REQUESTS_PER_MINUTE",
        120,
        ge=5,
        le=10_000,
        description="requests one cabinet session may make per minute (one address: four times as many)",
    )

    @field_validator("platforms", "apps", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [v.lower() for v in split_list(value)] if isinstance(value, str) else value

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform(s) {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")
        return value

    @field_validator("apps")
    @classmethod
    def _apps(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in APPS]
        if unknown:
            raise ValueError(f"unknown app(s) {', '.join(unknown)}; known: {', '.join(APPS)}")
        return value

    @field_validator("accent_colour", "background_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _COLOUR_RE.match(value.strip()):
            raise ValueError("must be a colour like #1f5fbf")
        return value.strip().lower()

    @field_validator("support_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value and not value.startswith(("https://", "http://", "tg://")):
                raise ValueError("must be a http(s):// or tg:// link")
        return value or None
