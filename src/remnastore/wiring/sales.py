"""Selling: promos, the order lifecycle, the order kinds, settlement, checkout, renewals, gifts and the
self-employed tax receipts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from remnastore.bot.notifier import TelegramNotifier
from remnastore.bot.payment_intake import PaymentIntake
from remnastore.bot.renewal_notices import RenewalMessages
from remnastore.bot.tax_receipt_messages import TaxReceiptMessages
from remnastore.db.models import OrderKind
from remnastore.domain.catalogue import ADDON_KINDS
from remnastore.receipts.client import NalogoClient
from remnastore.receipts.queue import TaxReceipts
from remnastore.services.addon_fulfilment import AddonFulfilment
from remnastore.services.autorenewal import AutoRenewalService
from remnastore.services.balance import BalanceService
from remnastore.services.campaigns import CampaignAdmin
from remnastore.services.checkout import Checkout
from remnastore.services.fulfilment import Fulfilment, FulfilmentFailures, OrderKinds
from remnastore.services.gifts import GiftService
from remnastore.services.lifecycle import Lifecycle, OrderEvents
from remnastore.services.order_admin import OrderAdmin
from remnastore.services.panel_config import ConfigurationAlerts
from remnastore.services.promo_admin import PromoAdmin
from remnastore.services.promos import PromoService
from remnastore.services.reconciliation import Reconciliation
from remnastore.services.referrals import ReferralRewards
from remnastore.services.settlement import Settlement
from remnastore.services.stars_reconciliation import StarsReconciliation
from remnastore.services.subscription_fulfilment import SubscriptionFulfilment
from remnastore.services.topup_fulfilment import TopUpFulfilment
from remnastore.web.payments import PaymentWebhooks
from remnastore.wiring.core import Core
from remnastore.wiring.customers import Customers
from remnastore.wiring.providers import Providers


@dataclass
class Sales:
    notifier: TelegramNotifier
    promos: PromoService | None
    promo_admin: PromoAdmin
    campaign_admin: CampaignAdmin
    order_events: OrderEvents
    lifecycle: Lifecycle
    referrals: ReferralRewards
    config_alerts: ConfigurationAlerts
    fulfilment: Fulfilment
    settlement: Settlement
    checkout: Checkout
    balance: BalanceService | None
    order_admin: OrderAdmin
    reconciliation: Reconciliation
    #: Stars payments: settled before their update is acknowledged, and found in the Star transactions
    #: should the update still be lost (see bot/payment_intake.py and services/stars_reconciliation.py)
    payment_intake: PaymentIntake
    stars_reconciliation: StarsReconciliation | None
    gifts: GiftService | None
    autorenew: AutoRenewalService | None
    payment_webhooks: PaymentWebhooks
    #: the receipt queue (always built: the admin list reads it; worked by a job only when enabled)
    tax_receipts: TaxReceipts


def build_promos(core: Core, customers: Customers) -> PromoService | None:
    """Promo codes for customers; None when switched off."""
    settings = core.settings
    if not settings.promos.enabled:
        return None
    sales = settings.sales
    return PromoService(
        core.db,
        customers.panel_link,
        core.clock,
        access=customers.access,
        reservation=timedelta(minutes=settings.promos.reservation_minutes),
        balance_currency=sales.balance_currency if sales.balance_enabled else None,
    )


def register_order_kinds(
    core: Core,
    customers: Customers,
    fulfilment: Fulfilment,
    lifecycle: Lifecycle,
    notifier: TelegramNotifier,
    failures: FulfilmentFailures,
    config_alerts: ConfigurationAlerts,
) -> None:
    """The order kinds, one registration each (gifts: see :func:`build_sales`)."""
    settings = core.settings
    subscriptions = SubscriptionFulfilment(
        core.db,
        core.panel,
        customers.panel_link,
        customers.catalogue,
        core.clock,
        customers=notifier,
        admins=notifier,
        default_squads=tuple(settings.panel.squads),
        external_squad=settings.panel.external_squad,
        user_tag=settings.panel.user_tag,
        lifecycle=lifecycle,
        access=customers.access,
        failed=failures,
        config_alerts=config_alerts,
    )
    addons = AddonFulfilment(
        core.db,
        core.panel,
        customers.panel_link,
        customers.catalogue,
        core.clock,
        customers=notifier,
        admins=notifier,
        failed=failures,
        lifecycle=lifecycle,
    )
    topups = TopUpFulfilment(core.db, lifecycle, customers=notifier, admins=notifier)
    fulfilment.kinds.register(OrderKind.SUBSCRIPTION.value, subscriptions)
    fulfilment.kinds.register(OrderKind.TOPUP.value, topups)
    for addon_kind in ADDON_KINDS:
        fulfilment.kinds.register(addon_kind, addons)


def build_tax_receipts(core: Core) -> TaxReceipts:
    """Self-employed tax receipts: the queue written by settlement and worked by a job."""
    receipts = core.settings.tax_receipts
    return TaxReceipts(
        core.db,
        core.clock,
        receipts,
        NalogoClient(receipts, core.clock),
        messages=TaxReceiptMessages(core.bot, core.locales, core.renderer),
        shop_log=core.log_chat,
    )


def build_sales(core: Core, customers: Customers, providers: Providers) -> Sales:
    settings = core.settings
    sales = settings.sales
    balance_currency = sales.balance_currency if sales.balance_enabled else None
    db, clock, catalogue = core.db, core.clock, customers.catalogue
    notifier = TelegramNotifier(
        core.bot,
        core.locales,
        core.renderer,
        admin_ids=settings.telegram.admin_ids,
        log_chat=core.log_chat,
        mini_app=settings.links.mini_app,
    )
    promos = build_promos(core, customers)
    order_events = OrderEvents()
    lifecycle = Lifecycle(clock, order_events, promos=promos)
    referrals = ReferralRewards(
        db,
        customers.access,
        clock,
        settings.referrals,
        notifier=notifier,
        balance_currency=balance_currency,
        cache=core.customer_cache,
    )
    config_alerts = ConfigurationAlerts(core.panel, notifier)
    customers.subscriptions.config_alerts = config_alerts
    failures = FulfilmentFailures(db, clock, notifier)
    fulfilment = Fulfilment(db, clock, OrderKinds(), failures, notifier)
    register_order_kinds(core, customers, fulfilment, lifecycle, notifier, failures, config_alerts)
    tax_receipts = build_tax_receipts(core)
    settlement = Settlement(
        db,
        clock,
        catalogue,
        lifecycle=lifecycle,
        admins=notifier,
        product_lookups=providers.product_lookups(),
        on_outcome=core.metrics.payment_event,
        tax_receipts=tax_receipts if tax_receipts.enabled else None,
    )
    star_transactions = providers.star_transactions()
    renewal = settings.renewal
    messages = RenewalMessages(core.bot, core.locales, core.renderer)
    gifts: GiftService | None = None
    if renewal.gifts_enabled:
        gifts = GiftService(db, catalogue, clock, notifier=messages, lifecycle=lifecycle)
        fulfilment.kinds.register(OrderKind.GIFT.value, gifts)
    autorenew: AutoRenewalService | None = None
    if renewal.autorenew_enabled:
        autorenew = AutoRenewalService(
            db,
            catalogue,
            clock,
            renewal,
            chargers=providers.saved_method_chargers(),
            settle=settlement.settle,
            lifecycle=lifecycle,
            notifier=messages,
            balance_currency=balance_currency,
        )
    return Sales(
        notifier=notifier,
        promos=promos,
        promo_admin=PromoAdmin(db, clock, catalogue, default_currency=sales.balance_currency),
        campaign_admin=CampaignAdmin(db, default_currency=sales.balance_currency),
        order_events=order_events,
        lifecycle=lifecycle,
        referrals=referrals,
        config_alerts=config_alerts,
        fulfilment=fulfilment,
        settlement=settlement,
        checkout=Checkout(
            db,
            customers.effective,
            providers.by_name,
            clock,
            lifecycle=lifecycle,
            order_ttl=timedelta(minutes=sales.order_ttl_minutes),
            settle=settlement.settle,
            balance_currency=balance_currency,
            promos=promos,
        ),
        balance=(
            BalanceService(
                db, currency=sales.balance_currency, topups=sales.topup_amounts(), bounds=sales.topup_bounds()
            )
            if sales.balance_enabled
            else None
        ),
        order_admin=OrderAdmin(db, clock, providers=providers.by_name, settle=settlement.settle),
        reconciliation=Reconciliation(db, providers.by_name, clock, settlement.settle),
        payment_intake=PaymentIntake(settlement.settle),
        stars_reconciliation=(
            StarsReconciliation(db, star_transactions, clock, settlement.settle)
            if star_transactions is not None
            else None
        ),
        gifts=gifts,
        autorenew=autorenew,
        payment_webhooks=PaymentWebhooks(
            providers.by_name,
            settlement.settle,
            trusted_proxies=settings.web.trusted_proxies,
            on_refusal=core.metrics.webhook_refused,
        ),
        tax_receipts=tax_receipts,
    )
