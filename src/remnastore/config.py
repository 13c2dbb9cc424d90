"""Settings: one typed object, grouped by concern, read from the environment and `.env`.

Every field is bound to exactly one environment variable (its ``validation_alias``), so an error
message can always name the variable the seller has to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./remnastore.sqlite3"
_BOT_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ConfigError(Exception):
    """Raised when the configuration is invalid; ``problems`` maps variable names to reasons."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        lines = [f"{name}: {reason}" for name, reason in problems.items()]
        super().__init__("invalid configuration:\n  " + "\n  ".join(lines))


def env(name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field read from exactly one environment variable."""
    return Field(default, validation_alias=AliasChoices(name), **kwargs)


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


class _Group(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=False
    )


class TelegramSettings(_Group):
    bot_token: SecretStr = env("BOT_TOKEN", description="Bot token from @BotFather")
    api_url: str = env("TELEGRAM_API_URL", "https://api.telegram.org")
    admin_ids: Annotated[list[int], NoDecode] = env("ADMIN_IDS", default_factory=list)
    webhook_base_url: str | None = env("WEBHOOK_BASE_URL", None)
    webhook_path: str = env("WEBHOOK_PATH", "/webhooks/telegram")
    webhook_secret: SecretStr | None = env("WEBHOOK_SECRET", None)
    drop_pending_updates: bool = env("DROP_PENDING_UPDATES", False)
    request_timeout: float = env("TELEGRAM_TIMEOUT", 30.0, gt=0)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _BOT_TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token (expected '<digits>:<35 characters>')")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> Any:
        items = _split_list(value)
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
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return "/" + value.strip().strip("/")


class DatabaseSettings(_Group):
    url: str = env("DATABASE_URL", DEFAULT_DATABASE_URL)
    pool_size: int = env("DATABASE_POOL_SIZE", 10, ge=1, le=200)
    echo: bool = env("DATABASE_ECHO", False)
    auto_migrate: bool = env("AUTO_MIGRATE", True)

    @field_validator("url")
    @classmethod
    def _driver(cls, value: str) -> str:
        value = value.strip() or DEFAULT_DATABASE_URL
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + value[len("sqlite://") :]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a postgresql:// or sqlite:// URL")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(_Group):
    url: str | None = env("REDIS_URL", None)
    state_ttl_seconds: int = env("STATE_TTL_SECONDS", 86400, ge=60)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value.strip()


class PanelSettings(_Group):
    url: str = env("PANEL_URL")
    token: SecretStr = env("PANEL_TOKEN")
    api_version: Literal["auto", "2", "3"] = env("PANEL_API_VERSION", "auto")
    extra_headers: Annotated[dict[str, str], NoDecode] = env("PANEL_EXTRA_HEADERS", default_factory=dict)
    cookies: Annotated[dict[str, str], NoDecode] = env("PANEL_COOKIES", default_factory=dict)
    timeout: float = env("PANEL_TIMEOUT", 10.0, gt=0, le=120)
    retries: int = env("PANEL_RETRIES", 2, ge=0, le=10)
    username_prefix: str = env("PANEL_USERNAME_PREFIX", "tg_", pattern=r"^[A-Za-z0-9_-]{0,12}$")
    squads: Annotated[list[str], NoDecode] = env("PANEL_SQUADS", default_factory=list)
    external_squad: str | None = env("PANEL_EXTERNAL_SQUAD", None)
    user_tag: str | None = env("PANEL_USER_TAG", None, pattern=r"^[A-Z0-9_]{1,16}$")
    webhook_secret: SecretStr | None = env("PANEL_WEBHOOK_SECRET", None)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (for example https://panel.example.com)")
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
        items = _split_list(value)
        for item in items or []:
            if not _UUID_RE.match(str(item)):
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


class TrialSettings(_Group):
    enabled: bool = env("TRIAL_ENABLED", True)
    days: int = env("TRIAL_DAYS", 3, ge=1, le=365)
    traffic_gb: int = env("TRIAL_TRAFFIC_GB", 10, ge=0)
    device_limit: int = env("TRIAL_DEVICE_LIMIT", 1, ge=0)
    traffic_strategy: Literal["NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING"] = env(
        "TRIAL_TRAFFIC_STRATEGY", "NO_RESET"
    )
    squads: Annotated[list[str], NoDecode] = env("TRIAL_SQUADS", default_factory=list)

    @field_validator("squads", mode="before")
    @classmethod
    def _squads(cls, value: Any) -> Any:
        return PanelSettings._squads(value)


class LinkSettings(_Group):
    support: str | None = env("SUPPORT_URL", None)
    status: str | None = env("STATUS_URL", None)
    terms: str | None = env("TERMS_URL", None)
    channel: str | None = env("CHANNEL_URL", None)
    feedback: str | None = env("FEEDBACK_URL", None)
    mini_app: str | None = env("SUBSCRIPTION_MINI_APP_URL", None)

    @field_validator("support", "status", "terms", "channel", "feedback", "mini_app")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://", "tg://")):
            raise ValueError("must be a http(s):// or tg:// link")
        return value


class ShopSettings(_Group):
    default_language: Literal["ru", "en"] = env("DEFAULT_LANGUAGE", "ru")
    devices_enabled: bool = env("DEVICES_ENABLED", True)
    timezone: str = env("TIMEZONE", "UTC")


class WebSettings(_Group):
    host: str = env("WEB_HOST", "0.0.0.0")
    port: int = env("WEB_PORT", 8080, ge=0, le=65535)
    trusted_proxies: Annotated[list[str], NoDecode] = env("TRUSTED_PROXIES", default_factory=list)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _split_list(value)


class LogSettings(_Group):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = env("LOG_LEVEL", "INFO")
    format: Literal["json", "text"] = env("LOG_FORMAT", "json")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Settings:
    """All settings, grouped. Build with :func:`load_settings`."""

    def __init__(
        self,
        *,
        telegram: TelegramSettings,
        database: DatabaseSettings,
        redis: RedisSettings,
        panel: PanelSettings,
        trial: TrialSettings,
        links: LinkSettings,
        shop: ShopSettings,
        web: WebSettings,
        log: LogSettings,
    ) -> None:
        self.telegram = telegram
        self.database = database
        self.redis = redis
        self.panel = panel
        self.trial = trial
        self.links = links
        self.shop = shop
        self.web = web
        self.log = log

    @property
    def use_webhook(self) -> bool:
        return bool(self.telegram.webhook_base_url)

    def secrets(self) -> list[str]:
        """Every secret value, so that logs and backups can redact them."""
        values = [self.telegram.bot_token.get_secret_value(), self.panel.token.get_secret_value()]
        for secret in (self.telegram.webhook_secret, self.panel.webhook_secret):
            if secret is not None:
                values.append(secret.get_secret_value())
        values.extend(v for v in self.panel.extra_headers.values() if v)
        values.extend(v for v in self.panel.cookies.values() if v)
        return [v for v in values if len(v) >= 6]


_GROUPS: dict[str, type[_Group]] = {
    "telegram": TelegramSettings,
    "database": DatabaseSettings,
    "redis": RedisSettings,
    "panel": PanelSettings,
    "trial": TrialSettings,
    "links": LinkSettings,
    "shop": ShopSettings,
    "web": WebSettings,
    "log": LogSettings,
}


def env_names() -> dict[str, str]:
    """Every documented environment variable with its description (used by docs tests)."""
    names: dict[str, str] = {}
    for group in _GROUPS.values():
        for field in group.model_fields.values():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names[str(alias.choices[0])] = field.description or ""
    return names


def _reason(error: Any) -> str:
    if error["type"] == "missing":
        return "is required but not set"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _aliases(group: type[_Group]) -> set[str]:
    names: set[str] = set()
    for field in group.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
    return names


def load_settings(env_file: str | Path | None = ".env", values: Mapping[str, Any] | None = None) -> Settings:
    """Read and validate every group; collect all problems and raise one :class:`ConfigError`.

    ``values`` (environment variable name -> value) take precedence over the environment and the file.
    """
    problems: dict[str, str] = {}
    built: dict[str, _Group] = {}
    env_file_arg = env_file if env_file is not None and Path(env_file).exists() else None
    values = dict(values or {})
    for name, group in _GROUPS.items():
        own = {key: value for key, value in values.items() if key in _aliases(group)}
        try:
            built[name] = group(_env_file=env_file_arg, **own)
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"][0] if error["loc"] else name
                problems[str(loc)] = _reason(error)
    if problems:
        raise ConfigError(problems)
    return Settings(**built)  # type: ignore[arg-type]


def load_database_settings(env_file: str | Path | None = ".env") -> DatabaseSettings:
    """Only the database group (for `remnastore migrate`, which needs nothing else)."""
    env_file_arg = env_file if env_file is not None and Path(env_file).exists() else None
    try:
        return DatabaseSettings(_env_file=env_file_arg)
    except ValidationError as exc:
        raise ConfigError({str(e["loc"][0]): _reason(e) for e in exc.errors()}) from None
