"""Telegram Stars (XTR): invoices are links made by the Bot API; payments arrive as Telegram updates.

The bot's pre-checkout handler validates the order cheaply (within Telegram's 10 s) and the
``successful_payment`` message becomes a PAID event keyed on ``telegram_payment_charge_id``, the id
that ``refundStarPayment`` needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from remnastore.domain.money import Money, is_known_currency
from remnastore.payments.base import (
    EventKind,
    Invoice,
    InvoiceRequest,
    PaymentEvent,
    ProviderContext,
    ProviderError,
    RawRequest,
    WebhookReply,
)
from remnastore.payments.capabilities import RefundRequest
from remnastore.settings_base import SettingsGroup, env

if TYPE_CHECKING:
    from aiogram import Bot

NAME = "stars"
STAR_TRANSACTIONS_PAGE = 100  # getStarTransactions gives at most 100 per call


@dataclass(frozen=True)
class StarCharge:
    """One incoming Stars payment from a user, as ``getStarTransactions`` lists it. ``charge_id`` is the
    transaction id, which is the ``telegram_payment_charge_id`` of its ``successful_payment``."""

    charge_id: str
    telegram_user_id: int
    amount: int
    payload: str
    date: datetime


class Settings(SettingsGroup):
    enabled: bool = env("STARS_ENABLED", True, description="Accept Telegram Stars (needs XTR prices)")

    def missing(self) -> list[str]:
        return []


class StarsProvider:
    name: ClassVar[str] = NAME
    currencies = frozenset({"XTR"})
    supports_status_poll: ClassVar[bool] = False
    uses_webhook: ClassVar[bool] = False

    def __init__(self, bot: Bot | None = None) -> None:
        self._bot = bot

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise ProviderError("the Stars provider has no bot attached", transient=False)
        return self._bot

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        from aiogram.exceptions import TelegramAPIError
        from aiogram.types import LabeledPrice

        if request.amount.currency != "XTR":
            raise ProviderError("Stars invoices are in XTR only", transient=False)
        title = request.description[:32] or "VPN"
        try:
            link = await self.bot.create_invoice_link(
                title=title,
                # the title names the item; the description says what the customer gets
                description=(request.details or request.description)[:255].strip() or title,
                payload=request.order_id,
                currency="XTR",
                prices=[LabeledPrice(label=title, amount=request.amount.minor)],
            )
        except TelegramAPIError as exc:
            raise ProviderError(f"createInvoiceLink failed: {exc.message}") from exc
        return Invoice(provider_payment_id=None, pay_url=link)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        return []

    def ack(self, *, accepted: bool) -> WebhookReply:
        return WebhookReply(200 if accepted else 500)

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        return None

    async def refund_order(self, request: RefundRequest) -> None:
        """The Refunds capability (see payments/capabilities.py): Stars go back to the payer."""
        await self.refund_to(request.payer_telegram_id, request.provider_payment_id)

    async def refund_to(self, telegram_user_id: int, charge_id: str) -> None:
        from aiogram.exceptions import TelegramAPIError

        try:
            await self.bot.refund_star_payment(user_id=telegram_user_id, telegram_payment_charge_id=charge_id)
        except TelegramAPIError as exc:
            if "CHARGE_ALREADY_REFUNDED" in exc.message:
                return
            raise ProviderError(f"refundStarPayment failed: {exc.message}", transient=False) from exc

    async def star_transactions(
        self, offset: int, limit: int = STAR_TRANSACTIONS_PAGE
    ) -> list[StarCharge | None]:
        """One page of the bot's Star transactions, oldest first: each incoming payment from a user as a
        :class:`StarCharge`, anything else (refunds, withdrawals, ...) as ``None``."""
        from aiogram.exceptions import TelegramAPIError
        from aiogram.types import TransactionPartnerUser

        try:
            page = await self.bot.get_star_transactions(offset=offset, limit=limit)
        except TelegramAPIError as exc:
            raise ProviderError(f"getStarTransactions failed: {exc.message}") from exc
        return [
            StarCharge(
                charge_id=item.id,
                telegram_user_id=item.source.user.id,
                amount=item.amount,
                payload=item.source.invoice_payload or "",
                date=item.date if item.date.tzinfo else item.date.replace(tzinfo=UTC),
            )
            if isinstance(item.source, TransactionPartnerUser) and item.receiver is None
            else None
            for item in page.transactions
        ]

    async def close(self) -> None:
        return None


def event_from_payment(
    *,
    telegram_user_id: int,
    payload: str,
    charge_id: str,
    total_amount: int,
    currency: str,
    refunded: bool = False,
) -> PaymentEvent:
    """A ``successful_payment`` (or ``refunded_payment``) message as a normalised event."""
    raw: dict[str, Any] = {
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge_id,
        "total_amount": total_amount,
        "currency": currency,
    }
    return PaymentEvent(
        provider=NAME,
        provider_payment_id=charge_id,
        kind=EventKind.REFUNDED if refunded else EventKind.PAID,
        order_id=payload or None,
        # An unknown currency becomes a zero amount, which can never match an order: it is not credited.
        amount=Money(total_amount, currency) if is_known_currency(currency) else Money.zero("XTR"),
        occurred_at=datetime.now(UTC),
        telegram_user_id=telegram_user_id,
        raw=raw,
    )


def create(settings: Settings, context: ProviderContext) -> StarsProvider:
    return StarsProvider()
