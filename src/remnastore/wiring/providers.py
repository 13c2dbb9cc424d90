"""The enabled payment providers, and what each declares it can do beyond taking a payment.

A new provider needs no change here: one module in ``payments/`` and one line in ``payments/registry.py``.
A new capability (a protocol in ``payments/capabilities.py``) gets one method below that picks the
providers declaring it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiogram import Bot

from remnastore.config import Settings
from remnastore.payments.base import Provider, ProviderContext
from remnastore.payments.capabilities import InChatPayments, ProductLinks, Refunds, SavedMethodCharges
from remnastore.payments.registry import provider_module
from remnastore.services.settlement import ProductLookup
from remnastore.services.stars_reconciliation import StarTransactions


@dataclass
class Providers:
    context: ProviderContext
    by_name: dict[str, Provider] = field(default_factory=dict)
    #: whether the return URL was configured (otherwise it becomes the bot's link once the bot is known)
    return_url_configured: bool = False

    def product_lookups(self) -> dict[str, ProductLookup]:
        return {name: p.product_for_ref for name, p in self.by_name.items() if isinstance(p, ProductLinks)}

    def refundable(self) -> frozenset[str]:
        return frozenset(name for name, p in self.by_name.items() if isinstance(p, Refunds))

    def saved_method_chargers(self) -> dict[str, SavedMethodCharges]:
        return {name: p for name, p in self.by_name.items() if isinstance(p, SavedMethodCharges)}

    def star_transactions(self) -> StarTransactions | None:
        stars = self.by_name.get("stars")
        return stars if isinstance(stars, StarTransactions) else None

    def bot_known(self, username: str | None) -> None:
        """Customers come back to the bot after paying on a provider's page, unless configured."""
        if not self.return_url_configured:
            self.context.return_url = f"https://t.me/{username}"

    async def close(self) -> None:
        for provider in self.by_name.values():
            await provider.close()


def build_providers(settings: Settings, bot: Bot) -> Providers:
    sales = settings.sales
    public = sales.public_url or settings.telegram.webhook_base_url
    providers = Providers(
        ProviderContext(public_url=public, return_url=sales.return_url or "https://t.me"),
        return_url_configured=bool(sales.return_url),
    )
    for name, group in settings.payments.items():
        if getattr(group, "enabled", False):
            provider = provider_module(name).create(group, providers.context)
            if isinstance(provider, InChatPayments):
                provider.attach(bot)  # invoices are sent in the chat by the bot itself
            providers.by_name[name] = provider
    return providers
