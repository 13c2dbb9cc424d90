"""Settings: one typed object, grouped by concern, read from the environment and `.env`.

Every field is bound to exactly one environment variable (its ``validation_alias``), so an error
message can always name the variable the seller has to fix. The groups are listed once, in
:class:`remnastore.config.settings.Settings`; the loader below reads them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, ValidationError

from remnastore.config.settings import GROUP_TITLES, GROUPS, Settings
from remnastore.config.shop import ShopSettings
from remnastore.config.storage import DEFAULT_DATABASE_URL, DatabaseSettings, RedisSettings
from remnastore.settings_base import ConfigError, SettingsGroup

__all__ = [
    "DEFAULT_DATABASE_URL",
    "GROUP_TITLES",
    "ConfigError",
    "DatabaseSettings",
    "RedisSettings",
    "Settings",
    "ShopSettings",
    "all_groups",
    "env_names",
    "load_database_settings",
    "load_settings",
]


def all_groups() -> dict[str, type[SettingsGroup]]:
    """Every settings group, core first, then one per payment provider (for documentation)."""
    groups: dict[str, type[SettingsGroup]] = dict(GROUPS)
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


def _aliases(group: type[SettingsGroup]) -> set[str]:
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
    built: dict[str, SettingsGroup] = {}
    env_file_arg = env_file if env_file is not None and Path(env_file).exists() else None
    values = dict(values or {})
    for name, group in GROUPS.items():
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
