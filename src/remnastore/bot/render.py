"""Turning service results into localised texts. No business rules here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from remnastore.domain.access import size_parts
from remnastore.domain.catalogue import Period
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.locales import Translator
from remnastore.services.devices import DeviceList
from remnastore.services.subscriptions import AccessOverview


class Renderer:
    """Formats dates in the shop's time zone and sizes in the customer's language."""

    def __init__(self, timezone: str = "UTC") -> None:
        self._tz = ZoneInfo(timezone)
        self._tz_label = "UTC" if timezone == "UTC" else timezone

    def when(self, value: datetime, t: Translator) -> str:
        local = value.astimezone(self._tz)
        stamp = local.strftime("%d.%m.%Y %H:%M") if t.language == "ru" else local.strftime("%Y-%m-%d %H:%M")
        return f"{stamp} ({self._tz_label})"

    def date(self, value: datetime, t: Translator) -> str:
        local = value.astimezone(self._tz)
        return local.strftime("%d.%m.%Y") if t.language == "ru" else local.strftime("%Y-%m-%d")

    def size(self, size_bytes: int, t: Translator) -> str:
        value, unit = size_parts(size_bytes)
        return t(f"size-{unit}", value=value)

    def traffic_limit(self, limit_bytes: int, t: Translator) -> str:
        return t("traffic-unlimited") if limit_bytes <= 0 else self.size(limit_bytes, t)

    def overview(self, view: AccessOverview, t: Translator) -> str:
        if not view.active:
            left = t("subscription-expired-ago", days=max(0, -view.days_left))
        elif view.days_left > 1:
            left = t("subscription-days-left", days=view.days_left)
        else:
            left = t("subscription-hours-left")
        if view.limit_bytes > 0:
            traffic = t(
                "traffic-used-of", used=self.size(view.used_bytes, t), limit=self.size(view.limit_bytes, t)
            )
        else:
            traffic = t("traffic-unlimited-used", used=self.size(view.used_bytes, t))
        count = view.device_count if view.device_count is not None else "—"
        devices = (
            t("devices-of", count=count, limit=view.device_limit)
            if view.device_limit
            else t("devices-unlimited", count=count)
        )
        return t(
            "subscription-overview",
            status=t(f"status-{view.status}"),
            expires=self.when(view.expires_at, t),
            left=left,
            traffic=traffic,
            devices=devices,
            link=view.link,
        )

    def devices(self, listing: DeviceList, t: Translator) -> str:
        count = len(listing.devices)
        if listing.limit:
            title = t("devices-title", count=count, limit=listing.limit)
        else:
            title = t("devices-title-unlimited", count=count)
        if not listing.devices:
            return t("devices-none")
        lines = [title, ""]
        for device in listing.devices:
            lines.append(
                t(
                    "devices-item",
                    index=device.index,
                    model=device.model or t("device-unknown-model"),
                    platform=" ".join(p for p in (device.platform, device.os_version) if p) or "—",
                    since=self.date(device.since, t) if device.since else "—",
                )
            )
        lines += ["", t("devices-note")]
        return "\n".join(lines)

    def period(self, period: Period, t: Translator) -> str:
        months = t("period-months", count=period.months) if period.months else ""
        days = t("period-days", count=period.days) if period.days else ""
        if months and days:
            return t("period-months-days", months=months, days=days)
        return months or days

    def money(self, amount: Money, t: Translator) -> str:
        return amount.format(t.language)

    def error(self, error: DomainError, t: Translator) -> str:
        args: dict[str, Any] = {}
        for name, value in error.args_for_text.items():
            args[name] = self.when(value, t) if isinstance(value, datetime) else value
        return t(error.text_key, **args)
