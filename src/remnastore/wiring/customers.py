"""What a customer reaches first: the catalogue and settings in force, accounts, access and devices."""

from __future__ import annotations

from dataclasses import dataclass

from remnastore.bot.keyboards import MenuOptions
from remnastore.domain.catalogue import Catalogue, load_catalogue
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import AccountService
from remnastore.services.device_limits import DeviceLimits
from remnastore.services.devices import DeviceService
from remnastore.services.effective_settings import LINK_KINDS, Defaults, EffectiveSettings, TrialOptions
from remnastore.services.panel_link import PanelLink
from remnastore.services.subscriptions import SubscriptionService
from remnastore.wiring.core import Core


@dataclass
class Customers:
    catalogue: Catalogue
    effective: EffectiveSettings
    accounts: AccountService
    panel_link: PanelLink
    access: AccessGrant
    subscriptions: SubscriptionService
    device_limits: DeviceLimits
    devices: DeviceService
    menu: MenuOptions


def effective_settings(core: Core, catalogue: Catalogue) -> EffectiveSettings:
    """The settings in force: configuration and catalogue as defaults, admin changes on top."""
    settings = core.settings
    enabled = [name for name, group in settings.payments.items() if getattr(group, "enabled", False)]
    configured = settings.sales.payment_methods_order
    trial = settings.trial
    links = settings.links
    defaults = Defaults(
        catalogue=catalogue,
        trial=TrialOptions(trial.enabled, trial.days, trial.traffic_gb, trial.device_limit),
        trial_strategy=trial.traffic_strategy,
        trial_squads=tuple(trial.squads),
        methods=tuple(
            [name for name in configured if name in enabled]
            + sorted(name for name in enabled if name not in configured)
        ),
        links={kind: getattr(links, kind) for kind in LINK_KINDS},
    )
    return EffectiveSettings(
        core.db, defaults, core.clock, refresh_seconds=settings.shop.settings_refresh_seconds
    )


def build_customers(core: Core) -> Customers:
    settings = core.settings
    panel = settings.panel
    catalogue = load_catalogue(settings.sales.catalogue_file)
    effective = effective_settings(core, catalogue)
    accounts = AccountService(
        core.db,
        default_language=settings.shop.default_language,
        events=core.log_chat,
        cache=core.customer_cache,
    )
    panel_link = PanelLink(core.db, core.panel, username_prefix=panel.username_prefix)
    access = AccessGrant(core.db, core.panel, panel_link, core.clock)
    subscriptions = SubscriptionService(
        core.db,
        core.panel,
        panel_link,
        core.clock,
        settings=effective,
        paid_squads=tuple(panel.squads),
        external_squad=panel.external_squad,
        user_tag=panel.user_tag,
        access=access,
        events=core.log_chat,
        cache=core.panel_cache,
    )
    device_limits = DeviceLimits(core.panel)
    subscriptions.device_limits = device_limits
    return Customers(
        catalogue=catalogue,
        effective=effective,
        accounts=accounts,
        panel_link=panel_link,
        access=access,
        subscriptions=subscriptions,
        device_limits=device_limits,
        devices=DeviceService(core.panel, panel_link, device_limits, core.panel_cache),
        menu=MenuOptions(
            devices_enabled=settings.shop.devices_enabled,
            mini_app=settings.links.mini_app,
            balance_enabled=settings.sales.balance_enabled,
            referrals_enabled=settings.referrals.enabled,
            promos_enabled=settings.promos.enabled,
        ),
    )
