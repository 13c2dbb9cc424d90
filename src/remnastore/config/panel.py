"""The Remnawave panel: address, token, squads and what the shop's users look like there."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from remnastore.settings_base import SettingsGroup, env, split_list

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class PanelSettings(SettingsGroup):
    url: str = env(
        "PANEL_URL",
        description="the panel address, e.g. https://panel.example.com (with or without /api)",
    )
    token: SecretStr = env(
        "PANEL_TOKEN",
        description="an API token created in the panel (API Tokens); not the admin login token",
    )
    api_version: Literal["auto", "2", "3"] = env(
        "PANEL_API_VERSION", "auto", description="panel API version: auto (detected), 3 or 2"
    )
    extra_headers: Annotated[dict[str, str], NoDecode] = env(
        "PANEL_EXTRA_HEADERS",
        default_factory=dict,
        description='extra headers for every panel request, e.g. "X-Api-Key: secret" (several separated by ;) or JSON',
    )
    cookies: Annotated[dict[str, str], NoDecode] = env(
        "PANEL_COOKIES",
        default_factory=dict,
        description='cookies for every panel request, e.g. "name=value" (several separated by ;) or JSON',
    )
    timeout: float = env(
        "PANEL_TIMEOUT", 10.0, gt=0, le=120, description="timeout of one panel request, seconds"
    )
    retries: int = env(
        "PANEL_RETRIES",
        2,
        ge=0,
        le=10,
        description="how many times a failed read-only panel request is retried",
    )
    username_prefix: str = env(
        "PANEL_USERNAME_PREFIX",
        "tg_",
        pattern=r"^[A-Za-z0-9_-]{0,12}$",
        description="panel usernames of customers are <prefix><telegram id>",
    )
    squads: Annotated[list[str], NoDecode] = env(
        "PANEL_SQUADS",
        default_factory=list,
        description="comma-separated internal squad UUIDs for paid subscriptions; empty = every squad of the panel",
    )
    external_squad: str | None = env(
        "PANEL_EXTERNAL_SQUAD", None, description="external squad UUID given to every customer (optional)"
    )
    user_tag: str | None = env(
        "PANEL_USER_TAG",
        None,
        pattern=r"^[A-Z0-9_]{1,16}$",
        description="tag put on panel users created by the shop (A-Z, 0-9, _; up to 16), optional",
    )
    webhook_secret: SecretStr | None = env(
        "PANEL_WEBHOOK_SECRET",
        None,
        description="secret of the panel's webhooks (WEBHOOK_SECRET_HEADER in the panel's .env), optional",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (for example https://panel.example.com)")
        if "@" in value.split("://", 1)[1].split("/", 1)[0]:
            # the panel authenticates with PANEL_TOKEN (an Authorization header), so a user:password in the
            # address cannot be sent as well; the message never repeats the address (it holds a password)
            raise ValueError(
                "must not contain user:password@ (the panel is authenticated with PANEL_TOKEN; "
                "for a proxy in front of the panel use PANEL_EXTRA_HEADERS or PANEL_COOKIES)"
            )
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty: create an API token in the panel (Settings -> API tokens)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("squads", mode="before")
    @classmethod
    def _squads(cls, value: Any) -> Any:
        items = split_list(value)
        for item in items or []:
            if not UUID_RE.match(str(item)):
                raise ValueError(f"'{item}' is not a squad UUID")
        return items

    @field_validator("extra_headers", "cookies", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        """Accept JSON (`{"X-Api-Key": "k"}`) or `Name: value; Name2: value2` (or `=` for cookies)."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            return json.loads(text)
        pairs: dict[str, str] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            sep = ":" if ":" in part else "="
            if sep not in part:
                raise ValueError(f"'{part.strip()}' is not 'Name: value'")
            name, _, val = part.partition(sep)
            pairs[name.strip()] = val.strip()
        return pairs
