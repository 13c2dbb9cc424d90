"""Settings of broadcasts (a module of its own, so that the settings load without the service)."""

from __future__ import annotations

from remnastore.settings_base import SettingsGroup, env

FREE_RATE_LIMIT = 30.0  # Telegram's limit of messages per second to different chats
PAID_RATE_LIMIT = 1000.0  # with allow_paid_broadcast (paid in Stars)


class BroadcastSettings(SettingsGroup):
    rate: float = env(
        "BROADCAST_RATE",
        25.0,
        gt=0,
        le=PAID_RATE_LIMIT,
        description="broadcast messages per second (Telegram allows about 30 without paid broadcasts)",
    )
    paid: bool = env(
        "BROADCAST_PAID",
        False,
        description=(
            "send broadcasts as paid broadcasts (allow_paid_broadcast, charged in Stars), "
            "allowing up to 1000 messages per second (true/false)"
        ),
    )
    progress_seconds: float = env(
        "BROADCAST_PROGRESS_SECONDS",
        5.0,
        ge=0.2,
        le=3600,
        description="how often the admin's progress message is updated, seconds",
    )
    lock_seconds: float = env(
        "BROADCAST_LOCK_SECONDS",
        30.0,
        ge=1,
        le=3600,
        description=(
            "how long an instance holds a running broadcast without renewing, seconds; "
            "after a crash another instance resumes it this much later"
        ),
    )

    def effective_rate(self) -> float:
        """The configured rate, capped by what Telegram allows in the chosen mode."""
        return min(self.rate, PAID_RATE_LIMIT if self.paid else FREE_RATE_LIMIT)
