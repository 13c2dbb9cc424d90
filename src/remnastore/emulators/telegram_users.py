"""A Telegram user driven by tests: sends messages, presses buttons, pays invoices, reads replies."""

from __future__ import annotations

import copy
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from remnastore.emulators.telegram_html import utf16_len
from remnastore.emulators.telegram_payments import STARS
from remnastore.emulators.telegram_state import BotMessage, ChatState, StarCharge, StoredMessage
from remnastore.emulators.telegram_waiting import ReplyWatch

if TYPE_CHECKING:
    from remnastore.emulators.telegram import TelegramEmulator

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_NOT_CALLBACK = ("url", "web_app_url", "switch_inline_query", "copy_text")


@dataclass(frozen=True)
class PaymentResult:
    """What happened when the user tried to pay an invoice."""

    approved: bool
    pre_checkout_update_id: int
    error_message: str | None = None
    charge_id: str | None = None
    payment_update_id: int | None = None
    currency: str | None = None
    total_amount: int | None = None


class FakeUser:
    """One user in a private chat with the bot."""

    def __init__(self, emulator: TelegramEmulator, info: dict[str, Any], chat: ChatState) -> None:
        self.emulator = emulator
        self.info = info
        self.chat = chat
        self.last_update_id: int | None = None
        self._watch = ReplyWatch(emulator, self.id)

    @property
    def id(self) -> int:
        return int(self.info["id"])

    # -- what the bot shows --------------------------------------------------------------------
    @property
    def messages(self) -> list[BotMessage]:
        return self.chat.bot_messages()

    @property
    def last_message(self) -> BotMessage | None:
        current = self.messages
        return current[-1] if current else None

    @property
    def history(self) -> list[BotMessage]:
        return list(self.chat.history)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The texts of the reply keyboard the bot currently shows under the input field."""
        return self.chat.reply_keyboard

    def callback_answer(self, update_id: int | None = None) -> dict[str, Any] | None:
        """The answerCallbackQuery parameters for a press (the latest one by default)."""
        wanted = update_id if update_id is not None else self.last_update_id
        for query in self.emulator.state.queries.values():
            if query.kind == "callback" and query.payload.get("update_id") == wanted:
                return query.answer
        return None

    # -- what the user does --------------------------------------------------------------------
    def _enqueue(self, update: dict[str, Any]) -> int:
        update_id = self.emulator.hub.enqueue(update)
        self.last_update_id = update_id
        return update_id

    def _user_message(self, content: dict[str, Any]) -> dict[str, Any]:
        if self.id in self.emulator.state.blocked:
            self.emulator.unblock(self.id)
        stored = self.emulator.state.store_message(self.chat, content, from_bot=False, sender=dict(self.info))
        return copy.deepcopy(stored.data)

    async def send(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        command = _COMMAND.match(text)
        if command is not None:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group())}]
        return self._enqueue({"message": self._user_message(content)})

    async def tap(self, label: str) -> int:
        """Tap a reply keyboard button (equal text first, else the first one containing `label`)."""
        texts = [text for row in self.chat.reply_keyboard or [] for text in row]
        found = next((text for text in texts if text == label), None)
        found = found or next((text for text in texts if label in text), None)
        if found is None:
            raise AssertionError(f"no reply keyboard button {label!r}; buttons: {texts}")
        return await self.send(found)

    async def start(self, payload: str | None = None) -> int:
        return await self.send(f"/start {payload}" if payload else "/start")

    async def send_photo(self, data: bytes = b"\x89PNG\r\n\x1a\n", *, caption: str | None = None) -> int:
        stored = self.emulator.state.register_file(
            "photo", data=data, file_name="photo.png", mime_type="image/png"
        )
        content: dict[str, Any] = {
            "photo": [
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": 800,
                    "height": 600,
                }
            ]
        }
        if caption:
            content["caption"] = caption
        return self._enqueue({"message": self._user_message(content)})

    async def send_raw(self, update: dict[str, Any]) -> int:
        return self._enqueue(update)

    async def inline_query(self, query: str) -> int:
        state = self.emulator.state
        pending = state.new_query("inline", self.id)
        body = {
            "id": pending.query_id,
            "from": dict(self.info),
            "query": query,
            "offset": "",
            "chat_type": "sender",
        }
        update_id = self._enqueue({"inline_query": body})
        pending.payload["update_id"] = update_id
        return update_id

    def _stored(self, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            latest = self.last_message
            if latest is None:
                return None
            message_id = latest.message_id
        stored = self.chat.messages.get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise AssertionError(f"the bot shows no message {message_id} in chat {self.id}")
        return stored

    async def press(self, button: str, *, message_id: int | None = None) -> int:
        stored = self._stored(message_id)
        if stored is None:
            raise AssertionError(f"cannot press {button!r}: the bot shows no message in chat {self.id}")
        view = stored.view("current")
        found = view.find_button(button)
        if found is None:
            raise AssertionError(
                f"no button {button!r} in message {view.message_id} ({view.text[:60]!r}); "
                f"buttons: {view.button_texts}"
            )
        if found.callback_data is None:
            kind = next((name for name in _NOT_CALLBACK if getattr(found, name)), "pay" if found.pay else "?")
            raise AssertionError(f"button {found.text!r} is a {kind} button, not a callback button")
        return await self.press_data(found.callback_data, message_id=view.message_id)

    async def press_data(self, callback_data: str, message_id: int | None = None) -> int:
        stored = self._stored(message_id)
        query = self.emulator.state.new_query("callback", self.id)
        body: dict[str, Any] = {
            "id": query.query_id,
            "from": dict(self.info),
            "chat_instance": str(self.id * 7919),
            "data": callback_data,
        }
        if stored is not None:
            body["message"] = copy.deepcopy(stored.data)
        update_id = self._enqueue({"callback_query": body})
        query.payload["update_id"] = update_id
        return update_id

    # -- waiting for the bot -------------------------------------------------------------------
    async def wait_reply(
        self,
        after_update: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-driver API names it so
        *,
        settle: float | None = None,
    ) -> BotMessage:
        """Wait until the bot has answered an update (the latest one by default) and gone quiet.

        The answer must put a new or edited message in this chat: a press answered with an alert only
        (use :meth:`wait_alert`), an edit Telegram refused ("message is not modified") or no message at
        all fails here, so a test never reads a message that was already on screen as the reply.
        """
        update_id = after_update if after_update is not None else self.last_update_id
        if update_id is None:
            raise AssertionError("wait_reply: this user has sent nothing yet")
        delivered = await self._watch.answered(update_id, timeout, settle)
        latest = self.last_message
        if latest is None or not self._watch.message_calls(delivered):
            raise AssertionError(
                f"the bot answered update {update_id} without a new or edited message to {self.id}; "
                f"calls since delivery: {self._watch.calls_since(delivered)}"
                + (
                    f"; its alert: {self.callback_answer(update_id)}"
                    if self._watch.is_press(update_id)
                    else ""
                )
            )
        return latest

    async def wait_alert(
        self,
        after_update: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-driver API names it so
    ) -> dict[str, Any]:
        """Wait until the bot has answered a press (the latest one by default) and return the answer.

        For presses that only show a notice or an alert (``answerCallbackQuery`` with a text): its
        parameters (``text``, ``show_alert``) are returned. An answer without a text fails.
        """
        update_id = after_update if after_update is not None else self.last_update_id
        if update_id is None or not self._watch.is_press(update_id):
            raise AssertionError(f"wait_alert: update {update_id} is not a button press of {self.id}")
        query = next(
            query
            for query in self.emulator.state.queries.values()
            if query.kind == "callback" and query.payload.get("update_id") == update_id
        )
        deadline = time.monotonic() + timeout
        while not query.answered:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"the bot did not answer the press {update_id} within {timeout}s; "
                    f"calls: {self._watch.calls_since(self.emulator.hub.delivered_at.get(update_id, 0.0))}"
                )
            await self.emulator.hub.wait_changed(remaining)
        answer = dict(query.answer or {})
        if not answer.get("text"):
            raise AssertionError(f"the bot answered the press {update_id} without a text: {answer}")
        return answer

    # -- payments ------------------------------------------------------------------------------
    def _invoice(self, message: BotMessage | None, link: str | None) -> dict[str, Any]:
        if link is not None:
            invoice = self.emulator.state.invoice_links.get(link)
            if invoice is None:
                raise AssertionError(f"unknown invoice link {link!r}")
            return invoice
        if message is None:
            message = next((item for item in reversed(self.messages) if item.invoice is not None), None)
            if message is None:
                raise AssertionError(f"the bot shows no invoice in chat {self.id}")
        stored = self.chat.messages.get(message.message_id)
        if stored is None or stored.invoice_details is None:
            raise AssertionError(f"message {message.message_id} is not an invoice")
        return stored.invoice_details

    async def pay_invoice(
        self,
        message: BotMessage | None = None,
        *,
        link: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-driver API names it so
        lose_update: bool = False,
    ) -> PaymentResult:
        """Pay an invoice: pre-checkout query, then (if approved) a successful_payment message.

        ``lose_update``: the charge is made (and listed by getStarTransactions) but its successful_payment
        update never reaches the bot, as when a bot acknowledged it and died before storing it."""
        invoice = self._invoice(message, link)
        state = self.emulator.state
        query = state.new_query("pre_checkout", self.id)
        body = {
            "id": query.query_id,
            "from": dict(self.info),
            "currency": invoice["currency"],
            "total_amount": invoice["total_amount"],
            "invoice_payload": invoice["payload"],
        }
        pre_checkout_update = self._enqueue({"pre_checkout_query": body})
        query.payload["update_id"] = pre_checkout_update
        deadline = time.monotonic() + timeout
        while not query.answered:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the bot did not answer the pre-checkout query within {timeout}s")
            await self.emulator.hub.wait_changed(remaining)
        answer = query.answer or {}
        if not answer.get("ok"):
            return PaymentResult(False, pre_checkout_update, error_message=answer.get("error_message"))
        return self._settle_payment(invoice, pre_checkout_update, lose_update=lose_update)

    def _settle_payment(
        self, invoice: dict[str, Any], pre_checkout_update: int, *, lose_update: bool = False
    ) -> PaymentResult:
        state = self.emulator.state
        currency, amount = invoice["currency"], int(invoice["total_amount"])
        charge_id = f"stxEMU{secrets.token_hex(12)}" if currency == STARS else f"tgEMU{secrets.token_hex(12)}"
        payment: dict[str, Any] = {
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": invoice["payload"],
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "" if currency == STARS else f"provider_{secrets.token_hex(8)}",
        }
        if invoice.get("subscription_period"):
            payment.update(
                subscription_expiration_date=int(time.time()) + int(invoice["subscription_period"]),
                is_recurring=True,
                is_first_recurring=True,
            )
        now = int(time.time())
        if currency == STARS:
            state.charges[charge_id] = StarCharge(charge_id, self.id, amount, invoice["payload"], now)
            source = {"type": "user", "transaction_type": "invoice_payment", "user": dict(self.info)}
            source["invoice_payload"] = invoice["payload"]
            state.star_transactions.append({"id": charge_id, "amount": amount, "date": now, "source": source})
        if lose_update:
            return PaymentResult(True, pre_checkout_update, None, charge_id, None, currency, amount)
        update_id = self._enqueue({"message": self._user_message({"successful_payment": payment})})
        return PaymentResult(True, pre_checkout_update, None, charge_id, update_id, currency, amount)
