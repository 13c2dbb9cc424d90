"""Reminder settings: the offsets they describe, and the mistakes they refuse."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from remnastore.config.reminders import ReminderSettings


def settings(**values: str) -> ReminderSettings:
    return ReminderSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_remind_three_days_and_one_day_before_at_and_one_day_after() -> None:
    reminders = settings()
    assert reminders.offsets() == [24, 0, -24, -72]
    assert reminders.interval_seconds == 300


def test_lists_accept_commas_semicolons_and_blanks() -> None:
    reminders = settings(REMINDER_HOURS="168; 24,24", REMINDER_AFTER_HOURS="", REMINDER_AT_EXPIRY="false")
    assert reminders.offsets() == [-24, -168]


def test_turned_off_means_no_offsets() -> None:
    assert settings(REMINDERS_ENABLED="false").offsets() == []


@pytest.mark.parametrize("value", ["0", "-24", "1.5", "tomorrow", "9999"])
def test_hours_must_be_positive_whole_numbers(value: str) -> None:
    with pytest.raises(ValidationError, match="REMINDER_HOURS"):
        settings(REMINDER_HOURS=value)


def test_the_job_period_is_bounded() -> None:
    with pytest.raises(ValidationError, match="REMINDER_INTERVAL_SECONDS"):
        settings(REMINDER_INTERVAL_SECONDS="1")
