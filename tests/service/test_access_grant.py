"""The access grant with an in-process panel: target stored before the panel call, applied idempotently,
the period recorded once (milliseconds per rule; the end-to-end tests hold the same against the emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from remnastore.db.models import SubscriptionPeriod
from remnastore.db.session import Database
from remnastore.domain.errors import ServiceUnavailable
from remnastore.infra.clock import ManualClock
from remnastore.panel.errors import PanelUnavailable
from remnastore.panel.protocol import PanelApi
from remnastore.services.access_grant import AccessGrant
from remnastore.services.panel_link import PanelLink
from tests.service.fakes import FakePanel, new_customer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def grant_with(db: Database, panel: FakePanel) -> AccessGrant:
    return AccessGrant(db, panel, PanelLink(db, panel, username_prefix="tg_"), ManualClock(NOW))


async def periods(db: Database) -> list[SubscriptionPeriod]:
    async with db.session() as session:
        return list((await session.scalars(select(SubscriptionPeriod))).all())


def test_the_fake_and_the_real_client_implement_one_protocol() -> None:
    from remnastore.panel.client import RemnawaveClient

    assert isinstance(FakePanel(), PanelApi)
    assert isinstance(RemnawaveClient("http://127.0.0.1:1", "t", api_version="3"), PanelApi)


async def test_days_are_added_once_when_the_reply_of_an_applied_change_is_lost(database: Database) -> None:
    panel = FakePanel()
    customer = await new_customer(database, 501)
    panel.add(501, NOW + timedelta(days=10))
    grant = grant_with(database, panel)

    panel.lose_replies = 1
    with pytest.raises(PanelUnavailable):
        await grant.grant_days(customer, 7, "referral", key="referral:1")
    assert panel.users[1].expire_at == NOW + timedelta(days=17)  # applied, though nobody heard

    granted = await grant.grant_days(customer, 7, "referral", key="referral:1")  # the retry
    again = await grant.grant_days(customer, 7, "referral", key="referral:1")

    assert granted is not None and granted.first and granted.expires_at == NOW + timedelta(days=17)
    assert again is not None and not again.first
    assert panel.users[1].expire_at == NOW + timedelta(days=17)
    assert [(p.kind, p.days, p.ends_at) for p in await periods(database)] == [
        ("referral", 7, NOW + timedelta(days=17))
    ]


async def test_an_expired_user_gets_days_from_now_and_is_activated(database: Database) -> None:
    panel = FakePanel()
    customer = await new_customer(database, 502)
    user = panel.add(502, NOW - timedelta(days=3))
    panel.users[1] = user.model_copy(update={"status": "EXPIRED"})

    granted = await grant_with(database, panel).grant_days(customer, 5, "promo", key="promo:1")

    assert granted is not None and granted.expires_at == NOW + timedelta(days=5)
    assert panel.users[1].status == "ACTIVE"


async def test_no_panel_user_no_change(database: Database) -> None:
    panel = FakePanel()
    customer = await new_customer(database, 503)
    assert await grant_with(database, panel).grant_days(customer, 5, "admin", key="admin:1") is None
    assert "update" not in panel.calls and await periods(database) == []


async def test_a_panel_that_is_down_changes_nothing_and_the_stored_target_waits(database: Database) -> None:
    panel = FakePanel()
    customer = await new_customer(database, 504)
    panel.add(504, NOW + timedelta(days=1))
    grant = grant_with(database, panel)
    target = await grant.plan_days(customer, 3, "referral", key="referral:9")
    panel.down = True
    with pytest.raises(ServiceUnavailable):
        await grant.extend_to(customer, target, "referral", key="referral:9")
    panel.down = False
    panel.users[1] = panel.users[1].model_copy(update={"expire_at": NOW + timedelta(days=30)})  # meanwhile
    granted = await grant.extend_to(customer, target, "referral", key="referral:9")
    # the stored target is below the new expiry: nothing is shortened
    assert granted is not None and panel.users[1].expire_at == NOW + timedelta(days=30)
