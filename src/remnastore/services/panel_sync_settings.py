"""Settings of the panel sync (a module of its own, so that the settings load without the service)."""

from __future__ import annotations

from remnastore.settings_base import SettingsGroup, env


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
