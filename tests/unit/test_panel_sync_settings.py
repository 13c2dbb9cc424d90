"""Settings of keeping in step with the panel: the light sync interval and the customer event messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from remnastore.config.panel_sync import CUSTOMER_EVENTS, PanelSyncSettings


def settings(**values: str) -> PanelSyncSettings:
    return PanelSyncSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_light_sync_every_ten_minutes_and_tell_customers_every_event() -> None:
    defaults = settings()
    assert defaults.light_interval_minutes == 10
    assert defaults.event_messages == list(CUSTOMER_EVENTS)


def test_events_are_a_comma_separated_choice_and_may_be_none() -> None:
    assert settings(PANEL_EVENT_MESSAGES="user.limited; user.revoked").event_messages == [
        "user.limited",
        "user.revoked",
    ]
    assert settings(PANEL_EVENT_MESSAGES="").event_messages == []


def test_an_unknown_event_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"'user\.created' is not one of user\.limited"):
        settings(PANEL_EVENT_MESSAGES="user.limited,user.created")
