"""The cabinet's addresses: personal sign-in links the bot hands out, and the Mini App's address."""

from __future__ import annotations

from remnastore.cabinet.sessions import CabinetAccess

#: where the cabinet lives on the shop's web server
PREFIX = "/cabinet"


class CabinetLinks:
    def __init__(self, access: CabinetAccess, public_url: str) -> None:
        self._access = access
        self.base = public_url.rstrip("/") + PREFIX

    @property
    def link_minutes(self) -> int:
        return int(self._access.link_ttl.total_seconds() // 60)

    @property
    def reminder_link_hours(self) -> int:
        return int(self._access.reminder_link_ttl.total_seconds() // 3600)

    @property
    def mini_app_url(self) -> str | None:
        """The Mini App (Telegram opens Web Apps on https addresses only)."""
        return f"{self.base}/app" if self.base.startswith("https://") else None

    async def sign_in_link(self, customer_id: int) -> str:
        """A new single-use sign-in link; the token sits in the fragment, which browsers never send
        to a server, so it stays out of every access log and Referer."""
        token = await self._access.issue_link(customer_id)
        return f"{self.base}/login#{token}"

    async def reminder_link(self, customer_id: int) -> str:
        """A sign-in link for an expiry reminder: single use like any other, but valid for longer,
        since a customer may read the reminder days later, when Telegram no longer opens for them."""
        token = await self._access.issue_link(customer_id, ttl=self._access.reminder_link_ttl)
        return f"{self.base}/login#{token}"
