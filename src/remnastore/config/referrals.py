"""Settings of referral rewards (a module of its own, so that the settings load without the service)."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import field_validator
from pydantic_settings import NoDecode

from remnastore.domain.typed_numbers import typed_int_or_none
from remnastore.settings_base import SettingsGroup, env

_PERIOD_RE = re.compile(r"^[a-z0-9_-]{1,16}$")
MAX_BONUS_DAYS = 3650


def parse_days_map(value: Any) -> Any:
    """``"1m:7,3m:15"`` -> ``{"1m": 7, "3m": 15}``; a dict passes through (validated by pydantic). A JSON
    object (as a backup's configuration copy writes it) is read as the same pairs, with the same checks."""
    if not isinstance(value, str):
        return value
    if value.strip().startswith("{"):
        try:
            pairs = json.loads(value)
        except ValueError:
            raise ValueError("is not a JSON object of '<period code>': <days>") from None
        if not isinstance(pairs, dict):
            raise ValueError("is not a JSON object of '<period code>': <days>")
        value = ",".join(f"{code}:{days}" for code, days in pairs.items())
    result: dict[str, int] = {}
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        code, sep, days = part.partition(":")
        code, days = code.strip(), days.strip()
        number = typed_int_or_none(days)
        if not sep or not _PERIOD_RE.match(code) or number is None:
            raise ValueError(f"'{part}' is not '<period code>:<days>' (for example 1m:7)")
        if number > MAX_BONUS_DAYS:
            raise ValueError(f"'{part}': at most {MAX_BONUS_DAYS} days")
        result[code] = number
    return result


class ReferralSettings(SettingsGroup):
    enabled: bool = env(
        "REFERRAL_ENABLED", True, description="referral programme: invitation link, statistics and rewards"
    )
    inviter_days: Annotated[dict[str, int], NoDecode] = env(
        "REFERRAL_INVITER_DAYS",
        default_factory=lambda: {"1m": 7, "3m": 15, "6m": 30, "12m": 60},
        description="inviter's bonus days per period code bought, e.g. 1m:7,3m:15 (unlisted: 0)",
    )
    invitee_days: Annotated[dict[str, int], NoDecode] = env(
        "REFERRAL_INVITEE_DAYS",
        default_factory=lambda: {"1m": 3, "3m": 7, "6m": 10, "12m": 15},
        description="invitee's bonus days per period code bought, e.g. 1m:3,3m:7 (unlisted: 0)",
    )
    commission_percent: int = env(
        "REFERRAL_COMMISSION_PERCENT",
        0,
        ge=0,
        le=100,
        description=(
            "percent of a rewarded payment credited to the inviter's balance"
            " (needs BALANCE_ENABLED; payments in BALANCE_CURRENCY only)"
        ),
    )
    every_payment: bool = env(
        "REFERRAL_EVERY_PAYMENT",
        False,
        description="reward every payment of the invitee (true) or only their first paid order (false)",
    )

    @field_validator("inviter_days", "invitee_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        return parse_days_map(value)

    def inviter_days_for(self, period_code: str | None) -> int:
        return self.inviter_days.get(period_code or "", 0)

    def invitee_days_for(self, period_code: str | None) -> int:
        return self.invitee_days.get(period_code or "", 0)
