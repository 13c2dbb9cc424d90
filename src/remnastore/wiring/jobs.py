"""The scheduled jobs, one row each: name, interval, first delay, what runs and when it is scheduled.

Every job runs once per cluster (see :mod:`remnastore.jobs.scheduler`). Adding a job is one row in
:data:`JOBS`; its callable is taken from the parts the builders made (:class:`Parts`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from remnastore.cabinet.app import Cabinet
from remnastore.config import Settings
from remnastore.jobs.scheduler import Job, Scheduler
from remnastore.services.reconciliation import LATE_CHECK_PERIOD
from remnastore.wiring.core import Core
from remnastore.wiring.operations import Operations
from remnastore.wiring.sales import Sales

JobRun = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Parts:
    """What a job may run."""

    settings: Settings
    sales: Sales
    ops: Operations
    cabinet: Cabinet | None = None


def _always(parts: Parts) -> bool:
    return True


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    #: seconds between runs
    interval: Callable[[Settings], float]
    run: Callable[[Parts], JobRun | None]
    first_delay: float = 0.0
    #: whether this shop runs the job at all (a job whose ``run`` gives None is skipped too)
    when: Callable[[Parts], bool] = _always


def _every(seconds: float) -> Callable[[Settings], float]:
    return lambda settings: seconds


JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob("fulfilment", _every(15.0), lambda p: p.sales.fulfilment.fulfil_due),
    ScheduledJob(
        "referral-rewards",
        _every(60.0),
        lambda p: p.sales.referrals.grant_pending,
        first_delay=20.0,
        when=lambda p: p.settings.referrals.enabled,
    ),
    ScheduledJob(
        "reconciliation", _every(60.0), lambda p: p.sales.reconciliation.poll_pending, first_delay=5.0
    ),
    ScheduledJob(
        "late-payments",
        _every(LATE_CHECK_PERIOD.total_seconds()),
        lambda p: p.sales.reconciliation.poll_late,
        first_delay=25.0,
    ),
    ScheduledJob(
        "expire-orders", _every(300.0), lambda p: p.sales.reconciliation.expire_stale, first_delay=10.0
    ),
    ScheduledJob(
        "stars-reconciliation",
        _every(120.0),
        lambda p: p.sales.stars_reconciliation.run if p.sales.stars_reconciliation else None,
        first_delay=15.0,
    ),
    ScheduledJob(
        "promo-reservations",
        _every(60.0),
        lambda p: p.sales.promos.release_expired if p.sales.promos else None,
        first_delay=20.0,
    ),
    ScheduledJob(
        "reminders",
        lambda s: float(s.reminders.interval_seconds),
        lambda p: p.ops.reminders.run_due,
        first_delay=30.0,
        when=lambda p: p.settings.reminders.enabled,
    ),
    ScheduledJob(
        "backup",
        lambda s: s.backup.interval_hours * 3600.0,
        lambda p: p.ops.backup.run,
        first_delay=600.0,
        when=lambda p: bool(p.settings.backup.interval_hours),
    ),
    ScheduledJob(
        "autorenew",
        lambda s: float(s.renewal.interval_seconds),
        lambda p: p.sales.autorenew.run_due if p.sales.autorenew else None,
        first_delay=45.0,
    ),
    ScheduledJob(
        "panel-sync",
        lambda s: s.panel_sync.interval_minutes * 60.0,
        lambda p: p.ops.panel_sync.run_scheduled,
        first_delay=60.0,
        when=lambda p: bool(p.settings.panel_sync.interval_minutes),
    ),
    ScheduledJob(
        # without webhooks nothing tells the shop about changes made in the panel: look for them
        "panel-light-sync",
        lambda s: s.panel_sync.light_interval_minutes * 60.0,
        lambda p: p.ops.light_sync.run,
        first_delay=45.0,
        when=lambda p: (
            bool(p.settings.panel_sync.light_interval_minutes) and not p.ops.panel_webhooks.enabled
        ),
    ),
    ScheduledJob(
        "tax-receipts",
        lambda s: float(s.tax_receipts.interval_seconds),
        lambda p: p.sales.tax_receipts.run_due,
        first_delay=15.0,
        when=lambda p: p.sales.tax_receipts.enabled,
    ),
    ScheduledJob(
        "tax-receipts-summary",
        _every(86400.0),
        lambda p: p.sales.tax_receipts.post_daily_summary,
        first_delay=3600.0,
        when=lambda p: p.sales.tax_receipts.enabled,
    ),
    ScheduledJob(
        "cabinet-purge",
        _every(3600.0),
        lambda p: p.cabinet.access.purge_stale if p.cabinet is not None else None,
        first_delay=120.0,
    ),
)


def build_scheduler(core: Core, parts: Parts, jobs: tuple[ScheduledJob, ...] = JOBS) -> Scheduler:
    """A scheduler with every job of ``jobs`` this shop runs."""
    scheduler = Scheduler(core.cluster_lock(), on_run=core.metrics.job_run)
    for job in jobs:
        if not job.when(parts):
            continue
        run = job.run(parts)
        if run is not None:
            scheduler.add(Job(job.name, job.interval(parts.settings), run, first_delay=job.first_delay))
    return scheduler
