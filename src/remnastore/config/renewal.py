"""Settings of auto-renewal and gifts (own module: the settings load without the services)."""

from __future__ import annotations

from datetime import timedelta

from remnastore.settings_base import SettingsGroup, env


class RenewalSettings(SettingsGroup):
    autorenew_enabled: bool = env(
        "AUTORENEW_ENABLED",
        True,
        description="customers may have their subscription renewed automatically (saved card or balance)",
    )
    lead_hours: int = env(
        "AUTORENEW_LEAD_HOURS",
        24,
        ge=1,
        le=24 * 14,
        description="how many hours before expiry the renewal is charged",
    )
    notice_hours: int = env(
        "AUTORENEW_NOTICE_HOURS",
        24,
        ge=0,
        le=24 * 14,
        description="how many hours before the charge the customer is told it is coming (0: no notice)",
    )
    max_attempts: int = env(
        "AUTORENEW_MAX_ATTEMPTS",
        3,
        ge=1,
        le=10,
        description="charge attempts for one period before auto-renewal gives up on it",
    )
    retry_hours: int = env(
        "AUTORENEW_RETRY_HOURS",
        6,
        ge=1,
        le=72,
        description="hours before the first retry of a failed charge; each further retry waits twice as long",
    )
    interval_seconds: int = env(
        "AUTORENEW_INTERVAL_SECONDS",
        600,
        ge=10,
        le=86_400,
        description="how often the shop looks for subscriptions due for renewal, seconds",
    )
    gifts_enabled: bool = env(
        "GIFTS_ENABLED", True, description="customers may buy a period as a gift and send its link to anyone"
    )

    @property
    def lead(self) -> timedelta:
        return timedelta(hours=self.lead_hours)

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.notice_hours)

    def retry_delay(self, failed_attempts: int) -> timedelta:
        """The wait after the ``failed_attempts``-th failure: retry_hours, then doubling."""
        return timedelta(hours=self.retry_hours * 2 ** max(0, failed_attempts - 1))
