"""Where the shop keeps its data: the database and (optionally) Redis."""

from __future__ import annotations

from pydantic import field_validator

from remnastore.settings_base import SettingsGroup, env

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./remnastore.sqlite3"


class DatabaseSettings(SettingsGroup):
    url: str = env(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        description="unset = SQLite file ./remnastore.sqlite3; for production: postgresql://user:password@host:5432/remnastore",
    )
    pool_size: int = env(
        "DATABASE_POOL_SIZE",
        10,
        ge=1,
        le=200,
        description="connection pool size (PostgreSQL): up to twice as many are opened as needed and kept",
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


class RedisSettings(SettingsGroup):
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
