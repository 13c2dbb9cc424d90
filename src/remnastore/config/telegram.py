"""Telegram: the bot token, admins, and how updates arrive (long polling or webhook)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from remnastore.settings_base import SettingsGroup, env, http_url, split_list

BOT_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")


class TelegramSettings(SettingsGroup):
    bot_token: SecretStr = env("BOT_TOKEN", description="Bot token from @BotFather")
    api_url: str = env(
        "TELEGRAM_API_URL",
        "https://api.telegram.org",
        description="Bot API server; set it to use a local Bot API server (https://github.com/tdlib/telegram-bot-api)",
    )
    admin_ids: Annotated[list[int], NoDecode] = env(
        "ADMIN_IDS",
        default_factory=list,
        description="comma-separated Telegram user ids of the shop's admins",
    )
    webhook_base_url: str | None = env(
        "WEBHOOK_BASE_URL",
        None,
        description="unset = long polling; set to the public https:// base address of this server to take updates by webhook",
    )
    webhook_path: str = env(
        "WEBHOOK_PATH",
        "/webhooks/telegram",
        description="path of the Telegram webhook under WEBHOOK_BASE_URL",
    )
    webhook_secret: SecretStr | None = env(
        "WEBHOOK_SECRET",
        None,
        description="secret Telegram sends with every webhook call; unset = derived from BOT_TOKEN (same on every instance)",
    )
    drop_pending_updates: bool = env(
        "DROP_PENDING_UPDATES",
        False,
        description="drop updates that queued up while the bot was down (true/false)",
    )
    update_concurrency: int = env(
        "UPDATE_CONCURRENCY",
        100,
        ge=1,
        le=10_000,
        description="how many updates one instance handles at once",
    )
    request_timeout: float = env(
        "TELEGRAM_TIMEOUT", 30.0, gt=0, description="timeout of one Bot API request, seconds"
    )
    send_rate: float = env(
        "TELEGRAM_SEND_RATE",
        30.0,
        gt=0,
        le=10_000,
        description="messages (sent, copied or edited) per second the shop sends overall, replies first, "
        "never more within a second (a steady stream: 28 for 30); a faster broadcast rate raises it "
        "(paid broadcasts); split between --workers",
    )
    chat_send_rate: float = env(
        "TELEGRAM_CHAT_SEND_RATE",
        1.0,
        gt=0,
        le=1000,
        description="messages per second to one chat after a burst of 3 (Telegram's per-chat limit)",
    )

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not BOT_TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (expected '<digits>:<35 characters>')")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> Any:
        items = split_list(value)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, str) and not item.lstrip("-").isdigit():
                    raise ValueError(f"'{item}' is not a numeric Telegram user id")
        return items

    @field_validator("api_url", "webhook_base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None if value is not None and value.strip() == "" else value
        return http_url(value)

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return "/" + value.strip().strip("/")
