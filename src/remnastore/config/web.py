"""The web server (listeners, proxies, shutdown) and the logs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.settings_base import SettingsGroup, env, split_list


class WebSettings(SettingsGroup):
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
        return split_list(value)


class LogSettings(SettingsGroup):
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
