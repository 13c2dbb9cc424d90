"""Which panel user belongs to a customer, and keeping that link in the database."""

from __future__ import annotations

import logging

from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.session import Database
from remnastore.domain.access import panel_username
from remnastore.domain.errors import ServiceUnavailable
from remnastore.panel.errors import PanelError, PanelNotFound, PanelUnavailable, PanelUuidLink
from remnastore.panel.models import PanelUser
from remnastore.panel.protocol import PanelApi
from remnastore.services.accounts import CustomerView

log = logging.getLogger(__name__)


class PanelLink:
    """Resolves a customer's panel user: the stored id first, then the panel's telegramId lookup.

    A link that is only a uuid (imported from a bot of a 2.x panel, before any panel check or sync) cannot
    be asked of a 3.x panel: it is resolved by the Telegram id on first use and stored by the panel's id.

    Only an explicit "not found" from the panel makes us look elsewhere; a transient failure raises
    :class:`ServiceUnavailable` and never unlinks anybody.
    """

    def __init__(self, db: Database, panel: PanelApi, *, username_prefix: str) -> None:
        self._db = db
        self._panel = panel
        self._prefix = username_prefix

    def username_for(self, telegram_id: int) -> str:
        return panel_username(self._prefix, telegram_id)

    async def find(self, customer: CustomerView) -> PanelUser | None:
        try:
            if customer.panel_ref is not None:
                try:
                    return await self._panel.get_user(customer.panel_ref)
                except PanelUuidLink:
                    # an old uuid link (an import from a 2.x panel's bot) on a 3.x panel: found by
                    # Telegram id below and then stored by the panel's id
                    log.info("resolving a uuid link by Telegram id", extra={"customer_id": customer.id})
                except PanelNotFound:
                    log.info(
                        "linked panel user is gone; looking by Telegram id",
                        extra={"customer_id": customer.id},
                    )
            candidates = await self._panel.find_by_telegram_id(customer.telegram_id)
        except PanelUnavailable as exc:
            raise ServiceUnavailable() from exc
        except PanelError as exc:
            log.error("panel refused a lookup: %s", exc, extra={"customer_id": customer.id})
            raise ServiceUnavailable() from exc
        user = self._choose(candidates, customer)
        if user is not None:
            await self.remember(customer, user)
        elif customer.panel_ref is not None:
            await self.forget(customer)
        return user

    def _choose(self, candidates: list[PanelUser], customer: CustomerView) -> PanelUser | None:
        if not candidates:
            return None
        if len(candidates) > 1:
            log.warning("several panel users share one telegram id", extra={"customer_id": customer.id})
        own_name = self.username_for(customer.telegram_id)
        for user in candidates:
            if user.username == own_name:
                return user
        return max(candidates, key=lambda u: u.expire_at)

    async def remember(self, customer: CustomerView, user: PanelUser) -> None:
        if (customer.panel_user_id, customer.panel_uuid) == (user.id, user.uuid):
            return
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            row = await customers.get(customer.id)
            if row is not None:
                await customers.set_panel_link(
                    row, panel_user_id=user.id, panel_uuid=user.uuid, panel_username=user.username
                )

    async def forget(self, customer: CustomerView) -> None:
        log.warning(
            "panel link cleared: no panel user has the linked %s or the customer's Telegram id",
            "id" if customer.panel_user_id is not None else "uuid",
            extra={"customer_id": customer.id, "panel_ref": customer.panel_ref},
        )
        async with self._db.session() as session:
            customers = CustomerRepository(session)
            row = await customers.get(customer.id)
            if row is not None:
                await customers.set_panel_link(row, panel_user_id=None, panel_uuid=None, panel_username=None)
