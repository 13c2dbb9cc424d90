"""Settings of keeping in step with the panel: the full sync, the light sync of changed users, and the
customer messages about panel events (a module of its own, so that the settings load without the
services)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.settings_base import SettingsGroup, env, split_list

#: the panel events a customer can be told about
CUSTOMER_EVENTS = (
    "user.limited",
    "user.traffic_reset",
    "user.first_connected",
    "user.not_connected",
    "user.disabled",
    "user.enabled",
    "user.deleted",
    "user.revoked",
)


class PanelSyncSettings(SettingsGroup):
    interval_minutes: int = env(
        "PANEL_SYNC_INTERVAL_MINUTES",
        0,
        ge=0,
        le=7 * 24 * 60,
        description=(
            "import and reconcile panel users every this many minutes (0: only on demand from the admin menu)"
        ),
    )
    concurrency: int = env(
        "PANEL_SYNC_CONCURRENCY",
        4,
        ge=1,
        le=32,
        description="how many pages of panel users the sync fetches at once",
    )
    page_size: int = env(
        "PANEL_SYNC_PAGE_SIZE",
        500,
        ge=10,
        le=1000,
        description="panel users per page fetched by the sync",
    )
    light_interval_minutes: int = env(
        "PANEL_LIGHT_SYNC_MINUTES",
        10,
        ge=0,
        le=24 * 60,
        description=(
            "while panel webhooks are off (no PANEL_WEBHOOK_SECRET): every this many minutes, read the panel "
            "users changed since the last look (newest updatedAt first) and update the shop's records "
            "(0: never)"
        ),
    )
    event_messages: Annotated[list[str], NoDecode] = env(
        "PANEL_EVENT_MESSAGES",
        default_factory=lambda: list(CUSTOMER_EVENTS),
        description=(
            "panel webhook events that get a short message to the customer, comma-separated (empty: none); "
            "any of " + ", ".join(CUSTOMER_EVENTS)
        ),
    )

    @field_validator("event_messages", mode="before")
    @classmethod
    def _events(cls, value: Any) -> Any:
        items = split_list(value)
        for item in items or []:
            if item not in CUSTOMER_EVENTS:
                raise ValueError(f"'{item}' is not one of {', '.join(CUSTOMER_EVENTS)}")
        return items
