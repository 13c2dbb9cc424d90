"""Which backup archives to keep: the newest one of each of the last N days, weeks and months.

This is the usual grandfather-father-son scheme. An archive kept for more than one reason (the newest of
its day and of its week) counts for each. The newest archive is always kept, whatever the settings.
Files whose names are not archive names are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from remnastore.ops.archive import archive_time


@dataclass(frozen=True)
class RotationPlan:
    keep: list[Path]
    delete: list[Path]


def _bucket_keepers(
    ordered: list[tuple[datetime, Path]], count: int, bucket: Callable[[datetime], Hashable]
) -> set[Path]:
    """The newest archive of each of the ``count`` newest buckets (``ordered`` is newest first)."""
    kept: set[Path] = set()
    seen: set[Hashable] = set()
    for moment, path in ordered:
        if len(seen) >= count:
            break
        key = bucket(moment)
        if key not in seen:
            seen.add(key)
            kept.add(path)
    return kept


def _day(moment: datetime) -> Hashable:
    return moment.date()


def _week(moment: datetime) -> Hashable:
    iso = moment.isocalendar()
    return (iso.year, iso.week)


def _month(moment: datetime) -> Hashable:
    return (moment.year, moment.month)


def plan_rotation(paths: Iterable[Path], *, daily: int, weekly: int, monthly: int) -> RotationPlan:
    """Decide, without touching anything, which archives stay and which go (both newest first)."""
    dated = [(moment, path) for path in paths if (moment := archive_time(path.name)) is not None]
    ordered = sorted(dated, key=lambda item: (item[0], item[1].name), reverse=True)
    keep = _bucket_keepers(ordered, daily, _day)
    keep |= _bucket_keepers(ordered, weekly, _week)
    keep |= _bucket_keepers(ordered, monthly, _month)
    if ordered:
        keep.add(ordered[0][1])
    return RotationPlan(
        keep=[path for _, path in ordered if path in keep],
        delete=[path for _, path in ordered if path not in keep],
    )


def apply_rotation(directory: Path, *, daily: int, weekly: int, monthly: int) -> RotationPlan:
    """Delete the archives in ``directory`` that :func:`plan_rotation` does not keep."""
    if not directory.is_dir():
        return RotationPlan([], [])
    plan = plan_rotation(
        (p for p in directory.iterdir() if p.is_file()), daily=daily, weekly=weekly, monthly=monthly
    )
    for path in plan.delete:
        path.unlink(missing_ok=True)
    return plan
