from datetime import UTC, datetime, timedelta

from remnastore.domain.access import GIB, MIB, days_left, panel_username, size_parts

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_days_left_rounds_up_while_active_and_counts_whole_days_after_expiry() -> None:
    assert days_left(NOW + timedelta(days=3), NOW) == 3
    assert days_left(NOW + timedelta(days=2, hours=1), NOW) == 3
    assert days_left(NOW + timedelta(hours=5), NOW) == 1
    assert days_left(NOW - timedelta(hours=5), NOW) == 0
    assert days_left(NOW - timedelta(days=2, hours=3), NOW) == -2


def test_sizes_are_shown_in_gb_with_two_decimals_or_in_mb() -> None:
    assert size_parts(10 * GIB) == ("10", "gb")
    assert size_parts(int(1.5 * GIB)) == ("1.5", "gb")
    assert size_parts(1234567890) == ("1.15", "gb")
    assert size_parts(300 * MIB) == ("300", "mb")
    assert size_parts(0) == ("0", "mb")


def test_panel_usernames_follow_the_prefix_and_the_panel_rules() -> None:
    assert panel_username("tg_", 123456789) == "tg_123456789"
    assert panel_username("", 7) == "007"
    assert len(panel_username("shop_", 10**20)) <= 36
