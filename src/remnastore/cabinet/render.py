"""Values as the cabinet's pages show them: dates in the shop's time zone, sizes, periods, money, errors.

Every text comes from the locale files; a Translator's result is already escaped markup (its arguments
are HTML-escaped), so the templates receive it as ``Markup``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from remnastore.domain.access import size_parts
from remnastore.domain.catalogue import Period
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.locales import Translator


class PageText:
    """One visitor's texts: their language, the shop's time zone."""

    def __init__(self, t: Translator, timezone: str) -> None:
        self.t = t
        self.language = t.language
        self._tz = ZoneInfo(timezone)
        self._tz_label = "UTC" if timezone == "UTC" else timezone

    def __call__(self, key: str, **args: Any) -> Markup:
        return Markup(self.t(key, **args))  # noqa: S704 - the Translator escapes every argument

    def when(self, value: datetime) -> str:
        local = value.astimezone(self._tz)
        stamp = (
            local.strftime("%d.%m.%Y %H:%M") if self.language == "ru" else local.strftime("%Y-%m-%d %H:%M")
        )
        return f"{stamp} ({self._tz_label})"

    def size(self, size_bytes: int) -> str:
        value, unit = size_parts(size_bytes)
        return str(self.t(f"size-{unit}", value=value))

    def period(self, period: Period) -> str:
        months = str(self.t("period-months", count=period.months)) if period.months else ""
        days = str(self.t("period-days", count=period.days)) if period.days else ""
        if months and days:
            return str(self.t("period-months-days", months=months, days=days))
        return months or days

    def money(self, amount: Money) -> str:
        return amount.format(self.language)

    def provider(self, code: str) -> str:
        key = f"provider-name-{code}"
        return str(self.t(key)) if self.t.has(key) else code

    def error(self, error: DomainError) -> Markup:
        args: dict[str, Any] = {
            name: self.when(value) if isinstance(value, datetime) else value
            for name, value in error.args_for_text.items()
        }
        return self(error.text_key, **args)
