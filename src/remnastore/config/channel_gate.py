"""Settings of the required channel (customers must join it before using the shop)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo, field_validator

from remnastore.settings_base import SettingsGroup, env


class ChannelGateSettings(SettingsGroup):
    required_channel_url: str | None = env(
        "REQUIRED_CHANNEL_URL",
        None,
        description="link of the Join button of the required channel, e.g. https://t.me/your_channel",
    )
    required_channel_id: int | None = env(
        "REQUIRED_CHANNEL_ID",
        None,
        description="id of a channel customers must join before using the shop, e.g. -1001234567890 "
        "(the bot must be an admin there); unset = no required channel",
    )
    check_ttl_seconds: int = env(
        "CHANNEL_CHECK_TTL_SECONDS",
        600,
        ge=0,
        le=7 * 86_400,
        description="how long a confirmed channel membership is trusted before it is checked again, "
        "seconds (0 = check on every update)",
    )

    @field_validator("required_channel_id", "required_channel_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("required_channel_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value.startswith(("https://", "http://", "tg://")):
            raise ValueError("must be a http(s):// or tg:// link")
        return value

    @field_validator("required_channel_id")
    @classmethod
    def _channel_id(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None:
            return None
        if value >= 0:
            raise ValueError("channel ids are negative, like -1001234567890")
        if "required_channel_url" in info.data and info.data["required_channel_url"] is None:
            raise ValueError("is set but REQUIRED_CHANNEL_URL is not (the Join button needs that link)")
        return value

    @property
    def enabled(self) -> bool:
        return self.required_channel_id is not None
