"""Payment and query-answer methods of the Telegram Bot API emulator (invoices, Stars, callbacks, inline)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from remnastore.emulators.telegram_markup import first_button_is_pay, validate_reply_markup
from remnastore.emulators.telegram_params import Params, bad_request
from remnastore.emulators.telegram_state import TelegramState

Handler = Callable[[TelegramState, Params], Any]

STARS = "XTR"
SUBSCRIPTION_PERIOD = 2592000
CALLBACK_ANSWER_LIMIT = 200
_CURRENCY = re.compile(r"[A-Z]{3}")


def checked_invoice(p: Params) -> dict[str, Any]:
    """Validate the invoice parameters shared by sendInvoice and createInvoiceLink."""
    title = p.text("title") or ""
    description = p.text("description") or ""
    payload = p.text("payload") or ""
    currency = p.text("currency") or ""
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID" if description else "description is empty")
    if not 1 <= len(payload.encode("utf-8")) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID" if payload else "payload is empty")
    if not _CURRENCY.fullmatch(currency):
        raise bad_request("CURRENCY_INVALID")
    prices = p.raw("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("prices must be non-empty")
    for price in prices:
        amount = price.get("amount") if isinstance(price, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool) or not str(price.get("label", "")):
            raise bad_request("can't parse prices JSON object")
    provider_token = p.text("provider_token") or ""
    if currency == STARS:
        if len(prices) != 1:
            raise bad_request(
                "STARS_INVOICE_INVALID: invoices in Telegram Stars must contain exactly one price"
            )
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    total = sum(int(price["amount"]) for price in prices)
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    period = p.integer("subscription_period")
    if period is not None and (currency != STARS or period != SUBSCRIPTION_PERIOD):
        raise bad_request("SUBSCRIPTION_PERIOD_INVALID")
    return {
        "title": title,
        "description": description,
        "payload": payload,
        "currency": currency,
        "prices": prices,
        "total_amount": total,
        "start_parameter": p.text("start_parameter") or "",
        "subscription_period": period,
    }


def send_invoice(state: TelegramState, p: Params) -> dict[str, Any]:
    chat = state.writable_chat(p.chat_id())
    invoice = checked_invoice(p)
    markup = validate_reply_markup(p.raw("reply_markup"), allow_pay=True)
    if markup is not None and not first_button_is_pay(markup):
        raise bad_request("REPLY_MARKUP_BUY_EMPTY: the first button must be a Pay button")
    if markup is None:
        price = f"⭐️{invoice['total_amount']}" if invoice["currency"] == STARS else invoice["currency"]
        markup = {"inline_keyboard": [[{"text": f"Pay {price}", "pay": True}]]}
    shown = {
        key: invoice[key] for key in ("title", "description", "start_parameter", "currency", "total_amount")
    }
    stored = state.store_message(chat, {"invoice": shown, "reply_markup": markup})
    stored.invoice_details = invoice
    return stored.data


def create_invoice_link(state: TelegramState, p: Params) -> str:
    invoice = checked_invoice(p)
    link = f"https://t.me/${secrets.token_urlsafe(12)}"
    state.invoice_links[link] = invoice
    return link


def answer_pre_checkout_query(state: TelegramState, p: Params) -> bool:
    query = state.take_query(p.req_text("pre_checkout_query_id"), "pre_checkout")
    ok = p.flag("ok")
    error_message = p.text("error_message")
    if not ok and not error_message:
        raise bad_request("error_message must be non-empty if ok is false")
    query.answered = True
    query.answer = {"ok": ok, "error_message": error_message}
    return True


def refund_star_payment(state: TelegramState, p: Params) -> bool:
    user_id = p.req_integer("user_id")
    charge = state.charges.get(p.req_text("telegram_payment_charge_id"))
    if charge is None or charge.user_id != user_id:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    state.star_transactions.append(
        {
            "id": charge.charge_id,
            "amount": charge.amount,
            "date": charge.date,
            "receiver": {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": state.user_json(user_id),
            },
        }
    )
    return True


def get_star_transactions(state: TelegramState, p: Params) -> dict[str, Any]:
    """The bot's Star transactions in chronological order (oldest first): ``offset`` of them skipped,
    at most ``limit`` (1-100, default 100; values outside are brought into that range)."""
    offset = max(p.integer("offset", 0) or 0, 0)
    limit = max(1, min(p.integer("limit", 100) or 100, 100))
    return {"transactions": state.star_transactions[offset : offset + limit]}


def answer_callback_query(state: TelegramState, p: Params) -> bool:
    query = state.take_query(p.req_text("callback_query_id"), "callback")
    text = p.text("text") or ""
    if len(text) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {"text": text or None, "show_alert": p.flag("show_alert"), "url": p.text("url")}
    return True


def answer_inline_query(state: TelegramState, p: Params) -> bool:
    query = state.take_query(p.req_text("inline_query_id"), "inline")
    results = p.raw("results")
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        result_id = str(result.get("id", "")) if isinstance(result, dict) else ""
        if not result_id or len(result_id.encode("utf-8")) > 64 or not result.get("type"):
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
    query.answered = True
    query.answer = {
        "results": results,
        "cache_time": p.integer("cache_time"),
        "is_personal": p.flag("is_personal"),
    }
    return True


PAYMENT_METHODS: dict[str, Handler] = {
    "sendInvoice": send_invoice,
    "createInvoiceLink": create_invoice_link,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
    "getStarTransactions": get_star_transactions,
    "answerCallbackQuery": answer_callback_query,
    "answerInlineQuery": answer_inline_query,
}
