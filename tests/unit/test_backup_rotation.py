"""Backup rotation: which archives stay (grandfather-father-son), with synthetic timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from remnastore.config.backup import BackupSettings
from remnastore.ops.archive import archive_name, archive_time
from remnastore.ops.rotation import apply_rotation, plan_rotation

DIR = Path("/backups")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def archive(text: str, attempt: int = 1) -> Path:
    return DIR / archive_name(at(text), attempt)


def names(paths: list[Path]) -> list[str]:
    return [path.name for path in paths]


def daily_archives(first: str, days: int, hour: int = 2) -> list[Path]:
    start = at(first) + timedelta(hours=hour)
    return [DIR / archive_name(start + timedelta(days=n)) for n in range(days)]


def test_names_carry_their_time() -> None:
    moment = at("2024-03-31T14:05:09")
    assert archive_name(moment) == "remnastore-20240331-140509Z.tar.gz"
    assert archive_name(moment, 3) == "remnastore-20240331-140509Z-3.tar.gz"
    assert archive_time("remnastore-20240331-140509Z.tar.gz") == moment.replace(microsecond=1)
    assert archive_time("remnastore-20240331-140509Z-3.tar.gz") == moment.replace(microsecond=3)
    for other in (
        "notes.txt",
        "remnastore-20241399-000000Z.tar.gz",
        "remnastore-20240331-140509Z.tar.gz.partial",
    ):
        assert archive_time(other) is None


def test_newest_of_each_recent_day_week_and_month_are_kept() -> None:
    # one archive every day of Q1 2024 at 02:00, and a second one on the last day at 14:00
    paths = [*daily_archives("2024-01-01", 91), archive("2024-03-31T14:00:00")]
    plan = plan_rotation(paths, daily=3, weekly=2, monthly=2)
    assert names(plan.keep) == names(
        [
            archive("2024-03-31T14:00:00"),  # newest: day 31 Mar, ISO week 13, March
            archive("2024-03-30T02:00:00"),  # day
            archive("2024-03-29T02:00:00"),  # day
            archive("2024-03-24T02:00:00"),  # week 12 (Sunday)
            archive("2024-02-29T02:00:00"),  # February (leap day)
        ]
    )
    assert len(plan.delete) == 92 - 5
    assert set(plan.keep).isdisjoint(plan.delete)
    assert archive("2024-03-31T02:00:00") in plan.delete  # the older one of the same day goes


def test_default_policy_over_a_year_and_a_half_of_six_hourly_archives() -> None:
    start = at("2023-01-01T00:00:00")
    paths = [DIR / archive_name(start + timedelta(hours=6 * n)) for n in range(4 * 540)]
    plan = plan_rotation(paths, daily=7, weekly=4, monthly=6)
    kept = [archive_time(path.name) for path in plan.keep]
    assert kept[0] == archive_time(paths[-1].name) == at("2024-06-23T18:00:00").replace(microsecond=1)
    # 7 days (23..17 June, 18:00 each), weeks 25, 24, 23, 22 (Sundays 23 Jun (already), 16, 9, 2 Jun),
    # months June (already), May, Apr, Mar, Feb, Jan (last day of each month, 18:00)
    expected = [
        *(f"2024-06-{day:02d}T18:00:00" for day in range(23, 16, -1)),
        "2024-06-16T18:00:00",
        "2024-06-09T18:00:00",
        "2024-06-02T18:00:00",
        "2024-05-31T18:00:00",
        "2024-04-30T18:00:00",
        "2024-03-31T18:00:00",
        "2024-02-29T18:00:00",
        "2024-01-31T18:00:00",
    ]
    assert names(plan.keep) == [archive_name(at(text)) for text in expected]
    assert len(plan.keep) + len(plan.delete) == len(paths)


def test_gaps_count_only_days_that_have_archives() -> None:
    paths = [archive("2024-05-01T03:00:00"), archive("2024-05-10T03:00:00"), archive("2024-05-20T03:00:00")]
    plan = plan_rotation(paths, daily=2, weekly=0, monthly=0)
    assert names(plan.keep) == names([paths[2], paths[1]])
    assert names(plan.delete) == names([paths[0]])


def test_the_newest_archive_is_kept_even_when_nothing_should_be() -> None:
    paths = daily_archives("2024-01-01", 5)
    plan = plan_rotation(paths, daily=0, weekly=0, monthly=0)
    assert plan.keep == [paths[-1]]
    assert len(plan.delete) == 4
    assert plan_rotation([], daily=1, weekly=1, monthly=1).keep == []


def test_archives_of_the_same_second_keep_their_order() -> None:
    first, second = archive("2024-05-01T03:00:00"), archive("2024-05-01T03:00:00", 2)
    plan = plan_rotation([first, second], daily=1, weekly=0, monthly=0)
    assert plan.keep == [second] and plan.delete == [first]


def test_apply_deletes_exactly_the_planned_archives_and_nothing_else(tmp_path: Path) -> None:
    start = at("2024-01-01T01:00:00")
    for n in range(60):
        (tmp_path / archive_name(start + timedelta(days=n))).write_bytes(b"x")
    (tmp_path / "README.txt").write_text("not an archive")
    (tmp_path / "remnastore-20240101-010000Z.tar.gz.partial").write_bytes(b"unfinished")
    plan = apply_rotation(tmp_path, daily=3, weekly=2, monthly=2)
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted(
        [
            "README.txt",
            "remnastore-20240101-010000Z.tar.gz.partial",
            archive_name(at("2024-02-29T01:00:00")),  # newest: day, week 9, February
            archive_name(at("2024-02-28T01:00:00")),
            archive_name(at("2024-02-27T01:00:00")),
            archive_name(at("2024-02-25T01:00:00")),  # week 8 (Sunday)
            archive_name(at("2024-01-31T01:00:00")),  # January
        ]
    )
    assert len(plan.delete) == 55
    assert apply_rotation(tmp_path / "missing", daily=1, weekly=1, monthly=1).keep == []


def test_backup_settings_defaults() -> None:
    settings = BackupSettings(_env_file=None)
    assert settings.directory == Path("backups")
    assert (settings.keep_daily, settings.keep_weekly, settings.keep_monthly) == (7, 4, 6)
    assert settings.interval_hours == 24 and settings.send_to_admins is False
    assert all(field.description for field in BackupSettings.model_fields.values())
