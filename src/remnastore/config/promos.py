"""Settings of promo codes (a module of its own, so that the settings load without the service)."""

from __future__ import annotations

from remnastore.settings_base import SettingsGroup, env


class PromoSettings(SettingsGroup):
    enabled: bool = env(
        "PROMO_ENABLED",
        True,
        description='promo codes: the "Promo code" button, typed codes and promo_ links',
    )
    reservation_minutes: int = env(
        "PROMO_RESERVATION_MINUTES",
        15,
        ge=1,
        le=1440,
        description=(
            "how long a discount is held for one unpaid order (its invoice expires with it);"
            " an unpaid reservation then frees the code for others"
        ),
    )
