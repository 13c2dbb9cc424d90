"""Building blocks of settings groups, shared by config/ and the provider modules that declare their own."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """Raised when the configuration is invalid; ``problems`` maps variable names to reasons."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        lines = [f"{name}: {reason}" for name, reason in problems.items()]
        super().__init__("invalid configuration:\n  " + "\n  ".join(lines))


def env(name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field read from exactly one environment variable."""
    return Field(default, validation_alias=AliasChoices(name), **kwargs)


def split_list(value: Any) -> Any:
    """`a, b; c` -> ["a", "b", "c"] (lists from the environment)."""
    if isinstance(value, str):
        return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


def http_url(value: str) -> str:
    """An http(s) base address without its trailing slash (the check of every ``*_API_URL``)."""
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


class SettingsGroup(BaseSettings):
    """A group of settings; each field names its environment variable with :func:`env`."""

    # An empty value (``NAME=`` in .env, or ``NAME: ""`` from compose) means "not set": the default applies,
    # and a required setting is reported as missing.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=False,
        env_ignore_empty=True,
    )
