"""Settings of caching and of the event loop (see docs/performance.md)."""

from __future__ import annotations

from typing import Literal

from remnastore.settings_base import SettingsGroup, env


class PerformanceSettings(SettingsGroup):
    customer_ttl_seconds: int = env(
        "CACHE_CUSTOMER_TTL_SECONDS",
        300,
        ge=0,
        le=86_400,
        description="how long a customer's profile and flags are served from the cache, seconds "
        "(every change invalidates it at once; 0 = no cache)",
    )
    panel_ttl_seconds: int = env(
        "CACHE_PANEL_TTL_SECONDS",
        30,
        ge=0,
        le=3_600,
        description="how long the panel's view of a customer (expiry, traffic, devices) is shown from the "
        "cache, seconds (changes made by the shop invalidate it; 0 = always ask the panel)",
    )
    local_max_entries: int = env(
        "CACHE_LOCAL_MAX_ENTRIES",
        100_000,
        ge=100,
        le=10_000_000,
        description="size bound of the in-process cache used when REDIS_URL is unset",
    )
    event_loop: Literal["auto", "asyncio", "uvloop"] = env(
        "EVENT_LOOP",
        "auto",
        description="event loop of `remnastore run`: auto = uvloop when installed (pip install "
        "'.[speed]' in the repository), else asyncio's own",
    )
