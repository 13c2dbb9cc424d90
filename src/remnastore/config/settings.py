"""The Settings object: one line per settings group, in the order they are documented.

Adding a settings group is its class (in a module of its own, next to what it configures) and ONE line
below: ``name: TheClass = group(TheClass, "Title")``. The loader, ``.env.example``, the README table and
the checks read the groups from here.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from typing import Any, TypeVar

from pydantic import SecretStr

from remnastore.cabinet.settings import CabinetSettings
from remnastore.config.backup import BackupSettings
from remnastore.config.broadcasts import BroadcastSettings
from remnastore.config.channel_gate import ChannelGateSettings
from remnastore.config.panel import PanelSettings
from remnastore.config.panel_sync import PanelSyncSettings
from remnastore.config.promos import PromoSettings
from remnastore.config.referrals import ReferralSettings
from remnastore.config.reminders import ReminderSettings
from remnastore.config.renewal import RenewalSettings
from remnastore.config.sales import SalesSettings
from remnastore.config.shop import LinkSettings, ShopSettings, TrialSettings
from remnastore.config.storage import DatabaseSettings, RedisSettings
from remnastore.config.telegram import TelegramSettings
from remnastore.config.web import LogSettings, WebSettings
from remnastore.infra.performance import PerformanceSettings
from remnastore.infra.ratelimit import RateLimitSettings
from remnastore.receipts.settings import TaxReceiptSettings
from remnastore.settings_base import SettingsGroup

G = TypeVar("G", bound=SettingsGroup)


def group(cls: type[G], title: str, *, optional: bool = False) -> Any:
    """A settings group of :class:`Settings`; ``optional``: built from the environment when not given."""
    metadata = {"group": cls, "title": title}
    if optional:
        return field(default_factory=cls, metadata=metadata)
    return field(metadata=metadata)


@dataclass(kw_only=True, eq=False)
class Settings:
    """All settings, grouped. Build with :func:`remnastore.config.load_settings`."""

    telegram: TelegramSettings = group(TelegramSettings, "Telegram")
    panel: PanelSettings = group(PanelSettings, "Remnawave panel")
    database: DatabaseSettings = group(DatabaseSettings, "Database")
    redis: RedisSettings = group(RedisSettings, "Redis")
    shop: ShopSettings = group(ShopSettings, "Shop")
    trial: TrialSettings = group(TrialSettings, "Free trial")
    links: LinkSettings = group(LinkSettings, "Main menu link buttons")
    sales: SalesSettings = group(SalesSettings, "Sales")
    web: WebSettings = group(WebSettings, "Web server")
    log: LogSettings = group(LogSettings, "Logs")
    rate_limit: RateLimitSettings = group(RateLimitSettings, "Rate limiting")
    backup: BackupSettings = group(BackupSettings, "Backups")
    channel_gate: ChannelGateSettings = group(ChannelGateSettings, "Required channel")
    reminders: ReminderSettings = group(ReminderSettings, "Expiry reminders")
    referrals: ReferralSettings = group(ReferralSettings, "Referrals", optional=True)
    promos: PromoSettings = group(PromoSettings, "Promo codes", optional=True)
    broadcasts: BroadcastSettings = group(BroadcastSettings, "Broadcasts", optional=True)
    panel_sync: PanelSyncSettings = group(PanelSyncSettings, "Panel sync", optional=True)
    renewal: RenewalSettings = group(RenewalSettings, "Auto-renewal and gifts", optional=True)
    performance: PerformanceSettings = group(PerformanceSettings, "Performance", optional=True)
    tax_receipts: TaxReceiptSettings = group(
        TaxReceiptSettings, "Self-employed tax receipts (Мой налог)", optional=True
    )
    cabinet: CabinetSettings = group(CabinetSettings, "Customer cabinet", optional=True)
    #: each payment provider's own settings group, by provider name (payments/registry.py)
    payments: dict[str, SettingsGroup] = field(default_factory=dict)

    @property
    def use_webhook(self) -> bool:
        return bool(self.telegram.webhook_base_url)

    def secrets(self) -> list[str]:
        """Every secret value, so that logs and backups can redact them."""
        values = [self.telegram.bot_token.get_secret_value(), self.panel.token.get_secret_value()]
        for secret in (self.telegram.webhook_secret, self.panel.webhook_secret):
            if secret is not None:
                values.append(secret.get_secret_value())
        values.extend(v for v in self.panel.extra_headers.values() if v)
        values.extend(v for v in self.panel.cookies.values() if v)
        values.extend(self.tax_receipts.secrets())
        for group_settings in self.payments.values():
            for field_name in type(group_settings).model_fields:
                value = getattr(group_settings, field_name)
                if isinstance(value, SecretStr):
                    values.append(value.get_secret_value())
        return [v for v in values if len(v) >= 6]


def _group_fields() -> list[Field[Any]]:
    return [f for f in fields(Settings) if "group" in f.metadata]


#: the settings groups of :class:`Settings` by attribute name, in order
GROUPS: dict[str, type[SettingsGroup]] = {f.name: f.metadata["group"] for f in _group_fields()}
#: each group's title in ``.env.example`` and the README (provider groups are added by ``all_groups``)
GROUP_TITLES: dict[str, str] = {f.name: f.metadata["title"] for f in _group_fields()}
