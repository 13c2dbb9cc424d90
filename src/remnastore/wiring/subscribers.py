"""Who reacts to the order lifecycle's events (the reactions: services/lifecycle_subscribers.py)."""

from __future__ import annotations

from functools import partial

from remnastore.jobs.scheduler import Scheduler
from remnastore.services.lifecycle_subscribers import Reactions, subscribe_order_events
from remnastore.services.referral_refunds import ReferralRefunds
from remnastore.wiring.core import Core
from remnastore.wiring.customers import Customers
from remnastore.wiring.sales import Sales


def register_subscribers(core: Core, customers: Customers, sales: Sales, scheduler: Scheduler) -> None:
    subscribe_order_events(
        sales.order_events,
        Reactions(
            fulfilment=sales.fulfilment,
            metrics=core.metrics,
            admins=sales.notifier,
            customers=sales.notifier,
            spawn=core.inflight.spawn,
            remember_card=sales.autorenew.remember_card if sales.autorenew is not None else None,
            referral_reward=sales.referrals.reward if core.settings.referrals.enabled else None,
            gift_notice=sales.gifts.on_fulfilled if sales.gifts is not None else None,
            # a receipt is registered now rather than at the job's next period
            tax_receipts_now=(
                partial(scheduler.run_now, "tax-receipts") if sales.tax_receipts.enabled else None
            ),
            undo=(
                ("referral-rewards", ReferralRefunds(core.db, customers.access, core.clock, sales.notifier)),
            ),
        ),
    )
