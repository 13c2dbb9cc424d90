"""Settings of expiry reminders (a module of its own, so that the settings load without the service)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.domain.typed_numbers import typed_int_or_none
from remnastore.settings_base import SettingsGroup, env, split_list

MAX_OFFSET_HOURS = 24 * 90


def _hours(value: Any) -> Any:
    items = split_list(value)
    if isinstance(items, list):
        for item in items:
            if typed_int_or_none(str(item), low=1, high=MAX_OFFSET_HOURS) is None:
                raise ValueError(f"'{item}' is not a whole number of hours between 1 and {MAX_OFFSET_HOURS}")
    return items


class ReminderSettings(SettingsGroup):
    enabled: bool = env(
        "REMINDERS_ENABLED", True, description="remind customers of their subscription's expiry (true/false)"
    )
    hours_before: Annotated[list[int], NoDecode] = env(
        "REMINDER_HOURS",
        default_factory=lambda: [72, 24],
        description="comma-separated hours BEFORE expiry when a reminder is sent, e.g. 72,24 (empty: none)",
    )
    at_expiry: bool = env(
        "REMINDER_AT_EXPIRY", True, description="send a reminder when the subscription expires (true/false)"
    )
    hours_after: Annotated[list[int], NoDecode] = env(
        "REMINDER_AFTER_HOURS",
        default_factory=lambda: [24],
        description="comma-separated hours AFTER expiry when a reminder is sent, e.g. 24 (empty: none)",
    )
    interval_seconds: int = env(
        "REMINDER_INTERVAL_SECONDS",
        300,
        ge=10,
        le=86_400,
        description="how often the shop looks for due reminders, seconds",
    )

    @field_validator("hours_before", "hours_after", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return _hours(value)

    def offsets(self) -> list[int]:
        """Every reminder as hours relative to expiry (negative: before), latest first; empty if disabled."""
        if not self.enabled:
            return []
        found = {-hours for hours in self.hours_before} | set(self.hours_after)
        if self.at_expiry:
            found.add(0)
        return sorted(found, reverse=True)
