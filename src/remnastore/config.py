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

from pydantic import AliasChoices, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import NoDecode

from remnastore.cabinet.settings import CabinetSettings
from remnastore.domain.money import Money, is_known_currency
from remnastore.infra.performance import PerformanceSettings
from remnastore.infra.ratelimit import RateLimitSettings
from remnastore.ops.backup_settings import BackupSettings
from remnastore.receipts.settings import TaxReceiptSettings
from remnastore.services.broadcast_settings import BroadcastSettings
from remnastore.services.channel_gate import ChannelGateSettings
from remnastore.services.panel_sync_settings import PanelSyncSettings
from remnastore.services.promo_settings import PromoSettings
from remnastore.services.referral_settings import ReferralSettings
from remnastore.services.reminder_settings import ReminderSettings
from remnastore.services.renewal_settings import RenewalSettings
from remnastore.settings_base import ConfigError, SettingsGroup, env, split_list

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./remnastore.sqlite3"
_BOT_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


_Group = SettingsGroup
_split_list = split_list


class TelegramSettings(_Group):
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
        le=1000,
        description="messages (sent, copied or edited) per second the shop sends overall, replies first; "
        "a faster broadcast rate raises it (paid broadcasts); split between --workers",
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
    url: str = env(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        description="unset = SQLite file ./remnastore.sqlite3; for production: postgresql://user:password@host:5432/remnastore",
    )
    pool_size: int = env(
        "DATABASE_POOL_SIZE", 10, ge=1, le=200, description="connection pool size (PostgreSQL)"
    )
    echo: bool = env("DATABASE_ECHO", False, description="log every SQL statement (debugging only)")
    auto_migrate: bool = env(
        "AUTO_MIGRATE",
        True,
        description="apply database migrations automatically when `remnastore run` starts",
    )

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
    max_connections: int = env(
        "REDIS_MAX_CONNECTIONS",
        50,
        ge=2,
        le=10_000,
        description="size of the Redis connection pool of one instance",
    )
    connect_attempts: int = env(
        "REDIS_CONNECT_ATTEMPTS",
        5,
        ge=1,
        le=100,
        description="how many times to try reaching Redis at start (with back-off)",
    )
    fallback_memory: bool = env(
        "REDIS_FALLBACK_MEMORY",
        False,
        description="if Redis cannot be reached at start, run with in-memory state instead of exiting (one instance only!)",
    )
    url: str | None = env(
        "REDIS_URL",
        None,
        description="unset = conversation state in memory (one instance only); e.g. redis://127.0.0.1:6379/0",
    )
    state_ttl_seconds: int = env(
        "STATE_TTL_SECONDS",
        86400,
        ge=60,
        description="how long an unfinished conversation (and its data) is kept in Redis, seconds",
    )

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value.strip()


class PanelSettings(_Group):
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


class LinkSettings(_Group):
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


class ShopSettings(_Group):
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


class SalesSettings(_Group):
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
        return _split_list(value)

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


class WebSettings(_Group):
    shutdown_timeout: float = env(
        "SHUTDOWN_TIMEOUT",
        30.0,
        ge=1,
        le=600,
        description="seconds in-flight updates, webhooks and jobs get to finish on SIGTERM before they are cancelled",
    )
    host: str = env(
        "WEB_HOST", "0.0.0.0", description="address of the public web server (webhooks, /healthz)"
    )
    port: int = env("WEB_PORT", 8080, ge=0, le=65535, description="port of the public web server")
    metrics_host: str = env(
        "METRICS_HOST",
        "127.0.0.1",
        description="address of the private listener for /metrics and /readyz (with details); keep it off the public network",
    )
    metrics_port: int = env(
        "METRICS_PORT",
        9108,
        ge=0,
        le=65535,
        description="port of the private /metrics and /readyz listener (0 = any free port)",
    )
    readyz_cache_seconds: float = env(
        "READYZ_CACHE_SECONDS",
        5.0,
        ge=0,
        le=300,
        description="how long /readyz reuses one probe of the database, Redis and the panel, seconds (0 = probe on every request)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = env(
        "TRUSTED_PROXIES",
        default_factory=list,
        description="comma-separated addresses of reverse proxies whose X-Forwarded-For is trusted",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _split_list(value)


class LogSettings(_Group):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = env(
        "LOG_LEVEL", "INFO", description="DEBUG, INFO, WARNING or ERROR"
    )
    format: Literal["json", "text"] = env(
        "LOG_FORMAT", "json", description="json (one object per line) or text"
    )
    loop_hold_seconds: float = env(
        "LOOP_HOLD_THRESHOLD",
        0.5,
        ge=0,
        le=60,
        description="log and count any step that holds the event loop longer than this many seconds (0 = off)",
    )

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
        sales: SalesSettings,
        rate_limit: RateLimitSettings,
        backup: BackupSettings,
        channel_gate: ChannelGateSettings,
        reminders: ReminderSettings,
        referrals: ReferralSettings | None = None,
        broadcasts: BroadcastSettings | None = None,
        panel_sync: PanelSyncSettings | None = None,
        renewal: RenewalSettings | None = None,
        payments: dict[str, SettingsGroup] | None = None,
        promos: PromoSettings | None = None,
        performance: PerformanceSettings | None = None,
        tax_receipts: TaxReceiptSettings | None = None,
        cabinet: CabinetSettings | None = None,
    ) -> None:
        self.performance = performance if performance is not None else PerformanceSettings()
        self.telegram = telegram
        self.database = database
        self.redis = redis
        self.panel = panel
        self.trial = trial
        self.links = links
        self.shop = shop
        self.web = web
        self.log = log
        self.sales = sales
        self.rate_limit = rate_limit
        self.backup = backup
        self.channel_gate = channel_gate
        self.reminders = reminders
        self.referrals = referrals if referrals is not None else ReferralSettings()
        self.promos = promos if promos is not None else PromoSettings()
        self.broadcasts = broadcasts if broadcasts is not None else BroadcastSettings()
        self.panel_sync = panel_sync if panel_sync is not None else PanelSyncSettings()
        self.renewal = renewal if renewal is not None else RenewalSettings()
        self.tax_receipts = tax_receipts if tax_receipts is not None else TaxReceiptSettings()
        self.cabinet = cabinet if cabinet is not None else CabinetSettings()
        #: each payment provider's own settings group, by provider name
        self.payments: dict[str, SettingsGroup] = payments or {}

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
        values.extend(self.tax_receipts.secrets())
        for group in self.payments.values():
            for field_name in type(group).model_fields:
                value = getattr(group, field_name)
                if isinstance(value, SecretStr):
                    values.append(value.get_secret_value())
        return [v for v in values if len(v) >= 6]


_GROUPS: dict[str, type[_Group]] = {
    "telegram": TelegramSettings,
    "panel": PanelSettings,
    "database": DatabaseSettings,
    "redis": RedisSettings,
    "shop": ShopSettings,
    "trial": TrialSettings,
    "links": LinkSettings,
    "sales": SalesSettings,
    "web": WebSettings,
    "log": LogSettings,
    "rate_limit": RateLimitSettings,
    "backup": BackupSettings,
    "channel_gate": ChannelGateSettings,
    "reminders": ReminderSettings,
    "referrals": ReferralSettings,
    "promos": PromoSettings,
    "broadcasts": BroadcastSettings,
    "panel_sync": PanelSyncSettings,
    "renewal": RenewalSettings,
    "performance": PerformanceSettings,
    "tax_receipts": TaxReceiptSettings,
    "cabinet": CabinetSettings,
}


GROUP_TITLES = {
    "telegram": "Telegram",
    "panel": "Remnawave panel",
    "database": "Database",
    "redis": "Redis",
    "shop": "Shop",
    "trial": "Free trial",
    "links": "Main menu link buttons",
    "sales": "Sales",
    "web": "Web server",
    "log": "Logs",
    "rate_limit": "Rate limiting",
    "backup": "Backups",
    "channel_gate": "Required channel",
    "reminders": "Expiry reminders",
    "referrals": "Referrals",
    "promos": "Promo codes",
    "broadcasts": "Broadcasts",
    "panel_sync": "Panel sync",
    "renewal": "Auto-renewal and gifts",
    "performance": "Performance",
    "tax_receipts": "Self-employed tax receipts (Мой налог)",
    "cabinet": "Customer cabinet",
}


def all_groups() -> dict[str, type[SettingsGroup]]:
    """Every settings group, core first, then one per payment provider (for documentation)."""
    groups: dict[str, type[SettingsGroup]] = dict(_GROUPS)
    for name, group in _provider_groups().items():
        GROUP_TITLES.setdefault(f"payments:{name}", f"Payments: {name}")
        groups[f"payments:{name}"] = group
    return groups


def _provider_groups() -> dict[str, type[SettingsGroup]]:
    from remnastore.payments.registry import PROVIDER_MODULES, provider_module

    return {name: provider_module(name).Settings for name in PROVIDER_MODULES}


def env_names() -> dict[str, str]:
    """Every documented environment variable with its description (used by docs tests)."""
    names: dict[str, str] = {}
    for group in all_groups().values():
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
    payments: dict[str, SettingsGroup] = {}
    for name, group in _provider_groups().items():
        own = {key: value for key, value in values.items() if key in _aliases(group)}
        try:
            payment = group(_env_file=env_file_arg, **own)
        except ValidationError as exc:
            for error in exc.errors():
                problems[str(error["loc"][0]) if error["loc"] else name] = _reason(error)
            continue
        if getattr(payment, "enabled", False):
            for variable in payment.missing():  # type: ignore[attr-defined]
                problems[variable] = "is required when the provider is enabled"
        payments[name] = payment
    if problems:
        raise ConfigError(problems)
    return Settings(**built, payments=payments)  # type: ignore[arg-type]


def load_database_settings(env_file: str | Path | None = ".env") -> DatabaseSettings:
    """Only the database group (for `remnastore migrate`, which needs nothing else)."""
    env_file_arg = env_file if env_file is not None and Path(env_file).exists() else None
    try:
        return DatabaseSettings(_env_file=env_file_arg)
    except ValidationError as exc:
        raise ConfigError({str(e["loc"][0]): _reason(e) for e in exc.errors()}) from None
